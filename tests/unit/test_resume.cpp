// test_resume.cpp — resume's keys and log (docs/distributed.md, "Resume"): a task call's key
// follows its code's content, its arguments and the xdmlc version, never a name alone or file
// times (CallKey.h); the resume log survives a torn tail and reports corrupt records
// (ResumeLog.h); a kept outcome is reused only while it and the files read still hash the same
// (ResumeLedger.h).
#include "runtime/engine/CallKey.h"
#include "runtime/engine/ResumeLedger.h"
#include "runtime/engine/Run.h"
#include "runtime/provenance/ContentHash.h"

#include <catch2/catch.hpp>

#include "TempDir.h"

#include <csignal>
#include <fstream>
#include <sys/resource.h>
#include <thread>

using namespace xdml::runtime;
using xdml::test::TempDir;
using Json = nlohmann::json;

namespace {

Json nameOf(const std::string& name, const std::string& declares, int line) {
    return {{"op", "name"}, {"binding", "global"}, {"declares", declares}, {"name", name}, {"line", line}, {"at", "0:" + std::to_string(line)}};
}

/// A plan whose task `t` returns `scale(x) * k` and whose task `u` returns x.
Json plan(double k, int line = 3, const std::string& scaleBody = "x * 2") {
    Json call = {{"op", "call"}, {"callee", nameOf("scale", "fn", line)}, {"args", Json::array()}, {"line", line}};
    Json t = {{"params", {{{"name", "x"}}}}, {"body", {{{"op", "return"}, {"line", line}, {"value", call}, {"k", k}}}}};
    Json u = {{"params", {{{"name", "x"}}}}, {"body", {{{"op", "return"}, {"line", 9}}}}};
    Json fns = {{"scale", {{"body", scaleBody}}}};
    return {{"code", {{"tasks", {{"t", t}, {"u", u}}}, {"fns", fns}}}};
}

DatumPtr datum(Value v) {
    return Datum::make(std::move(v), "home");
}

void writeFile(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}

ResumeSetup setupFor(const std::filesystem::path& workdir, int64_t run, ResumeLogContents previous,
                     std::vector<std::string>* reports) {
    ResumeSetup s;
    s.workdir = workdir;
    s.run = run;
    s.resumed = run - 1;
    s.previous = std::move(previous);
    s.itemsReusable = true;
    s.version = "test";
    s.codeHashes = taskCodeHashes(plan(1.0));
    s.report = [reports](const std::string& line) { reports->push_back(line); };
    s.stopping = [] { return false; };
    return s;
}

TaskEntry entryOf(const std::string& key, const Value& v, std::vector<FileRead> reads = {}) {
    TaskOutcome o;
    o.ok = true;
    o.result.value = v;
    return TaskEntry{key, contentHashOf(v), encodeOutcome(o), std::move(reads)};
}

}  // namespace

TEST_CASE("a task's code hash follows its content and what it calls, not its place or its name alone", "[resume]") {
    const auto base = taskCodeHashes(plan(1.0));
    REQUIRE(base.size() == 2);
    CHECK(taskCodeHashes(plan(2.0)).at("t").hash != base.at("t").hash);                 // its body edited
    CHECK(taskCodeHashes(plan(2.0)).at("u").hash == base.at("u").hash);                 // another task's edit
    CHECK(taskCodeHashes(plan(1.0, 40)).at("t").hash == base.at("t").hash);             // moved in its file
    CHECK(taskCodeHashes(plan(1.0, 3, "x * 3")).at("t").hash != base.at("t").hash);     // a function it calls edited
    CHECK(taskCodeHashes(plan(1.0, 3, "x * 3")).at("u").hash == base.at("u").hash);     // ... which u does not call
    Json renamed = plan(1.0);
    renamed["code"]["tasks"]["v"] = renamed["code"]["tasks"]["t"];
    CHECK(taskCodeHashes(renamed).at("v").hash == base.at("t").hash);  // the same code under another name hashes the same
    CHECK(taskCodeHashes(Json::object()).empty());
    CHECK_FALSE(base.at("t").readsSeq);
    Json asksSeq = plan(1.0);
    asksSeq["code"]["fns"]["scale"]["body"] = {{"op", "name"}, {"binding", "builtin"}, {"name", "seq"}};
    CHECK(taskCodeHashes(asksSeq).at("t").readsSeq);  // through the function it calls
    CHECK_FALSE(taskCodeHashes(asksSeq).at("u").readsSeq);
}

TEST_CASE("a call key changes with the code, any argument and the version", "[resume]") {
    const std::string k = callKey("0.1", "c1", {"a", "b"});
    CHECK(k.size() == 16);
    CHECK(callKey("0.1", "c1", {"a", "b"}) == k);
    CHECK(callKey("0.1", "c2", {"a", "b"}) != k);
    CHECK(callKey("0.1", "c1", {"a", "c"}) != k);
    CHECK(callKey("0.1", "c1", {"ab"}) != k);  // parts are length-prefixed: no shifting between them
    CHECK(callKey("0.2", "c1", {"a", "b"}) != k);
}

TEST_CASE("the ledger keys calls by their arguments' content", "[resume]") {
    TempDir dir("xdml_resume");
    std::vector<std::string> reports;
    ResumeLedger ledger(setupFor(dir.path(), 2, {}, &reports));
    const std::string k1 = ledger.keyOf("t", {datum(Value::integer(1))});
    CHECK(k1 == ledger.keyOf("t", {datum(Value::integer(1))}));  // another datum, the same content
    CHECK(k1 != ledger.keyOf("t", {datum(Value::integer(2))}));
    CHECK(k1 != ledger.keyOf("u", {datum(Value::integer(1))}));
    CHECK(ledger.keyOf("missing", {}).empty());  // no code in the plan: never kept
}

TEST_CASE("the resume log reads back what was written, past a torn tail and corrupt records", "[resume]") {
    TempDir dir("xdml_resume");
    const auto file = resumeLogPath(dir.path(), 7);
    {
        ResumeLogWriter w(file, 6, "flows");
        w.task(entryOf("k1", Value::integer(5), {{"/a", "h"}}));
        w.item(HandledItem{"s", "in/a.npy", "hash", {{"cat", 3}, {"cat", 4}}});
        w.task(entryOf("k2", Value::integer(6)));
    }
    ResumeLogContents c = readResumeLog(file);
    CHECK(c.resumed == 6);
    CHECK(c.flowsHash == "flows");
    REQUIRE(c.tasks.size() == 2);
    CHECK(c.tasks.at("k1").reads == std::vector<FileRead>{{"/a", "h"}});
    REQUIRE(c.items.size() == 1);
    CHECK(c.items[0].rows == std::vector<CatalogRow>{{"cat", 3}, {"cat", 4}});
    CHECK(c.corrupt == 0);
    CHECK_FALSE(c.tornTail);

    // A kill while the last record was written: it is cut short, the others stay.
    std::filesystem::resize_file(file, std::filesystem::file_size(file) - 3);
    c = readResumeLog(file);
    CHECK(c.tornTail);
    CHECK(c.tasks.size() == 1);
    CHECK(c.items.size() == 1);

    // A flipped byte inside a record: that record is skipped and counted.
    {
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(40);
        char b = 0;
        f.get(b);
        f.seekp(40);
        f.put(static_cast<char>(b ^ 0x5a));
    }
    c = readResumeLog(file);
    CHECK(c.corrupt == 1);
    CHECK(readResumeLog(dir / "none.log").tasks.empty());  // no log: nothing kept
}

TEST_CASE("the resume log writes its records in groups: within an interval, at a flush, a large one at once", "[resume]") {
    TempDir dir("xdml_resume");
    const auto file = resumeLogPath(dir.path(), 1);
    ResumeLogWriter w(file, 0, "flows");
    const auto header = std::filesystem::file_size(file);  // the header is written at once
    CHECK(header > 0);
    w.task(entryOf("k1", Value::integer(1)));
    w.item(HandledItem{"s", "in/a.npy", "hash", {}});
    CHECK(std::filesystem::file_size(file) == header);  // buffered: no write(2) per record
    w.flush();
    CHECK(readResumeLog(file).tasks.size() == 1);
    CHECK(readResumeLog(file).items.size() == 1);

    // The writer thread writes a group within its interval, with no flush.
    w.task(entryOf("k2", Value::integer(2)));
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (readResumeLog(file).tasks.size() < 2 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(ResumeLogWriter::kInterval);
    CHECK(readResumeLog(file).tasks.size() == 2);

    // A record as large as a group goes to the file at once, after what was buffered before it.
    w.task(entryOf("k3", Value::integer(3)));
    TaskEntry large = entryOf("k4", Value::integer(4));
    large.outcome.append(ResumeLogWriter::kWriteAtOnce, 'x');
    w.task(large);
    ResumeLogContents c = readResumeLog(file);
    CHECK(c.tasks.size() == 4);
    CHECK(c.tasks.at("k4").outcome.size() == large.outcome.size());
    CHECK(c.corrupt == 0);
}

TEST_CASE("a resume log group that cannot be written is told once, and nothing is appended after it", "[resume]") {
    TempDir dir("xdml_resume");
    const auto file = resumeLogPath(dir.path(), 1);
    std::vector<std::string> told;
    std::mutex toldMutex;
    auto w = std::make_unique<ResumeLogWriter>(file, 0, "flows", [&](const ResumeError& e) {
        std::lock_guard lock(toldMutex);
        told.push_back(e.what());
    });
    // A file size limit stands in for a full disk: the next write past it fails (EFBIG).
    rlimit old{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto oldSignal = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = std::filesystem::file_size(file) + 16;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    w->task(entryOf("k1", Value::integer(1)));
    w->task(entryOf("k2", Value::integer(2)));
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        {
            std::lock_guard lock(toldMutex);
            if (!told.empty() || std::chrono::steady_clock::now() > until) break;
        }
        std::this_thread::sleep_for(ResumeLogWriter::kInterval);
    }
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, oldSignal);
    REQUIRE(told.size() == 1);
    CHECK(told[0].find(file.string()) != std::string::npos);
    CHECK(told[0].find("2 records not kept") != std::string::npos);
    CHECK_THROWS_AS(w->task(entryOf("k3", Value::integer(3))), ResumeError);
    CHECK_NOTHROW(w->flush());  // nothing more was taken
    w.reset();
    CHECK(told.size() == 1);
}

TEST_CASE("a kept outcome is reused while it and the files its body read hash the same, never by file times", "[resume]") {
    TempDir dir("xdml_resume");
    const auto input = dir / "input.txt";
    writeFile(input, "abc");
    ResumeLogContents previous;
    previous.tasks.emplace("good", entryOf("good", Value::integer(42), {{input.string(), prov::contentHashOfFile(input)}}));
    TaskEntry bad = entryOf("bad", Value::integer(1));
    bad.outputHash = "0000000000000000";  // the value no longer hashes as kept
    previous.tasks.emplace("bad", bad);
    TaskEntry garbled = entryOf("garbled", Value::integer(1));
    garbled.outcome = "not an outcome";
    previous.tasks.emplace("garbled", garbled);
    std::vector<std::string> reports;
    ResumeLedger ledger(setupFor(dir.path(), 2, previous, &reports));

    // A newer modification time, the same content: reused.
    std::filesystem::last_write_time(input, std::filesystem::last_write_time(input) + std::chrono::hours(1));
    std::optional<TaskOutcome> got = ledger.reuse("good", "task 't'");
    REQUIRE(got);
    CHECK(got->result.value.asInt() == 42);

    CHECK_FALSE(ledger.reuse("unknown", "task 't'"));
    CHECK(reports.empty());
    CHECK_FALSE(ledger.reuse("bad", "task 't' (line 3)"));
    CHECK_FALSE(ledger.reuse("garbled", "task 't' (line 4)"));
    REQUIRE(reports.size() == 2);
    CHECK(reports[0].find("task 't' (line 3)") != std::string::npos);
    CHECK(reports[0].find("corrupt") != std::string::npos);

    // The content changed (the time did not matter either way): the call runs again.
    writeFile(input, "abd");
    CHECK_FALSE(ledger.reuse("good", "task 't'"));

    // What was reused is kept in this run's log too, for a resume of this run.
    const ResumeLogContents mine = readResumeLog(resumeLogPath(dir.path(), 2));
    CHECK(mine.resumed == 1);
    CHECK(mine.tasks.count("good") == 1);
}

TEST_CASE("a source item is written handled once every holder let go without failure", "[resume]") {
    TempDir dir("xdml_resume");
    std::vector<std::string> reports;
    {
        ResumeLedger ledger(setupFor(dir.path(), 3, {}, &reports));
        auto a = ledger.root("s", "a.npy", "ha");
        auto b = ledger.root("s", "b.npy", "hb");
        ledger.firingStarted(0, 0, {a});
        ledger.firingStarted(0, 1, {b});
        ItemRoots emitted = ledger.rootsOf(0, 0);  // an item emitted by a's firing holds a
        ledger.rowRecorded(0, 0, "cat", 11);
        a.reset();
        b.reset();
        ledger.firingEnded(0, 0, true);
        ledger.firingEnded(0, 1, false);  // b's firing failed: b is handled again by a resume
        CHECK(readResumeLog(resumeLogPath(dir.path(), 3)).items.empty());  // a's emitted item is under way
        emitted.clear();
    }
    const ResumeLogContents c = readResumeLog(resumeLogPath(dir.path(), 3));
    REQUIRE(c.items.size() == 1);
    CHECK(c.items[0].origin == "a.npy");
    CHECK(c.items[0].rows == std::vector<CatalogRow>{{"cat", 11}});

    ResumeLedger next(setupFor(dir.path(), 4, c, &reports));
    CHECK(next.handledBefore("s", "a.npy", "ha"));
    CHECK_FALSE(next.handledBefore("s", "a.npy", "ha"));  // delivered once, skipped once
    CHECK_FALSE(next.handledBefore("s", "b.npy", "hb"));
    CHECK_FALSE(next.handledBefore("s", "a.npy", "changed"));
}
