// Session.h — the REPL's state and what it does with one input (docs/repl.md). Declarations are
// kept one by one, each with its own text; a new one of the same name replaces the old, and the
// session is checked as one program before a change is kept, so a broken redefinition leaves the
// session as it was. Expressions are checked among the declarations and evaluated by the
// interpreter, their fn calls by the JIT (the code of a replaced fn is freed through its ORC
// resource tracker). `:` commands show the AST, IR and plan, run the flows and ask provenance.
// Line editing is not here: tools/xdmlc/ReplCommand.cpp feeds complete inputs in.
#pragma once

#include "runtime/engine/Run.h"
#include "sema/Sema.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace xdml::repl {

/// How `:run` executes a plan: xdmlc's executePlan (JIT, models, Ctrl-C); returns its exit status
/// and the id of the recorded run.
using PlanRunner = std::function<int(const nlohmann::json& plan, runtime::RunOptions options, int64_t& recordedRun)>;

struct SessionOptions {
    std::filesystem::path workdir = "repl.run";  // where `:run` runs and `:prov` asks
    bool color = false;                          // diagnostics in color
    bool jit = true;                             // compile fns with the JIT
    PlanRunner runPlan;                          // null: `:run` says it cannot run
};

class Session {
public:
    explicit Session(SessionOptions options);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    /// Handles one complete input (see isComplete): declarations, an expression, or a command.
    /// Results go to `out`, diagnostics and errors to `err`. Returns false when it failed.
    bool handle(const std::string& input, std::ostream& out, std::ostream& err);
    /// After `:quit`.
    bool finished() const { return finished_; }

    /// Whether the text of `input` is complete: its braces, brackets and parentheses are closed
    /// outside strings and comments, and no string or block comment is open.
    static bool isComplete(const std::string& input);
    /// Completions of the word before the cursor: commands, file names after `:load`, and what
    /// the program's names allow there (tooling/Completion.h).
    std::vector<std::string> completions(const std::string& textBefore) const;

    /// The session's declarations as one source file at `path`, in the order they were entered;
    /// relative imports (of a loaded file, or typed at the prompt, which are relative to the
    /// current folder) are rewritten to be found from `path`'s folder.
    std::string textFor(const std::filesystem::path& path) const;
    /// How many declarations the session holds.
    std::size_t size() const { return entries_.size(); }

private:
    struct Entry {
        std::string key;     // the declared name; `import X` for imports
        std::string text;    // its source, doc comment included
        std::string origin;  // "<input 3>" or the file it was loaded from
        uint32_t line = 1;   // where its text starts in `origin`
    };
    struct Build;

    bool declare(const std::string& input, const std::string& origin, std::ostream& out, std::ostream& err);
    bool evaluate(const std::string& input, bool typeOnly, std::ostream& out, std::ostream& err);
    bool command(const std::string& input, std::ostream& out, std::ostream& err);
    bool load(const std::string& path, std::ostream& out, std::ostream& err);
    bool run(const std::string& flow, std::ostream& out, std::ostream& err);
    bool prov(const std::string& kind, std::ostream& out, std::ostream& err);
    bool emit(const std::string& what, std::ostream& out, std::ostream& err);
    void help(std::ostream& out) const;
    /// The `:` commands, as :help lists them (Commands.cpp).
    static std::vector<std::string> commandNames();
    void list(std::ostream& out) const;
    /// `:set NAME=VALUE`: the session's params get that value (checked as `--set` is); `:set`
    /// alone lists the params and their values.
    bool setParam(const std::string& argument, std::ostream& out, std::ostream& err);

    /// The session's entries checked as one program (diagnostics kept in it).
    std::unique_ptr<Build> compile(const std::vector<Entry>& entries, const std::vector<sema::ParamSetting>* params = nullptr) const;
    /// Splits `text` (named `origin`) into declaration entries; false with the syntax errors.
    bool split(const std::string& text, const std::string& origin, std::vector<Entry>& entries, std::ostream& err) const;
    /// Prints a build's errors, and its warnings but "never used" (every new name is unused).
    void report(const Build& build, std::ostream& err) const;
    /// Makes `build` the session's program: the runtime's view of it and its compiled fns.
    void adopt(std::unique_ptr<Build> build);

    SessionOptions options_;
    std::vector<Entry> entries_;
    std::vector<sema::ParamSetting> params_;  // :set, the later of a name last
    std::unique_ptr<Build> current_;
    int inputs_ = 0;
    bool finished_ = false;
    int64_t lastRun_ = 0;
};

}  // namespace xdml::repl
