// Code.cpp — see Code.h.
#include "plan/Code.h"

#include "ast/AstPrinter.h"

namespace xdml::plan {

using nlohmann::json;
using namespace ast;
using planformat::ExprOp;  // the plan's vocabulary: planformat/PlanVocabulary.h
using planformat::StmtOp;

json typeJson(const sema::Type* t) {
    using sema::TypeKind;
    if (!t) return nullptr;
    switch (t->kind) {
    case TypeKind::Nominal: return {{"kind", "named"}, {"name", t->name}};
    case TypeKind::Tensor: {
        json dims = json::array();
        for (int64_t d : t->dims) dims.push_back(d == sema::kUnknownDim ? json(nullptr) : json(d));
        return {{"kind", "tensor"}, {"elem", sema::spelling(t->elem)}, {"dims", dims}};
    }
    case TypeKind::Record: {
        json fields = json::array();
        for (const sema::Field& f : t->fields) fields.push_back({{"name", f.name}, {"type", typeJson(f.type)}});
        return {{"kind", "record"}, {"fields", fields}};
    }
    case TypeKind::List: return {{"kind", "list"}, {"element", typeJson(t->element)}};
    case TypeKind::Optional: return {{"kind", "optional"}, {"element", typeJson(t->element)}};
    case TypeKind::Stream: return {{"kind", "stream"}, {"element", typeJson(t->element)}};
    case TypeKind::Catalog: return {{"kind", "catalog"}, {"element", typeJson(t->element)}};
    case TypeKind::Function: return {{"kind", "function"}};
    default: return {{"kind", sema::toString(t)}};
    }
}

std::string positionKey(const SourceLoc& loc) { return std::to_string(loc.file) + ":" + std::to_string(loc.offset); }

json exprJson(const Expr* e) {
    if (!e) return nullptr;
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
        for (const StringPart& p : e->parts) parts.push_back(p.expr ? exprJson(p.expr.get()) : json(p.text));
        j["parts"] = parts;
        break;
    }
    case ExprKind::Ident:
        j["op"] = spelling(ExprOp::Name);
        j["name"] = e->text;
        j["binding"] = spelling(e->binding);
        if (e->decl) j["declares"] = keyword(e->decl->kind);
        break;
    case ExprKind::Unary:
        j["op"] = spelling(ExprOp::Unary);
        j["operator"] = spelling(e->unaryOp);
        j["args"] = {exprJson(e->operands[0].get())};
        break;
    case ExprKind::Binary:
        j["op"] = spelling(ExprOp::Binary);
        j["operator"] = spelling(e->binaryOp);
        j["args"] = {exprJson(e->operands[0].get()), exprJson(e->operands[1].get())};
        break;
    case ExprKind::Ternary:
        j["op"] = spelling(ExprOp::Ternary);
        j["args"] = {exprJson(e->operands[0].get()), exprJson(e->operands[1].get()), exprJson(e->operands[2].get())};
        break;
    case ExprKind::Call: {
        j["op"] = spelling(ExprOp::Call);
        j["callee"] = exprJson(e->callee.get());
        json args = json::array();
        for (const Arg& a : e->args) {
            json arg = exprJson(a.value.get());
            if (a.name) arg["argument"] = a.name->text;
            args.push_back(arg);
        }
        j["args"] = args;
        break;
    }
    case ExprKind::Field:
        j["op"] = spelling(ExprOp::Field);
        j["field"] = e->text;
        j["args"] = {exprJson(e->callee.get())};
        break;
    case ExprKind::Index: {
        j["op"] = spelling(ExprOp::Index);
        j["args"] = {exprJson(e->callee.get())};
        json slices = json::array();
        for (const SliceItem& s : e->slices)
            slices.push_back({{"range", s.isRange}, {"lo", exprJson(s.lo.get())}, {"hi", exprJson(s.hi.get())}});
        j["slices"] = slices;
        break;
    }
    case ExprKind::List: {
        j["op"] = spelling(ExprOp::List);
        json items = json::array();
        for (const ExprPtr& item : e->operands) items.push_back(exprJson(item.get()));
        j["args"] = items;
        break;
    }
    case ExprKind::Record: {
        j["op"] = spelling(ExprOp::Record);
        json fields = json::array();
        for (const FieldInit& f : e->fields) fields.push_back({{"name", f.name.text}, {"value", exprJson(f.value.get())}});
        j["fields"] = fields;
        break;
    }
    case ExprKind::Invalid: j["op"] = spelling(ExprOp::Invalid); break;
    }
    return j;
}

namespace {

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

json stmtJson(const Stmt& s) {
    json j = {{"line", s.range.begin.line}, {"at", positionKey(s.range.begin)}};
    if (s.policy) j["policy"] = policyRefJson(s.policy);
    switch (s.kind) {
    case StmtKind::Let:
        j["op"] = spelling(StmtOp::Let);
        j["name"] = s.name.text;
        j["value"] = exprJson(s.value.get());
        if (s.boundType) j["type"] = typeJson(s.boundType);
        break;
    case StmtKind::Emit: j["op"] = spelling(StmtOp::Emit); j["value"] = exprJson(s.value.get()); j["stream"] = s.target.text; break;
    case StmtKind::Record: j["op"] = spelling(StmtOp::Record); j["value"] = exprJson(s.value.get()); j["catalog"] = s.target.text; break;
    case StmtKind::Train: j["op"] = spelling(StmtOp::Train); j["model"] = s.name.text; j["stream"] = s.target.text; break;
    case StmtKind::Transfer: j["op"] = spelling(StmtOp::Transfer); j["value"] = exprJson(s.value.get()); j["site"] = s.target.text; break;
    case StmtKind::If:
        j["op"] = spelling(StmtOp::If);
        j["condition"] = exprJson(s.value.get());
        j["then"] = blockJson(s.body);
        j["else"] = blockJson(s.elseBody);
        break;
    case StmtKind::For:
        j["op"] = spelling(StmtOp::For);
        j["name"] = s.name.text;
        j["list"] = exprJson(s.value.get());
        j["body"] = blockJson(s.body);
        break;
    case StmtKind::Until:
        j["op"] = spelling(StmtOp::Until);
        j["condition"] = exprJson(s.value.get());
        j["max"] = exprJson(s.bound.get());
        j["body"] = blockJson(s.body);
        break;
    case StmtKind::Log: j["op"] = spelling(StmtOp::Log); j["message"] = exprJson(s.value.get()); break;
    case StmtKind::Return: j["op"] = spelling(StmtOp::Return); j["value"] = exprJson(s.value.get()); break;
    case StmtKind::ExprStmt: j["op"] = spelling(StmtOp::Call); j["value"] = exprJson(s.value.get()); break;
    case StmtKind::OnNewData:
        j["op"] = spelling(StmtOp::OnNewData);
        j["type_name"] = s.name.text;
        if (s.hasTarget) j["stream"] = s.target.text;
        if (s.as) j["as"] = s.as->text;
        j["every"] = exprJson(s.value.get());
        j["body"] = blockJson(s.body);
        break;
    case StmtKind::OnEnd:
        j["op"] = spelling(StmtOp::OnEnd);
        j["stream"] = s.name.text;
        j["body"] = blockJson(s.body);
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

}  // namespace

json blockJson(const Block& block) {
    json out = json::array();
    for (const StmtPtr& s : block)
        if (s) out.push_back(stmtJson(*s));
    return out;
}

json codeJson(const sema::CheckedProgram& program) {
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
        case DeclKind::Const: consts[name] = {{"type", typeJson(d->resolved)}, {"value", exprJson(d->value.get())}}; break;
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
            break;
        case DeclKind::Flow: flows[name] = {{"policy", policyRefJson(d->policy)}, {"body", blockJson(d->body)}}; break;
        case DeclKind::Stream: {
            json st = {{"type", typeJson(d->resolved ? d->resolved->element : nullptr)}, {"source", exprJson(d->value.get())}};
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
