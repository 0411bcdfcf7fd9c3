// ContentHash.cpp — XXH64 as specified in xxHash's doc/xxhash_spec.md: four lanes over
// 32-byte stripes, then the tail in 8-, 4- and 1-byte steps, then the avalanche.
#include "planformat/ContentHash.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace xdml::planformat {
namespace {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kPrime4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;

// The spec reads input as little-endian words; memcpy keeps unaligned reads defined.
uint64_t read64(const unsigned char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    if constexpr (std::endian::native == std::endian::big) {
        uint64_t r = 0;
        for (int i = 0; i < 8; ++i) r |= ((v >> (8 * i)) & 0xFF) << (56 - 8 * i);
        return r;
    }
    return v;
}

uint64_t read32(const unsigned char* p) {
    return static_cast<uint64_t>(p[0]) | static_cast<uint64_t>(p[1]) << 8 |
           static_cast<uint64_t>(p[2]) << 16 | static_cast<uint64_t>(p[3]) << 24;
}

uint64_t round(uint64_t lane, uint64_t input) {
    lane += input * kPrime2;
    lane = std::rotl(lane, 31);
    return lane * kPrime1;
}

uint64_t mergeLane(uint64_t hash, uint64_t lane) {
    hash ^= round(0, lane);
    return hash * kPrime1 + kPrime4;
}

std::array<uint64_t, 4> initialLanes(uint64_t seed) {
    return {seed + kPrime1 + kPrime2, seed + kPrime2, seed, seed - kPrime1};
}

void consumeStripe(std::array<uint64_t, 4>& lanes, const unsigned char* p) {
    for (int i = 0; i < 4; ++i) lanes[i] = round(lanes[i], read64(p + 8 * i));
}

uint64_t convergeLanes(const std::array<uint64_t, 4>& lanes) {
    uint64_t hash =
        std::rotl(lanes[0], 1) + std::rotl(lanes[1], 7) + std::rotl(lanes[2], 12) + std::rotl(lanes[3], 18);
    for (uint64_t lane : lanes) hash = mergeLane(hash, lane);
    return hash;
}

// The last 0..31 bytes, then the avalanche that spreads every input bit over the result.
uint64_t finish(uint64_t hash, const unsigned char* p, std::size_t n) {
    for (; n >= 8; p += 8, n -= 8) {
        hash ^= round(0, read64(p));
        hash = std::rotl(hash, 27) * kPrime1 + kPrime4;
    }
    if (n >= 4) {
        hash ^= read32(p) * kPrime1;
        hash = std::rotl(hash, 23) * kPrime2 + kPrime3;
        p += 4;
        n -= 4;
    }
    for (; n > 0; ++p, --n) {
        hash ^= *p * kPrime5;
        hash = std::rotl(hash, 11) * kPrime1;
    }
    hash ^= hash >> 33;
    hash *= kPrime2;
    hash ^= hash >> 29;
    hash *= kPrime3;
    hash ^= hash >> 32;
    return hash;
}

}  // namespace

uint64_t xxh64(const void* data, std::size_t n, uint64_t seed) {
    const auto* p = static_cast<const unsigned char*>(data);
    uint64_t hash;
    std::size_t rest = n;
    if (n >= 32) {
        auto lanes = initialLanes(seed);
        for (; rest >= 32; p += 32, rest -= 32) consumeStripe(lanes, p);
        hash = convergeLanes(lanes);
    } else {
        hash = seed + kPrime5;
    }
    return finish(hash + n, p, rest);
}

std::string hashHex(uint64_t hash) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex(16, '0');
    for (int i = 15; i >= 0; --i, hash >>= 4) hex[i] = kDigits[hash & 0xF];
    return hex;
}

std::string contentHash(const void* data, std::size_t n) {
    return hashHex(xxh64(data, n));
}

ContentHasher::ContentHasher(uint64_t seed) : lanes_(initialLanes(seed)), seed_(seed) {}

void ContentHasher::update(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    total_ += n;
    if (buffered_ > 0) {
        std::size_t take = std::min(n, stripe_.size() - buffered_);
        std::memcpy(stripe_.data() + buffered_, p, take);
        buffered_ += take;
        p += take;
        n -= take;
        if (buffered_ < stripe_.size()) return;
        consumeStripe(lanes_, stripe_.data());
        buffered_ = 0;
    }
    for (; n >= 32; p += 32, n -= 32) consumeStripe(lanes_, p);
    std::memcpy(stripe_.data(), p, n);
    buffered_ = n;
}

uint64_t ContentHasher::digest() const {
    uint64_t hash = total_ >= 32 ? convergeLanes(lanes_) : seed_ + kPrime5;
    return finish(hash + total_, stripe_.data(), buffered_);
}

bool hashFile(const std::filesystem::path& file, std::string& hash, std::string& error) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        error = std::strerror(errno);
        return false;
    }
    ContentHasher hasher;
    std::vector<char> chunk(1 << 16);
    while (in) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        hasher.update(chunk.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) {
        error = "read error";
        return false;
    }
    hash = hasher.hex();
    return true;
}

}  // namespace xdml::planformat
