// test_data_file.cpp — the one reader of data files (only regular files, never blocking, never
// more than the declared type can fill) and the escaping of names printed in messages.
#include "StreamTestSupport.h"
#include "runtime/io/ConformItem.h"
#include "runtime/io/DataError.h"
#include "runtime/io/DataFile.h"
#include "runtime/io/Npy.h"
#include "runtime/io/PrintableName.h"
#include "runtime/streams/ItemDecoding.h"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

using namespace xdml;
using runtime::ByteLimit;
using runtime::DataError;
using runtime::ElemType;
using runtime::printableName;
using runtime::readDataFile;

namespace {

std::string textOf(const std::vector<std::byte>& bytes) {
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

/// The message readDataFile throws for `file`, or "" when it reads.
std::string refusal(const std::filesystem::path& file, const ByteLimit& limit = {}) {
    try {
        readDataFile(file, limit);
        return "";
    } catch (const DataError& e) {
        return e.what();
    }
}

/// An .npy file of `n` f32 zeros, shape (n,), as np.save writes it.
std::string npyOfFloats(int64_t n) {
    runtime::Tensor t = runtime::Tensor::zeros(ElemType::F32, {n});
    return runtime::encodeNpy(t);
}

}  // namespace

TEST_CASE("a regular file is read whole", "[io][datafile]") {
    test::ScratchDir dir;
    test::writeFile(dir / "a.txt", "hello\n");
    CHECK(textOf(readDataFile(dir / "a.txt")) == "hello\n");
    test::writeFile(dir / "empty", "");
    CHECK(readDataFile(dir / "empty").empty());
    // A link to a file is that file.
    std::filesystem::create_symlink(dir / "a.txt", dir / "link.txt");
    CHECK(textOf(readDataFile(dir / "link.txt")) == "hello\n");
    CHECK_THAT(refusal(dir / "missing"), Catch::Contains("missing: cannot open it: No such file or directory"));
}

TEST_CASE("a directory, or a link to one, is refused with its kind", "[io][datafile]") {
    test::ScratchDir dir;
    std::filesystem::create_directory(dir / "x.npy");
    CHECK(refusal(dir / "x.npy") ==
          (dir / "x.npy").string() + ": is a directory, not a regular file (only regular files are read)");
    std::filesystem::create_directory_symlink(dir / "x.npy", dir / "link.npy");
    CHECK_THAT(refusal(dir / "link.npy"), Catch::Contains("link.npy: is a directory"));
}

TEST_CASE("a FIFO is refused at once, without waiting for a writer", "[io][datafile]") {
    test::ScratchDir dir;
    REQUIRE(::mkfifo((dir / "x.npy").c_str(), 0600) == 0);
    const auto start = std::chrono::steady_clock::now();
    CHECK_THAT(refusal(dir / "x.npy"), Catch::Contains("x.npy: is a FIFO (named pipe), not a regular file"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
    // The stream's reader says the same: an item with an error, never a hang.
    runtime::SourceItem item = runtime::readFileItem(dir / "x.npy", test::tensorType(ElemType::F32, {4}));
    CHECK_THAT(item.error, Catch::Contains("is a FIFO"));
}

TEST_CASE("a socket is refused with its kind", "[io][datafile]") {
    test::ScratchDir dir;
    const std::string path = (dir / "s.npy").string();
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof addr.sun_path);
    std::strcpy(addr.sun_path, path.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    CHECK(refusal(path) == path + ": is a socket, not a regular file (only regular files are read)");
    ::close(fd);
}

TEST_CASE("a device is refused with its kind", "[io][datafile]") {
    CHECK(refusal("/dev/null") == "/dev/null: is a device (character special file), not a regular file (only regular files are read)");
}

TEST_CASE("a file larger than the limit is refused before it is read", "[io][datafile]") {
    test::ScratchDir dir;
    test::writeFile(dir / "big", std::string(1000, 'x'));
    CHECK(readDataFile(dir / "big", {1000, "x"}).size() == 1000);
    CHECK(refusal(dir / "big", {999, "an .npy file of tensor<f32>[2]"}) ==
          (dir / "big").string() + ": is 1000 bytes, more than 999 bytes, the most an .npy file of tensor<f32>[2] can take");
}

TEST_CASE("the declared type bounds an .npy file", "[io][datafile][npy]") {
    test::ScratchDir dir;
    const runtime::TypeDesc four = test::tensorType(ElemType::F32, {4});
    const ByteLimit limit = runtime::npyFileLimit(four);
    // Room for the elements at 8 bytes (an f64 file still reaches the type check) and a header.
    CHECK(limit.bytes == runtime::maxNpyBytes(4, 8));
    CHECK(limit.bytes > npyOfFloats(4).size());
    CHECK(limit.what == "an .npy file of tensor<f32>[4]");
    CHECK(runtime::npyFileLimit(test::tensorType(ElemType::F32, {-1, 4})).bytes == ByteLimit{}.bytes);

    test::writeFile(dir / "ok.npy", npyOfFloats(4));
    CHECK(runtime::readFileItem(dir / "ok.npy", four).error.empty());
    test::writeFile(dir / "huge.npy", npyOfFloats(100000));
    runtime::SourceItem item = runtime::readFileItem(dir / "huge.npy", four);
    CHECK_THAT(item.error, Catch::Contains("huge.npy: is 400128 bytes, more than") &&
                               Catch::Contains("the most an .npy file of tensor<f32>[4] can take"));
    // Smaller than the bound but the wrong shape: the decoder and the type check say so.
    test::writeFile(dir / "eight.npy", npyOfFloats(8));
    CHECK_THAT(runtime::readFileItem(dir / "eight.npy", four).error,
               Catch::Contains("expected tensor<f32>[4], got tensor<f32>[8]"));
}

TEST_CASE("printable names escape what would forge or hide text", "[io][names]") {
    CHECK(printableName("frame_001.npy") == "frame_001.npy");
    CHECK(printableName("détecteur 1/Ω.npy") == "détecteur 1/Ω.npy");
    CHECK(printableName("a\nxdmlc: forged line.npy") == "a\\nxdmlc: forged line.npy");
    CHECK(printableName("tab\there\rcr") == "tab\\there\\rcr");
    CHECK(printableName("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
    CHECK(printableName(std::string("nul\0x", 5)) == "nul\\x00x");
    CHECK(printableName("del\x7f") == "del\\x7f");
    CHECK(printableName("back\\slash") == "back\\\\slash");
    // Bytes that are not UTF-8: a lone continuation, a truncated sequence, an overlong form, a
    // surrogate, beyond U+10FFFF.
    CHECK(printableName("\x80") == "\\x80");
    CHECK(printableName("ab\xc3") == "ab\\xc3");
    CHECK(printableName("\xc0\xaf") == "\\xc0\\xaf");
    CHECK(printableName("\xed\xa0\x80") == "\\xed\\xa0\\x80");
    CHECK(printableName("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");
    CHECK(printableName("\xff.npy") == "\\xff.npy");
    // Code points that move or reorder text: C1 CSI, line separator, right-to-left override.
    CHECK(printableName("\xc2\x9b" "2J") == "\\u{009b}2J");
    CHECK(printableName("a\xe2\x80\xa8" "b") == "a\\u{2028}b");
    CHECK(printableName("x\xe2\x80\xaeypn.exe") == "x\\u{202e}ypn.exe");
    CHECK(printableName("emoji \xf0\x9f\x93\xb7") == "emoji \xf0\x9f\x93\xb7");
}

TEST_CASE("a file's name is escaped in the reader's messages", "[io][names]") {
    test::ScratchDir dir;
    std::filesystem::create_directory(dir / "bad\nxdmlc: ok.npy");
    const std::string message = refusal(dir / "bad\nxdmlc: ok.npy");
    CHECK(message.find('\n') == std::string::npos);
    CHECK_THAT(message, Catch::Contains("bad\\nxdmlc: ok.npy: is a directory"));
    test::writeFile(dir / "t\x1b.npy", "not npy");
    const runtime::SourceItem item = runtime::readFileItem(dir / "t\x1b.npy", test::tensorType(ElemType::F32, {4}));
    CHECK_THAT(item.error, Catch::StartsWith((dir.path() / "t\\x1b.npy").string() + ": not an .npy file"));
    CHECK(item.origin == (dir / "t\x1b.npy").string());  // provenance keeps the name as it is
}

TEST_CASE("files(): an entry replaced by a directory after the listing is one bad item", "[streams][datafile]") {
    test::ScratchDir dir;
    test::writeFile(dir / "a.npy", npyOfFloats(4));
    test::writeFile(dir / "b.npy", npyOfFloats(4));
    test::writeFile(dir / "c.npy", npyOfFloats(4));
    std::filesystem::create_directory(dir / "sub.npy");  // a folder when listed: no item
    auto source = runtime::makeFilesSource("*.npy", dir.path(), test::tensorType(ElemType::F32, {4}));
    std::filesystem::remove(dir / "b.npy");
    std::filesystem::create_directory(dir / "b.npy");
    std::vector<std::string> seen;
    runtime::SourceItem item;
    while (source->next(item)) seen.push_back(item.error.empty() ? "ok" : item.error);
    REQUIRE(seen.size() == 3);
    CHECK(seen[0] == "ok");
    CHECK(seen[1] == (dir / "b.npy").string() + ": is a directory, not a regular file (only regular files are read)");
    CHECK(seen[2] == "ok");
}
