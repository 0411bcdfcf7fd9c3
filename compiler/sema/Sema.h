// Sema.h — semantic analysis: names, types, units, shapes, purity, policies (LANGUAGE.md §§2-6).
// `checkProgram` runs the checking stages in order; each stage lives in its own file and
// reports through the shared Diagnostics. The result is what the IR lowering reads.
#pragma once

#include "ast/Ast.h"
#include "diag/Diagnostics.h"
#include "sema/ConstValue.h"
#include "sema/Types.h"
#include "stdlib/StdLib.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace xdml::sema {

/// What a deployment profile grants a site (`xdmlc check|run --deploy`, docs/distributed.md):
/// every policy check, sema's and placement's, measures against the lesser of what the site
/// declares and what it is granted, so a binding can only reveal a shortfall, never hide one.
struct SiteGrant {
    int64_t cores = 0;   // 0: the binding does not bound cores
    int64_t gpus = -1;   // -1: the binding does not bound gpus
    SourceRange at;      // the binding, in the deployment file (its text loaded as a source)
    std::string by;      // who grants it, for notes: "profile 'laptop'"
};

struct SiteInfo {
    int64_t cores = 0;
    int64_t gpus = 0;
    double memory = 0;   // bytes
    double storage = 0;  // bytes
    const SiteGrant* grant = nullptr;  // the deployment's binding of the site, when checked with one
};

struct ModelInfo {
    const Type* input = nullptr;
    std::vector<std::string> classes;
    std::string arch;  // linear | mlp | cnn | load
};

enum class StreamSource { Emit, Watch, Files, Zmq, Generate };

struct StreamInfo {
    const Type* element = nullptr;
    StreamSource source = StreamSource::Emit;
    bool endless() const { return source == StreamSource::Watch || source == StreamSource::Zmq; }
};

/// A policy's clauses after `with` inheritance, by clause name.
struct PolicyClauses {
    std::map<std::string, const ast::Property*> clauses;
};

/// A value the run gives a param (LANGUAGE.md §9), as the user wrote it: `text` is read as a
/// literal of the param's type. `flag` says where it came from, for messages: "--set rate=5",
/// "--params run.json".
struct ParamSetting {
    std::string name, text, flag;
};

/// A Python task's function and the module file it was found in (CheckPython.cpp).
struct PythonTaskInfo {
    std::string module, function;
    std::string file;  // absolute; "" when no folder searched holds the module
    std::string hash;  // the file's content hash
    /// What the run puts first on sys.path: the script's folder, then --python-path's.
    std::vector<std::string> path;
};

/// What checking produced: the modules (main file first, then its imports), the global
/// names, and the facts about each declaration that later stages need.
struct CheckedProgram {
    std::vector<std::unique_ptr<ast::Module>> modules;
    std::map<std::string, const ast::Decl*> globals;
    std::set<stdlib::Module> imported;
    TypeContext types;
    std::map<const ast::Decl*, ConstValue> constants;
    std::map<const ast::Decl*, SiteInfo> sites;
    std::map<const ast::Decl*, ModelInfo> models;
    std::map<const ast::Decl*, StreamInfo> streams;
    std::map<const ast::Decl*, PolicyClauses> policies;
    /// A file without `site` declarations runs on one implicit site, `local`.
    bool implicitLocalSite = true;
    /// A deployment profile's grants, by site name (set before checking; empty without --deploy).
    std::map<std::string, SiteGrant> grants;
    /// The values the run gives its params (set before checking; a later one of a name wins).
    std::vector<ParamSetting> paramSettings;
    /// Each param with where its value came from: the flag that set it, or "" for its default.
    std::map<const ast::Decl*, std::string> paramSources;
    /// Folders to find Python tasks' modules in after the script's own (`--python-path`; set
    /// before checking), then PYTHONPATH's.
    std::vector<std::string> pythonPath;
    /// Each Python task (`= python "module:function"`) as checking resolved it.
    std::map<const ast::Decl*, PythonTaskInfo> pythonTasks;
};

/// The param a compile-time value depends on, directly or through consts, or null: such a
/// value may differ from run to run, so it cannot be a tensor dimension or an `every` count.
const ast::Decl* paramBehind(const CheckedProgram& program, const ast::Expr* e);

/// After an error that `site` has only `have` of `key` ("cores" or "gpus"): a note at the
/// deployment binding, when that binding is what granted only `have`.
void noteGrant(Diagnostics& diags, const SiteGrant* grant, const std::string& site, const std::string& key, int64_t have);

/// The clauses a policy may have (LANGUAGE.md §4), in the spec's order.
const std::vector<std::string>& policyClauseNames();

/// Checks every module; reports to `diags`. The program's modules must already be parsed.
void checkProgram(CheckedProgram& program, Diagnostics& diags);

/// Checks one expression standing alone among a checked program's globals (what the REPL
/// evaluates; `pure`: as pure code, as it must be to be evaluated there): its type (also in
/// e->type), Error after reporting.
const Type* checkExpression(CheckedProgram& program, ast::Expr* e, Diagnostics& diags, bool pure = true);

}  // namespace xdml::sema

namespace xdml::sema {
/// The compile-time value of `e` in a checked program (literals, consts, arithmetic), or
/// Unknown when it is not a constant.
ConstValue evaluateConstant(const CheckedProgram& program, const ast::Expr* e);
}  // namespace xdml::sema
