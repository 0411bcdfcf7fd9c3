// Run.cpp — see Run.h: setting a run up, running it to its end, and its summary.
#include "runtime/engine/Run.h"

#include "runtime/engine/HandlerFiring.h"
#include "runtime/engine/LoopbackExecutor.h"
#include "runtime/engine/ModelUses.h"
#include "runtime/engine/Progress.h"
#include "runtime/engine/StatusSampler.h"
#include "runtime/engine/RecordRecovery.h"
#include "runtime/engine/ResumeLedger.h"
#include "runtime/engine/ResumeStart.h"
#include "runtime/engine/RunEffects.h"
#include "runtime/io/AtomicWrite.h"
#include "runtime/engine/StreamRuntime.h"
#include "runtime/interp/Evaluate.h"
#include "runtime/io/DataError.h"
#include "runtime/io/PrintableName.h"
#include "runtime/io/ValueCodec.h"
#include "runtime/provenance/ContentHash.h"
#include "runtime/python/PythonTasks.h"
#include "runtime/values/Text.h"

#include <fstream>
#include <iostream>
#include <limits>
#include <set>
#include <thread>

namespace xdml::runtime {

namespace fs = std::filesystem;

namespace {

RunOptions withDefaults(RunOptions options) {
    if (!options.out) options.out = [](const std::string& line) { std::cout << line << std::endl; };
    return options;
}

}  // namespace

Run::Run(Program program, PlanModel plan, RunOptions options)
    : program_(std::move(program)),
      plan_(std::move(plan)),
      options_(withDefaults(std::move(options))),
      reports_(options_.out, options_.quiet, options_.progress) {}

Run::~Run() {
    // Streams emit into each other: stop and drain all of them before destroying any.
    for (auto& [name, s] : streams_) s->stopSource();
    for (auto& [name, s] : streams_) s->closeInput();
    for (auto& [name, s] : streams_) s->join();
    for (auto& [name, site] : sites_) site->shutdown();
    if (python_) python_->shutdown();
    streams_.clear();
}

std::string Run::pythonCode(const std::string& task) const { return python_ ? python_->codeOf(task) : ""; }

void Run::startPythonPools() {
    if (!python_) return;
    // The pools of the sites the plan places Python tasks on start now, importing their modules
    // while the sources start; another site's starts at its first call. A pool has as many
    // workers as its site has threads, or fewer when every Python task placed there is limited
    // (`limit: { tasks: N }`, counted once per policy that sets it): no more can run at once.
    std::map<std::string, std::map<std::string, int>> limits;  // site -> limit key -> N
    std::set<std::string> unlimited;
    for (const auto& [id, n] : plan_.nodes()) {
        const TaskDecl* task = n.kind == planformat::NodeKind::Task ? program_.task(n.label) : nullptr;
        if (!task || !task->python || remoteSites_.count(n.site)) continue;
        const EffectivePolicy& p = policy(n.policy);
        if (p.maxConcurrent > 0) {
            int& limit = limits[n.site][p.limitKey.empty() ? "node " + std::to_string(id) : p.limitKey];
            limit = limit ? std::min(limit, p.maxConcurrent) : p.maxConcurrent;
        } else {
            unlimited.insert(n.site);
        }
        limits[n.site];
    }
    for (const auto& [site, byKey] : limits) {
        int workers = python_->workersAt(site);
        if (!unlimited.count(site)) {
            int most = 0;
            for (const auto& [key, n] : byKey) most += n;
            workers = std::max(1, std::min(workers, most));
        }
        // A pool that cannot start (no python3) is reported here once; each call then says why.
        try {
            python_->start(site, workers);
        } catch (const std::exception& e) {
            report(std::string("error: the Python workers of site '") + site + "' did not start: " + e.what(), "python");
        }
    }
}

void Run::writtenUnsynced(const std::string& folder) {
    std::lock_guard lock(unsyncedMutex_);
    if (std::find(unsyncedFolders_.begin(), unsyncedFolders_.end(), folder) == unsyncedFolders_.end())
        unsyncedFolders_.push_back(folder);
}

double Run::elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count(); }

fs::path Run::resolve(const std::string& path) const {
    fs::path p(path);
    return p.is_absolute() ? p : options_.workdir / p;
}

fs::path Run::resolveInput(const std::string& path) const {
    fs::path p(path);
    if (p.is_absolute() || options_.inputDir.empty()) return resolve(path);
    std::error_code ec;
    if (fs::exists(options_.workdir / p, ec)) return options_.workdir / p;
    // What the recorded run wrote was not there before it: the replay sees its own copy or none.
    if (options_.replay && options_.replay->wrote((options_.inputDir / p).string())) return options_.workdir / p;
    return options_.inputDir / p;
}

std::string Run::invalidatedInput(const std::string& hash) const {
    auto it = invalidHashes_.find(hash);
    if (it == invalidHashes_.end()) return "";
    return "its content is that of entity " + std::to_string(it->second) +
           ", which was invalidated (`xdmlc prov why " + std::to_string(it->second) + "`)";
}

const FiringContext& Run::firingContext() const { return worker_->context(); }

SiteExecutor& Run::site(const std::string& name) {
    auto it = sites_.find(name);
    if (it == sites_.end()) throw PlanError("plan: a node at the unknown site '" + name + "'");
    return *it->second;
}

std::vector<SiteStatus> Run::siteStatuses() const {
    std::vector<SiteStatus> out;
    for (const auto& [name, s] : sites_) out.push_back(s->status());
    return out;
}

StreamRuntime* Run::stream(const std::string& name) {
    auto it = streams_.find(name);
    return it == streams_.end() ? nullptr : it->second.get();
}

Models& Run::models() {
    if (!models_) throw EvalError("this run has no models runtime (LibTorch): models cannot be used");
    return *models_;
}

CatalogStore& Run::catalog(const std::string& name) {
    auto it = catalogs_.find(name);
    if (it == catalogs_.end()) throw EvalError("no catalog '" + name + "' in this run");
    return *it->second;
}

void Run::recordDecision(const std::string& kind, const std::string& subject, const std::string& choice,
                         const std::string& reason, const std::string& inputsJson) {
    if (store_) store_->decision({kind, subject, choice, reason, inputsJson, -1});
}

// ------------------------------------------------------------------ the run

void Run::openStores() {
    std::error_code ec;
    fs::create_directories(options_.workdir, ec);
    if (ec) throw DataError(options_.workdir.string(), "cannot create the work directory: " + ec.message());
    const unsigned hardware = std::thread::hardware_concurrency();
    for (const SiteInfo& s : plan_.sites) {
        for (const char* sub : {"values", "outbox", "inbox"}) fs::create_directories(options_.workdir / "sites" / s.name / sub, ec);
        if (ec) throw DataError((options_.workdir / "sites" / s.name).string(), "cannot create the site's folder: " + ec.message());
    }
    // Python tasks run in a pool per site, as many workers as the site's own (docs/python.md).
    python_ = python::PythonTasks::of(program_, fs::absolute(options_.workdir).string(), [this, hardware](const std::string& site) {
        for (const SiteInfo& s : plan_.sites)
            if (s.name == site)
                return workersFor(boundCores(s.cores, options_.profile ? options_.profile->binding(s.name) : nullptr), hardware);
        return 1;
    });
    if (python_)
        for (const std::string& note : python_->notes()) report(note, "python");
    worker_ = std::make_unique<TaskWorker>(FiringContext{program_, plan_, compiled(), options_.workdir, options_.provenance,
                                                         &stats_.expressionsEvaluated, python_.get()});
    transports_ = std::make_unique<SiteTransports>(options_.workdir);
    if (options_.executor != "local" && options_.executor != "loopback")
        throw PlanError("unknown executor '" + options_.executor + "' (local or loopback)");
    for (const SiteInfo& s : plan_.sites) {
        if (options_.remoteSite)
            if (auto remote = options_.remoteSite(s, *worker_)) {
                sites_.emplace(s.name, std::move(remote));
                transports_->runsElsewhere(s.name);
                remoteSites_.insert(s.name);
                continue;
            }
        const deploy::SiteBinding* binding = options_.profile ? options_.profile->binding(s.name) : nullptr;
        const int workers = workersFor(boundCores(s.cores, binding), hardware);
        if (options_.executor == "loopback") sites_.emplace(s.name, std::make_unique<LoopbackExecutor>(s.name, workers, *worker_));
        else sites_.emplace(s.name, std::make_unique<LocalExecutor>(s.name, workers, *worker_));
    }
    std::map<std::string, fs::path> catalogFiles;
    Evaluator ev(program_, nullptr, compiled());
    for (const auto& [name, c] : program_.catalogs()) {
        Value path = ev.evaluate(c.path, Scope());
        if (!path.is(Value::Kind::String)) throw DataError("catalog " + name, "its path is not a string");
        catalogFiles.emplace(name, resolve(path.asString()));
    }
    if (options_.provenance) {
        store_ = prov::Store::open(options_.provenanceFile.empty() ? options_.workdir / "provenance.db"
                                                                   : options_.provenanceFile);
        invalidHashes_ = store_->invalidInputHashes();
        prov::RunInfo info;
        info.flow = options_.flows.empty() ? "" : options_.flows.front();
        for (std::size_t i = 1; i < options_.flows.size(); ++i) info.flow += "," + options_.flows[i];
        info.scriptPath = options_.scriptPath;
        info.scriptHash = !options_.scriptHash.empty() ? options_.scriptHash
                                                       : prov::contentHash(options_.scriptText.data(), options_.scriptText.size());
        info.arguments = options_.arguments;
        info.seed = options_.seed;
        info.planJson = options_.planJson;
        info.version = options_.version;
        info.workdir = fs::absolute(options_.inputBase()).lexically_normal().string();
        // Before the new run begins: the store is between runs while it writes for old ones.
        for (const std::string& note : recoverRecordEntities(*store_, catalogFiles)) report("note: " + note);
        openLedger(info.flow, catalogFiles, [&] { return recordedRun_ = store_->beginRun(info); });
    } else if (options_.resume) {
        throw ResumeError("--resume needs provenance: the run to resume is found there (drop --no-provenance)");
    }
    for (const auto& [name, c] : program_.catalogs()) {
        auto& catalog = catalogs_.emplace(name, CatalogStore::open(catalogFiles.at(name), name, program_.structure(c.type),
                                                   [this](const TypeDesc& t) -> const TypeDesc& { return program_.structure(t); })).first->second;
        // What a flow reads of a catalog depends on what earlier runs left in it: said once, so
        // a replay (which starts with the catalog empty) can tell its user.
        // count(catalog) counts this run's rows (LANGUAGE.md §9), and those a resume kept.
        catalog->setRun(recordedRun_, resumedChain_);
        if (const int64_t held = catalog->countAll(); held > 0 && store_)
            store_->decision({"catalog_state", "catalog:" + name, std::to_string(held) + " records",
                              "catalog " + name + " held " + std::to_string(held) + " records when the run started", "{}", -1});
    }
}

void Run::openLedger(const std::string& flow, const std::map<std::string, fs::path>& catalogFiles,
                     const std::function<int64_t()>& beginRun) {
    const RunCode code = runCodeOf(options_.planJson);
    std::optional<ResumeStart> resumed;
    if (options_.resume && !hasRunToResume(*store_, options_))
        report("note: --resume: no earlier run in " + options_.workdir.string() + ": this run starts from the beginning");
    else if (options_.resume)
        resumed = prepareResume(*store_, options_, flow, code, catalogFiles);
    const int64_t run = beginRun();
    if (options_.replay) return;  // a replay redoes a run on purpose: it keeps nothing to resume
    ResumeSetup setup;
    setup.workdir = options_.workdir;
    setup.run = run;
    if (resumed) {
        for (const std::string& note : resumed->notes) report(note);
        setup.resumed = resumed->run;
        resumedChain_ = resumed->chain;
        setup.previous = std::move(resumed->previous);
        setup.itemsReusable = resumed->itemsReusable;
        recordDecision(std::string(prov::decision_kind::reuse), "run:" + std::to_string(setup.resumed), "resumed",
                       "this run resumes run " + std::to_string(setup.resumed) + " (xdmlc run --resume)");
    }
    setup.version = options_.version;
    setup.flowsHash = code.flows;
    setup.codeHashes = code.tasks;
    setup.report = [this](const std::string& line) { report(line, line.rfind("error", 0) == 0 ? "" : "resume"); };
    setup.stopping = [this] { return stopping(); };
    setup.writeFailures = &stats_.resumeLogFailures;
    resume_ = std::make_unique<ResumeLedger>(std::move(setup));
}

void Run::startStreams() {
    std::set<std::string> flows(options_.flows.begin(), options_.flows.end());
    auto selected = [&](const std::string& flow) { return flows.empty() || flows.count(flow); };
    // Which streams take part: those the selected handlers listen to or emit into.
    emits_ = std::make_unique<EmitGraph>(program_, plan_, flows);
    std::set<std::string> used = emits_->streams();
    // And those a model trains on or scores, which may have no handler of their own.
    const auto modelUses = modelUsesOfStreams(program_, flows);
    for (const auto& [name, use] : modelUses) used.insert(name);
    for (const std::string& name : used) {
        auto decl = program_.streams().find(name);
        if (decl == program_.streams().end()) throw PlanError("plan: the unknown stream '" + name + "'");
        auto info = plan_.streams.find(name);
        std::string site = info != plan_.streams.end() && !info->second.site.empty() ? info->second.site : plan_.homeSite;
        auto use = modelUses.find(name);
        streams_.emplace(name, std::make_unique<StreamRuntime>(*this, *emits_, decl->second, site,
                                                               use != modelUses.end() ? use->second : StreamModelUse{}));
    }
    for (const HandlerInfo& h : plan_.handlers) {
        if (!selected(h.flow) || h.kind == planformat::HandlerKind::Start) continue;
        if (h.kind == planformat::HandlerKind::Stop) {
            stopHandlers_.push_back(&h);
            continue;
        }
        const Stmt* st = findHandler(program_.flows().at(h.flow).body, h.at);
        streams_.at(h.stream)->addHandler(h, *st);
    }
    // The plan's placements, once: why each task runs where it does.
    if (store_)
        for (const auto& [id, n] : plan_.nodes())
            if ((n.kind == planformat::NodeKind::Task || n.kind == planformat::NodeKind::Fused) && n.handler >= 0 &&
                selected(plan_.handlers[static_cast<std::size_t>(n.handler)].flow))
                store_->decision({"placement", "node:" + std::to_string(id), n.site, n.reason,
                                  "{\"node\": " + std::to_string(id) + ", \"label\": " + nlohmann::json(n.label).dump() + "}", -1});
    // Every source opens before any thread starts, so a bad one fails the run cleanly.
    for (auto& [name, s] : streams_) s->open();
    for (auto& [name, s] : streams_) s->startDispatch();
}

void Run::runStartHandlers() {
    std::set<std::string> flows(options_.flows.begin(), options_.flows.end());
    for (const HandlerInfo& h : plan_.handlers)
        if (h.kind == planformat::HandlerKind::Start && (flows.empty() || flows.count(h.flow))) runStartHandler(*this, h, program_.flows().at(h.flow));
    emits_->startHandlersDone();
}

void Run::runStopHandlers() {
    if (stopHandlers_.empty()) return;
    // The work under way first: calls the handlers started and did not wait for.
    const auto idle = [this] {
        for (const SiteStatus& s : siteStatuses())
            if (s.running > 0 || s.queued > 0) return false;
        return true;
    };
    while (!idle()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const std::string why = stopRequested_.load() ? "the run was stopped (a signal or the REPL's interrupt)"
                                                  : "every stream ended and its handlers finished";
    runningStopHandlers_.store(true);
    for (const HandlerInfo* h : stopHandlers_) {
        const Stmt* st = findHandler(program_.flows().at(h->flow).body, h->at);
        if (st) runStopHandler(*this, *h, *st, why);
    }
    runningStopHandlers_.store(false);
}

int Run::execute() {
    started_ = std::chrono::steady_clock::now();
    // Kernels compile in the background while the flow starts interpreted (RunOptions::compile).
    if (options_.compile)
        compiled_ = options_.compile(program_, [this](int line, const std::string& message) {
            report(printableName(plan_.file) + ":" + std::to_string(line) + ": " + message, "jit");
        });
    openStores();
    policies_.emplace(program_, compiled());
    startPythonPools();
    meta_.emplace([this] { return siteStatuses(); }, plan_, store_.get(), stats_.relocations);
    if (options_.models) {
        ModelContext context;
        context.store = store_.get();
        context.workdir = options_.workdir;
        context.inputDir = options_.inputBase();
        context.keepVersions = options_.replay != nullptr;
        context.seed = options_.seed;
        context.homeSite = plan_.homeSite;
        context.file = plan_.file;
        context.report = [this](const std::string& line) { report(line, "model"); };
        models_ = options_.models(program_, context);
    }
    Progress progress(*this);
    std::optional<StatusSampler> sampler;
    if (store_ && options_.statusInterval > 0) {
        sampler.emplace([this] { return siteStatuses(); }, *store_, options_.statusInterval);
        sampler->start();
    }
    // Streams take emits before the flow-level statements run (they may emit); sources start
    // after them (they may prepare the files a source lists).
    startStreams();
    if (options_.progress && !options_.quiet) progress.start();
    runStartHandlers();
    for (auto& [name, s] : streams_) s->startSource();
    emits_->waitForEnds(streams_, stopRequested_);
    for (auto& [name, s] : streams_) s->join();
    runStopHandlers();
    for (auto& [name, s] : sites_) s->shutdown();
    if (python_) python_->shutdown();
    if (resume_) resume_->flush();  // its failure fails the run, like a group's
    bool unsynced = false;
    try {
        syncFileSystemsOf(unsyncedFolders_);  // what write() wrote is on disk before the run says how it went
    } catch (const WriteError& e) {
        report(std::string("error: ") + e.what(), "sync");
        unsynced = true;
    }
    if (options_.addRemoteCounters) options_.addRemoteCounters(stats_);
    progress.stop();
    if (sampler) sampler->stop();
    const double seconds = elapsed();
    uint64_t failedFirings = 0;
    for (const auto& [id, h] : stats_.handlers()) failedFirings += h->failed.load();
    bool failed = stats_.tasksFailed.load() > 0 || failedFirings > 0 || stats_.lostItems.load() > 0 ||
                  stats_.resumeLogFailures.load() > 0 || unsynced;
    // A source that may have lost items (a watch that could not go on) leaves the run short of
    // its input, whatever else went well: never a success.
    const bool missed = !stats_.missed().empty();
    const nlohmann::json counters = stats_.toJson(seconds);
    // A run end the store cannot commit (a full disk) is reported like any failure: the
    // summary and --stats-json still say what the run did.
    if (store_) {
        try {
            store_->endRun(missed ? "incomplete" : stopRequested_.load() ? "stopped" : failed ? "failed" : "complete",
                           counters.dump());
        } catch (const std::exception& e) {
            report(std::string("error: provenance: ") + e.what(), "provenance-end");
            failed = true;
        }
    }
    if (!options_.quiet) options_.out(summary(seconds, failed));
    else reports_.reportNotShown();
    return failed || missed ? 1 : 0;
}

std::string Run::summary(double seconds, bool failed) const {
    const auto missed = stats_.missed();
    std::string out = "\n" + std::string(failed ? "run finished with failures" : !missed.empty() ? "run incomplete: it may have missed items"
                                        : stopRequested_.load() ? "run stopped" : "run complete") +
                      " in " + formatFloat(std::round(seconds * 1000) / 1000) + " s\n";
    for (const auto& [name, c] : stats_.streams())
        out += "  stream " + name + ": " + std::to_string(c->items.load()) + " items" +
               (c->malformed.load() ? ", " + std::to_string(c->malformed.load()) + " malformed" : "") +
               (c->gaps.load() ? ", lost track of its source " + (c->gaps.load() == 1 ? std::string("once") : std::to_string(c->gaps.load()) + " times") +
                                     " (" + std::to_string(c->recovered.load()) + " items found again by rescans)"
                               : "") +
               "\n";
    for (const auto& [name, why] : missed) out += "  may have missed items: stream " + name + ": " + why + "\n";
    for (const auto& [id, h] : stats_.handlers()) {
        const HandlerInfo& info = plan_.handlers[static_cast<std::size_t>(id)];
        std::string title = info.kind == planformat::HandlerKind::Start ? "flow " + info.flow + " start"
                            : info.kind == planformat::HandlerKind::End ? "on end of " + info.stream
                            : info.kind == planformat::HandlerKind::Stop ? "flow " + info.flow + " on stop"
                                                 : "on new data of type " + info.type + " in " + info.stream;
        out += "  " + title + ": " + std::to_string(h->firings.load()) + " firings" +
               (h->failed.load() ? ", " + std::to_string(h->failed.load()) + " failed" : "") + "\n";
    }
    out += "  tasks: " + std::to_string(stats_.tasksRun.load()) + " run, " + std::to_string(stats_.tasksFailed.load()) +
           " failed, " + std::to_string(stats_.retries.load()) + " retries\n";
    if (stats_.reusedTasks.load() || stats_.resumedItems.load() || options_.resume)
        out += "  resume: " + std::to_string(stats_.reusedTasks.load()) + " task calls reused, " +
               std::to_string(stats_.resumedItems.load()) + " items handled before, skipped\n";
    out += "  data: " + std::to_string(stats_.movedBytes.load()) + " bytes moved between sites, " +
           std::to_string(stats_.writtenBytes.load()) + " bytes written\n";
    if (stats_.deadlineMisses.load() || stats_.startMisses.load())
        out += "  warning: " + std::to_string(stats_.deadlineMisses.load()) + " deadline misses, " +
               std::to_string(stats_.startMisses.load()) + " late starts\n";
    if (stats_.lostItems.load())
        out += "  error: " + std::to_string(stats_.lostItems.load()) + " emitted items lost (their stream had ended)\n";
    if (stats_.unhandledAfterStop.load())
        out += "  " + std::to_string(stats_.unhandledAfterStop.load()) +
               " items emitted into a cycle after the stop were not handled\n";
    out += reports_.notShown();
    if (store_) out += "  provenance: " + store_->file().string() + "\n";
    return out;
}

}  // namespace xdml::runtime
