// test_shell_groups.cpp — what stops and quotes shell commands: a run stopped at once ends each
// command's whole process group (SIGTERM, then SIGKILL for what ignores it); shell_quote makes
// any string one word for /bin/sh; a ZeroMQ stream's message cap follows its item type.
#include "TempDir.h"
#include "runtime/exec/CommandGroups.h"
#include "runtime/exec/Shell.h"
#include "runtime/exec/ShellQuote.h"
#include "runtime/interp/EvalError.h"
#include "runtime/streams/MessageBounds.h"

#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <future>
#include <iterator>
#include <sstream>
#include <thread>

using namespace xdml::runtime;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct WorkDir : xdml::test::TempDir {
    WorkDir() : TempDir("xdml_shell_groups") {}
};

/// The process group id the command wrote to `file` (its shell's $$), once it is there.
pid_t waitForGroup(const fs::path& file) {
    for (int i = 0; i < 500; ++i) {
        std::ifstream in(file);
        pid_t pid = 0;
        if (in >> pid && pid > 0) return pid;
        std::this_thread::sleep_for(10ms);
    }
    FAIL("the command did not write its process id");
    return 0;
}

/// Whether no live process is left in group `pgid`. Killed processes whose parent is gone
/// stay zombies until init reaps them, so /proc is read and zombies do not count; a killed
/// process may take a moment to die, so this waits up to 2 s.
bool groupIsGone(pid_t pgid) {
    for (int attempt = 0; attempt < 200; ++attempt) {
        bool alive = false;
        for (const auto& entry : fs::directory_iterator("/proc")) {
            const std::string name = entry.path().filename();
            if (name.find_first_not_of("0123456789") != std::string::npos) continue;
            std::ifstream in(entry.path() / "stat");
            std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            const auto paren = stat.rfind(')');
            if (paren == std::string::npos) continue;
            std::istringstream fields(stat.substr(paren + 2));  // state, ppid, pgrp, ...
            char state = 0;
            long ppid = 0, group = 0;
            if (fields >> state >> ppid >> group && group == pgid && state != 'Z') alive = true;
        }
        if (!alive) return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

}  // namespace

TEST_CASE("shell_quote makes a string one word, always quoted", "[shell]") {
    CHECK(shellQuote("") == "''");
    CHECK(shellQuote("abc") == "'abc'");
    CHECK(shellQuote("it's") == "'it'\\''s'");
    CHECK(shellQuote("''") == "''\\'''\\'''");
    CHECK_THROWS_AS(shellQuote(std::string("a\0b", 3)), EvalError);
    CHECK_THROWS_AS(requireNoNul(std::string("echo \0rm", 8), "sh"), EvalError);
    CHECK_NOTHROW(requireNoNul("echo ok", "sh"));
}

TEST_CASE("shell_quote survives /bin/sh byte for byte", "[shell]") {
    const std::vector<std::string> nasty = {
        "a b", "$HOME", "`id`", "$(id)", "; rm -rf x", "*", "it's", "\"quoted\"", "back\\slash", "line\nbreak",
        "-n", "tab\there", "{a,b}", "~", "!event", "ü ✓", "' ; echo pwned; '"};
    for (const std::string& s : nasty) {
        ShellResult r = runShell("printf '%s' " + shellQuote(s), {});
        CHECK(r.status == 0);
        CHECK(r.out == s);
    }
    // Several quoted words stay several arguments.
    ShellResult r = runShell("printf '<%s>' " + shellQuote("a b") + " " + shellQuote("") + " " + shellQuote("c'd"), {});
    CHECK(r.out == "<a b><><c'd>");
}

TEST_CASE("ending the running commands ends their whole process groups", "[shell]") {
    WorkDir dir;
    // A background child that ignores SIGTERM, and a foreground sleep the shell waits for.
    auto running = std::async(std::launch::async, [&] {
        return runShell("echo $$ > group.pid; (trap '' TERM; exec sleep 30) & sleep 30", dir.path());
    });
    const pid_t pgid = waitForGroup(dir.path() / "group.pid");
    std::this_thread::sleep_for(100ms);  // the background sleep has started
    const auto start = std::chrono::steady_clock::now();
    endRunningCommands(2000ms);
    REQUIRE(running.wait_for(10s) == std::future_status::ready);
    ShellResult r = running.get();
    CHECK(r.signal == SIGTERM);  // the shell ended on SIGTERM; the grace was not waited out
    CHECK(std::chrono::steady_clock::now() - start < 2s);
    CHECK(groupIsGone(pgid));  // the child that ignored SIGTERM was killed with the group
}

TEST_CASE("a command that ignores SIGTERM is killed after the grace period", "[shell]") {
    WorkDir dir;
    auto running = std::async(std::launch::async, [&] {
        return runShell("echo $$ > group.pid; trap '' TERM; sleep 30; sleep 30", dir.path());
    });
    const pid_t pgid = waitForGroup(dir.path() / "group.pid");
    std::this_thread::sleep_for(100ms);
    const auto start = std::chrono::steady_clock::now();
    endRunningCommands(300ms);
    REQUIRE(running.wait_for(10s) == std::future_status::ready);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(running.get().signal == SIGKILL);
    CHECK(took >= 300ms);
    CHECK(took < 5s);
    CHECK(groupIsGone(pgid));
}

TEST_CASE("finished commands are not tracked: ending with none running returns at once", "[shell]") {
    for (int i = 0; i < 5; ++i) CHECK(runShell("true", {}).ok());
    const auto start = std::chrono::steady_clock::now();
    endRunningCommands(2000ms);
    CHECK(std::chrono::steady_clock::now() - start < 500ms);
    CHECK(trackCommandGroup(424242));  // the table has room, and forgets on request
    untrackCommandGroup(424242);
}

TEST_CASE("a message's cap follows the stream's item type", "[zmq]") {
    TypeDesc frame;
    frame.kind = TypeDesc::Kind::Tensor;
    frame.elem = ElemType::F32;
    frame.dims = {8, 8};
    CHECK(largestMessage(frame) == 256 + kMessageHeaderSlack);
    frame.elem = ElemType::F64;
    frame.dims = {1000, 0};
    CHECK(largestMessage(frame) == kMessageHeaderSlack);
    frame.dims = {-1, 8};  // a `?` dimension: no bound of its own
    CHECK(largestMessage(frame) == kUnboundedMessageCap);
    frame.dims = {int64_t{1} << 40, int64_t{1} << 40};  // no overflow
    CHECK(largestMessage(frame) > kUnboundedMessageCap);
    TypeDesc text;
    text.kind = TypeDesc::Kind::String;
    CHECK(largestMessage(text) == kUnboundedMessageCap);
}
