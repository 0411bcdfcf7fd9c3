// test_query.cpp — the answers of query/ on small stores written through the capture API:
// digests kept by the writer equal those computed from the rows, run diffs match by content
// (not order, not ids) and report the changed member at its place, lineage walks with depth
// limits, names resolved, invalidation marks the forward closure.
#include "query/Invalidate.h"
#include "query/Lineage.h"
#include "query/ProvDb.h"
#include "query/RunDiff.h"
#include "query/Why.h"
#include "runtime/provenance/Digest.h"
#include "runtime/provenance/Store.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "ProvenanceTestSupport.h"

using namespace xdml;
using namespace xdml::runtime::prov;
using xdml::test::Reader;
using xdml::test::TempDir;

namespace {

/// One run: `n` frames, each used by a handler that makes a record derived from it; the
/// frames' contents are `contents[i]` (any order), so two runs can differ by order or by one.
int64_t recordRun(Store& store, const std::vector<std::string>& contents, std::vector<int64_t>* records = nullptr) {
    const int64_t run = store.beginRun({.flow = "qc", .scriptPath = "qc.xdml", .scriptHash = "00000000000000aa"});
    for (std::size_t i = 0; i < contents.size(); ++i) {
        EntityRecord item{"item", "frames", "Frame", contentHash(contents[i].data(), contents[i].size()), "edge", "frames"};
        item.seq = static_cast<int64_t>(i);
        const int64_t e = store.entity(item);
        const int64_t a = store.startActivity({"handler", "on new data of type Frame in frames", "edge"});
        store.used(a, e, "item");
        const std::string summary = "sum of " + contents[i];
        const int64_t r = store.entity({"record", "sums", "Summary", contentHash(summary.data(), summary.size())});
        store.generated(r, a);
        store.derivedFrom(r, e, a);
        store.endActivity(a, "ok");
        store.decision({"trigger", subjectOfActivity(a), "fire", "item " + std::to_string(i) + " of frames is a Frame"});
        if (records) records->push_back(r);
    }
    store.endRun("complete", "{}");
    return run;
}

std::vector<std::string> frames(int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back("frame " + std::to_string(i));
    return out;
}

const nlohmann::json* group(const nlohmann::json& diff, const std::string& name) {
    for (const nlohmann::json& g : diff["groups"])
        if (g["group"] == name) return &g;
    return nullptr;
}

}  // namespace

TEST_CASE("the writer's digests equal those computed from the rows", "[query]") {
    TempDir dir;
    {
        // Small groups and a tiny interval: buckets span several group commits.
        CaptureSettings settings;
        settings.groupRecords = 7;
        auto store = Store::open(dir / "provenance.db", settings);
        recordRun(*store, frames(2500));
    }
    Reader db(dir / "provenance.db");
    CHECK(db.number("SELECT count(*) FROM digests WHERE run = 1 AND kind = 'item'") == 10);  // 9 of 256, 1 of 196
    CHECK(db.number("SELECT sum(count) FROM digests WHERE run = 1 AND kind = 'item'") == 2500);
    CHECK(db.number("SELECT sum(count) FROM digests WHERE run = 1 AND kind = 'decision' AND label = 'trigger'") == 2500);
    // Recomputed from the rows (what a schema-1 run gets): the diff of the run with itself
    // through both paths finds nothing.
    auto q = query::ProvDb::open(dir.path());
    const nlohmann::json self = query::diffRuns(*q, 1, 1);
    CHECK(self["groups"].empty());
    uint64_t sum = 0;
    {
        Reader rows(dir / "provenance.db");
        for (int64_t id = 1; id <= 5 * 2500; ++id) {
            const std::string h = rows.text("SELECT COALESCE(hash, '') FROM entities WHERE id = " + std::to_string(id) +
                                            " AND kind = 'item' AND seq < 256");
            if (!h.empty()) sum += hashValue(h);
        }
    }
    CHECK(static_cast<uint64_t>(db.number("SELECT sum FROM digests WHERE run = 1 AND kind = 'item' AND bucket = 0")) == sum);
}

TEST_CASE("a content hash reads as its number, and anything but 16 hex digits as 0", "[query]") {
    CHECK(hashValue("00000000000000ff") == 0xffu);
    CHECK(hashValue("DeadBeef01234567") == 0xdeadbeef01234567u);
    CHECK(hashValue(contentHash("frame", 5)) != 0);
    CHECK(hashValue("") == 0);
    CHECK(hashValue("00000000000000fg") == 0);
    CHECK(hashValue("0000000000000 ff") == 0);
    CHECK(hashValue(std::string("00000000000000\0f", 16)) == 0);
}

TEST_CASE("digests stay exact when more groups interleave than the writer keeps at hand", "[query]") {
    // Entities of seven groups taken in turn (the writer looks up the last four it saw before
    // its map), in large group commits and in small ones that cut buckets across commits.
    for (std::size_t groupRecords : {std::size_t{8192}, std::size_t{45}}) {
        TempDir dir;
        const int kLabels = 7, kEach = 600;
        {
            CaptureSettings settings;
            settings.groupRecords = groupRecords;
            auto store = Store::open(dir / "provenance.db", settings);
            store->beginRun({.flow = "f", .scriptPath = "f.xdml", .scriptHash = "00000000000000aa"});
            for (int i = 0; i < kEach; ++i)
                for (int l = 0; l < kLabels; ++l) {
                    const std::string content = std::to_string(l) + "/" + std::to_string(i);
                    store->entity({"value", "v" + std::to_string(l), "int",
                                   contentHash(content.data(), content.size())});
                }
            store->endRun("complete", "{}");
        }
        Reader db(dir / "provenance.db");
        for (int l = 0; l < kLabels; ++l) {
            INFO("groups of " << groupRecords << " records");
            CHECK(db.number("SELECT count(*) FROM digests WHERE kind = 'value' AND label = 'v" +
                            std::to_string(l) + "'") == 3);
            CHECK(xdml::test::digestMismatch(db, "value", "v" + std::to_string(l)) == "");
        }
    }
}

TEST_CASE("a diff matches by content whatever the order, and names the one that changed", "[query]") {
    TempDir dir;
    std::vector<std::string> a = frames(3000), shuffled = a, changed = a;
    std::reverse(shuffled.begin(), shuffled.end());
    changed[2047] = "a different frame";
    {
        auto store = Store::open(dir / "provenance.db");
        recordRun(*store, a);
        recordRun(*store, shuffled);
        recordRun(*store, changed);
    }
    auto q = query::ProvDb::open(dir.path());
    // Reversed: every bucket differs, yet the group is the same multiset of frames; only the
    // triggers (which name positions) differ.
    const nlohmann::json reordered = query::diffRuns(*q, 1, 2);
    CHECK(group(reordered, "item frames") == nullptr);
    CHECK(group(reordered, "record sums") == nullptr);
    CHECK(reordered["identical"]["inputs"] == true);
    const nlohmann::json diff = query::diffRuns(*q, 1, 3);
    const nlohmann::json* items = group(diff, "item frames");
    REQUIRE(items != nullptr);
    CHECK((*items)["category"] == "input");
    CHECK((*items)["only_a_count"] == 1);
    CHECK((*items)["only_b_count"] == 1);
    CHECK((*items)["only_a"][0]["seq"] == 2047);
    CHECK((*items)["only_b"][0]["seq"] == 2047);
    const nlohmann::json* records = group(diff, "record sums");
    REQUIRE(records != nullptr);
    CHECK((*records)["category"] == "output");
    CHECK((*records)["only_a_count"] == 1);
    CHECK(diff["identical"]["decisions"] == true);
    CHECK(diff["identical"]["outputs"] == false);
}

TEST_CASE("a diff reads each run's Python code through an index, not every activity of the run", "[query]") {
    TempDir dir;
    { auto store = Store::open(dir / "provenance.db"); }
    Reader db(dir / "provenance.db");
    const std::string plan = db.plan(query::kPythonCodeOfRunSql);
    INFO(plan);
    CHECK(plan.find("INDEX activities_by_code") != std::string::npos);
    CHECK(plan.find("activities_by_run") == std::string::npos);
}

TEST_CASE("of equal items, the one at the same position is the counterpart", "[query]") {
    TempDir dir;
    std::vector<std::string> same(6, "the same frame"), changed = same;
    changed[4] = "another frame";
    {
        auto store = Store::open(dir / "provenance.db");
        recordRun(*store, same);
        recordRun(*store, changed);
    }
    auto q = query::ProvDb::open(dir.path());
    const nlohmann::json diff = query::diffRuns(*q, 1, 2);
    const nlohmann::json* items = group(diff, "item frames");
    REQUIRE(items != nullptr);
    CHECK((*items)["only_a"][0]["seq"] == 4);
}

TEST_CASE("lineage and impact walk the links, to a depth when asked", "[query]") {
    TempDir dir;
    int64_t source = 0, end = 0;
    {
        auto store = Store::open(dir / "provenance.db");
        store->beginRun({.flow = "chain"});
        source = store->entity({"item", "frames", "", "00000000000000a1", "", "frames"});
        int64_t previous = source;
        for (int step = 0; step < 10; ++step) {
            const int64_t a = store->startActivity({"task", "step" + std::to_string(step)});
            store->used(a, previous, "x");
            const int64_t v = store->entity({"value", "v" + std::to_string(step)});
            store->generated(v, a);
            store->endActivity(a, "ok");
            previous = v;
        }
        end = previous;
        store->endRun("complete", "{}");
    }
    auto q = query::ProvDb::open(dir.path());
    const nlohmann::json back = query::walk(*q, end, query::Direction::Backward);
    CHECK(back["entities"].size() == 11);
    CHECK(back["activities"].size() == 10);
    CHECK(back["ends"] == nlohmann::json::array({source}));
    CHECK(back["entities"].back()["depth"] == 10);
    const nlohmann::json three = query::walk(*q, end, query::Direction::Backward, {3, 1000});
    CHECK(three["entities"].size() == 4);
    const nlohmann::json forward = query::walk(*q, source, query::Direction::Forward);
    CHECK(forward["entities"].size() == 11);
    CHECK(forward["ends"] == nlohmann::json::array({end}));
    const nlohmann::json capped = query::walk(*q, source, query::Direction::Forward, {0, 5});
    CHECK(capped["truncated"] == true);
    CHECK(capped["entities"].size() + capped["activities"].size() <= 5);
}

TEST_CASE("names resolve to entities, and unknown names are refused with the reason", "[query]") {
    TempDir dir;
    std::vector<int64_t> records;
    {
        auto store = Store::open(dir / "provenance.db");
        recordRun(*store, frames(5), &records);
    }
    auto q = query::ProvDb::open(dir.path());
    CHECK(q->resolve("frames[3]", 1).id == q->resolve("entity:" + std::to_string(records[3] - 1), 1).id);  // item, record, item, ...
    CHECK(q->resolve("sums#2", 1).id == records[1]);
    CHECK(q->resolve("activity:1", 1, true).kind == query::Subject::Kind::Activity);
    CHECK_THROWS_WITH(q->resolve("activity:1", 1), Catch::Contains("an activity, where data is asked for"));
    CHECK_THROWS_WITH(q->resolve("frames[9]", 1), Catch::Contains("no item 9 in a stream frames"));
    CHECK_THROWS_WITH(q->resolve("nothing.npy", 1), Catch::Contains("nothing in run 1"));
    CHECK_THROWS_WITH(q->runOrLatest(4), Catch::Contains("there is no run 4"));
}

TEST_CASE("invalidation marks the forward closure once and says why", "[query]") {
    TempDir dir;
    std::vector<int64_t> records;
    {
        auto store = Store::open(dir / "provenance.db");
        recordRun(*store, frames(4), &records);
    }
    {
        auto q = query::ProvDb::open(dir.path(), query::ProvDb::Access::Write);
        const int64_t item = q->resolve("frames[1]", 1).id;
        const nlohmann::json done = query::invalidate(*q, item, "a hot pixel");
        CHECK(done["invalidated"] == 2);  // the item and its record
        CHECK(query::invalidate(*q, item, "")["already_invalid"] == 2);
        const nlohmann::json why = query::why(*q, {query::Subject::Kind::Entity, item});
        CHECK(why["decisions"][0]["reason"] == "a hot pixel");
    }
    Reader db(dir / "provenance.db");
    CHECK(db.number("SELECT count(*) FROM entities WHERE valid = 0") == 2);
    CHECK(db.number("SELECT valid FROM entities WHERE id = " + std::to_string(records[1])) == 0);
    CHECK(db.number("SELECT valid FROM entities WHERE id = " + std::to_string(records[2])) == 1);
    // A store opened later knows the bad content.
    auto store = Store::open(dir / "provenance.db");
    CHECK(store->invalidInputHashes().size() == 1);
}

TEST_CASE("a database held by a writer refuses invalidation, naming the holder", "[query]") {
    TempDir dir;
    auto store = Store::open(dir / "provenance.db");
    store->beginRun({.flow = "x"});
    store->endRun("complete", "{}");
    CHECK_THROWS_WITH(query::ProvDb::open(dir.path(), query::ProvDb::Access::Write), Catch::Contains("already open for writing by process"));
    CHECK_NOTHROW(query::ProvDb::open(dir.path()));
}
