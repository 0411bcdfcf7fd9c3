// CallKey.cpp — see CallKey.h.
#include "runtime/engine/CallKey.h"

#include "runtime/provenance/ContentHash.h"

#include <set>

namespace xdml::runtime {

namespace {

using Json = nlohmann::json;

/// `j` without source positions ("at", "line"): moving a task in its file keeps its key.
Json withoutPositions(const Json& j) {
    if (j.is_array()) {
        Json out = Json::array();
        for (const Json& e : j) out.push_back(withoutPositions(e));
        return out;
    }
    if (!j.is_object()) return j;
    Json out = Json::object();
    for (const auto& [k, v] : j.items())
        if (k != "at" && k != "line") out[k] = withoutPositions(v);
    return out;
}

/// The plan sections a name can declare, by the plan's `declares` word.
const char* sectionOf(const std::string& declares) {
    if (declares == "fn") return "fns";
    if (declares == "task") return "tasks";
    if (declares == "const") return "consts";
    return nullptr;
}

/// Every declaration `j` names: global functions, tasks and constants, and named types.
void namedIn(const Json& j, std::set<std::pair<std::string, std::string>>& out, bool& readsSeq) {
    if (j.is_array()) {
        for (const Json& e : j) namedIn(e, out, readsSeq);
        return;
    }
    if (!j.is_object()) return;
    if (j.value("binding", "") == "builtin" && j.value("name", "") == "seq") readsSeq = true;
    if (j.value("binding", "") == "global" && j.contains("declares") && j["declares"].is_string())
        if (const char* section = sectionOf(j["declares"].get<std::string>()); section && j.contains("name"))
            out.insert({section, j["name"].get<std::string>()});
    if (j.value("kind", "") == "named" && j.contains("name") && j["name"].is_string())
        out.insert({"types", j["name"].get<std::string>()});
    for (const auto& [k, v] : j.items()) namedIn(v, out, readsSeq);
}

TaskCode codeOf(const Json& code, const std::string& task) {
    TaskCode out;
    // The task and what it names, transitively, in a stable order (std::set) for the hash.
    std::set<std::pair<std::string, std::string>> seen{{"tasks", task}}, todo{{"tasks", task}};
    while (!todo.empty()) {
        const auto next = *todo.begin();
        todo.erase(todo.begin());
        const Json* decl = code.contains(next.first) && code[next.first].contains(next.second) ? &code[next.first][next.second] : nullptr;
        if (!decl) continue;  // a builtin or a standard library name: part of the xdmlc version
        std::set<std::pair<std::string, std::string>> named;
        namedIn(*decl, named, out.readsSeq);
        for (const auto& n : named)
            if (seen.insert(n).second) todo.insert(n);
    }
    std::string text;
    for (const auto& [section, name] : seen) {
        const Json* decl = code.contains(section) && code[section].contains(name) ? &code[section][name] : nullptr;
        // The task itself by its content only; what it names, by name and content (a call names it).
        const bool itself = section == "tasks" && name == task;
        text += (itself ? std::string("task") : section + "." + name) + "=" + (decl ? withoutPositions(*decl).dump() : "builtin") + "\n";
    }
    out.hash = prov::contentHash(text.data(), text.size());
    return out;
}

}  // namespace

std::map<std::string, TaskCode> taskCodeHashes(const nlohmann::json& plan) {
    std::map<std::string, TaskCode> out;
    if (!plan.is_object() || !plan.contains("code") || !plan["code"].contains("tasks")) return out;
    const Json& code = plan["code"];
    for (const auto& [name, decl] : code["tasks"].items()) out.emplace(name, codeOf(code, name));
    return out;
}

std::string flowCodeHash(const nlohmann::json& plan) {
    const std::string text = plan.is_object() && plan.contains("code") ? withoutPositions(plan["code"]).dump() : "";
    return prov::contentHash(text.data(), text.size());
}

CallKeyHasher::CallKeyHasher(const std::string& version, const std::string& codeHash) {
    part("xdmlc " + version);
    part(codeHash);
}

void CallKeyHasher::part(std::string_view s) {
    const uint64_t n = s.size();
    hasher_.update(&n, sizeof n);
    hasher_.update(s.data(), s.size());
}

std::string callKey(const std::string& version, const std::string& codeHash, const std::vector<std::string>& argHashes) {
    CallKeyHasher h(version, codeHash);
    for (const std::string& a : argHashes) h.part(a);
    return h.key();
}

}  // namespace xdml::runtime
