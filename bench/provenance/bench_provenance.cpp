// bench_provenance.cpp — the provenance store's figures (bench/README.md): a synthetic beamline
// run of 1,000,000 entities and 1,000 model versions captured twice (the second time with one
// frame altered), then durable records/s, the capture cost per task on the critical path, and
// the latency of the provenance queries on the closed database, each beside its goal.
// `--smoke`: tiny sizes, every answer still checked, no goal judged (ctest runs it).
#include "ProvenanceQueries.h"
#include "SyntheticRun.h"

#include "query/ProvDb.h"
#include "runtime/engine/ItemTypes.h"
#include "runtime/interp/Program.h"
#include "runtime/provenance/Store.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
namespace prov = xdml::runtime::prov;
using namespace xdml::bench;

namespace {

struct Options {
    bool smoke = false, keep = false;
    int64_t entities = 1'000'000, versions = 1000;
    int reps = 25;
    std::string dir;
};

[[noreturn]] void usage(const std::string& problem) {
    if (!problem.empty()) std::fprintf(stderr, "bench_provenance: %s\n", problem.c_str());
    std::fprintf(stderr,
                 "usage: bench_provenance [--smoke] [--entities N] [--versions N] [--reps N] [--dir PATH] [--keep]\n"
                 "  --entities N  entities per run (default 1000000; --smoke: 20000)\n"
                 "  --versions N  trained model versions (default 1000; --smoke: 20)\n"
                 "  --reps N      repetitions of each query (default 25; --smoke: 3)\n"
                 "  --dir PATH    where the database goes (default: a fresh folder under the temp directory)\n"
                 "  --keep        keep the database afterwards\n");
    std::exit(2);
}

Options parseOptions(int argc, char** argv) {
    Options o;
    std::optional<int64_t> entities, versions, reps;
    auto number = [&](int& i, const char* flag) {
        if (i + 1 >= argc) usage(std::string(flag) + " needs a number");
        const std::string text = argv[++i];
        char* end = nullptr;
        const long long v = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || v < 1) usage(std::string(flag) + " needs a positive number, not '" + text + "'");
        return static_cast<int64_t>(v);
    };
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--smoke") o.smoke = true;
        else if (a == "--keep") o.keep = true;
        else if (a == "--entities") entities = number(i, "--entities");
        else if (a == "--versions") versions = number(i, "--versions");
        else if (a == "--reps") reps = number(i, "--reps");
        else if (a == "--dir") {
            if (i + 1 >= argc) usage("--dir needs a path");
            o.dir = argv[++i];
        } else if (a == "--help" || a == "-h") usage("");
        else usage("unknown argument '" + a + "'");
    }
    o.entities = entities.value_or(o.smoke ? 20'000 : 1'000'000);
    o.versions = versions.value_or(o.smoke ? 20 : 1000);
    o.reps = static_cast<int>(std::min<int64_t>(reps.value_or(o.smoke ? 3 : 25), 10'000));
    return o;
}

/// The folder the database lives in: a fresh one, or the user's, which must hold no database
/// yet. Removes what it made when it goes, unless asked to keep it.
class WorkFolder {
public:
    WorkFolder(const std::string& wanted, bool keep) : keep_(keep) {
        if (wanted.empty()) {
            std::string pattern = (fs::temp_directory_path() / "xdml_bench_provenance_XXXXXX").string();
            if (!::mkdtemp(pattern.data()))
                throw std::runtime_error("cannot make a folder under " + fs::temp_directory_path().string() + ": " +
                                         std::strerror(errno));
            dir_ = pattern;
            made_ = true;
            return;
        }
        dir_ = wanted;
        std::error_code ec;
        if (!fs::exists(dir_, ec)) {
            if (!fs::create_directories(dir_, ec))
                throw std::runtime_error("cannot create " + dir_.string() + ": " + ec.message());
            made_ = true;
        } else if (!fs::is_directory(dir_, ec)) {
            throw std::runtime_error(dir_.string() + " is not a folder");
        } else if (fs::exists(database(), ec)) {
            throw std::runtime_error(database().string() + " exists already: give --dir an empty folder");
        }
    }
    ~WorkFolder() {
        if (keep_) {
            std::printf("kept: %s\n", database().string().c_str());
            return;
        }
        std::error_code ec;
        if (made_) {
            fs::remove_all(dir_, ec);
            return;
        }
        for (const char* suffix : {"", "-wal", "-shm", "-lock"}) fs::remove(database().string() + suffix, ec);
    }
    WorkFolder(const WorkFolder&) = delete;
    WorkFolder& operator=(const WorkFolder&) = delete;
    fs::path database() const { return dir_ / "provenance.db"; }

private:
    fs::path dir_;
    bool keep_, made_ = false;
};

std::string withCommas(int64_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string loadAverage() {
    std::ifstream in("/proc/loadavg");
    std::string one;
    return in >> one ? one : "unknown";
}

/// What a steady_clock read costs here: each timed interval includes about one.
double clockReadNanos() {
    using Clock = std::chrono::steady_clock;
    constexpr int reads = 200'000;
    int64_t sink = 0;
    const auto start = Clock::now();
    for (int i = 0; i < reads; ++i) sink += Clock::now().time_since_epoch().count() & 1;
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / reads;
    return sink < 0 ? 0 : ns;  // sink keeps the loop
}

struct Spread {
    double mean = 0, median = 0, p99 = 0, max = 0;  // µs
};

Spread spreadOf(std::vector<uint32_t> ns) {
    Spread s;
    if (ns.empty()) return s;
    std::sort(ns.begin(), ns.end());
    double sum = 0;
    for (uint32_t v : ns) sum += v;
    s.mean = sum / static_cast<double>(ns.size()) / 1e3;
    s.median = ns[ns.size() / 2] / 1e3;
    s.p99 = ns[std::min(ns.size() - 1, ns.size() * 99 / 100)] / 1e3;
    s.max = ns.back() / 1e3;
    return s;
}

std::string spreadText(const Spread& s) {
    char text[160];
    std::snprintf(text, sizeof text, "mean %.3f us, median %.3f, p99 %.3f, max %.1f", s.mean, s.median, s.p99, s.max);
    return text;
}

std::string verdict(bool smoke, bool met) { return smoke ? "not judged: smoke" : met ? "PASS" : "MISS"; }

double mean(const CaptureTimings& t, CaptureCall call) {
    const auto i = static_cast<std::size_t>(call);
    return t.calls[i] ? t.callNanos[i] / static_cast<double>(t.calls[i]) / 1e3 : 0;
}

void printCapture(const Options& o, const CapturedRun& first, const CapturedRun& second, double pace) {
    const double durable = static_cast<double>(first.records) / first.durableSeconds;
    std::printf("run 1, captured as fast as it goes: %s records in %.2f s, durable (committed to the WAL) after %.2f s; "
                "capture waited for the writer %llu times\n",
                withCommas(first.records).c_str(), first.captureSeconds, first.durableSeconds,
                static_cast<unsigned long long>(first.stalls));
    std::printf("durable records/s: %s  (goal >= 1,000,000, issue 22: %s)\n", withCommas(static_cast<int64_t>(durable)).c_str(),
                verdict(o.smoke, durable >= 1'000'000).c_str());

    const Spread step = spreadOf(second.timings.stepTask), handler = spreadOf(second.timings.handlerTask);
    std::printf("run 2, paced at %s records/s so that the writer keeps up (capture waited %llu times), durable after %.2f s\n",
                withCommas(static_cast<int64_t>(pace)).c_str(), static_cast<unsigned long long>(second.stalls),
                second.durableSeconds);
    std::printf("capture per task on the critical path, 6 calls (a refine step, %s tasks): %s  (goal mean <= 1 us: %s)\n",
                withCommas(static_cast<int64_t>(second.timings.stepTask.size())).c_str(), spreadText(step).c_str(),
                verdict(o.smoke, step.mean <= 1.0).c_str());
    std::printf("capture per handler firing with a model, 8 calls (%s firings): %s\n",
                withCommas(static_cast<int64_t>(second.timings.handlerTask.size())).c_str(), spreadText(handler).c_str());
    const Spread notFired = spreadOf(second.timings.notFired), inFull = spreadOf(second.timings.notFiredInFull);
    std::printf("a firing that did not happen, per item: its type_test decision built and captured, %lld of each %lld one by one and "
                "the rest counted as the runtime does (%s frames): %s  (goal mean <= 0.5 us: %s)\n",
                static_cast<long long>(xdml::runtime::ItemTypes::kTestsInFull), static_cast<long long>(xdml::runtime::ItemTypes::kTestBlock),
                withCommas(static_cast<int64_t>(second.timings.notFired.size())).c_str(), spreadText(notFired).c_str(),
                verdict(o.smoke, notFired.mean <= 0.5).c_str());
    std::printf("  one recorded one by one (--type-tests all records every one so): %s\n", spreadText(inFull).c_str());
    const CaptureTimings& t = second.timings;
    std::string calls;
    for (int c = 0; c < static_cast<int>(CaptureCall::Count); ++c) {
        char part[64];
        std::snprintf(part, sizeof part, "%s%s %.3f", calls.empty() ? "" : ", ", captureCallName(static_cast<CaptureCall>(c)),
                      mean(t, static_cast<CaptureCall>(c)));
        calls += part;
    }
    const double six = mean(t, CaptureCall::StartActivity) + mean(t, CaptureCall::Used) + mean(t, CaptureCall::Entity) +
                       mean(t, CaptureCall::Generated) + mean(t, CaptureCall::DerivedFrom) +
                       mean(t, CaptureCall::EndActivity);
    const double clock = clockReadNanos();
    std::printf("  per call, mean us over both kinds of task (1 task in 16 timed call by call; each figure includes a "
                "clock read of %.0f ns): %s; a 6-call task's calls add up to %.3f us, %.3f without the clock reads\n",
                clock, calls.c_str(), six, six - 6 * clock / 1e3);
    std::printf("  run 1, unpaced (waits for the writer included): 6-call task %s; handler %s\n",
                spreadText(spreadOf(first.timings.stepTask)).c_str(),
                spreadText(spreadOf(first.timings.handlerTask)).c_str());
}

bool printQueries(const Options& o, const std::vector<QueryFigure>& figures) {
    bool right = true;
    for (const QueryFigure& f : figures) {
        std::string goal = f.judged ? "  (goal median <= 10 ms: " + verdict(o.smoke, f.medianMs <= 10.0) + ")" : "  (not judged)";
        std::printf("  %s: median %.2f ms, max %.2f ms over %d%s; %s\n", f.name.c_str(), f.medianMs, f.maxMs, f.reps,
                    goal.c_str(), f.answer.c_str());
        if (!f.wrong.empty()) {
            std::fprintf(stderr, "bench_provenance: %s answered wrongly: %s\n", f.name.c_str(), f.wrong.c_str());
            right = false;
        }
    }
    return right;
}

/// The `where` test of a stream's items as the run makes it (ItemTypes::matches on the
/// dispatch thread), an 8x8 frame against `max(it) > 1000.0`, which none passes: ns per item
/// with provenance (sampled, and every test recorded) and without. The difference is what
/// recording a firing that did not happen costs the critical path, explanation included.
void timeTypeTests(const Options& o, const fs::path& folder) {
    namespace rt = xdml::runtime;
    const nlohmann::json code = nlohmann::json::parse(R"({"catalogs": {}, "consts": {}, "flows": {}, "fns": {}, "models": {},
        "policies": {}, "streams": {}, "tasks": {}, "types": {
        "Frame": {"is": {"dims": [8, 8], "elem": "f32", "kind": "tensor"}},
        "Hot": {"is": {"kind": "named", "name": "Frame"}, "where": {"op": "binary", "operator": ">", "type": {"kind": "bool"},
            "args": [{"op": "call", "type": {"kind": "float"}, "callee": {"op": "name", "name": "max", "binding": "builtin"},
                      "args": [{"op": "name", "name": "it", "binding": "it", "type": {"kind": "named", "name": "Frame"}}]},
                     {"op": "float", "value": 1000.0, "type": {"kind": "float"}}]}}}})");
    const rt::Program program = rt::Program::fromCode(code);
    const int64_t items = o.smoke ? 20'000 : 300'000;
    std::vector<rt::DatumPtr> frames;
    for (int64_t i = 0; i < 256; ++i) {
        rt::Tensor t = rt::Tensor::zeros(rt::ElemType::F32, {8, 8});
        for (int k = 0; k < 64; ++k) t.data<float>()[k] = static_cast<float>((i * 64 + k) % 97) / 10.0f;
        frames.push_back(rt::Datum::make(rt::Value::tensor(std::move(t)), "beamline"));
    }
    auto models = []() -> rt::Models& { throw std::runtime_error("no models here"); };
    auto nsPerItem = [&](prov::Store* store, bool every) {
        rt::ItemTypes types(program, nullptr, models, store, "frames", every);
        const auto start = std::chrono::steady_clock::now();
        for (int64_t seq = 0; seq < items; ++seq) {
            const rt::DatumPtr& d = frames[static_cast<std::size_t>(seq % 256)];
            d->seq = seq;
            d->entity = seq + 1;
            rt::ItemDecisions decided;
            if (types.matches("Hot", d, decided)) throw std::runtime_error("a frame passed max(it) > 1000");
        }
        types.recordCounts();
        return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / static_cast<double>(items);
    };
    const fs::path db = folder / "type_tests.db";
    auto store = prov::Store::open(db);
    store->beginRun({.flow = "type_tests"});
    const double without = nsPerItem(nullptr, false), sampled = nsPerItem(store.get(), false), every = nsPerItem(store.get(), true);
    store->endRun("complete", "{}");
    std::printf("a firing that did not happen, through ItemTypes as the run tests an item (%s frames of 8x8 against "
                "max(it) > 1000.0, interpreted): %.0f ns per item without provenance, %.0f sampled, %.0f with every test "
                "recorded; recording costs the critical path %.3f us per item sampled  (goal <= 0.5 us: %s), %.3f every one\n",
                withCommas(items).c_str(), without, sampled, every, (sampled - without) / 1e3,
                verdict(o.smoke, (sampled - without) / 1e3 <= 0.5).c_str(), (every - without) / 1e3);
}

int run(const Options& o, const RunShape& shape) {
    WorkFolder folder(o.dir, o.keep);
    std::printf("bench_provenance: %s entities per run (%s frames, %s peaks values, %s refinement chains of %d values, "
                "%s trained model versions and version 0), 2 runs; %u cores, load %s; %s\n",
                withCommas(shape.entities()).c_str(), withCommas(shape.items).c_str(), withCommas(shape.items).c_str(),
                withCommas(shape.chains).c_str(), RunShape::kChainSteps, withCommas(shape.versions).c_str(),
                std::thread::hardware_concurrency(),
                loadAverage().c_str(), folder.database().string().c_str());
    std::fflush(stdout);

    // The altered frame is one with a chain, so the diff has downstream differences to find.
    int64_t altered = shape.items / 2 / RunShape::kChainEvery * RunShape::kChainEvery + RunShape::kChainEvery / 2;
    if (altered >= shape.items) altered = RunShape::kChainEvery / 2;
    CapturedRun first, second;
    double pace = 0;
    {
        auto store = prov::Store::open(folder.database());
        first = captureRun(*store, shape, RunOptions{});
        pace = 0.5 * static_cast<double>(first.records) / first.durableSeconds;
        second = captureRun(*store, shape, RunOptions{.alteredSeq = altered, .pacePerSecond = pace});
    }
    for (const CapturedRun* r : {&first, &second})
        if (r->entities != shape.entities())
            throw std::runtime_error("run " + std::to_string(r->run) + " captured " + std::to_string(r->entities) +
                                     " entities, expected " + std::to_string(shape.entities()));
    printCapture(o, first, second, pace);
    timeTypeTests(o, folder.database().parent_path());

    auto db = xdml::query::ProvDb::open(folder.database());
    std::printf("query latency on the closed database (2 runs: %s entities, %s records), each answer checked:\n",
                withCommas(2 * shape.entities()).c_str(), withCommas(first.records + second.records).c_str());
    std::fflush(stdout);
    return printQueries(o, timeQueries(*db, first, second, altered, o.reps)) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parseOptions(argc, argv);
    RunShape shape;
    try {
        shape = shapeFor(options.entities, options.versions);
    } catch (const std::invalid_argument& e) {
        usage(e.what());
    }
    try {
        return run(options, shape);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_provenance: %s\n", e.what());
        return 1;
    }
}
