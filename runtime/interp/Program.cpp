// Program.cpp — see Program.h. Every read checks the JSON's shape first, so a bad plan gives
// a PlanError naming the place, never an exception from deep inside the JSON library.
#include "runtime/interp/Program.h"

#include "runtime/interp/PlanJson.h"

#include <set>

namespace xdml::runtime {

using nlohmann::json;

using namespace plan_json;

namespace {

std::vector<Param> readParams(const json& j, const std::string& at) {
    std::vector<Param> out;
    const json& params = array(j, "params", at);
    for (std::size_t i = 0; i < params.size(); ++i) {
        const std::string pat = at + ".params[" + std::to_string(i) + "]";
        out.push_back({text(params[i], "name", pat), readType(member(params[i], "type", pat), pat + ".type")});
    }
    return out;
}

const json& section(const json& code, const char* key) {
    const json& s = member(code, key, "code");
    if (!s.is_object()) fail(std::string("code.") + key, "expected an object");
    return s;
}

}  // namespace

namespace {

/// Marks the expressions at `positions` and everything inside them: the JIT compiles the
/// largest pure tensor expressions among them (jit::Kernels).
void markKernels(Expr& e, const std::set<std::string>& positions, bool inside = false) {
    inside = inside || (!e.at.empty() && positions.count(e.at));
    e.kernel = inside;
    for (Expr& a : e.args) markKernels(a, positions, inside);
}

void markKernels(std::vector<Stmt>& body, const std::set<std::string>& positions) {
    for (Stmt& s : body) {
        if (s.value) markKernels(*s.value, positions);
        if (s.bound) markKernels(*s.bound, positions);
        markKernels(s.body, positions);
        markKernels(s.elseBody, positions);
    }
}

}  // namespace

Program Program::fromPlan(const json& plan) {
    Program p = fromCode(member(plan, "code", "plan"));
    // The expressions fusion made into kernels: nodes list the source positions they came from.
    std::set<std::string> positions;
    if (auto nodes = plan.find("nodes"); nodes != plan.end() && nodes->is_array())
        for (const json& n : *nodes) {
            if (!n.is_object() || !n.contains("kind") || !n["kind"].is_string()) continue;
            planformat::NodeKind kind;
            if (!planformat::parseNodeKind(n["kind"].get<std::string>(), kind)) continue;  // PlanModel refuses it
            if (kind != planformat::NodeKind::Kernel && kind != planformat::NodeKind::Fused) continue;
            if (auto at = n.find("at"); at != n.end() && at->is_array())
                for (const json& a : *at)
                    if (a.is_string()) positions.insert(a.get<std::string>());
        }
    if (!positions.empty())
        for (auto& [name, flow] : p.flows_) markKernels(flow.body, positions);
    return p;
}

Program Program::fromCode(const json& code) {
    checkNesting(code, "code");
    Program p;
    for (const auto& [name, j] : section(code, "types").items()) {
        const std::string at = "types." + name;
        TypeDecl t;
        t.is = readType(member(j, "is", at), at + ".is");
        if (auto w = j.find("where"); w != j.end()) t.where = readExpr(*w, at + ".where");
        if (auto c = j.find("classified_by"); c != j.end()) {
            t.classifierModel = text(*c, "model", at + ".classified_by");
            t.classifierClass = text(*c, "class", at + ".classified_by");
        }
        p.types_.emplace(name, std::move(t));
    }
    for (const auto& [name, j] : section(code, "consts").items()) {
        const std::string at = "consts." + name;
        p.consts_.emplace(name, ConstDecl{readType(member(j, "type", at), at + ".type"),
                                          readExpr(member(j, "value", at), at + ".value")});
    }
    for (const auto& [name, j] : section(code, "fns").items()) {
        const std::string at = "fns." + name;
        FnDecl f;
        f.name = name;
        f.params = readParams(j, at);
        f.result = readType(member(j, "result", at), at + ".result");
        f.body = readExpr(member(j, "body", at), at + ".body");
        p.fns_.emplace(name, std::move(f));
    }
    // Tasks and flows may be left out of a code section that holds only pure code.
    if (code.contains("tasks"))
    for (const auto& [name, j] : section(code, "tasks").items()) {
        const std::string at = "tasks." + name;
        TaskDecl t;
        t.name = name;
        t.params = readParams(j, at);
        t.result = readType(member(j, "result", at), at + ".result");
        if (auto pol = j.find("policy"); pol != j.end()) t.policy = readPolicyRef(*pol, at + ".policy");
        t.body = readBlock(member(j, "body", at), at + ".body");
        if (auto py = j.find("python"); py != j.end()) {
            PythonBody b;
            b.module = text(*py, "module", at + ".python");
            b.function = text(*py, "function", at + ".python");
            if (py->contains("file")) b.file = text(*py, "file", at + ".python");
            if (auto path = py->find("path"); path != py->end()) {
                if (!path->is_array()) throw PlanError(at + ".python.path: not a list of folders");
                for (const json& dir : *path) {
                    if (!dir.is_string()) throw PlanError(at + ".python.path: not a list of folders");
                    b.path.push_back(dir.get<std::string>());
                }
            }
            if (py->contains("hash")) b.hash = text(*py, "hash", at + ".python");
            t.python = std::move(b);
        }
        p.tasks_.emplace(name, std::move(t));
    }
    if (code.contains("flows"))
    for (const auto& [name, j] : section(code, "flows").items()) {
        const std::string at = "flows." + name;
        FlowDecl f;
        f.name = name;
        if (auto pol = j.find("policy"); pol != j.end()) f.policy = readPolicyRef(*pol, at + ".policy");
        f.body = readBlock(member(j, "body", at), at + ".body");
        p.flows_.emplace(name, std::move(f));
    }
    // Plans written before the runtime issue have no streams, catalogs or models: optional.
    if (code.contains("streams"))
        for (const auto& [name, j] : section(code, "streams").items()) {
            const std::string at = "streams." + name;
            StreamDecl st;
            st.name = name;
            st.type = readType(member(j, "type", at), at + ".type");
            if (auto src = j.find("source"); src != j.end() && !src->is_null()) st.source = readExpr(*src, at + ".source");
            if (auto site = j.find("site"); site != j.end() && site->is_string()) st.site = site->get<std::string>();
            if (auto r = j.find("rehearse"); r != j.end() && r->is_object())
                for (const auto& [key, v] : r->items()) st.rehearse.emplace(key, readExpr(v, at + ".rehearse." + key));
            p.streams_.emplace(name, std::move(st));
        }
    if (code.contains("catalogs"))
        for (const auto& [name, j] : section(code, "catalogs").items()) {
            const std::string at = "catalogs." + name;
            p.catalogs_.emplace(name, CatalogDecl{name, readType(member(j, "type", at), at + ".type"),
                                                  readExpr(member(j, "path", at), at + ".path")});
        }
    if (code.contains("models")) p.models_ = section(code, "models");
    if (code.contains("policies"))
        for (const auto& [name, j] : section(code, "policies").items())
            for (const auto& [key, v] : j.items())
                p.policies_[name].emplace(key, readExpr(v, "policies." + name + "." + key));
    return p;
}

const std::map<std::string, Expr>* Program::policy(const std::string& name) const {
    auto it = policies_.find(name);
    return it == policies_.end() ? nullptr : &it->second;
}

const TaskDecl* Program::task(const std::string& name) const {
    auto it = tasks_.find(name);
    return it == tasks_.end() ? nullptr : &it->second;
}

const FnDecl* Program::fn(const std::string& name) const {
    auto it = fns_.find(name);
    return it == fns_.end() ? nullptr : &it->second;
}

const ConstDecl* Program::constant(const std::string& name) const {
    auto it = consts_.find(name);
    return it == consts_.end() ? nullptr : &it->second;
}

const TypeDecl* Program::type(const std::string& name) const {
    auto it = types_.find(name);
    return it == types_.end() ? nullptr : &it->second;
}

const TypeDesc& Program::structure(const TypeDesc& t) const {
    const TypeDesc* s = &t;
    for (int guard = 0; s->kind == TypeDesc::Kind::Named; ++guard) {
        const TypeDecl* d = type(s->name);
        if (!d) throw PlanError("plan code: unknown type \"" + s->name + "\"");
        if (guard == 64) throw PlanError("plan code: type \"" + t.name + "\" names itself");
        s = &d->is;
    }
    return *s;
}

}  // namespace xdml::runtime
