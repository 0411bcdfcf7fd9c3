// test_provenance_recovery.cpp — the provenance store when things go wrong: runs of dead
// processes, files that are not provenance databases, places it cannot write, a full disk,
// and a process killed with SIGKILL in the middle of writing.
#include "runtime/provenance/AbandonedRuns.h"
#include "runtime/provenance/ContentHash.h"
#include "runtime/provenance/Schema.h"
#include "runtime/provenance/Store.h"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ProvenanceTestSupport.h"

using namespace xdml::runtime::prov;
using xdml::test::Reader;
using xdml::test::TempDir;

namespace {

// The message of the ProvenanceError that opening `file` throws ("" when it opens).
std::string openError(const std::filesystem::path& file) {
    try {
        Store::open(file);
    } catch (const ProvenanceError& e) {
        return e.what();
    }
    return "";
}

std::string contentsOf(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void silenceStderr() {
    int devNull = ::open("/dev/null", O_WRONLY);
    if (devNull >= 0) dup2(devNull, STDERR_FILENO);
}

/// Runs `body` in a forked child, its stderr silenced (the limits it sets stay there), and
/// returns the child's exit code: what `body` returned, 3 when it threw.
int exitCodeInChild(const std::function<int()>& body) {
    std::fflush(nullptr);  // else the child could print the parent's buffered output again
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        silenceStderr();
        int code = 3;
        try {
            code = body();
        } catch (...) {
        }
        _exit(code);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("opening marks the runs of dead processes on this host incomplete", "[provenance]") {
    TempDir dir;
    { auto store = Store::open(dir / "prov.db"); }
    int64_t deadPid = 999999;
    while (!processIsGone(deadPid)) --deadPid;
    {
        Reader db(dir / "prov.db");
        std::string host = hostName();
        auto fake = [&](int id, int64_t pid, const std::string& on) {
            db.exec("INSERT INTO runs (id, flow, started, status, pid, host) VALUES (" + std::to_string(id) +
                    ", 'f', 1.0, 'running', " + std::to_string(pid) + ", '" + on + "')");
        };
        fake(1, deadPid, host);
        fake(2, getpid(), host);              // alive: this very process
        fake(3, deadPid, "some-other-host");  // its pid means nothing here
    }
    { auto store = Store::open(dir / "prov.db"); }
    Reader db(dir / "prov.db");
    CHECK(db.text("SELECT status FROM runs WHERE id = 1") == "incomplete");
    CHECK(db.text("SELECT status FROM runs WHERE id = 2") == "running");
    CHECK(db.text("SELECT status FROM runs WHERE id = 3") == "running");
}

TEST_CASE("a zombie's run is abandoned: the process has exited, though nobody has reaped it", "[provenance]") {
    // The ranks of a killed mpirun are orphans that a container's init may never reap.
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) _exit(0);
    const std::string stat = "/proc/" + std::to_string(child) + "/stat";
    auto zombie = [&] {
        std::ifstream in(stat);
        std::string line;
        std::getline(in, line);
        return line.find(") Z ") != std::string::npos;
    };
    for (int i = 0; i < 5000 && !zombie(); ++i) usleep(1000);
    REQUIRE(zombie());
    CHECK(kill(child, 0) == 0);  // kill() still finds it
    CHECK(processIsGone(child));
    CHECK_FALSE(processIsGone(getpid()));
    waitpid(child, nullptr, 0);
}

TEST_CASE("a file that is not a provenance database is refused untouched", "[provenance]") {
    TempDir dir;
    {
        std::ofstream out(dir / "notes.db");
        out << "these are notes, not a database; long enough to have a header...........................\n";
    }
    std::string before = contentsOf(dir / "notes.db");
    std::string error = openError(dir / "notes.db");
    CHECK_THAT(error, Catch::Contains((dir / "notes.db").string()));
    CHECK_THAT(error, Catch::Contains("not an SQLite database"));
    CHECK(contentsOf(dir / "notes.db") == before);
    CHECK_FALSE(std::filesystem::exists(dir / "notes.db-lock"));

    {
        Reader other(dir / "catalog.db");
        other.exec("CREATE TABLE readings (x REAL)");
    }
    CHECK_THAT(openError(dir / "catalog.db"), Catch::Contains("an SQLite database with other tables"));
}

TEST_CASE("a database from a newer schema version is refused", "[provenance]") {
    TempDir dir;
    { auto store = Store::open(dir / "prov.db"); }
    {
        Reader db(dir / "prov.db");
        db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion + 1));
    }
    std::string error = openError(dir / "prov.db");
    CHECK_THAT(error, Catch::Contains((dir / "prov.db").string()));
    CHECK_THAT(error, Catch::Contains("schema version " + std::to_string(kSchemaVersion + 1) + " is newer"));
}

TEST_CASE("places a store cannot write are errors naming them", "[provenance]") {
    TempDir dir;
    { std::ofstream(dir / "plain-file") << "x"; }
    CHECK_THAT(openError(dir / "plain-file" / "prov.db"), Catch::Contains("is not a directory"));
    CHECK_THAT(openError(dir / "missing" / "prov.db"), Catch::Contains("does not exist"));
    CHECK_THAT(openError(dir.path()), Catch::Contains("is a directory"));
    if (geteuid() != 0) {  // root writes anywhere: the permission check only means something for others
        std::filesystem::create_directory(dir / "locked");
        std::filesystem::permissions(dir / "locked",
                                     std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
        CHECK_THAT(openError(dir / "locked" / "prov.db"), Catch::Contains("is not writable"));
        std::filesystem::permissions(dir / "locked", std::filesystem::perms::owner_all);
    }
}

TEST_CASE("one store writes a database at a time", "[provenance]") {
    TempDir dir;
    auto first = Store::open(dir / "prov.db");
    std::string error = openError(dir / "prov.db");
    CHECK_THAT(error, Catch::Contains("already open for writing by process " + std::to_string(getpid())));
    first.reset();
    CHECK(openError(dir / "prov.db").empty());
}

TEST_CASE("a group the writer cannot commit (disk full) is reported, not lost silently", "[provenance]") {
    TempDir dir;
    const auto file = dir / "prov.db";
    // The child fills a "disk" made small by RLIMIT_FSIZE: writes past 256 KiB fail with EFBIG.
    CHECK(exitCodeInChild([&] {
              int code = 1;
              auto store = Store::open(file);
              store->beginRun({"full"});
              store->flush();
              std::signal(SIGXFSZ, SIG_IGN);
              rlimit small{256 * 1024, 256 * 1024};
              setrlimit(RLIMIT_FSIZE, &small);
              for (int i = 0; i < 20000; ++i)
                  store->entity({"value", "v" + std::to_string(i), "text", "0123456789abcdef"});
              try {
                  store->flush();
              } catch (const ProvenanceError& e) {
                  std::string what = e.what();
                  code = what.find(file.string()) != std::string::npos &&
                                 what.find("could not be committed") != std::string::npos
                             ? 0
                             : 2;
              }
              try {
                  store->endRun("complete", "");
              } catch (const ProvenanceError&) {
                  // Expected as well: the run's end cannot be written either.
              }
              return code;
          }) == 0);
    { auto store = Store::open(file); }
    Reader db(file);
    CHECK(db.text("PRAGMA integrity_check") == "ok");
    CHECK(db.text("SELECT status FROM runs") == "incomplete");
}

TEST_CASE("a group that fails leaves no trace in the digests the next groups write", "[provenance]") {
    TempDir dir;
    const auto file = dir / "prov.db";
    // Entities of one group before, during and after a "disk" too small for them (RLIMIT_FSIZE):
    // the groups in the middle fail, the last ones commit again.
    CHECK(exitCodeInChild([&] {
              auto store = Store::open(file);
              store->beginRun({"full"});
              auto capture = [&](int from, int to) {
                  for (int i = from; i < to; ++i) {
                      const std::string content = std::to_string(i);
                      store->entity({"value", "g", "int", contentHash(content.data(), content.size())});
                  }
              };
              capture(0, 200);
              store->flush();
              std::signal(SIGXFSZ, SIG_IGN);
              rlimit small{256 * 1024, RLIM_INFINITY};
              setrlimit(RLIMIT_FSIZE, &small);
              capture(200, 20200);
              try {
                  store->flush();
                  return 2;  // the small disk should have failed a group
              } catch (const ProvenanceError&) {
              }
              rlimit large{RLIM_INFINITY, RLIM_INFINITY};
              setrlimit(RLIMIT_FSIZE, &large);
              capture(20200, 20500);
              store->flush();
              try {
                  store->endRun("complete", "");
              } catch (const ProvenanceError&) {
                  // The run's end reports the loss again: expected.
              }
              return 0;
          }) == 0);
    { auto store = Store::open(file); }
    Reader db(file);
    CHECK(db.text("PRAGMA integrity_check") == "ok");
    const int64_t kept = db.number("SELECT count(*) FROM entities WHERE label = 'g'");
    CHECK(kept >= 500);
    CHECK(kept < 20500);
    CHECK(db.number("SELECT count(*) FROM entities WHERE label = 'g' AND hash = '" + contentHash("20499", 5) +
                    "'") == 1);
    CHECK(xdml::test::digestMismatch(db, "value", "g") == "");
}

TEST_CASE("kill -9 while writing leaves a database with every flushed record and an incomplete run",
          "[provenance]") {
    TempDir dir;
    const auto file = dir / "prov.db";
    int pipe_[2];
    REQUIRE(pipe(pipe_) == 0);
    std::fflush(nullptr);  // else the child could print the parent's buffered output again
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        close(pipe_[0]);
        silenceStderr();
        try {
            CaptureSettings quick;
            quick.interval = std::chrono::milliseconds(2);
            auto store = Store::open(file, quick);
            store->beginRun({"doomed"});
            for (int64_t written = 1;; ++written) {
                int64_t e = store->entity(
                    {"item", "reading", "f64", "0123456789abcdef", "edge", "readings", "", 8, written});
                int64_t a = store->startActivity({"handler", "smooth"});
                store->used(a, e, "in");
                if (written % 500 == 0) {
                    store->flush();
                    // Told only once durable: the parent's lower bound on what must survive.
                    if (write(pipe_[1], &written, sizeof written) != sizeof written) _exit(4);
                }
            }
        } catch (...) {
            _exit(3);
        }
    }
    close(pipe_[1]);
    int64_t flushed = 0, n = 0;
    for (int reports = 0; reports < 10 && read(pipe_[0], &n, sizeof n) == sizeof n; ++reports) flushed = n;
    kill(child, SIGKILL);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);  // reaped, so its pid is gone
    while (read(pipe_[0], &n, sizeof n) == sizeof n) flushed = n;
    close(pipe_[0]);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(flushed >= 500);
    {
        Reader db(file);
        CHECK(db.text("PRAGMA integrity_check") == "ok");
        CHECK(db.number("SELECT count(*) FROM entities") >= flushed);
        CHECK(db.number("SELECT count(*) FROM activities WHERE status = 'running'") >= flushed);
        CHECK(db.text("SELECT status FROM runs") == "running");  // no one has looked yet
    }
    auto store = Store::open(file);
    Reader db(file);
    CHECK(db.text("SELECT status FROM runs") == "incomplete");
    // The next run continues the ids after whatever the killed one committed.
    store->beginRun({"after"});
    int64_t next = store->entity({"value", "x"});
    store->endRun("complete", "");
    CHECK(next > db.number("SELECT MAX(id) FROM entities WHERE run = 1"));
}
