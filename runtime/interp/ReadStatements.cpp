// ReadStatements.cpp — the statements of a plan's code section (docs/plan.md) into Stmt
// structs, checked as they are read.
#include "runtime/interp/PlanJson.h"

namespace xdml::runtime::plan_json {

using nlohmann::json;

namespace {

std::optional<Expr> optionalExpr(const json& j, const char* key, const std::string& where) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    return readExpr(*it, where + "." + key);
}

Expr requiredExpr(const json& j, const char* key, const std::string& where) {
    return readExpr(member(j, key, where), where + "." + key);
}

std::string optionalText(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

Stmt readStatement(const json& j, const std::string& where) {
    Stmt s;
    const std::string op = text(j, "op", where);
    if (!planformat::parseStmtOp(op, s.op)) fail(where, "unknown statement \"" + op + "\"");
    if (auto line = j.find("line"); line != j.end() && line->is_number_integer()) s.line = line->get<int>();
    s.at = optionalText(j, "at");
    if (auto pol = j.find("policy"); pol != j.end()) s.policy = readPolicyRef(*pol, where + ".policy");
    using Op = Stmt::Op;
    switch (s.op) {
    case Op::Let:
        s.name = text(j, "name", where);
        s.value = requiredExpr(j, "value", where);
        if (auto t = j.find("type"); t != j.end()) s.type = readType(*t, where + ".type");
        break;
    case Op::Emit:
        s.value = requiredExpr(j, "value", where);
        s.target = text(j, "stream", where);
        break;
    case Op::Record:
        s.value = requiredExpr(j, "value", where);
        s.target = text(j, "catalog", where);
        break;
    case Op::Train:
        s.name = text(j, "model", where);
        s.target = text(j, "stream", where);
        break;
    case Op::Transfer:
        s.value = requiredExpr(j, "value", where);
        s.target = text(j, "site", where);
        break;
    case Op::If:
        s.value = requiredExpr(j, "condition", where);
        s.body = readBlock(member(j, "then", where), where + ".then");
        s.elseBody = readBlock(member(j, "else", where), where + ".else");
        break;
    case Op::For:
        s.name = text(j, "name", where);
        s.value = requiredExpr(j, "list", where);
        s.body = readBlock(member(j, "body", where), where + ".body");
        break;
    case Op::Until:
        s.value = requiredExpr(j, "condition", where);
        s.bound = optionalExpr(j, "max", where);
        s.body = readBlock(member(j, "body", where), where + ".body");
        break;
    case Op::Log: s.value = requiredExpr(j, "message", where); break;
    case Op::Return: s.value = optionalExpr(j, "value", where); break;
    case Op::Call: s.value = requiredExpr(j, "value", where); break;
    case Op::OnNewData:
        s.name = text(j, "type_name", where);
        s.target = optionalText(j, "stream");
        s.as = optionalText(j, "as");
        s.value = optionalExpr(j, "every", where);
        s.body = readBlock(member(j, "body", where), where + ".body");
        break;
    case Op::OnEnd:
        s.name = text(j, "stream", where);
        s.body = readBlock(member(j, "body", where), where + ".body");
        break;
    case Op::OnStop: s.body = readBlock(member(j, "body", where), where + ".body"); break;
    case Op::Fused: {
        const json& node = member(j, "node", where);
        if (!node.is_number_integer() || node.get<int64_t>() < 0) fail(where + ".node", "expected a node id");
        s.node = node.get<int64_t>();
        s.target = text(j, "site", where);
        s.body = readBlock(member(j, "body", where), where + ".body");
        for (const Stmt& inner : s.body)
            if (inner.op != Op::Let && inner.op != Op::Call) fail(where + ".body", "a fused block holds only let and call statements");
        break;
    }
    }
    return s;
}

bool readsLocal(const Expr& e, const std::string& name) {
    if (e.op == Expr::Op::Name && e.binding == NameBinding::Local && e.name == name) return true;
    for (const Expr& a : e.args)
        if (readsLocal(a, name)) return true;
    return false;
}

/// Whether `s` itself (its value, condition or bound; not the blocks it holds) reads `name`.
bool readsLocal(const Stmt& s, const std::string& name) {
    return (s.value && readsLocal(*s.value, name)) || (s.bound && readsLocal(*s.bound, name));
}

}  // namespace

std::vector<Stmt> readBlock(const json& j, const std::string& where) {
    if (!j.is_array()) fail(where, "expected an array of statements");
    std::vector<Stmt> out;
    out.reserve(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) out.push_back(readStatement(j[i], where + "[" + std::to_string(i) + "]"));
    for (std::size_t i = 0; i + 1 < out.size(); ++i) {
        if (out[i].op == Stmt::Op::Let) out[i].readByNext = readsLocal(out[i + 1], out[i].name);
        if (out[i].op == Stmt::Op::Fused)  // a fused chain's values are the names its lets bind
            for (const Stmt& inner : out[i].body)
                if (inner.op == Stmt::Op::Let && readsLocal(out[i + 1], inner.name)) out[i].readByNext = true;
    }
    return out;
}

std::optional<PolicyRef> readPolicyRef(const json& j, const std::string& where) {
    if (j.is_null()) return std::nullopt;
    PolicyRef ref;
    if (auto name = j.find("policy"); name != j.end()) {
        if (!name->is_string()) fail(where + ".policy", "expected a string");
        ref.name = name->get<std::string>();
    } else {
        const json& clauses = member(j, "inline", where);
        if (!clauses.is_object()) fail(where + ".inline", "expected an object");
        for (const auto& [key, v] : clauses.items()) ref.clauses.emplace(key, readExpr(v, where + ".inline." + key));
    }
    return ref;
}

}  // namespace xdml::runtime::plan_json
