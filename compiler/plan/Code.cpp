// Code.cpp — see Code.h.
#include "plan/Code.h"

#include "ast/AstPrinter.h"

#include <algorithm>
#include <tuple>

namespace xdml::plan {

using nlohmann::json;
using namespace ast;
using planformat::ExprOp;  // the plan's vocabulary: planformat/PlanVocabulary.h
using planformat::StmtOp;

namespace {

/// The plan's kind of a checked type (XDML_PLAN_TYPE_KINDS).
planformat::TypeKind planKind(sema::TypeKind kind) {
    using sema::TypeKind;
    using P = planformat::TypeKind;
    switch (kind) {
    case TypeKind::Error: return P::Error;
    case TypeKind::Void: return P::Nothing;
    case TypeKind::None: return P::None;
    case TypeKind::Bool: return P::Bool;
    case TypeKind::Int: return P::Int;
    case TypeKind::Float: return P::Float;
    case TypeKind::F32: return P::F32;
    case TypeKind::String: return P::String;
    case TypeKind::Path: return P::Path;
    case TypeKind::Duration: return P::Duration;
    case TypeKind::Bytes: return P::Bytes;
    case TypeKind::Bandwidth: return P::Bandwidth;
    case TypeKind::Tensor: return P::Tensor;
    case TypeKind::Record: return P::Record;
    case TypeKind::List: return P::List;
    case TypeKind::Optional: return P::Optional;
    case TypeKind::Stream: return P::Stream;
    case TypeKind::Catalog: return P::Catalog;
    case TypeKind::Model: return P::Model;
    case TypeKind::Site: return P::Site;
    case TypeKind::Function: return P::Function;
    case TypeKind::Nominal: return P::Named;
    }
    return P::Error;
}

}  // namespace

json typeJson(const sema::Type* t) {
    using sema::TypeKind;
    if (!t) return nullptr;
    json j = {{"kind", spelling(planKind(t->kind))}};
    switch (t->kind) {
    case TypeKind::Nominal: j["name"] = t->name; break;
    case TypeKind::Tensor: {
        json dims = json::array();
        for (int64_t d : t->dims) dims.push_back(d == sema::kUnknownDim ? json(nullptr) : json(d));
        j["elem"] = spelling(t->elem);
        j["dims"] = dims;
        break;
    }
    case TypeKind::Record: {
        json fields = json::array();
        for (const sema::Field& f : t->fields) fields.push_back({{"name", f.name}, {"type", typeJson(f.type)}});
        j["fields"] = fields;
        break;
    }
    case TypeKind::List: case TypeKind::Optional: case TypeKind::Stream: case TypeKind::Catalog:
        j["element"] = typeJson(t->element);
        break;
    default: break;  // the kind says it all
    }
    return j;
}

std::string positionKey(const SourceLoc& loc) { return std::to_string(loc.file) + ":" + std::to_string(loc.offset); }

namespace {

/// Writes code as the passes left it when it has their decisions (a flow's handlers), else as
/// written (fns, tasks, policies: the IR does not lower their bodies).
class CodeWriter {
public:
    explicit CodeWriter(const PassDecisions* decisions) : decisions_(decisions) {}
    json expr(const Expr* e) const;
    json block(const Block& block) const;
    /// `v` as a literal at `e` (a folded expression, a param's value).
    json literal(const Expr* e, const sema::ConstValue& v) const;

private:
    json stmt(const Stmt& s) const;
    /// The task chain all of the statement's calls belong to, when it can join a fused block.
    ir::NodeId chainOf(const Stmt& s) const;
    const PassDecisions* decisions_;
};

json CodeWriter::literal(const Expr* e, const sema::ConstValue& v) const {
    json j = {{"line", e->range.begin.line}, {"at", positionKey(e->range.begin)}, {"type", typeJson(e->type)},
              {"folded", true}};
    using K = sema::ConstValue::Kind;
    switch (v.kind) {
    case K::Int: j["op"] = spelling(ExprOp::Int); j["value"] = v.i; break;
    case K::Float: j["op"] = spelling(ExprOp::Float); j["value"] = v.f; break;
    case K::Bool: j["op"] = spelling(ExprOp::Bool); j["value"] = v.b; break;
    case K::String: j["op"] = spelling(ExprOp::String); j["parts"] = json::array({v.s}); break;
    case K::Quantity: j["op"] = spelling(ExprOp::Quantity); j["unit"] = spelling(v.quantity); j["value"] = v.f; break;
    case K::Unknown: break;
    }
    return j;
}

json CodeWriter::expr(const Expr* e) const {
    if (!e) return nullptr;
    if (decisions_)
        if (sema::ConstValue v = decisions_->folded(e); v.known()) return literal(e, v);
    json j = {{"line", e->range.begin.line}, {"at", positionKey(e->range.begin)}};
    if (e->type) j["type"] = typeJson(e->type);
    switch (e->kind) {
    case ExprKind::IntLit: j["op"] = spelling(ExprOp::Int); j["value"] = e->intValue; break;
    case ExprKind::FloatLit: j["op"] = spelling(ExprOp::Float); j["value"] = e->floatValue; break;
    case ExprKind::Quantity:
        j["op"] = spelling(ExprOp::Quantity);
        j["unit"] = spelling(e->quantity);
        j["value"] = e->floatValue;  // seconds, bytes, bytes per second
        break;
    case ExprKind::BoolLit: j["op"] = spelling(ExprOp::Bool); j["value"] = e->boolValue; break;
    case ExprKind::NoneLit: j["op"] = spelling(ExprOp::None); break;
    case ExprKind::String: {
        j["op"] = spelling(ExprOp::String);
        json parts = json::array();
        for (const StringPart& p : e->parts) {
            json part = p.expr ? expr(p.expr.get()) : json(p.text);
            if (p.expr && p.format) part["format"] = p.format->text;
            parts.push_back(std::move(part));
        }
        j["parts"] = parts;
        break;
    }
    case ExprKind::Ident:
        j["op"] = spelling(ExprOp::Name);
        j["name"] = e->text;
        j["binding"] = spelling(e->binding);
        if (e->decl) j["declares"] = spelling(e->decl->kind);
        break;
    case ExprKind::Unary:
        j["op"] = spelling(ExprOp::Unary);
        j["operator"] = spelling(e->unaryOp);
        j["args"] = {expr(e->operands[0].get())};
        break;
    case ExprKind::Binary:
        j["op"] = spelling(ExprOp::Binary);
        j["operator"] = spelling(e->binaryOp);
        j["args"] = {expr(e->operands[0].get()), expr(e->operands[1].get())};
        break;
    case ExprKind::Ternary:
        j["op"] = spelling(ExprOp::Ternary);
        j["args"] = {expr(e->operands[0].get()), expr(e->operands[1].get()), expr(e->operands[2].get())};
        break;
    case ExprKind::Call: {
        j["op"] = spelling(ExprOp::Call);
        j["callee"] = expr(e->callee.get());
        json args = json::array();
        for (const Arg& a : e->args) {
            json arg = expr(a.value.get());
            if (a.name) arg["argument"] = a.name->text;
            args.push_back(arg);
        }
        j["args"] = args;
        break;
    }
    case ExprKind::Field:
        j["op"] = spelling(ExprOp::Field);
        j["field"] = e->text;
        j["args"] = {expr(e->callee.get())};
        break;
    case ExprKind::Index: {
        j["op"] = spelling(ExprOp::Index);
        j["args"] = {expr(e->callee.get())};
        json slices = json::array();
        for (const SliceItem& s : e->slices)
            slices.push_back({{"range", s.isRange}, {"lo", expr(s.lo.get())}, {"hi", expr(s.hi.get())}});
        j["slices"] = slices;
        break;
    }
    case ExprKind::List: {
        j["op"] = spelling(ExprOp::List);
        json items = json::array();
        for (const ExprPtr& item : e->operands) items.push_back(expr(item.get()));
        j["args"] = items;
        break;
    }
    case ExprKind::Record: {
        j["op"] = spelling(ExprOp::Record);
        json fields = json::array();
        for (const FieldInit& f : e->fields) fields.push_back({{"name", f.name.text}, {"value", expr(f.value.get())}});
        j["fields"] = fields;
        break;
    }
    case ExprKind::Invalid: j["op"] = spelling(ExprOp::Invalid); break;
    }
    const bool taskCall = e->kind == ExprKind::Call && e->callee->decl && e->callee->decl->kind == DeclKind::Task;
    if (decisions_ && taskCall)
        if (ir::NodeId chain = decisions_->taskChain(e); chain != ir::kNoNode) j["chain"] = chain;
    return j;
}

json policyRefJson(const std::optional<PolicyRef>& ref) {
    if (!ref) return nullptr;
    if (ref->name) return {{"policy", ref->name->text}};
    json clauses = json::object();
    for (const Property& p : ref->inlineClauses->properties) clauses[p.key.text] = exprJson(p.value.get());
    return {{"inline", clauses}};
}

/// A `{ key: value, ... }` block (rehearse, model) as an object of expressions.
json propertiesJson(const PropertyBlock& block) {
    json out = json::object();
    for (const Property& p : block.properties) out[p.key.text] = exprJson(p.value.get());
    return out;
}

json CodeWriter::stmt(const Stmt& s) const {
    json j = {{"line", s.range.begin.line}, {"at", positionKey(s.range.begin)}};
    if (s.policy) j["policy"] = policyRefJson(s.policy);
    switch (s.kind) {
    case StmtKind::Let:
        j["op"] = spelling(StmtOp::Let);
        j["name"] = s.name.text;
        j["value"] = expr(s.value.get());
        if (s.boundType) j["type"] = typeJson(s.boundType);
        break;
    case StmtKind::Emit: j["op"] = spelling(StmtOp::Emit); j["value"] = expr(s.value.get()); j["stream"] = s.target.text; break;
    case StmtKind::Record: j["op"] = spelling(StmtOp::Record); j["value"] = expr(s.value.get()); j["catalog"] = s.target.text; break;
    case StmtKind::Train: j["op"] = spelling(StmtOp::Train); j["model"] = s.name.text; j["stream"] = s.target.text; break;
    case StmtKind::Transfer: j["op"] = spelling(StmtOp::Transfer); j["value"] = expr(s.value.get()); j["site"] = s.target.text; break;
    case StmtKind::If:
        j["op"] = spelling(StmtOp::If);
        j["condition"] = expr(s.value.get());
        j["then"] = block(s.body);
        j["else"] = block(s.elseBody);
        break;
    case StmtKind::For:
        j["op"] = spelling(StmtOp::For);
        j["name"] = s.name.text;
        j["list"] = expr(s.value.get());
        j["body"] = block(s.body);
        break;
    case StmtKind::Until:
        j["op"] = spelling(StmtOp::Until);
        j["condition"] = expr(s.value.get());
        j["max"] = expr(s.bound.get());
        j["body"] = block(s.body);
        break;
    case StmtKind::Log: j["op"] = spelling(StmtOp::Log); j["message"] = expr(s.value.get()); break;
    case StmtKind::Return: j["op"] = spelling(StmtOp::Return); j["value"] = expr(s.value.get()); break;
    case StmtKind::ExprStmt: j["op"] = spelling(StmtOp::Call); j["value"] = expr(s.value.get()); break;
    case StmtKind::OnNewData:
        j["op"] = spelling(StmtOp::OnNewData);
        j["type_name"] = s.name.text;
        if (s.hasTarget) j["stream"] = s.target.text;
        if (s.as) j["as"] = s.as->text;
        j["every"] = expr(s.value.get());
        j["body"] = block(s.body);
        break;
    case StmtKind::OnEnd:
        j["op"] = spelling(StmtOp::OnEnd);
        j["stream"] = s.name.text;
        j["body"] = block(s.body);
        break;
    case StmtKind::OnStop:
        j["op"] = spelling(StmtOp::OnStop);
        j["body"] = block(s.body);
        break;
    }
    return j;
}

json paramsJson(const Decl& d) {
    json params = json::array();
    const sema::Type* fn = d.resolved;
    for (std::size_t i = 0; i < d.params.size(); ++i)
        params.push_back({{"name", d.params[i].name.text},
                          {"type", fn && i < fn->params.size() ? typeJson(fn->params[i]) : json(nullptr)}});
    return params;
}

ir::NodeId CodeWriter::chainOf(const Stmt& s) const {
    if (s.kind != StmtKind::Let && s.kind != StmtKind::ExprStmt) return ir::kNoNode;
    ir::NodeId chain = ir::kNoNode;
    // The chain of the outermost call in the value that belongs to one.
    std::vector<const Expr*> work{s.value.get()};
    while (!work.empty() && chain == ir::kNoNode) {
        const Expr* e = work.back();
        work.pop_back();
        if (!e) continue;
        chain = decisions_->taskChain(e);
        for (const Arg& a : e->args) work.push_back(a.value.get());
        for (const ExprPtr& op : e->operands) work.push_back(op.get());
    }
    return chain != ir::kNoNode && !decisions_->callsOutside(s.value.get(), chain) ? chain : ir::kNoNode;
}

json CodeWriter::block(const Block& block) const {
    json out = json::array();
    for (std::size_t i = 0; i < block.size(); ++i) {
        const Stmt* s = block[i].get();
        if (!s) continue;
        if (!decisions_) {
            out.push_back(stmt(*s));
            continue;
        }
        // A statement whose whole value the passes removed as unused is not run.
        if ((s->kind == StmtKind::Let || s->kind == StmtKind::ExprStmt) && decisions_->unused(s->value.get())) continue;
        // Consecutive statements of one fused task chain run as one job at its site.
        ir::NodeId chain = chainOf(*s);
        std::size_t last = i;
        while (chain != ir::kNoNode && last + 1 < block.size() && block[last + 1] && chainOf(*block[last + 1]) == chain)
            ++last;
        if (chain == ir::kNoNode || last == i) {
            out.push_back(stmt(*s));
            continue;
        }
        json body = json::array();
        for (std::size_t k = i; k <= last; ++k) body.push_back(stmt(*block[k]));
        out.push_back({{"op", spelling(StmtOp::Fused)}, {"line", s->range.begin.line}, {"at", positionKey(s->range.begin)},
                       {"node", chain}, {"site", decisions_->ir().node(chain).site}, {"body", body}});
        i = last;
    }
    return out;
}

}  // namespace

json exprJson(const Expr* e) { return CodeWriter(nullptr).expr(e); }

json paramsJson(const sema::CheckedProgram& program) {
    std::vector<const Decl*> declared;  // in the order of the source
    for (const auto& [name, d] : program.globals)
        if (d->param) declared.push_back(d);
    std::sort(declared.begin(), declared.end(), [](const Decl* a, const Decl* b) {
        return std::tie(a->file, a->range.begin.offset) < std::tie(b->file, b->range.begin.offset);
    });
    json params = json::array();
    for (const Decl* d : declared) {
        const std::string& name = d->name.text;
        auto value = program.constants.find(d);
        auto source = program.paramSources.find(d);
        params.push_back({{"name", name},
                          {"type", sema::toString(d->resolved)},
                          {"value", value != program.constants.end() ? sema::constantText(value->second) : ""},
                          {"default", d->value ? ast::printExpr(*d->value) : ""},
                          {"set_by", source != program.paramSources.end() ? source->second : ""},
                          {"doc", d->doc}});
    }
    return params;
}

json blockJson(const Block& block) { return CodeWriter(nullptr).block(block); }

json codeJson(const sema::CheckedProgram& program, const PassDecisions* decisions) {
    json types = json::object(), consts = json::object(), fns = json::object(), tasks = json::object(),
         flows = json::object(), streams = json::object(), catalogs = json::object(), models = json::object(),
         policies = json::object();
    for (const auto& [name, d] : program.globals) {
        switch (d->kind) {
        case DeclKind::TypeDecl: {
            json t = {{"is", typeJson(d->resolved ? d->resolved->element : nullptr)}};
            if (d->where) t["where"] = exprJson(d->where.get());
            if (d->classifier) t["classified_by"] = {{"model", d->classifier->text}, {"class", d->className ? d->className->text : ""}};
            types[name] = t;
            break;
        }
        case DeclKind::Const: {
            // A param is a const whose value this run chose: the runtime sees that value.
            auto value = program.constants.find(d);
            consts[name] = {{"type", typeJson(d->resolved)},
                            {"value", d->param && value != program.constants.end() && value->second.known()
                                          ? CodeWriter(nullptr).literal(d->value.get(), value->second)
                                          : exprJson(d->value.get())}};
            break;
        }
        case DeclKind::Fn:
            fns[name] = {{"params", paramsJson(*d)},
                         {"result", d->resolved ? typeJson(d->resolved->element) : json(nullptr)},
                         {"body", exprJson(d->value.get())}};
            break;
        case DeclKind::Task:
            tasks[name] = {{"params", paramsJson(*d)},
                           {"result", d->resolved ? typeJson(d->resolved->element) : json(nullptr)},
                           {"policy", policyRefJson(d->policy)},
                           {"body", blockJson(d->body)}};
            // A Python task: its function, and the module file the run should find.
            if (auto py = program.pythonTasks.find(d); py != program.pythonTasks.end()) {
                json body = {{"module", py->second.module}, {"function", py->second.function}, {"path", py->second.path}};
                if (!py->second.file.empty()) body.update({{"file", py->second.file}, {"hash", py->second.hash}});
                tasks[name]["python"] = body;
            }
            break;
        case DeclKind::Flow:
            flows[name] = {{"policy", policyRefJson(d->policy)}, {"body", CodeWriter(decisions).block(d->body)}};
            break;
        case DeclKind::Stream: {
            // The item type's structure: a nominal type's underlying type, a built-in (`path`) itself.
            const sema::Type* item = d->resolved && d->resolved->kind == sema::TypeKind::Nominal ? d->resolved->element : d->resolved;
            json st = {{"type", typeJson(item)}, {"source", exprJson(d->value.get())}};
            if (d->site) st["site"] = d->site->text;
            if (d->properties) st["rehearse"] = propertiesJson(*d->properties);
            streams[name] = st;
            break;
        }
        case DeclKind::Catalog:
            // Sema resolves a catalog to its record type (a stream to stream<T>).
            catalogs[name] = {{"type", typeJson(d->resolved)}, {"path", exprJson(d->value.get())}};
            break;
        case DeclKind::Model:
            models[name] = d->properties ? propertiesJson(*d->properties) : json::object();
            break;
        case DeclKind::Policy:
            // Its clauses after `with`: what a statement inside a task that names it runs under
            // (handlers' and tasks' policies are merged into the nodes already).
            if (auto it = program.policies.find(d); it != program.policies.end()) {
                json clauses = json::object();
                for (const auto& [key, property] : it->second.clauses) clauses[key] = exprJson(property->value.get());
                policies[name] = clauses;
            }
            break;
        default: break;
        }
    }
    return {{"types", types},   {"consts", consts},     {"fns", fns},       {"tasks", tasks},
            {"flows", flows},   {"streams", streams}, {"catalogs", catalogs}, {"models", models},
            {"policies", policies}};
}

}  // namespace xdml::plan
