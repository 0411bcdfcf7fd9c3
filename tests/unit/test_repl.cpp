// test_repl.cpp — the REPL's session without a terminal: declarations kept one by one and
// replaced by name, a broken redefinition leaving the session as it was, expressions evaluated
// with their types, the JIT's code of a replaced fn freed, when an input is complete, what tab
// completion offers, and :run / :prov through a runner of the runtime alone.
#include "jit/Kernels.h"
#include "repl/Session.h"
#include "runtime/engine/PlanModel.h"
#include "runtime/engine/Run.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "TempDir.h"

using xdml::repl::Session;
using xdml::repl::SessionOptions;

namespace {

/// Feeds inputs to a session, keeping what it printed and said.
struct Driver {
    explicit Driver(SessionOptions options = {}) : session(std::move(options)) {}
    bool in(const std::string& input) {
        out.str("");
        err.str("");
        return session.handle(input, out, err);
    }
    Session session;
    std::ostringstream out, err;
};

bool has(const std::ostringstream& s, const std::string& text) { return s.str().find(text) != std::string::npos; }

}  // namespace

TEST_CASE("declarations are kept, replaced by name, and evaluated among", "[repl]") {
    Driver d;
    REQUIRE(d.in("1 + 2"));
    CHECK(d.out.str() == "3 : int\n");
    REQUIRE(d.in("const N = 4;\ntype Frame = tensor<f32>[N, N];"));
    CHECK(has(d.out, "defined const N: int = 4"));
    CHECK(has(d.out, "defined type Frame = tensor<f32>[4, 4]"));
    REQUIRE(d.in("fn level(f: Frame) -> float = mean(f) + 1.0;"));
    REQUIRE(d.in("level(zeros(Frame))"));
    CHECK(d.out.str() == "1.0 : float\n");
    REQUIRE(d.in("fn level(f: Frame) -> float = mean(f) + 2.0;"));
    CHECK(has(d.out, "redefined fn level(f: Frame) -> float"));
    REQUIRE(d.in("level(zeros(Frame))"));
    CHECK(d.out.str() == "2.0 : float\n");
    CHECK(d.session.size() == 3);
    REQUIRE(d.in("\"n is {N}\""));
    CHECK(d.out.str() == "\"n is 4\" : string\n");
    REQUIRE(d.in("2s + 500ms"));
    CHECK(d.out.str() == "2.5s : duration\n");
}

TEST_CASE("a redefinition that breaks the session is not kept", "[repl]") {
    Driver d;
    REQUIRE(d.in("type Frame = tensor<f32>[4, 4];"));
    REQUIRE(d.in("fn level(f: Frame) -> float = mean(f);"));
    // Frame becoming an int breaks `level`: the error is shown, and both stay as they were.
    CHECK_FALSE(d.in("type Frame = int;"));
    CHECK(has(d.err, "(not kept: the session is as it was)"));
    REQUIRE(d.in(":type zeros(Frame)"));
    CHECK(d.out.str() == "Frame\n");
    REQUIRE(d.in("level(zeros(Frame) + 3.0)"));
    CHECK(d.out.str() == "3.0 : float\n");
}

TEST_CASE("errors are shown with their place and a caret, and the session goes on", "[repl]") {
    Driver d;
    CHECK_FALSE(d.in("1 + \"a\""));
    CHECK(has(d.err, "<input 1>:1:1: error: operator '+' is not defined for int and string"));
    CHECK(has(d.err, "  1 + \"a\"\n  ^"));
    CHECK_FALSE(d.in("fn f(x: int) -> int = x +;"));
    CHECK(has(d.err, "<input 2>:1:26: error:"));
    CHECK_FALSE(d.in("undefined(3)"));
    CHECK(has(d.err, "unknown"));
    CHECK_FALSE(d.in("1 / 0"));
    CHECK(has(d.err, "division by zero"));
    CHECK_FALSE(d.in("let x = 3;"));
    CHECK(has(d.err, "'let' starts a statement, and statements belong in a task or a flow"));
    REQUIRE(d.in("log(1.0)"));  // the math function, not the statement
    CHECK(d.out.str() == "0.0 : float\n");
    CHECK_FALSE(d.in(":nope"));
    CHECK(has(d.err, "unknown command ':nope'"));
    REQUIRE(d.in("40 + 2"));
    CHECK(d.out.str() == "42 : int\n");
}

TEST_CASE("a redefined fn's compiled code is freed through its resource tracker", "[repl][jit]") {
    Driver d;
    REQUIRE(d.in("type Frame = tensor<f32>[8, 8];"));
    REQUIRE(d.in("fn peak(f: Frame) -> float = max(f) * 2.0;"));
    REQUIRE(d.in(":jit"));
    CHECK(has(d.out, "fn peak: compiled"));
    const std::size_t held = xdml::jit::Kernels::cachedCodeCount();
    for (int i = 3; i < 6; ++i) {
        REQUIRE(d.in("fn peak(f: Frame) -> float = max(f) * " + std::to_string(i) + ".0;"));
        REQUIRE(d.in(":jit"));
        CHECK(has(d.out, "fn peak: compiled"));
        CHECK(xdml::jit::Kernels::cachedCodeCount() == held);  // the old version's code is gone
        REQUIRE(d.in("peak(zeros(Frame) + 1.0)"));
        CHECK(d.out.str() == std::to_string(i) + ".0 : float\n");
    }
}

TEST_CASE("an input is complete when its brackets close outside strings and comments", "[repl]") {
    CHECK(Session::isComplete("1 + 2"));
    CHECK_FALSE(Session::isComplete("flow f {"));
    CHECK_FALSE(Session::isComplete("flow f {\n  on end of s { log \"}\"; }"));
    CHECK(Session::isComplete("flow f {\n  on end of s { log \"}\"; }\n}"));
    CHECK(Session::isComplete("\"{{ not open\""));
    CHECK_FALSE(Session::isComplete("f(\"{ [1, 2\", "));  // the call is open, not the string
    CHECK(Session::isComplete("\"{ [1, 2"));               // a string ends with its line, with what opened in it
    CHECK(Session::isComplete("\"{\""));
    CHECK(Session::isComplete("\"abc"));
    CHECK(Session::isComplete("f(1) // a comment with ( in it"));
    CHECK_FALSE(Session::isComplete("/* a comment"));
    CHECK_FALSE(Session::isComplete("/// the doc of what follows"));
    CHECK(Session::isComplete("// just a comment"));
    CHECK(Session::isComplete("f(1))"));  // too many closers: the parser reports it
}

TEST_CASE("tab completion offers commands and the names that fit", "[repl]") {
    Driver d;
    REQUIRE(d.in("type Frame = tensor<f32>[4, 4];\nstream frames: Frame;\npolicy quick { deadline: 2s }"));
    auto c = d.session.completions(":he");
    CHECK(c == std::vector<std::string>{":help"});
    c = d.session.completions("flow f { on new data of type Fr");
    CHECK(c == std::vector<std::string>{"Frame"});
    c = d.session.completions("flow f { on new data of type Frame in ");
    CHECK(c == std::vector<std::string>{"frames"});
    c = d.session.completions("task t() @ q");
    CHECK(c == std::vector<std::string>{"quick"});
    c = d.session.completions("policy p { dead");
    CHECK(c == std::vector<std::string>{"deadline"});
    c = d.session.completions(":type fr");
    CHECK(std::find(c.begin(), c.end(), "frames") != c.end());
}

TEST_CASE(":run runs the session's flows and :prov shows the run's decisions", "[repl]") {
    xdml::test::TempDir dir("repl");
    SessionOptions options;
    options.workdir = dir.path() / "work";
    options.runPlan = [](const nlohmann::json& plan, xdml::runtime::RunOptions run, int64_t& recorded) {
        run.quiet = true;
        xdml::runtime::Run r(xdml::runtime::Program::fromPlan(plan), xdml::runtime::PlanModel::fromPlan(plan), run);
        int status = r.execute();
        recorded = r.recordedRun();
        return status;
    };
    Driver d(options);
    CHECK_FALSE(d.in(":run"));
    CHECK(has(d.err, "the session has no flow to run"));
    REQUIRE(d.in("type Frame = tensor<f32>[2, 2];\n"
                 "type Odd = Frame where mean(it) > 0.0;\n"
                 "fn make(i: int) -> Frame = zeros(Frame) + (i % 2 == 1 ? 1.0 : -1.0);\n"
                 "stream frames: Frame from generate(make, 6);\n"
                 "catalog odd: { n: int } at \"odd.db\";"));
    REQUIRE(d.in("flow keep {\n  on new data of type Odd in frames as f { record { n: seq(f) } in odd; }\n}"));
    REQUIRE(d.in(":run keep"));
    CHECK(has(d.out, "run 1 in "));
    CHECK(has(d.out, ": done"));
    CHECK(std::filesystem::exists(dir.path() / "work" / "provenance.db"));
    CHECK(std::filesystem::exists(dir.path() / "work" / "session.xdml"));
    REQUIRE(d.in(":prov trigger"));
    // Each frame's type test is recorded whichever way it went (docs/report.md); :prov trigger
    // lists the triggers alone.
    CHECK(has(d.out, "run 1: 9 decisions (3 trigger, 6 type_test)"));
    CHECK(has(d.out, "item 1 of frames is a Odd"));
    CHECK(has(d.out, "item 5 of frames is a Odd"));
    CHECK_FALSE(has(d.out, "item 2 of frames"));
}

TEST_CASE(":ast, :ir, :plan, :list, :save and :load show and keep the session", "[repl]") {
    xdml::test::TempDir dir("repl");
    Driver d;
    REQUIRE(d.in("/// How bright.\nfn level(x: float) -> float = x * 2.0;"));
    REQUIRE(d.in(":ast"));
    CHECK(has(d.out, "fn level"));
    REQUIRE(d.in(":list"));
    CHECK(has(d.out, "fn level(x: float) -> float"));
    REQUIRE(d.in(":plan"));
    CHECK(nlohmann::json::parse(d.out.str()).contains("code"));
    REQUIRE(d.in(":ir"));
    CHECK(has(d.out, "ir <session>"));
    const std::string saved = (dir.path() / "s.xdml").string();
    REQUIRE(d.in(":save " + saved));
    Driver e;
    REQUIRE(e.in(":load " + saved));
    CHECK(has(e.out, "defined fn level(x: float) -> float"));
    REQUIRE(e.in("level(1.5)"));
    CHECK(e.out.str() == "3.0 : float\n");
    CHECK_FALSE(e.in(":load " + (dir.path() / "missing.xdml").string()));
    CHECK(has(e.err, "cannot read"));
}

TEST_CASE(":save rewrites relative imports to be found from where it writes", "[repl]") {
    xdml::test::TempDir dir("repl");
    std::filesystem::create_directories(dir.path() / "lib" / "deep");
    std::ofstream(dir.path() / "lib" / "common.xdml") << "const SCALE = 2.0;\n";
    std::ofstream(dir.path() / "lib" / "main.xdml") << "import \"common.xdml\";\nfn twice(x: float) -> float = x * SCALE;\n";
    Driver d;
    REQUIRE(d.in(":load " + (dir.path() / "lib" / "main.xdml").string()));
    REQUIRE(d.in("twice(2.0)"));
    CHECK(d.out.str() == "4.0 : float\n");
    const auto saved = dir.path() / "lib" / "deep" / "saved.xdml";
    REQUIRE(d.in(":save " + saved.string()));
    std::ifstream in(saved);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(has(std::ostringstream(text), "import \"../common.xdml\";"));
    Driver e;
    REQUIRE(e.in(":load " + saved.string()));
    REQUIRE(e.in("twice(1.5)"));
    CHECK(e.out.str() == "3.0 : float\n");
}

TEST_CASE(":type shows the type of a task call that could not be evaluated at the prompt", "[repl]") {
    Driver d;
    REQUIRE(d.in("task scale(x: float) -> float { return x * 2.0; }"));
    CHECK_FALSE(d.in("scale(1.0)"));
    CHECK(has(d.err, "must be pure"));
    REQUIRE(d.in(":type scale(1.0)"));
    CHECK(d.out.str() == "float\n");
}
