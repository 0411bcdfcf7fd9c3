// test_catalog.cpp — catalogs in SQLite: every field kind written and read back (through the
// store and through plain SQLite), appending across runs, schema mismatches, shared files and
// concurrent writers.
#include "TempDir.h"
#include "runtime/catalog/CatalogStore.h"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <thread>
#include <unistd.h>

using namespace xdml::runtime;
using K = TypeDesc::Kind;
namespace fs = std::filesystem;

namespace {

/// A fresh folder for one test, removed after it.
struct WorkDir : xdml::test::TempDir {
    WorkDir() : TempDir("xdml_catalog") {}
};

TypeDesc scalar(K k) {
    TypeDesc t;
    t.kind = k;
    return t;
}
TypeDesc quantity(QuantityKind q) {
    TypeDesc t = scalar(K::Quantity);
    t.quantity = q;
    return t;
}
TypeDesc tensor(ElemType e, std::vector<int64_t> dims) {
    TypeDesc t = scalar(K::Tensor);
    t.elem = e;
    t.dims = std::move(dims);
    return t;
}
TypeDesc wrap(K k, TypeDesc element) {
    TypeDesc t = scalar(k);
    t.element = std::make_shared<TypeDesc>(std::move(element));
    return t;
}
TypeDesc record(std::vector<FieldType> fields) {
    TypeDesc t = scalar(K::Record);
    t.fields = std::move(fields);
    return t;
}
Value rec(std::vector<Field> fields) { return Value::record(RecordValue{std::move(fields)}); }

TypeDesc stillsType() { return record({{"name", scalar(K::String)}, {"score", scalar(K::Float)}}); }
Value still(const std::string& name, double score) {
    return rec({{"name", Value::string(name)}, {"score", Value::float64(score)}});
}

Tensor f32Tensor(std::vector<int64_t> dims, float first) {
    Tensor t = Tensor::zeros(ElemType::F32, std::move(dims));
    for (std::size_t i = 0; i < t.count(); ++i) t.data<float>()[i] = first + static_cast<float>(i);
    return t;
}

/// Plain SQLite, as another tool would read the file.
struct RawDb {
    sqlite3* db = nullptr;
    explicit RawDb(const fs::path& file) { REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK); }
    ~RawDb() { sqlite3_close(db); }
    /// Each row's columns as text, joined by "|" (NULL as "NULL").
    std::vector<std::string> query(const std::string& sql) {
        sqlite3_stmt* s = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
        std::vector<std::string> out;
        while (sqlite3_step(s) == SQLITE_ROW) {
            std::string row;
            for (int c = 0; c < sqlite3_column_count(s); ++c) {
                const unsigned char* text = sqlite3_column_text(s, c);
                row += (c ? "|" : "") + (text ? std::string(reinterpret_cast<const char*>(text)) : "NULL");
            }
            out.push_back(row);
        }
        sqlite3_finalize(s);
        return out;
    }
};

}  // namespace

TEST_CASE("catalog rows of every field kind read back through the store and through SQLite", "[catalog]") {
    WorkDir dir;
    TypeDesc meta = record({{"tag", scalar(K::String)}, {"xs", wrap(K::List, scalar(K::Int))}});
    TypeDesc type = record({{"name", scalar(K::String)},
                            {"n", scalar(K::Int)},
                            {"ok", scalar(K::Bool)},
                            {"score", scalar(K::Float)},
                            {"s32", scalar(K::F32)},
                            {"file", scalar(K::Path)},
                            {"took", quantity(QuantityKind::Duration)},
                            {"size", quantity(QuantityKind::Bytes)},
                            {"image", tensor(ElemType::F32, {2, 3})},
                            {"mask", tensor(ElemType::U8, {-1, 2})},
                            {"note", wrap(K::Optional, scalar(K::String))},
                            {"meta", meta},
                            {"history", wrap(K::List, scalar(K::Float))}});
    auto store = CatalogStore::open(dir.path() / "out" / "all.db", "things", type);

    Tensor mask = Tensor::zeros(ElemType::U8, {3, 2});
    for (std::size_t i = 0; i < 6; ++i) mask.data<uint8_t>()[i] = static_cast<uint8_t>(10 * i);
    auto row = [&](const std::string& name, Value note, double score) {
        return rec({{"name", Value::string(name)},
                    {"n", Value::integer(-7)},
                    {"ok", Value::boolean(true)},
                    {"score", Value::float64(score)},
                    {"s32", Value::float32(0.1f)},
                    {"file", Value::string("in/f_1.npy")},
                    {"took", Value::quantity(QuantityKind::Duration, 2.0)},
                    {"size", Value::quantity(QuantityKind::Bytes, 64.0 * 1024 * 1024)},
                    {"image", Value::tensor(f32Tensor({2, 3}, 1.5f))},
                    {"mask", Value::tensor(mask)},
                    {"note", std::move(note)},
                    {"meta", rec({{"tag", Value::string("a\"b")}, {"xs", Value::list({Value::integer(1)})}})},
                    {"history", Value::list({Value::float64(0.25), Value::float64(INFINITY)})}});
    };
    store->record(row("first", Value::string("hello"), 0.75));
    store->record(row("second", Value::none(), NAN));
    CHECK(store->count() == 2);

    std::vector<Value> rows = store->rows();
    REQUIRE(rows.size() == 2);
    const RecordValue& r0 = rows[0].asRecord();
    REQUIRE(r0.fields.size() == 13);
    CHECK(r0.fields[0].name == "name");
    CHECK(r0.find("name")->asString() == "first");
    CHECK(r0.find("n")->asInt() == -7);
    CHECK(r0.find("ok")->asBool());
    CHECK(r0.find("score")->asFloat() == 0.75);
    CHECK(r0.find("s32")->asF32() == 0.1f);
    CHECK(r0.find("file")->asString() == "in/f_1.npy");
    CHECK(r0.find("took")->asQuantity().kind == QuantityKind::Duration);
    CHECK(r0.find("took")->asQuantity().value == 2.0);
    CHECK(r0.find("size")->asQuantity().value == 64.0 * 1024 * 1024);
    const Tensor& image = r0.find("image")->asTensor();
    CHECK(describe(*r0.find("image")) == "tensor<f32>[2, 3]");
    CHECK(image.data<float>()[5] == 6.5f);
    const Tensor& m = r0.find("mask")->asTensor();
    CHECK(m.dims == std::vector<int64_t>{3, 2});
    CHECK(m.data<uint8_t>()[5] == 50);
    CHECK(r0.find("note")->asString() == "hello");
    CHECK(r0.find("meta")->asRecord().find("tag")->asString() == "a\"b");
    CHECK(r0.find("meta")->asRecord().find("xs")->asList()[0].asInt() == 1);
    CHECK(std::isinf(r0.find("history")->asList()[1].asFloat()));
    const RecordValue& r1 = rows[1].asRecord();
    CHECK(r1.find("note")->is(Value::Kind::None));
    CHECK(std::isnan(r1.find("score")->asFloat()));

    // Plain SQLite, while the store is still open: the rows are already committed.
    RawDb raw(dir.path() / "out" / "all.db");
    CHECK(raw.query("SELECT name || ' ' || type || ' ' || \"notnull\" FROM pragma_table_info('things') ORDER BY cid") ==
          std::vector<std::string>{"name TEXT 1", "n INTEGER 1", "ok INTEGER 1", "score REAL 1", "s32 REAL 1",
                                   "file TEXT 1", "took duration REAL 1", "size bytes REAL 1", "image BLOB 1",
                                   "mask BLOB 1", "note TEXT 0", "meta TEXT 1", "history TEXT 1", "run INTEGER 0"});
    CHECK(raw.query("SELECT typeof(name), typeof(n), typeof(ok), typeof(score), typeof(took), typeof(image), "
                    "typeof(note), typeof(meta) FROM things ORDER BY rowid") ==
          std::vector<std::string>{"text|integer|integer|real|real|blob|text|text",
                                   "text|integer|integer|text|real|blob|null|text"});
    CHECK(raw.query("SELECT n, ok, score, took, size, note, meta, history FROM things WHERE name = 'first'") ==
          std::vector<std::string>{"-7|1|0.75|2.0|67108864.0|hello|{\"tag\":\"a\\\"b\",\"xs\":[1]}|[0.25,\"inf\"]"});
    CHECK(raw.query("SELECT score FROM things WHERE name = 'second'") == std::vector<std::string>{"NaN"});
    CHECK(raw.query("SELECT length(image), length(mask) FROM things") == std::vector<std::string>{"24|6", "24|6"});
    CHECK(raw.query("SELECT \"column\" || ': ' || type FROM xdml_columns WHERE catalog = 'things' AND "
                    "\"column\" IN ('image', 'mask', 'note', 'took', 'meta') ORDER BY \"column\"") ==
          std::vector<std::string>{"image: tensor<f32>[2, 3]", "mask: tensor<u8>[?, 2]",
                                   "meta: { tag: string, xs: list<int> }", "note: string?", "took: duration"});
    CHECK(raw.query("SELECT dims FROM xdml_shapes WHERE catalog = 'things' AND \"column\" = 'mask'") ==
          std::vector<std::string>{"[3,2]", "[3,2]"});

    // The blob is the raw little-endian f32 elements, row-major.
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(raw.db, "SELECT image FROM things LIMIT 1", -1, &s, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    float elems[6];
    REQUIRE(sqlite3_column_bytes(s, 0) == static_cast<int>(sizeof elems));
    std::memcpy(elems, sqlite3_column_blob(s, 0), sizeof elems);
    sqlite3_finalize(s);
    CHECK(elems[0] == 1.5f);
    CHECK(elems[4] == 5.5f);
}

TEST_CASE("a catalog is appended to across runs", "[catalog]") {
    WorkDir dir;
    const fs::path file = dir.path() / "stills.db";
    {
        auto store = CatalogStore::open(file, "stills", stillsType());
        for (int i = 0; i < 3; ++i) store->record(still("f_" + std::to_string(i), i * 0.5));
    }
    auto store = CatalogStore::open(file, "stills", stillsType());
    CHECK(store->countAll() == 3);
    store->record(still("f_3", 1.5));
    std::vector<Value> rows = store->rows();
    REQUIRE(rows.size() == 4);
    for (int i = 0; i < 4; ++i) CHECK(rows[i].asRecord().find("name")->asString() == "f_" + std::to_string(i));
}

TEST_CASE("each row carries its run, and count() counts the current run's rows", "[catalog]") {
    WorkDir dir;
    const fs::path file = dir.path() / "stills.db";
    for (int64_t run : {1, 2}) {
        auto store = CatalogStore::open(file, "stills", stillsType());
        store->setRun(run);
        for (int i = 0; i < 2 + run; ++i) store->record(still("r" + std::to_string(run), 1.0));
        CHECK(store->count() == 2 + run);
        CHECK(store->countAll() == (run == 1 ? 3 : 7));
    }
    // A run that resumes run 2 (--resume) counts the rows the resume kept of it too.
    {
        auto resuming = CatalogStore::open(file, "stills", stillsType());
        resuming->setRun(3, {2});
        CHECK(resuming->count() == 4);
        resuming->record(still("r3", 1.0));
        CHECK(resuming->count() == 5);
    }
    // A run without provenance (0): its rows have no run, and count() is what it recorded.
    auto store = CatalogStore::open(file, "stills", stillsType());
    store->record(still("none", 1.0));
    CHECK(store->count() == 1);
    CHECK(store->countAll() == 9);
    CHECK(store->rows(int64_t{2}).size() == 4);
    std::vector<Value> all = store->rows(std::nullopt, true);
    REQUIRE(all.size() == 9);
    CHECK(all[0].asRecord().find("run")->asInt() == 1);
    CHECK(all[8].asRecord().find("run")->is(Value::Kind::None));
    CHECK_FALSE(store->rows()[0].asRecord().find("run"));  // the record's own fields only
    // The record type a reader without the flow finds in the sidecar: the fields, not `run`.
    std::optional<TypeDesc> stored = CatalogStore::storedType(file, "stills");
    REQUIRE(stored);
    CHECK(stored->fields.size() == stillsType().fields.size());
    CHECK_FALSE(CatalogStore::storedType(file, "nothere"));
}

TEST_CASE("a table whose columns differ from the declared record is an error naming both", "[catalog]") {
    WorkDir dir;
    const fs::path file = dir.path() / "stills.db";
    CatalogStore::open(file, "stills", stillsType())->record(still("a", 1));

    TypeDesc wider = stillsType();
    wider.fields.push_back({"x", scalar(K::Int)});
    CHECK_THROWS_WITH(CatalogStore::open(file, "stills", wider),
                      file.string() + ": table stills has columns (name, score) but the catalog declares (name, score, x)");

    TypeDesc retyped = record({{"name", scalar(K::String)}, {"score", scalar(K::String)}});
    CHECK_THROWS_WITH(CatalogStore::open(file, "stills", retyped),
                      file.string() + ": table stills has columns (name: string, score: float) but the catalog "
                                      "declares (name: string, score: string)");
    // The failed opens changed nothing.
    CHECK(CatalogStore::open(file, "stills", stillsType())->countAll() == 1);
}

TEST_CASE("a record that does not fit the catalog names the field and writes nothing", "[catalog]") {
    WorkDir dir;
    auto store = CatalogStore::open(dir.path() / "stills.db", "stills", stillsType());
    const std::string prefix = (dir.path() / "stills.db").string() + ": table stills: ";
    CHECK_THROWS_WITH(store->record(rec({{"name", Value::string("a")}, {"score", Value::string("high")}})),
                      prefix + "score: expected float, got string");
    CHECK_THROWS_WITH(store->record(rec({{"name", Value::string("a")}})), prefix + "the record has no field score");
    CHECK_THROWS_AS(store->record(Value::integer(3)), CatalogError);
    store->record(rec({{"score", Value::integer(2)}, {"name", Value::string("by name, widened")}}));
    CHECK(store->count() == 1);
    CHECK(store->rows()[0].asRecord().find("score")->asFloat() == 2.0);

    TypeDesc frames = record({{"f", tensor(ElemType::F32, {2, 2})}});
    auto tensors = CatalogStore::open(dir.path() / "stills.db", "frames", frames);
    CHECK_THROWS_WITH(tensors->record(rec({{"f", Value::tensor(f32Tensor({2, 3}, 0))}})),
                      (dir.path() / "stills.db").string() + ": table frames: f: expected tensor<f32>[2, 2], got "
                                                          "tensor<f32>[2, 3]");
}

TEST_CASE("two catalogs share one file, each its own table", "[catalog]") {
    WorkDir dir;
    const fs::path file = dir.path() / "run.db";
    auto stills = CatalogStore::open(file, "stills", stillsType());
    auto timings = CatalogStore::open(file, "timings", record({{"took", quantity(QuantityKind::Duration)}}));
    stills->record(still("a", 1));
    stills->record(still("b", 2));
    timings->record(rec({{"took", Value::quantity(QuantityKind::Duration, 0.5)}}));
    CHECK(stills->count() == 2);
    CHECK(timings->count() == 1);
    CHECK(timings->rows()[0].asRecord().find("took")->asQuantity().value == 0.5);
    RawDb raw(file);
    CHECK(raw.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") ==
          std::vector<std::string>{"stills", "timings", "xdml_columns", "xdml_lineage"});
}

TEST_CASE("record() from several threads and two connections to the same catalog", "[catalog]") {
    WorkDir dir;
    const fs::path file = dir.path() / "stills.db";
    auto shared = CatalogStore::open(file, "stills", stillsType());
    auto second = CatalogStore::open(file, "stills", stillsType());  // its own connection
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w)
        workers.emplace_back([&, w] {
            CatalogStore& store = w < 2 ? *shared : *second;
            for (int i = 0; i < 500; ++i) {
                store.record(still("w" + std::to_string(w) + "_" + std::to_string(i), i));
                if (i % 100 == 0) store.count();
            }
        });
    for (std::thread& t : workers) t.join();
    CHECK(shared->countAll() == 2000);
    CHECK(second->countAll() == 2000);
    CHECK(shared->rows().size() == 2000);
}

namespace {

/// Records `names` into `store` from a thread each while another connection holds the file's
/// write lock, so that the first caller waits in BEGIN and the rest queue behind it; then lets
/// go. Returns each caller's row, or its error's message (as "error: ...").
std::vector<std::string> recordTogether(CatalogStore& store, const fs::path& file, const std::vector<std::string>& names) {
    RawDb holder(file);
    REQUIRE(sqlite3_exec(holder.db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    std::vector<std::string> outcomes(names.size());
    std::vector<std::thread> callers;
    for (std::size_t i = 0; i < names.size(); ++i)
        callers.emplace_back([&, i] {
            try {
                outcomes[i] = std::to_string(store.record(still(names[i], static_cast<double>(i))));
            } catch (const CatalogError& e) {
                outcomes[i] = std::string("error: ") + e.what();
            }
        });
    // All but the first (which took the commit and waits for the lock) are queued behind it.
    for (int polls = 0; store.waitingForCommit() + 1 < names.size() && polls < 6000; ++polls)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CHECK(store.waitingForCommit() + 1 == names.size());
    REQUIRE(sqlite3_exec(holder.db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    for (std::thread& t : callers) t.join();
    return outcomes;
}

}  // namespace

TEST_CASE("records that arrive during a commit share the next one, and each gets its own row", "[catalog]") {
    WorkDir dir;
    const fs::path file = dir.path() / "stills.db";
    auto store = CatalogStore::open(file, "stills", stillsType());
    std::vector<std::string> names;
    for (int i = 0; i < 16; ++i) names.push_back("s" + std::to_string(i));
    const std::vector<std::string> rows = recordTogether(*store, file, names);
    // The first alone, then the fifteen queued behind it in one transaction.
    CHECK(store->commits() == 2);
    RawDb raw(file);
    for (std::size_t i = 0; i < names.size(); ++i) {
        INFO(names[i] << ": " << rows[i]);
        REQUIRE(rows[i].rfind("error", 0) != 0);
        CHECK(raw.query("SELECT name FROM stills WHERE rowid = " + rows[i]) == std::vector<std::string>{names[i]});
    }
    CHECK(store->countAll() == 16);
}

TEST_CASE("a record that fails in a shared commit fails alone, and the others are committed", "[catalog]") {
    WorkDir dir;
    const fs::path file = dir.path() / "stills.db";
    auto store = CatalogStore::open(file, "stills", stillsType());
    {
        RawDb raw(file);
        REQUIRE(sqlite3_exec(raw.db,
                             "CREATE TRIGGER no_bad BEFORE INSERT ON stills WHEN NEW.name = 'bad'"
                             " BEGIN SELECT RAISE(ABORT, 'no bad stills'); END",
                             nullptr, nullptr, nullptr) == SQLITE_OK);
    }
    std::vector<std::string> names;
    for (int i = 0; i < 12; ++i) names.push_back(i == 7 ? "bad" : "s" + std::to_string(i));
    const std::vector<std::string> outcomes = recordTogether(*store, file, names);
    for (std::size_t i = 0; i < names.size(); ++i) {
        INFO(names[i] << ": " << outcomes[i]);
        if (names[i] == "bad") {
            CHECK(outcomes[i].find("error: ") == 0);
            CHECK(outcomes[i].find("no bad stills") != std::string::npos);
            CHECK(outcomes[i].find("stills.db") != std::string::npos);
        } else {
            CHECK(outcomes[i].rfind("error", 0) != 0);
        }
    }
    RawDb raw(file);
    CHECK(raw.query("SELECT count(*) FROM stills") == std::vector<std::string>{"11"});
    CHECK(raw.query("SELECT count(*) FROM stills WHERE name = 'bad'") == std::vector<std::string>{"0"});
}

TEST_CASE("stores opened at the same time on a new file all work", "[catalog]") {
    WorkDir dir;
    const fs::path file = dir.path() / "race.db";
    std::vector<std::thread> openers;
    std::atomic<int> failures{0};
    for (int w = 0; w < 8; ++w)
        openers.emplace_back([&, w] {
            try {  // half open one shared catalog, half a catalog each
                auto store = CatalogStore::open(file, w % 2 ? "shared" : "own" + std::to_string(w), stillsType());
                for (int i = 0; i < 20; ++i) store->record(still("x", i));
            } catch (const std::exception& e) {
                UNSCOPED_INFO(e.what());
                ++failures;
            }
        });
    for (std::thread& t : openers) t.join();
    CHECK(failures == 0);
    CHECK(CatalogStore::open(file, "shared", stillsType())->countAll() == 80);
    CHECK(CatalogStore::open(file, "own0", stillsType())->countAll() == 20);
}

TEST_CASE("a file that is not a database is an error naming it", "[catalog]") {
    WorkDir dir;
    const fs::path file = dir.path() / "stills.db";
    std::ofstream(file) << std::string(4096, 'x');
    CHECK_THROWS_WITH(CatalogStore::open(file, "stills", stillsType()),
                      Catch::StartsWith(file.string() + ": not an SQLite database"));
}

TEST_CASE("named field types are resolved by the caller's resolver", "[catalog]") {
    WorkDir dir;
    TypeDesc frame = tensor(ElemType::F32, {2, 2});
    TypeDesc named = scalar(K::Named);
    named.name = "Frame";
    TypeDesc type = record({{"f", named}});
    CHECK_THROWS_WITH(CatalogStore::open(dir.path() / "a.db", "frames", type),
                      Catch::Contains("type Frame is a named type and no resolver was given"));
    auto store = CatalogStore::open(dir.path() / "a.db", "frames", type,
                                    [&](const TypeDesc& t) -> const TypeDesc& {
                                        REQUIRE(t.name == "Frame");
                                        return frame;
                                    });
    store->record(rec({{"f", Value::tensor(f32Tensor({2, 2}, 1))}}));
    CHECK(store->rows()[0].asRecord().find("f")->asTensor().data<float>()[3] == 4.0f);
}

TEST_CASE("column type text reads back", "[catalog]") {
    using catalog::parseTypeText;
    using catalog::typeText;
    for (const char* text : {"int", "bandwidth", "tensor<bool>[]", "tensor<f64>[?, 64, 3]", "list<int?>",
                             "list<{ a: string, b: tensor<u16>[2] }>?", "{}", "{ x: { y: path } }"})
        CHECK(typeText(parseTypeText(text)) == text);
    CHECK(typeText(parseTypeText(" list < int > ? ")) == "list<int>?");
    CHECK_THROWS_AS(parseTypeText("tensor<f16>[2]"), CatalogError);
    CHECK_THROWS_AS(parseTypeText("list<int"), CatalogError);
}
