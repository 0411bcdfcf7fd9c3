// test_record_recovery.cpp — catalog rows and their record entities across a kill: the row's
// origin committed with it (RowLineage.h), and the entities a killed run did not commit written
// by the next open (RecoveredRecords.h, RecordRecovery.h).
#include "runtime/catalog/CatalogStore.h"
#include "runtime/catalog/RowLineage.h"
#include "runtime/engine/RecordRecovery.h"
#include "runtime/provenance/Schema.h"
#include "runtime/provenance/Store.h"

#include <catch2/catch.hpp>

#include "ProvenanceTestSupport.h"

using namespace xdml::runtime;
using xdml::test::Reader;
using xdml::test::TempDir;
using K = TypeDesc::Kind;

namespace {

TypeDesc hitsType() {
    TypeDesc n, t;
    n.kind = K::Int;
    t.kind = K::Record;
    t.fields = {{"n", n}};
    return t;
}

Value hit(int64_t n) {
    std::vector<Field> fields;
    fields.push_back({"n", Value::integer(n)});
    return Value::record(RecordValue{std::move(fields)});
}

/// A killed run as the next open finds it: run 1 of `prov.db`, marked incomplete, with a source
/// entity and an activity committed, three rows in `hits.db` and only row 1's entity.
struct KilledRun {
    TempDir dir;
    int64_t source = 0, activity = 0;
    std::vector<prov::RecordOrigin> origins;

    KilledRun() {
        auto store = prov::Store::open(dir / "prov.db");
        store->beginRun({"main"});
        source = store->entity({"item", "frames"});
        activity = store->startActivity({"handler", "on frames"});
        auto hits = CatalogStore::open(dir / "hits.db", "hits", hitsType());
        for (int64_t n = 1; n <= 3; ++n) {
            prov::RecordOrigin o{store->absolutePath(), store->runId(), activity, source, "home", "00000000000000a" + std::to_string(n), 8, 0};
            if (n == 3) o.from = 999999;  // an id the run never committed
            o.row = hits->record(hit(n), &o);
            origins.push_back(o);
        }
        prov::EntityRecord first{"record", "hits"};
        first.hash = origins[0].hash;
        first.seq = origins[0].row;
        store->entity(first);
        store->endRun("incomplete", "");
    }
};

}  // namespace

TEST_CASE("a catalog row is committed with its origin, read back by run and database", "[recovery]") {
    KilledRun killed;
    const std::string prov = (killed.dir / "prov.db").string();
    auto read = catalog::unsettledOrigins(killed.dir / "hits.db", "hits", prov, {1});
    REQUIRE(read.size() == 3);
    CHECK(read[1].row == 2);
    CHECK(read[1].activity == killed.activity);
    CHECK(read[1].from == killed.source);
    CHECK(read[1].hash == "00000000000000a2");
    CHECK(catalog::unsettledOrigins(killed.dir / "hits.db", "hits", prov, {2}).empty());
    CHECK(catalog::unsettledOrigins(killed.dir / "hits.db", "hits", "/elsewhere/prov.db", {1}).empty());
    CHECK(catalog::unsettledOrigins(killed.dir / "missing.db", "hits", prov, {1}).empty());
}

TEST_CASE("the next open writes the record entities a killed run did not commit", "[recovery]") {
    KilledRun killed;
    auto store = prov::Store::open(killed.dir / "prov.db");
    REQUIRE(store->incompleteRuns() == std::vector<int64_t>{1});
    const std::map<std::string, std::filesystem::path> catalogs{{"hits", killed.dir / "hits.db"}};
    std::vector<std::string> notes = recoverRecordEntities(*store, catalogs);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].find("catalog hits: 2 rows") == 0);
    // A second open reads nothing: the rows are settled.
    CHECK(recoverRecordEntities(*store, catalogs).empty());
    CHECK(catalog::unsettledOrigins(killed.dir / "hits.db", "hits", store->absolutePath(), {1}).empty());
    // Recovery itself is idempotent, should a kill fall between its commit and the settling.
    CHECK(store->recoverRecords("hits", killed.origins) == 0);

    store->beginRun({"main"});
    const int64_t later = store->entity({"value", "x"});
    store->endRun("complete", "");
    store.reset();

    Reader db(killed.dir / "prov.db");
    CHECK(db.text("SELECT group_concat(seq) FROM (SELECT seq FROM entities WHERE run = 1 AND kind = 'record' ORDER BY seq)") == "1,2,3");
    CHECK(db.text("SELECT count(*) FROM entities") == "5");
    CHECK(later > std::stoll(db.text("SELECT MAX(id) FROM entities WHERE run = 1")));
    // Row 2 links to its committed source and activity; row 3's source was never committed.
    const std::string row2 = db.text("SELECT id FROM entities WHERE run = 1 AND kind = 'record' AND seq = 2");
    CHECK(db.text("SELECT from_entity || '/' || activity FROM derivations WHERE entity = " + row2) ==
          std::to_string(killed.source) + "/" + std::to_string(killed.activity));
    CHECK(db.text("SELECT activity FROM generated WHERE entity = " + row2) == std::to_string(killed.activity));
    const std::string row3 = db.text("SELECT id FROM entities WHERE run = 1 AND kind = 'record' AND seq = 3");
    CHECK(db.text("SELECT count(*) FROM derivations WHERE entity = " + row3) == "0");
    CHECK(db.text("SELECT activity FROM generated WHERE entity = " + row3) == std::to_string(killed.activity));
    // The group's digests count all three.
    CHECK(db.text("SELECT SUM(count) FROM digests WHERE run = 1 AND kind = 'record' AND label = 'hits'") == "3");
}

TEST_CASE("records are recovered only between runs", "[recovery]") {
    KilledRun killed;
    auto store = prov::Store::open(killed.dir / "prov.db");
    store->beginRun({"main"});
    CHECK_THROWS_AS(store->recoverRecords("hits", killed.origins), prov::ProvenanceError);
    store->endRun("complete", "");
}

TEST_CASE("a store leaves its database self-contained when it closes", "[recovery]") {
    TempDir dir;
    auto store = prov::Store::open(dir / "prov.db");
    Reader reader(dir / "prov.db");  // a reader still open, as replay's query of the original run is
    CHECK(reader.text("SELECT count(*) FROM runs") == "0");
    store->beginRun({"main"});
    store->entity({"value", "x"});
    store->endRun("complete", "");
    store.reset();
    std::filesystem::copy_file(dir / "prov.db", dir / "copy.db");
    Reader copy(dir / "copy.db");
    CHECK(copy.text("SELECT count(*) FROM entities") == "1");
}
