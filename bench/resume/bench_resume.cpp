// bench_resume.cpp — the scan a resume does before its run begins (docs/distributed.md,
// "Resume"): reading a run's resume log of N completed task calls and N fully handled items, the
// ledger built from it, and the removal of the catalog rows of unfinished work (half of N rows,
// found through their lineage). Prints seconds per 100k recorded activities against the goal of
// 1 s. `--smoke`: tiny sizes, every count checked, no timing judged.
#include "runtime/catalog/RowLineage.h"
#include "runtime/catalog/RowRemoval.h"
#include "runtime/engine/ResumeLedger.h"
#include "runtime/engine/Run.h"
#include "runtime/provenance/Schema.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <unistd.h>

using namespace xdml::runtime;
namespace fs = std::filesystem;

namespace {

double since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void writeLog(const fs::path& workdir, int n) {
    ResumeLogWriter w(resumeLogPath(workdir, 1), 0, "flows");
    for (int i = 0; i < n; ++i) {
        TaskOutcome o;
        o.ok = true;
        o.result.value = Value::float64(i * 0.5);
        o.result.site = "hpc";
        w.task(TaskEntry{"key" + std::to_string(i), contentHashOf(o.result.value), encodeOutcome(o), {}});
        // Every other item fully handled, with its row.
        if (i % 2 == 0) w.item(HandledItem{"frames", "in/f" + std::to_string(i) + ".npy", "h" + std::to_string(i), {{"rows", i + 1}}});
    }
}

void writeCatalog(const fs::path& file, int n) {
    const sqlite::ConnectionPolicy policy{.raise = &sqlite::raiseAs<std::runtime_error>, .role = "catalog", .busyTimeoutMs = 1000,
                                          .pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"};
    sqlite::Connection db(file, policy);
    sqlite::Transaction tx(db, sqlite::Transaction::Mode::Write);
    db.exec("CREATE TABLE rows (n INTEGER)");
    catalog::createLineageTable(db);
    sqlite::Statement row = db.prepare("INSERT INTO rows (n) VALUES (?1)");
    sqlite::Statement lineage = catalog::prepareLineageInsert(db);
    for (int i = 0; i < n; ++i) {
        row.bindInt(1, i);
        row.run();
        catalog::addOrigin(lineage, "rows", db.lastInsertRowid(), prov::RecordOrigin{"/prov.db", 1, i, i, "hpc", "h", 8, 0});
    }
    tx.commit();
}

}  // namespace

int main(int argc, char** argv) {
    const bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
    const int n = smoke ? 1000 : 100000;
    char pattern[] = "/tmp/xdml-bench-resume-XXXXXX";
    if (!mkdtemp(pattern)) return 1;
    const fs::path dir = pattern;
    int status = 0;
    try {
        auto t = std::chrono::steady_clock::now();
        writeLog(dir, n);
        const double write = since(t);
        writeCatalog(dir / "rows.db", n);

        t = std::chrono::steady_clock::now();
        ResumeLogContents previous = readResumeLog(resumeLogPath(dir, 1));
        const double read = since(t);
        const std::size_t tasks = previous.tasks.size(), items = previous.items.size();
        std::set<int64_t> keep;
        for (const HandledItem& item : previous.items)
            for (const auto& [catalog, row] : item.rows) keep.insert(row);
        t = std::chrono::steady_clock::now();
        const int removed = catalog::removeRowsNotKept(dir / "rows.db", "rows", "/prov.db", {1}, keep);
        const double remove = since(t);
        t = std::chrono::steady_clock::now();
        ResumeSetup setup;
        setup.workdir = dir;
        setup.run = 2;
        setup.resumed = 1;
        setup.previous = std::move(previous);
        setup.itemsReusable = true;
        setup.version = "bench";
        setup.flowsHash = "flows";
        setup.report = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
        setup.stopping = [] { return false; };
        ResumeLedger ledger(std::move(setup));
        const double build = since(t);
        bool found = ledger.handledBefore("frames", "in/f0.npy", "h0") && ledger.reuse("key1", "bench").has_value();

        const bool counts = tasks == static_cast<std::size_t>(n) && items == static_cast<std::size_t>((n + 1) / 2) &&
                            removed == n / 2 && found;
        const double scan = read + remove + build;
        const double activities = static_cast<double>(n + items);  // the log's records: calls and items
        const double per100k = scan * 100000.0 / activities;
        std::printf("resume log: %d task calls + %zu handled items written in %.3f s (%.1f us per record)\n", n, items,
                    write, write * 1e6 / static_cast<double>(n + items));
        std::printf("resume scan: read %.3f s, catalog rows removed (%d of %d) %.3f s, ledger %.3f s: %.3f s for %.0f activities\n",
                    read, removed, n, remove, build, scan, activities);
        std::printf("resume scan per 100k recorded activities: %.3f s (goal <= 1 s): %s\n", per100k,
                    smoke ? "not judged (--smoke)" : per100k <= 1.0 ? "MET" : "MISSED");
        if (!counts) {
            std::printf("FAIL: read %zu calls and %zu items, removed %d rows, found %d\n", tasks, items, removed, found);
            status = 1;
        }
    } catch (const std::exception& e) {
        std::printf("FAIL: %s\n", e.what());
        status = 1;
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    return status;
}
