// StdLib.cpp — the table of standard names.
#include "stdlib/StdLib.h"

namespace xdml::stdlib {

const std::vector<Entry>& entries() {
    static const std::vector<Entry> table = {
        // Built-ins: always in scope.
        {"sum", Module::Builtin, Role::Function, true, "sum(t: tensor) -> float"},
        {"mean", Module::Builtin, Role::Function, true, "mean(t: tensor) -> float"},
        {"max", Module::Builtin, Role::Function, true, "max(t: tensor) -> float; max(a, b)"},
        {"min", Module::Builtin, Role::Function, true, "min(t: tensor) -> float; min(a, b)"},
        {"count", Module::Builtin, Role::Function, true, "count(t: tensor) -> int; count(c: catalog) -> int"},
        {"argmax", Module::Builtin, Role::Function, true, "argmax(t: tensor) -> int"},
        {"shape", Module::Builtin, Role::Function, true, "shape(t: tensor) -> list<int>"},
        {"len", Module::Builtin, Role::Function, true, "len(l: list) -> int"},
        {"seq", Module::Builtin, Role::Function, true, "seq(item) -> int"},
        {"now", Module::Builtin, Role::Function, false, "now() -> duration (since the run started)"},
        // std.math: always in scope.
        {"abs", Module::Math, Role::Function, true, "abs(x) -> same type"},
        {"sqrt", Module::Math, Role::Function, true, "sqrt(x) -> f32 for f32, else float; a tensor: f32 stays f32, others f64"},
        {"exp", Module::Math, Role::Function, true, "exp(x) -> f32 for f32, else float; a tensor: f32 stays f32, others f64"},
        {"log", Module::Math, Role::Function, true, "log(x) -> f32 for f32, else float; a tensor: f32 stays f32, others f64"},
        {"clamp", Module::Math, Role::Function, true, "clamp(x, lo, hi) -> same type as x"},
        {"zeros", Module::Math, Role::Function, true, "zeros(T) -> T"},
        {"noise", Module::Math, Role::Function, true, "noise(T, seed: int) -> T (standard normal, Philox)"},
        // std.io
        {"read", Module::Io, Role::Function, false, "read(p: path, T) -> T"},
        {"write", Module::Io, Role::Function, false, "write(p: path, value)"},
        {"exists", Module::Io, Role::Function, false, "exists(p: path) -> bool"},
        {"size", Module::Io, Role::Function, false, "size(p: path) -> bytes"},
        // std.exec
        {"sh", Module::Exec, Role::Function, false, "sh(cmd: string) -> string (runs /bin/sh -c cmd)"},
        {"shell_quote", Module::Exec, Role::Function, true, "shell_quote(s: string) -> string (one word for sh)"},
        // std.ml
        {"probs", Module::Ml, Role::Function, false, "probs(m: model, x) -> tensor<f32>[K]"},
        {"accuracy", Module::Ml, Role::Function, false, "accuracy(m: model, s: stream) -> float"},
        {"version", Module::Ml, Role::Function, false, "version(m: model) -> int"},
        // Stream sources, only after `from`.
        {"watch", Module::Builtin, Role::StreamSource, false, "watch(dir: string, glob: string[, dataset: string][, format: raw | npy])"},
        {"files", Module::Builtin, Role::StreamSource, false, "files(glob: string[, dataset: string][, format: raw | npy])"},
        {"zmq", Module::Builtin, Role::StreamSource, false, "zmq(endpoint: string)"},
        {"generate", Module::Builtin, Role::StreamSource, false, "generate(f: fn(int) -> T, count: int[, period: duration])"},
        // Model architectures, only as a model's `arch`.
        {"linear", Module::Builtin, Role::ModelArch, true, "linear"},
        {"mlp", Module::Builtin, Role::ModelArch, true, "mlp(hidden: list<int>)"},
        {"cnn", Module::Builtin, Role::ModelArch, true, "cnn(channels: list<int>)"},
        {"load", Module::Builtin, Role::ModelArch, true, "load(file: string)"},
    };
    return table;
}

bool hasSideEffects(const std::string& name) { return name == "sh" || name == "write"; }

const Entry* find(const std::string& name) {
    for (const Entry& e : entries())
        if (name == e.name) return &e;
    return nullptr;
}

const char* moduleName(Module m) {
    switch (m) {
    case Module::Builtin: return "";
    case Module::Math: return "std.math";
    case Module::Io: return "std.io";
    case Module::Exec: return "std.exec";
    case Module::Ml: return "std.ml";
    }
    return "";
}

bool parseModule(const std::string& dotted, Module& out) {
    for (Module m : {Module::Math, Module::Io, Module::Exec, Module::Ml})
        if (dotted == moduleName(m)) {
            out = m;
            return true;
        }
    return false;
}

}  // namespace xdml::stdlib
