// PlanJson.h — reading the plan's JSON into the interpreter's structs. Every read checks the
// JSON's shape first, so a bad plan gives a PlanError naming the place (a path into the
// plan: `code.fns.detector.body.args[1]: no "op"`), never an exception from deep inside
// the JSON library.
#pragma once

#include "planformat/PlanLimits.h"
#include "runtime/interp/Program.h"

namespace xdml::runtime::plan_json {

[[noreturn]] void fail(const std::string& where, const std::string& what);

/// How deep a plan's JSON may nest (the compiler bounds expressions to stay within it).
constexpr int kMaxNesting = planformat::kMaxPlanNesting;
/// Fails naming `where` when `j` nests deeper than kMaxNesting (measured without recursion).
void checkNesting(const nlohmann::json& j, const std::string& where);
const nlohmann::json& member(const nlohmann::json& j, const char* key, const std::string& where);
std::string text(const nlohmann::json& j, const char* key, const std::string& where);
const nlohmann::json& array(const nlohmann::json& j, const char* key, const std::string& where);

TypeDesc readType(const nlohmann::json& j, const std::string& where);
Expr readExpr(const nlohmann::json& j, const std::string& where);
/// A block of statements (a task's or flow's body, a handler's, a branch).
std::vector<Stmt> readBlock(const nlohmann::json& j, const std::string& where);
/// `{"policy": name}` or `{"inline": {clause: expr}}`; null gives none.
std::optional<PolicyRef> readPolicyRef(const nlohmann::json& j, const std::string& where);

}  // namespace xdml::runtime::plan_json
