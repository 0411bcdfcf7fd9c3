// StdLib.h — the names of XDML's standard library and built-ins (LANGUAGE.md §6), listed once:
// which module each belongs to, whether it is pure, and its signature as users read it. The
// checker gives them types; the runtime implements them.
#pragma once

#include <string>
#include <vector>

namespace xdml::stdlib {

enum class Module { Builtin, Math, Io, Exec, Ml };

/// Where a name may be used: anywhere as a function, or only in one declaration position.
enum class Role { Function, StreamSource, ModelArch };

struct Entry {
    const char* name;
    Module module;
    Role role;
    bool pure;
    const char* signature;  // for hover and docs
};

const std::vector<Entry>& entries();
/// Whether calling it changes the world (runs a command, writes a file), so that a call whose
/// value nothing uses must still run. Not pure is weaker: `now()` or `accuracy(m, s)` only read.
bool hasSideEffects(const std::string& name);
const Entry* find(const std::string& name);
/// `std.io` for Module::Io; "" for built-ins.
const char* moduleName(Module m);
/// Parses `std.io` etc.; false for an unknown module.
bool parseModule(const std::string& dotted, Module& out);

}  // namespace xdml::stdlib
