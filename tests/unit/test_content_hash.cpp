// test_content_hash.cpp — the provenance store's content hash is XXH64: known answers from the
// reference library (libxxhash 0.8.1), and hashing in pieces gives the same digest.
#include "runtime/provenance/ContentHash.h"
#include "runtime/provenance/ProvenanceError.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "ProvenanceTestSupport.h"

using namespace xdml::runtime::prov;

namespace {
std::vector<unsigned char> sequence1000() {
    std::vector<unsigned char> bytes(1000);
    for (int i = 0; i < 1000; ++i) bytes[i] = static_cast<unsigned char>(i * 7 + 3);
    return bytes;
}
}  // namespace

TEST_CASE("XXH64 gives the reference library's answers", "[provenance]") {
    auto hashOf = [](const std::string& s) { return xxh64(s.data(), s.size()); };
    CHECK(hashOf("") == 0xef46db3751d8e999ULL);
    CHECK(hashOf("a") == 0xd24ec4f1a98c6e5bULL);
    CHECK(hashOf("abc") == 0x44bc2cf5ad770999ULL);
    CHECK(hashOf("Nobody inspects the spammish repetition") == 0xfbcea83c8a378bf1ULL);     // 32 + 4 + 3
    CHECK(hashOf("0123456789abcdef0123456789abcdef0123456789") == 0xa76190c3acf08a1cULL);  // 32 + 8 + 2
    auto bytes = sequence1000();
    CHECK(xxh64(bytes.data(), bytes.size()) == 0x5f235fa033f1a3fbULL);
    CHECK(xxh64(bytes.data(), bytes.size(), 12345) == 0x365c39a0c5a4c88eULL);
    CHECK(contentHash("abc", 3) == "44bc2cf5ad770999");
    CHECK(hashHex(0x1) == "0000000000000001");
}

TEST_CASE("hashing in pieces gives the digest of the whole", "[provenance]") {
    auto bytes = sequence1000();
    uint64_t whole = xxh64(bytes.data(), bytes.size());
    for (std::size_t piece : {1, 3, 7, 31, 32, 33, 64, 999}) {
        ContentHasher hasher;
        for (std::size_t at = 0; at < bytes.size(); at += piece)
            hasher.update(bytes.data() + at, std::min(piece, bytes.size() - at));
        CHECK(hasher.digest() == whole);
    }
    ContentHasher empty;
    CHECK(empty.hex() == "ef46db3751d8e999");
}

TEST_CASE("a file's content hash is the hash of its bytes", "[provenance]") {
    xdml::test::TempDir dir;
    auto bytes = sequence1000();
    {
        std::ofstream out(dir / "data.bin", std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    CHECK(contentHashOfFile(dir / "data.bin") == "5f235fa033f1a3fb");
    try {
        contentHashOfFile(dir / "missing.bin");
        FAIL("no error for a missing file");
    } catch (const ProvenanceError& e) {
        CHECK_THAT(e.what(), Catch::Contains("missing.bin"));
    }
}
