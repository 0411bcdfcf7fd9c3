// test_atomic_write.cpp — the tool's one file writer: a file is replaced whole or not at all,
// and a failed write is an error naming the path and the reason, with the old file intact.
#include "TempDir.h"
#include "runtime/io/AtomicWrite.h"

#include <csignal>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

using namespace xdml;
using runtime::WriteError;
using runtime::writeFileAtomically;
namespace fs = std::filesystem;

namespace {

std::string contentOf(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::size_t entriesIn(const fs::path& folder) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(folder)) ++n;
    return n;
}

/// Files of this process may not grow past `bytes` for the scope: a disk that fills up,
/// without root or a mount (writes past the limit fail with EFBIG).
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &old_);
        previous_ = std::signal(SIGXFSZ, SIG_IGN);  // the write fails instead of killing us
        rlimit limit = old_;
        limit.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &old_);
        std::signal(SIGXFSZ, previous_);
    }

private:
    rlimit old_{};
    void (*previous_)(int) = SIG_DFL;
};

}  // namespace

TEST_CASE("a file is written whole, replacing the old one, with no temporary left", "[io]") {
    test::TempDir dir("xdml_write");
    const fs::path file = dir / "stats.json";
    writeFileAtomically(file, "first\n");
    CHECK(contentOf(file) == "first\n");
    ::chmod(file.c_str(), 0640);
    writeFileAtomically(file, "second, longer\n");
    CHECK(contentOf(file) == "second, longer\n");
    CHECK(entriesIn(dir.path()) == 1);
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);  // the old file's mode is kept
    writeFileAtomically(dir / "empty", "", runtime::Durability::Scratch);
    CHECK(fs::file_size(dir / "empty") == 0);
}

TEST_CASE("a write that fails part way leaves the old file as it was and says why", "[io]") {
    test::TempDir dir("xdml_write");
    const fs::path file = dir / "session.xdml";
    writeFileAtomically(file, "let a = 1;\n");
    try {
        FileSizeLimit limit(64);
        writeFileAtomically(file, std::string(4096, 'x'));
        FAIL("a write past the limit succeeded");
    } catch (const WriteError& e) {
        CHECK(e.path() == file.string());
        CHECK(e.reason() == "File too large");
        CHECK(std::string(e.what()) == file.string() + ": File too large");
    }
    CHECK(contentOf(file) == "let a = 1;\n");
    CHECK(entriesIn(dir.path()) == 1);  // the temporary file is gone
}

TEST_CASE("a file in a folder that cannot hold it is an error with the reason", "[io]") {
    test::TempDir dir("xdml_write");
    std::ofstream(dir / "plain") << "not a folder";
    CHECK_THROWS_WITH(writeFileAtomically(dir / "plain" / "out.json", "{}"),
                      (dir / "plain" / "out.json").string() + ": Not a directory");
    CHECK_THROWS_WITH(writeFileAtomically(dir / "missing" / "out.json", "{}"),
                      (dir / "missing" / "out.json").string() + ": No such file or directory");
    fs::create_directory(dir / "taken");
    CHECK_THROWS_AS(writeFileAtomically(dir / "taken", "{}"), WriteError);
    CHECK(fs::is_directory(dir / "taken"));
    CHECK(entriesIn(dir.path()) == 2);
}

TEST_CASE("a symlink is followed: the file it names is replaced and the link stays", "[io]") {
    test::TempDir dir("xdml_atomic_link");
    const fs::path real = dir / "real.json", link = dir / "out.json";
    std::ofstream(real) << "old";
    fs::create_symlink("real.json", link);
    writeFileAtomically(link, "new");
    CHECK(fs::is_symlink(link));
    CHECK(contentOf(real) == "new");
    // A dangling link names the file to make.
    const fs::path dangling = dir / "later.json";
    fs::create_symlink("made.json", dangling);
    writeFileAtomically(dangling, "made");
    CHECK(fs::is_symlink(dangling));
    CHECK(contentOf(dir / "made.json") == "made");
}

TEST_CASE("a device or FIFO is written through, never replaced, and a folder is an error", "[io]") {
    test::TempDir dir("xdml_atomic_special");
    writeFileAtomically("/dev/null", "nothing");
    struct stat st {};
    REQUIRE(::stat("/dev/null", &st) == 0);
    CHECK(S_ISCHR(st.st_mode));

    const fs::path fifo = dir / "pipe";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // No reader: an error at once (ENXIO), not a write that waits forever.
    CHECK_THROWS_WITH(writeFileAtomically(fifo, "x"), Catch::Contains("pipe") && Catch::Contains("No such device"));
    CHECK(fs::is_fifo(fifo));

    CHECK_THROWS_WITH(writeFileAtomically(dir.path(), "x"), Catch::Contains("Is a directory"));
}
