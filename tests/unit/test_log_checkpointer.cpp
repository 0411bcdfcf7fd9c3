// test_log_checkpointer.cpp — the provenance writer's log copied on a thread of its own: every
// commit reaches the database, the log starts over instead of growing (a pass copies most of
// it, the writer the few pages committed meanwhile), and a reader that holds the log back
// makes it grow only as long as it reads.
#include "runtime/provenance/LogCheckpointer.h"
#include "runtime/provenance/Schema.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

#include "ProvenanceTestSupport.h"

using namespace xdml;
using namespace xdml::runtime;
using namespace xdml::test;

namespace {

constexpr int kPage = 4096;             // the test database's page size (SQLite's default)
constexpr int kBlob = 64 * kPage;       // each commit writes about 64 pages to the log
constexpr int64_t kFrame = kPage + 24;  // a page in the log, with its frame header

/// A WAL database with one table of blobs, written through a connection with a checkpointer.
struct LoggedTable {
    explicit LoggedTable(const std::filesystem::path& file) : db(file, prov::kConnectionPolicy) {
        REQUIRE(db.queryText("PRAGMA journal_mode=WAL") == "wal");
        prov::configureConnection(db);
        db.exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)");
    }
    void commitOne() {
        sqlite::Transaction tx(db, sqlite::Transaction::Mode::Write);
        db.exec("INSERT INTO blobs (b) VALUES (randomblob(" + std::to_string(kBlob) + "))");
        tx.commit();
        checkpointer.committed();
    }
    sqlite::Connection db;
    prov::LogCheckpointer checkpointer{db.file(), db};
};

int64_t logBytes(const std::filesystem::path& file) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file.string() + "-wal", ec);
    return ec ? 0 : static_cast<int64_t>(size);
}

}  // namespace

TEST_CASE("the log is copied on the checkpointer's thread and starts over, and every commit reaches the database",
          "[provenance][checkpoint]") {
    TempDir dir;
    const auto file = dir / "log.db";
    constexpr int kCommits = 200;  // about 12,800 pages: thirteen times a pass
    {
        LoggedTable table(file);
        for (int i = 0; i < kCommits; ++i) table.commitOne();
        // Never longer than a pass's worth, the pages committed while it copied, and the
        // commit that found it through: the log restarted each time (a log that only grew would
        // hold every commit's pages).
        CHECK(logBytes(file) <= (prov::LogCheckpointer::kMostPages + 2 * kBlob / kPage) * kFrame + 32);
        CHECK(logBytes(file) < static_cast<int64_t>(kCommits) * kBlob / 2);
    }
    Reader reader(file);
    CHECK(reader.number("SELECT count(*) FROM blobs") == kCommits);
    CHECK(reader.number("SELECT sum(length(b)) FROM blobs") == static_cast<int64_t>(kCommits) * kBlob);
    CHECK(reader.text("PRAGMA integrity_check") == "ok");
}

TEST_CASE("a reader that holds the log back makes it grow only while it reads", "[provenance][checkpoint]") {
    TempDir dir;
    const auto file = dir / "log.db";
    LoggedTable table(file);
    Reader reader(file);
    // A read transaction keeps the log's pages from being copied past it, so the log cannot
    // start over: the writer goes on (it waits for a pass only, never for the reader).
    reader.text("BEGIN");
    CHECK(reader.number("SELECT count(*) FROM blobs") == 0);
    for (int i = 0; i < 80; ++i) table.commitOne();
    const int64_t heldBack = logBytes(file);
    CHECK(heldBack >= 80 * kBlob);
    reader.text("COMMIT");
    for (int i = 0; i < 120; ++i) table.commitOne();
    // Reused from its start, not grown by the 120 commits' pages (a commit or two may land
    // past the old end while the first pass after the reader runs).
    CHECK(logBytes(file) < heldBack + 60 * kBlob);
    CHECK(reader.number("SELECT count(*) FROM blobs") == 200);
}
