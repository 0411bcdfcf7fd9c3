// test_rehearsal.cpp — the rehearsal buffer: what each selection policy keeps (and that it is
// unbiased), sampling without replacement, the spill file, concurrent offers and draws.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <set>
#include <system_error>
#include <thread>
#include <vector>

#include "TempDir.h"
#include "runtime/io/DataError.h"
#include "runtime/streams/RehearsalBuffer.h"

using namespace xdml;
using runtime::RehearsalBuffer;
using runtime::RehearsalConfig;
using runtime::Selection;

namespace {

/// Every feature of an item encodes its entity, so any row can be checked against its entity.
float featureOf(int64_t entity, std::size_t f) {
    return static_cast<float>(entity * 16 + static_cast<int64_t>(f));
}

RehearsalConfig configOf(int64_t capacity, Selection select, uint64_t seed = 1) {
    RehearsalConfig c;
    c.stream = "s";
    c.capacity = capacity;
    c.select = select;
    c.seed = seed;
    return c;
}

/// Offers entities [from, to) in one call, label given by `labelOf` (default: entity % 7).
void offerRange(
    RehearsalBuffer& b, int64_t from, int64_t to,
    const std::function<int64_t(int64_t)>& labelOf = [](int64_t e) { return e % 7; }) {
    std::vector<float> rows;
    std::vector<int64_t> labels, entities, seqs;
    for (int64_t e = from; e < to; ++e) {
        for (std::size_t f = 0; f < b.rowFloats(); ++f) rows.push_back(featureOf(e, f));
        labels.push_back(labelOf(e));
        entities.push_back(e);
        seqs.push_back(e);
    }
    b.offer(rows.data(), labels.data(), entities.data(), seqs.data(), entities.size());
}

std::vector<int64_t> sorted(std::vector<int64_t> v) {
    std::sort(v.begin(), v.end());
    return v;
}

std::vector<int64_t> iota(int64_t from, int64_t to) {
    std::vector<int64_t> v(static_cast<std::size_t>(to - from));
    std::iota(v.begin(), v.end(), from);
    return v;
}

/// Pearson's chi-square of observed counts against one expected count per cell.
double chiSquare(const std::vector<double>& observed, double expected) {
    double sum = 0;
    for (double o : observed) sum += (o - expected) * (o - expected) / expected;
    return sum;
}

std::map<int64_t, std::size_t> countsOf(const RehearsalBuffer& b) {
    std::map<int64_t, std::size_t> m;
    for (auto [label, n] : b.classCounts()) m[label] = n;
    return m;
}

}  // namespace

TEST_CASE("reservoir: the first capacity items fill the slots in order", "[rehearsal]") {
    RehearsalBuffer b(configOf(10, Selection::Reservoir), 4);
    CHECK(b.snapshot().id == 0);
    CHECK(b.snapshot().size == 0);
    offerRange(b, 0, 10);
    const auto snap = b.snapshot();
    CHECK(snap.entities == iota(0, 10));
    CHECK(snap.id == 10);
    CHECK(snap.bytes == 10 * 4 * sizeof(float));
    CHECK(b.stats().admitted == 10);
    CHECK(b.stats().evicted == 0);
    CHECK(b.inMemorySlots() == 10);
    CHECK(b.spilledItems() == 0);
}

TEST_CASE("reservoir: every offered item is kept with probability capacity/n", "[rehearsal]") {
    // 10,000 offers into 100 slots, 300 seeds; items grouped by arrival into 20 buckets of 500.
    // Keeping the first items, always replacing one slot, or favouring late items all fail this.
    const int kSeeds = 300, kBuckets = 20;
    std::vector<double> perBucket(kBuckets, 0.0);
    for (int seed = 0; seed < kSeeds; ++seed) {
        RehearsalBuffer b(configOf(100, Selection::Reservoir, static_cast<uint64_t>(seed)), 1);
        offerRange(b, 0, 10000);
        for (int64_t e : b.snapshot().entities) perBucket[static_cast<std::size_t>(e / 500)] += 1;
    }
    const double expected = kSeeds * 100.0 / kBuckets;
    CHECK(std::accumulate(perBucket.begin(), perBucket.end(), 0.0) == kSeeds * 100.0);
    CHECK(chiSquare(perBucket, expected) < 43.8);  // chi-square, 19 degrees of freedom, p = 0.001

    // Exactly 1/3 each for 3 items into 1 slot: an off-by-one in j (uniform in [0, t) instead of
    // [0, t]) would always replace the first item, which the buckets above cannot see.
    std::vector<double> single(3, 0.0);
    for (uint64_t seed = 0; seed < 3000; ++seed) {
        RehearsalBuffer b(configOf(1, Selection::Reservoir, seed), 1);
        offerRange(b, 0, 3);
        single[static_cast<std::size_t>(b.snapshot().entities.at(0))] += 1;
    }
    CHECK(chiSquare(single, 1000.0) < 13.8);  // 2 degrees of freedom, p = 0.001
}

TEST_CASE("reservoir: the same seed keeps the same items on every machine, another seed others",
          "[rehearsal]") {
    auto keep = [](uint64_t seed) {
        RehearsalBuffer b(configOf(8, Selection::Reservoir, seed), 2);
        offerRange(b, 0, 500);
        return b.snapshot();
    };
    CHECK(keep(42).entities == keep(42).entities);
    CHECK(keep(42).id == keep(42).id);
    CHECK(keep(42).entities != keep(43).entities);
    // Pinned: a change of generator or of the uniform-integer code changes trained models.
    CHECK(keep(42).entities == std::vector<int64_t>{23, 392, 186, 391, 340, 308, 388, 267});
}

TEST_CASE("balanced: classes offered one after another end with equal shares", "[rehearsal]") {
    SECTION("5 classes, capacity 100") {
        RehearsalBuffer b(configOf(100, Selection::Balanced), 2);
        offerRange(b, 0, 5000, [](int64_t e) { return e / 1000; });
        const auto counts = countsOf(b);
        REQUIRE(counts.size() == 5);
        for (auto [label, n] : counts) CHECK((n >= 19 && n <= 21));
        CHECK(b.size() == 100);
    }
    SECTION("3 classes, capacity 10: the remainder goes to one class") {
        RehearsalBuffer b(configOf(10, Selection::Balanced), 2);
        offerRange(b, 0, 300, [](int64_t e) { return e / 100; });
        // Class 2 takes 3 slots from the largest class, ties to the smallest label: 0, 1, 0.
        CHECK(countsOf(b) == std::map<int64_t, std::size_t>{{0, 3}, {1, 4}, {2, 3}});
    }
    SECTION("unequal classes: 4,000 of class 0, then 250 of each other class") {
        RehearsalBuffer b(configOf(100, Selection::Balanced), 2);
        offerRange(b, 0, 5000, [](int64_t e) { return e < 4000 ? 0 : 1 + (e - 4000) / 250; });
        for (auto [label, n] : countsOf(b)) CHECK((n >= 19 && n <= 21));
    }
}

TEST_CASE("balanced: a stream of 90% class 0 still ends balanced", "[rehearsal]") {
    RehearsalBuffer b(configOf(100, Selection::Balanced), 2);
    uint64_t x = 7;
    offerRange(b, 0, 10000, [&x](int64_t) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        const uint64_t r = (x >> 33) % 40;  // 36 of 40 to class 0, one each to classes 1..4
        return r < 36 ? int64_t{0} : static_cast<int64_t>(r - 35);
    });
    const auto counts = countsOf(b);
    REQUIRE(counts.size() == 5);
    for (auto [label, n] : counts) CHECK((n >= 19 && n <= 21));
}

TEST_CASE("balanced: the items kept of a class are a uniform sample of that class", "[rehearsal]") {
    // Class 0 is entities 0..999; a policy that admits only up to the quota keeps the earliest.
    std::size_t late = 0, kept = 0;
    for (uint64_t seed = 0; seed < 50; ++seed) {
        RehearsalBuffer b(configOf(100, Selection::Balanced, seed), 1);
        offerRange(b, 0, 5000, [](int64_t e) { return e / 1000; });
        for (int64_t e : b.snapshot().entities)
            if (e < 1000) {
                ++kept;
                late += e >= 500 ? 1 : 0;
            }
    }
    REQUIRE(kept > 900);
    const double share = static_cast<double>(late) / static_cast<double>(kept);
    CHECK(share > 0.42);
    CHECK(share < 0.58);
}

TEST_CASE("recent: keeps exactly the last capacity items", "[rehearsal]") {
    RehearsalBuffer b(configOf(10, Selection::Recent), 3);
    offerRange(b, 0, 7);
    CHECK(sorted(b.snapshot().entities) == iota(0, 7));
    offerRange(b, 7, 18);
    CHECK(sorted(b.snapshot().entities) == iota(8, 18));
    offerRange(b, 18, 25);
    CHECK(sorted(b.snapshot().entities) == iota(15, 25));
    CHECK(b.stats().evicted == 15);
    std::size_t total = 0;
    for (auto [label, n] : b.classCounts()) total += n;
    CHECK(total == 10);
}

TEST_CASE("draw: distinct stored items whose rows, labels and entities match", "[rehearsal]") {
    RehearsalBuffer b(configOf(100, Selection::Reservoir), 4);
    offerRange(b, 0, 300);
    const auto stored = b.snapshot().entities;
    const std::set<int64_t> storedSet(stored.begin(), stored.end());
    std::vector<float> rows(50 * 4);
    std::vector<int64_t> labels(50), entities(50);
    REQUIRE(b.draw(50, 9, rows.data(), labels.data(), entities.data()) == 50);
    CHECK(std::set<int64_t>(entities.begin(), entities.end()).size() == 50);
    for (std::size_t i = 0; i < 50; ++i) {
        CHECK(storedSet.count(entities[i]) == 1);
        CHECK(labels[i] == entities[i] % 7);
        for (std::size_t f = 0; f < 4; ++f) CHECK(rows[i * 4 + f] == featureOf(entities[i], f));
    }
    std::vector<float> again(50 * 4);
    CHECK(b.draw(50, 9, again.data(), nullptr, nullptr) == 50);  // labels and entities are optional
    CHECK(again == rows);
    CHECK(b.stats().drawn == 100);
}

TEST_CASE("draw: more than the size returns every stored item once", "[rehearsal]") {
    RehearsalBuffer b(configOf(10, Selection::Balanced), 2);
    std::vector<float> rows(20 * 2);
    std::vector<int64_t> entities(20);
    CHECK(b.draw(20, 1, rows.data(), nullptr, entities.data()) == 0);
    offerRange(b, 0, 7);
    REQUIRE(b.draw(20, 1, rows.data(), nullptr, entities.data()) == 7);
    CHECK(sorted({entities.begin(), entities.begin() + 7}) == iota(0, 7));
}

TEST_CASE("draw: the same seed draws the same items, another seed others", "[rehearsal]") {
    RehearsalBuffer b(configOf(200, Selection::Recent), 1);
    offerRange(b, 0, 1000);
    auto drawOf = [&](uint64_t seed) {
        std::vector<float> rows(16);
        std::vector<int64_t> entities(16);
        b.draw(16, seed, rows.data(), nullptr, entities.data());
        return entities;
    };
    CHECK(drawOf(5) == drawOf(5));
    CHECK(drawOf(5) != drawOf(6));
}

TEST_CASE("draw: uniform over the stored items and over the positions in a draw", "[rehearsal]") {
    RehearsalBuffer b(configOf(50, Selection::Reservoir), 1);
    offerRange(b, 0, 50);
    const int kDraws = 20000;
    std::vector<double> member(50, 0.0), first(50, 0.0);
    std::vector<float> rows(5);
    std::vector<int64_t> entities(5);
    for (int d = 0; d < kDraws; ++d) {
        REQUIRE(b.draw(5, static_cast<uint64_t>(d), rows.data(), nullptr, entities.data()) == 5);
        for (int64_t e : entities) member[static_cast<std::size_t>(e)] += 1;
        first[static_cast<std::size_t>(entities[0])] += 1;
    }
    CHECK(chiSquare(member, kDraws * 5 / 50.0) < 85.4);  // 49 degrees of freedom, p = 0.001
    CHECK(chiSquare(first, kDraws / 50.0) < 85.4);       // the order within a draw is random too
}

TEST_CASE("spill: rows read back from the spill file are bit-identical", "[rehearsal]") {
    test::TempDir tmp("xdml_rehearsal");
    const std::size_t kFloats = 16, kRowBytes = kFloats * sizeof(float);
    auto config = configOf(40, Selection::Reservoir, 3);
    config.memoryBytes = 20 * kRowBytes + 10;  // floor: 20 slots in memory, 20 spilled
    config.spillDir = tmp / "spill/nested";
    const auto file = config.spillDir / "s.rehearsal";
    std::map<int64_t, std::vector<float>> offered;
    uint64_t bits = 11;
    auto offerRandom = [&](RehearsalBuffer& b, int64_t from, int64_t to) {
        std::vector<float> rows;
        std::vector<int64_t> labels, entities;
        for (int64_t e = from; e < to; ++e) {
            std::vector<float> row(kFloats);
            for (float& v : row) {  // arbitrary bit patterns: NaNs and denormals must survive too
                bits = bits * 6364136223846793005ull + 1442695040888963407ull;
                const auto word = static_cast<uint32_t>(bits >> 32);
                std::memcpy(&v, &word, sizeof v);
            }
            rows.insert(rows.end(), row.begin(), row.end());
            offered[e] = row;
            labels.push_back(e % 3);
            entities.push_back(e);
        }
        b.offer(rows.data(), labels.data(), entities.data(), entities.data(), entities.size());
    };
    {
        RehearsalBuffer b(config, kFloats);
        CHECK(b.inMemorySlots() == 20);
        offerRandom(b, 0, 20);
        CHECK_FALSE(std::filesystem::exists(config.spillDir));  // created on the first spill only
        offerRandom(b, 20, 40);
        CHECK(b.spilledItems() == 20);
        CHECK(b.spillPath() == file);
        CHECK(std::filesystem::is_regular_file(file));
        offerRandom(b, 40, 400);  // replacements, into memory and into the file
        std::vector<float> rows(40 * kFloats);
        std::vector<int64_t> entities(40);
        REQUIRE(b.draw(40, 1, rows.data(), nullptr, entities.data()) == 40);
        for (std::size_t i = 0; i < 40; ++i)
            CHECK(std::memcmp(&rows[i * kFloats], offered.at(entities[i]).data(), kRowBytes) == 0);
        CHECK(b.stats().spilledReads == 20);
        CHECK(b.stats().spilledWrites >= 20);
    }
    CHECK_FALSE(std::filesystem::exists(file));  // removed with the buffer
}

TEST_CASE("spill: an unwritable spill folder is a DataError and the buffer stays usable", "[rehearsal]") {
    test::TempDir tmp("xdml_rehearsal");
    std::ofstream(tmp / "plain") << "a file, not a folder";
    auto config = configOf(10, Selection::Reservoir);
    config.memoryBytes = 5 * 2 * sizeof(float);
    config.spillDir = tmp / "plain/spill";
    RehearsalBuffer b(config, 2);
    offerRange(b, 0, 5);
    const auto before = b.snapshot();
    for (int attempt = 0; attempt < 2; ++attempt) {
        try {
            offerRange(b, 5, 8);
            FAIL("offering past the memory budget must fail");
        } catch (const runtime::DataError& e) {
            const std::string message = e.what();
            CHECK_THAT(message, Catch::Contains((tmp / "plain/spill/s.rehearsal").string()));
            CHECK_THAT(message, Catch::Contains(std::error_code(ENOTDIR, std::generic_category()).message()));
        }
        CHECK(b.size() == 5);
        CHECK(b.snapshot().entities == before.entities);
        CHECK(b.snapshot().id == before.id);
        std::vector<float> rows(10 * 2);
        std::vector<int64_t> entities(10);
        REQUIRE(b.draw(10, 2, rows.data(), nullptr, entities.data()) == 5);
        for (std::size_t i = 0; i < 5; ++i) CHECK(rows[i * 2 + 1] == featureOf(entities[i], 1));
    }
    CHECK(b.stats().offered == 7);  // per attempt: item 5 failed, 6 and 7 were never offered
    CHECK(b.stats().admitted == 5);
}

TEST_CASE("concurrency: offers and two drawing threads at once", "[rehearsal]") {
    const Selection select = GENERATE(Selection::Reservoir, Selection::Balanced, Selection::Recent);
    test::TempDir tmp("xdml_rehearsal");
    const std::size_t kFloats = 8;
    auto config = configOf(300, select);
    config.memoryBytes = 150 * kFloats * sizeof(float);  // half the slots spilled: concurrent preads
    config.spillDir = tmp.path();
    RehearsalBuffer b(config, kFloats);

    std::atomic<bool> done{false};
    std::atomic<uint64_t> bad{0}, draws{0};
    auto drawer = [&](uint64_t salt) {
        std::vector<float> rows(32 * kFloats);
        std::vector<int64_t> labels(32), entities(32);
        uint64_t seed = salt;
        do {
            const std::size_t n = b.draw(32, seed += 2, rows.data(), labels.data(), entities.data());
            for (std::size_t i = 0; i < n; ++i) {
                bool ok = labels[i] == entities[i] % 7;
                for (std::size_t f = 0; f < kFloats; ++f)
                    ok = ok && rows[i * kFloats + f] == featureOf(entities[i], f);
                if (!ok) ++bad;
            }
            ++draws;
        } while (!done.load());
    };
    std::thread a(drawer, 0), c(drawer, 1);
    for (int64_t e = 0; e < 20000;) {
        const int64_t batch = std::min<int64_t>(1 + e % 50, 20000 - e);
        offerRange(b, e, e + batch);
        e += batch;
    }
    done = true;
    a.join();
    c.join();
    CHECK(bad.load() == 0);
    CHECK(draws.load() >= 2);
    CHECK(b.size() == 300);
    CHECK(b.stats().offered == 20000);
}

TEST_CASE("the constructor rejects impossible configurations", "[rehearsal]") {
    using Catch::Contains;
    CHECK_THROWS_WITH(RehearsalBuffer(configOf(0, Selection::Reservoir), 4),
                      Contains("capacity must be at least 1"));
    CHECK_THROWS_AS(RehearsalBuffer(configOf(-3, Selection::Recent), 4), std::invalid_argument);
    CHECK_THROWS_WITH(RehearsalBuffer(configOf(10, Selection::Balanced), 0),
                      Contains("at least one feature"));
    auto limited = configOf(10, Selection::Reservoir);
    limited.memoryBytes = 1024;
    CHECK_THROWS_WITH(RehearsalBuffer(limited, 4), Contains("spill folder is required"));
    limited.spillDir = "/tmp/somewhere";
    CHECK_NOTHROW(RehearsalBuffer(limited, 4));
}

TEST_CASE("selection words", "[rehearsal]") {
    CHECK(runtime::parseSelection("reservoir") == Selection::Reservoir);
    CHECK(runtime::parseSelection("balanced") == Selection::Balanced);
    CHECK(runtime::parseSelection("recent") == Selection::Recent);
    CHECK_THROWS_WITH(runtime::parseSelection("newest"), Catch::Contains("'newest'"));
    CHECK(std::string(runtime::selectionName(Selection::Balanced)) == "balanced");
}

TEST_CASE("stats: offers, draws and the time spent in them", "[rehearsal]") {
    RehearsalBuffer b(configOf(20, Selection::Reservoir), 2);
    offerRange(b, 0, 100);
    std::vector<float> rows(8 * 2);
    b.draw(8, 3, rows.data(), nullptr, nullptr);
    const auto s = b.stats();
    CHECK(s.offered == 100);
    CHECK(s.admitted == 20 + s.evicted);
    CHECK(b.snapshot().id == s.admitted);
    CHECK(s.drawn == 8);
    CHECK(s.offerNanos > 0);
    CHECK(s.drawNanos > 0);
    CHECK(s.spilledReads == 0);
    CHECK(s.spilledWrites == 0);
}
