// ParamFlags.cpp — see ParamFlags.h.
#include "tools/xdmlc/ParamFlags.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace xdml::tools {

namespace {

bool isName(const std::string& s) {
    if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    return true;
}

const char* kindOf(const nlohmann::json& v) {
    if (v.is_array()) return "an array";
    if (v.is_object()) return "an object";
    return "null";
}

}  // namespace

void ParamFlags::addTo(CLI::App& command) {
    command.add_option("--set", sets, "Give a param a value: NAME=VALUE, read as a literal of its type (500ms, /data/run7, 0.6); repeatable")
        ->type_name("NAME=VALUE");
    command.add_option("--params", file, "Give params their values from a JSON object ({\"NAME\": value, ...}); --set wins")
        ->type_name("FILE.json");
    command.add_option("--python-path", pythonPath,
                       "Find Python tasks' modules in this folder too, after the script's own and before PYTHONPATH; repeatable")
        ->type_name("DIR")
        ->check(CLI::ExistingDirectory);
}

bool ParamFlags::settings(std::vector<sema::ParamSetting>& out, std::string& error) const {
    out.clear();
    if (!file.empty()) {
        const std::string flag = "--params " + file;
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            error = flag + ": cannot read the file";
            return false;
        }
        std::ostringstream text;
        text << in.rdbuf();
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(text.str());
        } catch (const nlohmann::json::parse_error& e) {
            error = flag + ": not JSON (" + e.what() + ")";
            return false;
        }
        if (!j.is_object()) {
            error = flag + ": expected a JSON object of param values, {\"NAME\": value, ...}";
            return false;
        }
        for (const auto& [name, value] : j.items()) {
            std::string valueText;
            if (value.is_string()) valueText = value.get<std::string>();
            else if (value.is_boolean() || value.is_number()) valueText = value.dump();
            else {
                error = flag + ": \"" + name + "\" is " + kindOf(value) + "; a param's value is a string, a number or a bool";
                return false;
            }
            out.push_back({name, valueText, flag + " (\"" + name + "\")"});
        }
    }
    for (const std::string& s : sets) {
        const auto eq = s.find('=');
        const std::string name = s.substr(0, eq);
        if (eq == std::string::npos || !isName(name)) {
            error = "--set " + s + ": expected NAME=VALUE, NAME a param of the flow";
            return false;
        }
        out.push_back({name, s.substr(eq + 1), "--set " + s});
    }
    return true;
}

std::string recordedCommandLine(const std::vector<std::string>& argv, const std::vector<sema::ParamSetting>& settings) {
    std::set<std::string> setOnLine;
    for (const sema::ParamSetting& s : settings)
        if (s.flag.rfind("--set ", 0) == 0) setOnLine.insert(s.name);
    std::string line;
    auto add = [&](const std::string& word) { line += (line.empty() ? "" : " ") + word; };
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const bool spaced = argv[i] == "--params";
        if (!spaced && argv[i].rfind("--params=", 0) != 0) {
            add(argv[i]);
            continue;
        }
        if (spaced) ++i;  // its file
        for (const sema::ParamSetting& s : settings)
            if (s.flag.rfind("--params ", 0) == 0 && !setOnLine.count(s.name)) add("--set " + s.name + "=" + s.text);
    }
    return line;
}

}  // namespace xdml::tools
