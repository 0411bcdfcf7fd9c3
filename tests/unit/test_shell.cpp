// test_shell.cpp — std.exec's sh: output captured from both pipes without deadlock, exit
// statuses and signals decoded, the working directory, timeouts, and the failure message.
#include "TempDir.h"
#include "runtime/exec/Shell.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

using namespace xdml::runtime;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A fresh folder for one test, removed after it.
struct WorkDir : xdml::test::TempDir {
    WorkDir() : TempDir("xdml_shell") {}
};

std::size_t openDescriptors() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

}  // namespace

TEST_CASE("sh captures stdout", "[shell]") {
    ShellResult r = runShell("echo hello; printf 'a b'", {});
    CHECK(r.status == 0);
    CHECK(r.ok());
    CHECK(r.out == "hello\na b");
    CHECK(r.err.empty());
    CHECK(r.signal == 0);
    CHECK_FALSE(r.timedOut);
}

TEST_CASE("sh captures stderr and a non-zero exit, and the failure message quotes stderr", "[shell]") {
    const std::string cmd = "echo partial; echo 'no such frame' >&2; exit 2";
    ShellResult r = runShell(cmd, {});
    CHECK(r.status == 2);
    CHECK(r.out == "partial\n");
    CHECK(r.err == "no such frame\n");
    CHECK(shellFailure(r, cmd) == "sh: `" + cmd + "` exited with status 2: no such frame");
    CHECK(shellFailure(runShell("exit 3", {}), "exit 3") == "sh: `exit 3` exited with status 3");
}

TEST_CASE("sh reads a megabyte on each pipe without deadlock", "[shell]") {
    // stderr fills first: a reader that waited on stdout alone would hang here.
    ShellResult r = runShell("head -c 1048576 /dev/zero | tr '\\0' e >&2; head -c 1048576 /dev/zero | tr '\\0' o; "
                             "head -c 1048576 /dev/zero | tr '\\0' e >&2",
                             {}, 30s);
    REQUIRE_FALSE(r.timedOut);
    CHECK(r.status == 0);
    CHECK(r.out.size() == 1048576);
    CHECK(r.err.size() == 2 * 1048576);
    CHECK(r.out.find_first_not_of('o') == std::string::npos);
    CHECK(r.err.find_first_not_of('e') == std::string::npos);
    CHECK_FALSE(r.outTruncated);

    // Past the cap the rest is read and dropped, so the command still finishes.
    r = runShell("head -c " + std::to_string(kShellCaptureLimit + 5) + " /dev/zero; echo done >&2", {}, 30s);
    CHECK(r.status == 0);
    CHECK(r.out.size() == kShellCaptureLimit);
    CHECK(r.outTruncated);
    CHECK(r.err == "done\n");
}

TEST_CASE("sh runs in the working directory", "[shell]") {
    WorkDir dir;
    std::ofstream(dir.path() / "marker.txt") << "here";
    ShellResult r = runShell("pwd; cat marker.txt", dir.path());
    CHECK(r.status == 0);
    CHECK(r.out == fs::canonical(dir.path()).string() + "\nhere");
    CHECK_THROWS_AS(runShell("true", dir.path() / "missing"), std::system_error);
}

TEST_CASE("sh decodes death by a signal", "[shell]") {
    ShellResult r = runShell("echo dying >&2; kill -TERM $$", {});
    CHECK(r.signal == 15);
    CHECK(r.status == 128 + 15);
    CHECK_FALSE(r.ok());
    CHECK(shellFailure(r, "kill") == "sh: `kill` killed by signal 15 (SIGTERM): dying");
}

TEST_CASE("a timeout kills the command and what it started", "[shell]") {
    auto start = std::chrono::steady_clock::now();
    // The background sleep holds the pipes: only killing the process group ends the wait early.
    ShellResult r = runShell("echo started; sleep 30 & sleep 30", {}, 200ms);
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(r.timedOut);
    CHECK(r.signal == 9);
    CHECK(r.status == 137);
    CHECK(r.out == "started\n");
    CHECK(took < 3s);
    CHECK_THAT(shellFailure(r, "sleep"), Catch::StartsWith("sh: `sleep` timed out after "));

    // A shell that closes its pipes and keeps running is still held to the deadline.
    r = runShell("exec >&- 2>&-; sleep 30", {}, 200ms);
    CHECK(r.timedOut);
    CHECK(std::chrono::steady_clock::now() - start < 6s);
}

TEST_CASE("the failure message keeps the last lines of stderr, about 2 KB", "[shell]") {
    const std::string cmd = "i=0; while [ $i -lt 2000 ]; do echo \"line $i\" >&2; i=$((i+1)); done; exit 1";
    ShellResult r = runShell(cmd, {});
    CHECK(r.status == 1);
    std::string message = shellFailure(r, cmd);
    CHECK(message.size() < 2300);
    CHECK_THAT(message, Catch::EndsWith("\nline 1998\nline 1999"));
    CHECK_THAT(message, Catch::Contains("exited with status 1: ...\nline "));
    CHECK_THAT(shellFailure(r, "echo one\necho two"), Catch::StartsWith("sh: `echo one ...` exited"));
}

TEST_CASE("sh leaves no zombies and no open descriptors, also from several threads", "[shell]") {
    const std::size_t before = openDescriptors();
    std::vector<std::thread> workers;
    std::atomic<int> good{0};
    for (int w = 0; w < 4; ++w)
        workers.emplace_back([&, w] {
            for (int i = 0; i < 10; ++i)
                if (runShell("echo " + std::to_string(w), {}).out == std::to_string(w) + "\n") ++good;
        });
    for (std::thread& t : workers) t.join();
    CHECK(good == 40);
    runShell("sleep 5", {}, 50ms);
    CHECK(openDescriptors() == before);
    int status = 0;
    CHECK(waitpid(-1, &status, WNOHANG) <= 0);  // > 0 would be a child nobody reaped
}
