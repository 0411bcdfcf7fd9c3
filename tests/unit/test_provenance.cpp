// test_provenance.cpp — the provenance store in normal use: the schema it creates, records
// read back as written, ids, flush, activity ends, backpressure, and its speed (printed).
#include "runtime/provenance/Kinds.h"
#include "runtime/provenance/Schema.h"
#include "runtime/provenance/Store.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "ProvenanceTestSupport.h"

using namespace xdml::runtime::prov;
using xdml::test::Reader;
using xdml::test::TempDir;

namespace {
RunInfo runOf(const std::string& flow) {
    RunInfo info;
    info.flow = flow;
    info.scriptPath = "examples/" + flow + ".xdml";
    info.scriptHash = "0123456789abcdef";
    info.arguments = "--rate 10";
    info.seed = 42;
    info.planJson = R"({"version": 1})";
    return info;
}

// Two stream items at the edge, x and y: the arguments of the call tests.
std::pair<int64_t, int64_t> twoItems(Store& store) {
    return {store.entity({"item", "x", "int", "0000000000000001", "edge", "xs", "", 8, 1}),
            store.entity({"item", "y", "int", "0000000000000002", "edge", "ys", "", 8, 1})};
}
}  // namespace

TEST_CASE("a new store creates the schema in WAL mode", "[provenance]") {
    TempDir dir;
    { auto store = Store::open(dir / "prov.db"); }
    Reader db(dir / "prov.db");
    CHECK(db.text("PRAGMA journal_mode") == "wal");
    CHECK(db.number("PRAGMA user_version") == kSchemaVersion);
    CHECK(db.number("PRAGMA application_id") == kApplicationId);
    for (const char* table : {"runs", "entities", "activities", "used_explicit", "generated_explicit", "derivations",
                              "models", "decisions"})
        CHECK(db.number(std::string("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '") +
                        table + "'") == 1);
    // Readers see the links through views over the rows and the columns that hold one each.
    for (const char* view : {"used", "generated"})
        CHECK(db.number(std::string("SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = '") + view +
                        "'") == 1);
    CHECK(db.number("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'used_by_entity'") ==
          1);
    // Opening again finds the schema and changes nothing.
    { auto store = Store::open(dir / "prov.db"); }
    CHECK(db.number("PRAGMA user_version") == kSchemaVersion);
}

TEST_CASE("every kind of record reads back as it was captured", "[provenance]") {
    TempDir dir;
    int64_t run, input, output, task, model, why;
    {
        auto store = Store::open(dir / "prov.db");
        run = store->beginRun(runOf("sensors"));
        CHECK(store->runId() == run);
        input =
            store->entity({"item", "reading", "f64[16]", "00000000000000ff", "edge", "readings", "", 128, 7});
        task = store->startActivity({"handler", "smooth", "edge", R"({"deadline": "5ms"})", 2, 14});
        store->used(task, input, "in");
        output = store->entity({"file", "out", "file", "aaaaaaaaaaaaaaaa", "hub", "", "/data/out.csv", 4096});
        store->generated(output, task);
        store->derivedFrom(output, input, task);
        store->endActivity(task, "ok");
        model = store->modelVersion(
            {"detector", 3, -1, output, R"({"loss": 0.25})", "[[0, 99]]", "/models/3.pt"});
        why = store->decision(
            {"placement", subjectOfActivity(task), "edge", "lowest cost", R"({"edge": 1.5})", model});
        store->endRun("complete", R"({"items": 1})");
    }
    Reader db(dir / "prov.db");
    std::string r = std::to_string(run);
    CHECK(
        db.text("SELECT flow || '|' || script_path || '|' || script_hash || '|' || arguments || '|' || seed "
                "|| '|' || "
                "plan || '|' || status || '|' || counters FROM runs WHERE id = " +
                r) ==
        R"(sensors|examples/sensors.xdml|0123456789abcdef|--rate 10|42|{"version": 1}|complete|{"items": 1})");
    CHECK(db.number("SELECT ended >= started AND started > 1.6e9 FROM runs WHERE id = " + r) == 1);
    CHECK(db.number("SELECT pid FROM runs WHERE id = " + r) == getpid());
    CHECK(db.text("SELECT kind || '|' || label || '|' || type || '|' || hash || '|' || site || '|' || stream "
                  "|| '|' || "
                  "seq || '|' || bytes || '|' || valid || '|' || (path IS NULL) FROM entities WHERE id = " +
                  std::to_string(input)) == "item|reading|f64[16]|00000000000000ff|edge|readings|7|128|1|1");
    CHECK(db.text("SELECT path || '|' || (seq IS NULL) || '|' || run FROM entities WHERE id = " +
                  std::to_string(output)) == "/data/out.csv|1|" + r);
    CHECK(db.text("SELECT kind || '|' || name || '|' || handler || '|' || site || '|' || policy || '|' || "
                  "status || '|' || "
                  "line || '|' || (error IS NULL) || '|' || (ended >= started) FROM activities WHERE id = " +
                  std::to_string(task)) == R"(handler|smooth|2|edge|{"deadline": "5ms"}|ok|14|1|1)");
    CHECK(db.text("SELECT role FROM used WHERE activity = " + std::to_string(task) +
                  " AND entity = " + std::to_string(input)) == "in");
    CHECK(db.number("SELECT count(*) FROM generated WHERE entity = " + std::to_string(output)) == 1);
    CHECK(db.number("SELECT from_entity FROM derivations WHERE entity = " + std::to_string(output)) == input);
    CHECK(db.text("SELECT model || '|' || version || '|' || (parent IS NULL) || '|' || entity || '|' || "
                  "metrics || '|' || "
                  "items || '|' || snapshot FROM models WHERE id = " +
                  std::to_string(model)) ==
          R"(detector|3|1|)" + std::to_string(output) + R"(|{"loss": 0.25}|[[0, 99]]|/models/3.pt)");
    CHECK(
        db.text("SELECT kind || '|' || subject || '|' || choice || '|' || reason || '|' || inputs || '|' || "
                "model_version FROM decisions WHERE id = " +
                std::to_string(why)) == "placement|activity:" + std::to_string(task) +
                                            R"(|edge|lowest cost|{"edge": 1.5}|)" + std::to_string(model));
}

TEST_CASE("a call's start with its uses, and its end with its result, are the records one by one would be", "[provenance]") {
    TempDir dir;
    int64_t a, b, x, y, value, kept;
    {
        auto store = Store::open(dir / "prov.db");
        store->beginRun(runOf("calls"));
        std::tie(x, y) = twoItems(*store);
        const std::string left = "left", right = "right";
        a = store->startActivity({"task", "add", "edge", "{}", 1, 3}, {{x, left}, {-1, right}, {y, right}});
        value = store->endActivity(a, EntityRecord{"value", "add", "int", "0000000000000003", "edge", "", "", 8});
        std::vector<Store::Use> uses{{value, left}};
        b = store->startActivity({"task", "show", "edge", "{}", 1, 4}, uses);
        kept = store->entity({"value", "show", "int", "0000000000000004", "edge", "", "", 8});
        store->generated(kept, b);
        store->endActivity(b, "ok");
        store->endRun("complete", "{}");
        // Each record counted once: 2 items, 2 starts, 3 uses (the one of no entity is skipped),
        // 2 values, 2 generated, 2 ends.
        CHECK(store->counters().records == 13);
    }
    Reader db(dir / "prov.db");
    const std::string A = std::to_string(a), B = std::to_string(b);
    CHECK(db.text("SELECT group_concat(entity || ':' || role, ',') FROM (SELECT * FROM used WHERE activity = " + A +
                  " ORDER BY entity)") == std::to_string(x) + ":left," + std::to_string(y) + ":right");
    CHECK(db.number("SELECT activity FROM generated WHERE entity = " + std::to_string(value)) == a);
    CHECK(db.text("SELECT status || '|' || (ended >= started) FROM activities WHERE id = " + A) == "ok|1");
    CHECK(db.text("SELECT kind || '|' || label || '|' || hash FROM entities WHERE id = " + std::to_string(value)) ==
          "value|add|0000000000000003");
    CHECK(db.number("SELECT entity FROM used WHERE activity = " + B) == value);
    CHECK(db.text("SELECT status FROM activities WHERE id = " + B) == "ok");
}

TEST_CASE("a link that is one per row is kept in the row, the others in rows of their own, each once", "[provenance]") {
    TempDir dir;
    int64_t x, y, a, b, made, other;
    {
        auto store = Store::open(dir / "prov.db");
        store->beginRun(runOf("links"));
        std::tie(x, y) = twoItems(*store);
        const std::string left = "left", right = "right";
        a = store->startActivity({"task", "add", "edge", "{}", 1, 3}, {{x, left}, {y, right}, {x, left}});
        b = store->startActivity({"handler", "on", "edge"});
        store->used(b, -1, "parent");  // a link to no entity stays a row of its own, as before
        store->used(b, y, "item");     // the same group: becomes b's column
        store->used(b, y, "item");  // the same fact again
        made = store->entity({"value", "add", "int", "0000000000000003", "edge", "", "", 8});
        store->generated(made, a);
        store->generated(made, a);
        store->flush();
        // Later groups: the activity's and the entity's rows are committed already.
        store->used(b, y, "item");  // held by b's column: not stored again
        store->used(b, x, "extra");
        store->generated(made, a);  // held by the entity's column
        other = store->startActivity({"task", "copy", "edge"});
        store->generated(made, other);  // a second maker
        store->endRun("complete", "{}");
    }
    Reader db(dir / "prov.db");
    const std::string A = std::to_string(a), B = std::to_string(b), X = std::to_string(x), Y = std::to_string(y);
    // Where each link went.
    CHECK(db.text("SELECT input || ':' || input_role FROM activities WHERE id = " + A) == X + ":left");
    CHECK(db.text("SELECT input || ':' || input_role FROM activities WHERE id = " + B) == Y + ":item");
    CHECK(db.number("SELECT generated_by FROM entities WHERE id = " + std::to_string(made)) == a);
    CHECK(db.number("SELECT count(*) FROM used_explicit") == 3);       // a's right, b's parent and extra
    CHECK(db.number("SELECT count(*) FROM generated_explicit") == 1);  // the second maker
    // What readers see: every link once, by either end.
    CHECK(db.text("SELECT group_concat(entity || ':' || role, ',') FROM (SELECT * FROM used WHERE activity = " + A +
                  " ORDER BY entity)") == X + ":left," + Y + ":right");
    CHECK(db.text("SELECT group_concat(entity || ':' || role, ',') FROM (SELECT * FROM used WHERE activity = " + B +
                  " ORDER BY entity)") == "-1:parent," + X + ":extra," + Y + ":item");
    CHECK(db.text("SELECT group_concat(activity || ':' || role, ',') FROM (SELECT * FROM used WHERE entity = " + Y +
                  " ORDER BY activity)") == A + ":right," + B + ":item");
    CHECK(db.text("SELECT group_concat(activity, ',') FROM (SELECT * FROM generated WHERE entity = " +
                  std::to_string(made) + " ORDER BY activity)") == A + "," + std::to_string(other));
    CHECK(db.number("SELECT entity FROM generated WHERE activity = " + A) == made);
    CHECK(db.number("SELECT count(*) FROM used") == 5);
    CHECK(db.number("SELECT count(*) FROM generated") == 2);
}

TEST_CASE("a schema-5 database is upgraded: its links keep their rows and read as before", "[provenance]") {
    TempDir dir;
    int64_t item, firing;
    {
        auto store = Store::open(dir / "prov.db");
        store->beginRun(runOf("old"));
        item = store->entity({"item", "x", "int", "0000000000000001", "edge", "xs", "", 8, 1});
        firing = store->startActivity({"handler", "on", "edge"});
        store->endRun("complete", "{}");
    }
    {
        // Turn it back into what schema 5 wrote: link tables named used and generated.
        xdml::runtime::sqlite::Connection old(dir / "prov.db", kConnectionPolicy);
        old.exec("DROP VIEW used; DROP VIEW generated; DROP INDEX activities_by_input; DROP INDEX entities_by_generator;"
                 "ALTER TABLE used_explicit RENAME TO used; ALTER TABLE generated_explicit RENAME TO generated;"
                 "ALTER TABLE activities DROP COLUMN input_role; ALTER TABLE activities DROP COLUMN input;"
                 "ALTER TABLE entities DROP COLUMN generated_by; PRAGMA user_version = 5;");
        old.exec("INSERT INTO used VALUES (" + std::to_string(firing) + ", " + std::to_string(item) + ", 'item')");
        old.exec("INSERT INTO generated VALUES (" + std::to_string(item) + ", " + std::to_string(firing) + ")");
    }
    { auto store = Store::open(dir / "prov.db"); }
    Reader db(dir / "prov.db");
    CHECK(db.number("PRAGMA user_version") == kSchemaVersion);
    CHECK(db.text("SELECT activity || ':' || role FROM used WHERE entity = " + std::to_string(item)) ==
          std::to_string(firing) + ":item");
    CHECK(db.number("SELECT entity FROM generated WHERE activity = " + std::to_string(firing)) == item);
    CHECK(db.number("SELECT count(*) FROM used_explicit") == 1);
    CHECK(db.number("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'activities_by_input'") == 1);
}

TEST_CASE("ids are unique across runs and across opens of the same database", "[provenance]") {
    TempDir dir;
    int64_t firstRun, secondRun, thirdRun, a, b, c, activityA, activityC;
    {
        auto store = Store::open(dir / "prov.db");
        firstRun = store->beginRun(runOf("one"));
        a = store->entity({"value", "x"});
        activityA = store->startActivity({"task", "t"});
        store->endRun("complete", "");
        secondRun = store->beginRun(runOf("two"));
        b = store->entity({"value", "y"});
        store->endRun("failed", "");
    }
    {
        auto store = Store::open(dir / "prov.db");
        thirdRun = store->beginRun(runOf("three"));
        c = store->entity({"value", "z"});
        activityC = store->startActivity({"task", "t"});
        store->endRun("complete", "");
    }
    CHECK(firstRun < secondRun);
    CHECK(secondRun < thirdRun);
    CHECK(a < b);
    CHECK(b < c);
    CHECK(activityA < activityC);
    Reader db(dir / "prov.db");
    CHECK(db.number("SELECT count(DISTINCT id) FROM entities") == 3);
    CHECK(db.number("SELECT run FROM entities WHERE id = " + std::to_string(b)) == secondRun);
    CHECK(db.text("SELECT group_concat(status, ',') FROM (SELECT status FROM runs ORDER BY id)") ==
          "complete,failed,complete");
}

TEST_CASE("flush makes everything captured visible to other connections", "[provenance]") {
    TempDir dir;
    CaptureSettings slow;
    slow.interval = std::chrono::seconds(30);  // no group commits by time: only flush commits
    auto store = Store::open(dir / "prov.db", slow);
    store->beginRun(runOf("flush"));
    for (int i = 0; i < 100; ++i) store->entity({"value", "v" + std::to_string(i)});
    Reader db(dir / "prov.db");
    CHECK(db.number("SELECT count(*) FROM entities") == 0);
    store->flush();
    CHECK(db.number("SELECT count(*) FROM entities") == 100);
    CHECK(store->counters().records == 100);
    CHECK(store->counters().groups == 1);
    store->endRun("complete", "");
}

TEST_CASE("a written file's group syncs its file system first, and a folder that is gone costs nothing", "[provenance]") {
    TempDir dir;
    auto store = Store::open(dir / "prov.db");
    store->beginRun(runOf("written"));
    // Two files in one folder and one in another on the same file system: one sync, one group.
    std::filesystem::create_directories(dir / "out");
    store->writtenFile({"file", "a.raw", "file", "aaaaaaaaaaaaaaaa", "local", "", (dir / "out" / "a.raw").string(), 4},
                       (dir / "out").string());
    store->writtenFile({"file", "b.raw", "file", "bbbbbbbbbbbbbbbb", "local", "", (dir / "out" / "b.raw").string(), 4},
                       (dir / "out").string());
    store->writtenFile({"file", "c.txt", "file", "cccccccccccccccc", "local", "", (dir / "c.txt").string(), 4}, dir.path().string());
    store->flush();
    Reader db(dir / "prov.db");
    CHECK(db.number("SELECT count(*) FROM entities WHERE kind = 'file'") == 3);
    // A folder removed since (by the flow itself, say): there is nothing to sync, and the
    // group, with every other record in it, commits.
    store->writtenFile({"file", "x", "file", "dddddddddddddddd", "local", "", "/nonexistent/x", 4}, "/nonexistent");
    store->entity({"value", "v"});
    store->flush();
    CHECK(db.number("SELECT count(*) FROM entities") == 5);
    store->endRun("complete", "");
}

TEST_CASE("an activity is committed when it starts and updated when it ends", "[provenance]") {
    TempDir dir;
    auto store = Store::open(dir / "prov.db");
    store->beginRun(runOf("activities"));
    int64_t longOne = store->startActivity({"training", "fit"});
    store->flush();
    Reader db(dir / "prov.db");
    std::string id = std::to_string(longOne);
    CHECK(db.text("SELECT status || '|' || (ended IS NULL) FROM activities WHERE id = " + id) == "running|1");
    store->endActivity(longOne, "failed", "out of memory");  // in a later group: an UPDATE
    int64_t shortOne = store->startActivity({"task", "quick"});
    store->endActivity(shortOne, "dropped");  // in the same group: inserted ended
    store->flush();
    CHECK(db.text("SELECT status || '|' || error || '|' || (ended >= started) FROM activities WHERE id = " +
                  id) == "failed|out of memory|1");
    CHECK(db.text("SELECT status || '|' || (ended >= started) FROM activities WHERE id = " +
                  std::to_string(shortOne)) == "dropped|1");
    store->endRun("complete", "");
}

TEST_CASE("capture outside a run and unknown statuses are refused at once", "[provenance]") {
    TempDir dir;
    auto store = Store::open(dir / "prov.db");
    CHECK_THROWS_AS(store->entity({"value", "x"}), ProvenanceError);
    store->beginRun(runOf("statuses"));
    CHECK_THROWS_AS(store->beginRun(runOf("again")), ProvenanceError);
    int64_t a = store->startActivity({"task", "t"});
    CHECK_THROWS_WITH(store->endActivity(a, "finished"),
                      Catch::Contains("'finished' is not a valid activity end status"));
    CHECK_THROWS_AS(store->endRun("done", ""), ProvenanceError);
    // An empty kind or role is stored as '' rather than failing the group it is in.
    store->entity({});
    store->used(a, 1, "");
    store->flush();
    store->endRun("complete", "");
    CHECK(store->runId() == 0);
    CHECK(store->counters().lost == 0);
}

TEST_CASE("a writer that falls behind makes capture wait, and loses nothing", "[provenance]") {
    TempDir dir;
    CaptureSettings tight;
    tight.maxPending = 64;
    tight.groupRecords = 32;
    auto store = Store::open(dir / "prov.db", tight);
    store->beginRun(runOf("backpressure"));
    for (int i = 0; i < 5000; ++i) store->entity({"value", "v"});
    store->endRun("complete", "");
    Reader db(dir / "prov.db");
    CHECK(db.number("SELECT count(*) FROM entities") == 5000);
    CHECK(store->counters().records == 5000);
    CHECK(store->counters().stalls > 0);
}

TEST_CASE("capture from many threads loses nothing and never repeats an id", "[provenance]") {
    TempDir dir;
    auto store = Store::open(dir / "prov.db");
    store->beginRun(runOf("threads"));
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t)
        workers.emplace_back([&store, t] {
            for (int i = 0; i < 2000; ++i) {
                int64_t e = store->entity({"value", "t" + std::to_string(t)});
                int64_t a = store->startActivity({"task", "work"});
                store->generated(e, a);
                store->endActivity(a, "ok");
            }
        });
    for (auto& w : workers) w.join();
    store->endRun("complete", "");
    Reader db(dir / "prov.db");
    CHECK(db.number("SELECT count(DISTINCT id) FROM entities") == 8000);
    CHECK(db.number("SELECT count(*) FROM activities WHERE status = 'ok'") == 8000);
    CHECK(db.number("SELECT count(*) FROM generated") == 8000);
    CHECK(store->counters().records == 32000);
}

TEST_CASE("throughput of capture and group commit (printed)", "[provenance]") {
    TempDir dir;
    auto store = Store::open(dir / "prov.db");
    store->beginRun(runOf("throughput"));
    // Twice: the first round also pays for the memory the batches and SQLite's cache first
    // touch; the second is the steady state of a long run.
    for (const char* round : {"first", "second"}) {
        const int items = 40000;  // five records each: 200k records
        using Clock = std::chrono::steady_clock;
        auto start = Clock::now();
        for (int i = 0; i < items; ++i) {
            int64_t item = store->entity(
                {"item", "reading", "f64[16]", "5f235fa033f1a3fb", "edge", "readings", "", 128, i});
            int64_t call = store->startActivity({"handler", "smooth", "edge", "", 0, 12});
            store->used(call, item, "in");
            store->generated(item, call);
            store->endActivity(call, "ok");
        }
        auto captured = Clock::now();
        store->flush();
        auto committed = Clock::now();
        const double records = 5.0 * items;
        double captureSeconds = std::chrono::duration<double>(captured - start).count();
        double totalSeconds = std::chrono::duration<double>(committed - start).count();
        std::printf("provenance, %s 200k records: capture %.3f us/call, %.0f records/s committed\n", round,
                    captureSeconds / records * 1e6, records / totalSeconds);
    }
    store->endRun("complete", "");
    CHECK(store->counters().records == 400000);
    CHECK(store->counters().lost == 0);
}
