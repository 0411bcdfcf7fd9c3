// Digest.h — order-independent summaries of a run's entities and decisions, so two runs compare in
// milliseconds however large they are (`xdmlc prov diff`, `xdmlc replay`). Entities are grouped
// by (kind, label) — a stream's items, a catalog's records, a model's versions — and each
// group is cut, in the order its entities were captured, into buckets of kBucketEntities. A
// bucket's digest is its count and two sums over its members' content hashes: equal digests
// mean equal multisets of contents (up to a 2^-64-ish accident), whatever their order, and a
// bucket that differs is fetched by its id range alone. Decisions are digested the same way,
// as the group ("decision", their kind). The writer keeps them per group commit
// (GroupWriter); a run recorded before schema 2 has them computed from its rows on demand.
#pragma once

#include "runtime/numerics/SplitMix.h"
#include "runtime/provenance/ContentHash.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace xdml::runtime::prov {

inline constexpr int64_t kBucketEntities = 256;

/// An entity's content hash as a number: 16 hex digits (ContentHash.h); 0 when it has none.
/// By table: the writer decodes two hashes a task, and a branch per digit mispredicts on
/// random digits (2% of the writer's time).
inline uint64_t hashValue(std::string_view hex) {
    static constexpr auto kDigit = [] {
        std::array<int8_t, 256> t{};
        t.fill(-1);
        for (int c = 0; c < 10; ++c) t['0' + c] = static_cast<int8_t>(c);
        for (int c = 0; c < 6; ++c) t['a' + c] = t['A' + c] = static_cast<int8_t>(10 + c);
        return t;
    }();
    uint64_t v = 0;
    int bad = 0;
    for (char c : hex) {
        const int d = kDigit[static_cast<unsigned char>(c)];
        bad |= d;
        v = v << 4 | static_cast<uint64_t>(d & 15);
    }
    return bad < 0 ? 0 : v;
}

/// A decision's content for comparison between runs: its kind, choice and reason, which name
/// items by stream and position ("item 17 of frames"), never by the run's own ids.
inline uint64_t decisionSignature(std::string_view kind, std::string_view choice, std::string_view reason) {
    std::string text;
    text.reserve(kind.size() + choice.size() + reason.size() + 2);
    text.append(kind).push_back('\0');
    text.append(choice).push_back('\0');
    text.append(reason);
    return xxh64(text.data(), text.size());
}

struct BucketDigest {
    int64_t count = 0;
    uint64_t sum = 0;  // sum of the hashes, modulo 2^64
    uint64_t mix = 0;  // sum of splitmix64(hash): a second, independent sum
    int64_t first = 0, last = 0;  // the smallest and largest entity id in the bucket

    void add(uint64_t hash, int64_t id) {
        if (count == 0 || id < first) first = id;
        if (count == 0 || id > last) last = id;
        ++count;
        sum += hash;
        mix += splitmix64(hash);
    }
    void merge(const BucketDigest& o) {
        if (o.count == 0) return;
        if (count == 0 || o.first < first) first = o.first;
        if (count == 0 || o.last > last) last = o.last;
        count += o.count;
        sum += o.sum;
        mix += o.mix;
    }
    bool sameContent(const BucketDigest& o) const { return count == o.count && sum == o.sum && mix == o.mix; }
};

}  // namespace xdml::runtime::prov
