// ContentHash.h — the content hash of every entity, script and Python module: XXH64 (Yann Collet's xxHash, 64-bit
// variant), reimplemented here so the store needs no extra library. Its digest is the same as
// the reference implementation's, so `xxhsum -H1` on a file gives the hash its entity holds.
//
// Why XXH64: it runs at memory speed (several GB/s on one core), passes SMHasher, and its 64
// bits make an accidental collision among a million entities about a 1-in-30-billion event —
// enough to recognise identical content, not a defence against an adversary (it is not a
// cryptographic hash). Changing the algorithm changes the schema version (see Schema.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace xdml::planformat {

/// XXH64 of `n` bytes at `data` with `seed` (0 for content hashes).
uint64_t xxh64(const void* data, std::size_t n, uint64_t seed = 0);

/// The 16 lowercase hex digits of a hash, most significant first (as xxhsum prints it).
std::string hashHex(uint64_t hash);

/// The content hash of `n` bytes as stored in `entities.hash`: hashHex(xxh64(data, n)).
std::string contentHash(const void* data, std::size_t n);

/// XXH64 fed in pieces: the digest of the pieces is the digest of their concatenation, so a
/// file or a stream of chunks is hashed without holding it whole.
class ContentHasher {
public:
    explicit ContentHasher(uint64_t seed = 0);
    void update(const void* data, std::size_t n);
    uint64_t digest() const;
    std::string hex() const { return hashHex(digest()); }

private:
    std::array<uint64_t, 4> lanes_;
    std::array<unsigned char, 32> stripe_{};  // bytes waiting for a full 32-byte stripe
    std::size_t buffered_ = 0;
    uint64_t total_ = 0;
    uint64_t seed_;
};

/// The content hash of a file's bytes; false (with `error` the system's reason) when the file
/// cannot be read.
bool hashFile(const std::filesystem::path& file, std::string& hash, std::string& error);

}  // namespace xdml::planformat
