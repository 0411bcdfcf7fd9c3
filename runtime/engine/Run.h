// Run.h — one execution of a plan on this machine (`xdmlc run`): it sets the run up (the site
// executors (SiteExecutor.h), the transport between sites, catalogs, provenance store and models runtime, the streams of the selected
// flows and their emit graph), runs the flow-level statements, waits for the streams' ends and
// sums up. Firings, streams and task calls reach the run's shared parts through it: the
// program and plan, the counters, provenance, the policy table (PolicyTable.h), the
// meta-controller (MetaController.h), failure reports (FailureReports.h), moving values.
//
// Threads: each stream has a dispatcher (and a reader when it has a source) and a few
// handler threads that execute its firings; task calls run on the workers of the site the
// plan (or the meta-controller) chose. A handler thread waits for its tasks, never a worker,
// so a site's workers cannot all be blocked waiting for one another.
#pragma once

#include "deploy/Deployment.h"
#include "runtime/catalog/CatalogStore.h"
#include "runtime/engine/Datum.h"
#include "runtime/engine/EmitGraph.h"
#include "runtime/engine/FailureReports.h"
#include "runtime/engine/MetaController.h"
#include "runtime/engine/Models.h"
#include "runtime/engine/PlanModel.h"
#include "runtime/engine/PolicyTable.h"
#include "runtime/engine/Replay.h"
#include "runtime/engine/RunStats.h"
#include "runtime/engine/SiteExecutor.h"
#include "runtime/engine/TaskFailure.h"
#include "runtime/engine/Transport.h"
#include "runtime/interp/CompiledCode.h"
#include "runtime/interp/Program.h"
#include "runtime/provenance/Store.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace xdml::deploy {
struct Profile;
}

namespace xdml::runtime::python {
class PythonTasks;
}

namespace xdml::runtime {

class ResumeLedger;
class StreamRuntime;
class TaskWorker;
struct FiringContext;

struct RunOptions {
    std::filesystem::path workdir;
    /// Where relative input paths (sources, read, exists, size, load) are found when not in
    /// the work directory; empty: the work directory. A replay runs in a folder of its own and
    /// reads the original run's inputs.
    std::filesystem::path inputDir;
    /// The provenance database; empty: <workdir>/provenance.db.
    std::filesystem::path provenanceFile;
    std::string scriptPath, scriptText, arguments;
    std::string scriptHash;  // recorded instead of the hash of scriptText when set (a replay's)
    std::string planJson;  // the plan as run, recorded with the run (replay runs it again)
    /// Set for a replay: the recorded inputs and per-item choices to take instead of the world's.
    std::shared_ptr<const ReplayLog> replay;
    std::vector<std::string> flows;  // empty: every flow of the plan
    int64_t seed = 0;
    bool provenance = true;
    /// Seconds between two samples of every site's status into provenance (StatusSampler.h);
    /// 0: none.
    double statusInterval = 0.1;
    /// Record every `where` test that fails one by one (`--type-tests all`); else the first of
    /// each block of items, and counts (ItemTypes::kTestBlock).
    bool everyTypeTest = false;
    bool quiet = false;
    bool progress = false;           // a live display (on a terminal)
    std::function<void(const std::string&)> out;  // log lines and reports; default stdout
    /// Compiled code for the run's program (the JIT: jit::Kernels), made once the program is in
    /// place; `report` hears of JIT failures, with their source line. None: everything is
    /// interpreted (--no-jit).
    std::function<std::shared_ptr<const CompiledCode>(const Program&, std::function<void(int line, const std::string&)> report)> compile;
    /// The models runtime (ml::ModelRegistry), made once provenance is open. None: a flow
    /// that uses a model fails where it does.
    std::function<std::unique_ptr<Models>(const Program&, const ModelContext&)> models;

    /// The base of relative source globs and folders, and of inputs not in the work directory.
    const std::filesystem::path& inputBase() const { return inputDir.empty() ? workdir : inputDir; }
    /// How task calls reach a site's workers: "local" (the worker pool, directly) or
    /// "loopback" (the same pool, every request, outcome and effect encoded to bytes and
    /// decoded before use: a test of the executor seam, docs/runtime.md).
    std::string executor = "local";
    /// The executor of a site that runs elsewhere (a distributed run's MPI-placed sites,
    /// docs/distributed.md); null, or its answer null: the site runs on this machine's pool.
    std::function<std::unique_ptr<SiteExecutor>(const SiteInfo& site, const TaskWorker& worker)> remoteSite;
    /// Adds what was counted elsewhere (the other ranks' task bodies: expressions evaluated),
    /// once every site is idle and before the counters are recorded; none: nothing elsewhere.
    std::function<void(RunStats&)> addRemoteCounters;
    /// Handler threads per stream; 0: the default (FiringQueue::kDefaultThreads). A test
    /// setting (a replay must finish with one: its firings waiting for a model version park),
    /// and a distributed run's: enough for every slot of the sites' ranks (MpiRun.cpp).
    int handlerThreads = 0;
    /// Firings per stream whose body is through that may wait for their calls without holding
    /// a handler thread (FiringQueue::allowDeferred); 0: none, each waits on its thread.
    int deferredFirings = 0;
    /// The deployment profile the run was started with (`xdmlc run --deploy`, docs/distributed.md);
    /// none: every site local, with the plan's cores. A `local` binding's cores cap its site's
    /// worker pool; the MPI executor lays out its ranks from the `mpi` bindings.
    std::optional<deploy::Profile> profile;
    /// `xdmlc run --resume [--run ID]` (ResumeStart.h): reuse the work of run `resumeRun` (0:
    /// the latest) of the work directory. `version`: xdmlc's, part of every task call's key.
    bool resume = false;
    int64_t resumeRun = 0;
    std::string version;
};

/// A value's provenance hash: a tensor's raw elements, anything else its serialized bytes. One
/// function, so a value and its copies at other sites hash alike.
std::string contentHashOf(const Value& v);

class Run {
public:
    Run(Program program, PlanModel plan, RunOptions options);
    ~Run();

    /// Runs the selected flows to the end of their finite streams (or until stop()).
    /// Returns the process exit status: 0, or 1 when a task failed for good.
    int execute();
    /// Asks the run to stop: sources stop, work under way finishes. Signal-safe.
    void stop() { stopRequested_.store(true); }
    /// Whether work should wind down: asked to stop, and not running the `on stop` handlers
    /// (their loops and tasks run as in any firing).
    bool stopping() const { return stopRequested_.load() && !runningStopHandlers_.load(); }

    // ---- shared services, used by firings and streams
    const Program& program() const { return program_; }
    /// The JIT's code for the program, or nullptr: give it to every Evaluator.
    const CompiledCode* compiled() const { return compiled_.get(); }
    /// The models runtime. Throws EvalError when this run has none.
    Models& models();
    bool hasModels() const { return models_ != nullptr; }
    const PlanModel& plan() const { return plan_; }
    const RunOptions& options() const { return options_; }
    RunStats& stats() { return stats_; }
    prov::Store* provenance() { return store_.get(); }
    /// This run's id in the provenance database (0: none recorded).
    int64_t recordedRun() const { return recordedRun_; }
    /// The run's side of resume (ResumeLedger.h); nullptr without provenance, or in a replay.
    ResumeLedger* resume() { return resume_.get(); }
    SiteExecutor& site(const std::string& name);
    /// What every firing reads: the program, the plan, the JIT's code, the work directory.
    const FiringContext& firingContext() const;
    std::vector<SiteStatus> siteStatuses() const;
    StreamRuntime* stream(const std::string& name);
    CatalogStore& catalog(const std::string& name);

    /// The value at `site`: itself, or a copy moved there (once per value and site), counted
    /// and recorded alike whichever transport carries it (Transport.h): the serialized value
    /// really copied between the sites' folders, or the executor's messages for a site that
    /// runs elsewhere.
    DatumPtr moveTo(const DatumPtr& d, const std::string& site);
    /// At -O0 a task output is written to its site's storage and read back.
    DatumPtr persist(const DatumPtr& d, const std::string& what);
    /// The datum's provenance entity, recorded now if it has none.
    int64_t entityOf(const DatumPtr& d, const std::string& kind = "value");
    /// The entity entityOf records for `d` (the caller holds d.mutex).
    prov::EntityRecord entityRecordOf(const Datum& d, const std::string& kind) const;
    /// The policy of a node or handler, evaluated once and kept (PolicyTable.h).
    const EffectivePolicy& policy(const ClauseMap& clauses) { return policies_->of(clauses); }
    /// The flow-level meta-controller: where a task should run now (MetaController.h).
    MetaController& metaController() { return *meta_; }

    /// A folder where write() left a file unsynced in a run without provenance: its file system
    /// is synced when the run ends, before it reports how it went (with provenance, the group
    /// that records the file syncs it: Store::writtenFile).
    void writtenUnsynced(const std::string& folder);

    void log(const std::string& line) { reports_.log(line); }
    /// A Python task's module hash as the run found it ("" for any other task).
    std::string pythonCode(const std::string& task) const;
    /// Starts the Python pools of the sites the plan places Python tasks on (docs/python.md).
    void startPythonPools();
    /// A warning or failure (FailureReports.h).
    void report(const std::string& line, const std::string& kind = "") { reports_.report(line, kind); }
    void recordDecision(const std::string& kind, const std::string& subject, const std::string& choice,
                        const std::string& reason, const std::string& inputsJson = "{}");
    double elapsed() const;  // seconds since the run started
    /// A path the flow names, resolved against the work directory.
    std::filesystem::path resolve(const std::string& path) const;
    /// A path the flow reads: in the work directory if it is there (written by this run),
    /// else in the input directory (RunOptions::inputDir).
    std::filesystem::path resolveInput(const std::string& path) const;
    /// When `hash` is the content of an invalidated input (`xdmlc prov invalidate`), a note
    /// naming that entity; "" otherwise. Such inputs are recorded invalid, with what they make.
    std::string invalidatedInput(const std::string& hash) const;

    /// Whether `to`'s handlers (through other streams) feed `from` back (EmitGraph.h).
    bool feedsBack(const std::string& from, const std::string& to) const { return emits_->feedsBack(from, to); }

private:
    void openStores();
    /// Before beginRun: prepares a resume when asked (ResumeStart.h); after it: this run's ledger.
    void openLedger(const std::string& flow, const std::map<std::string, std::filesystem::path>& catalogFiles,
                    const std::function<int64_t()>& beginRun);
    void startStreams();
    void runStartHandlers();
    /// The `on stop` handlers, once the work under way has finished (LANGUAGE.md §9).
    void runStopHandlers();
    std::string summary(double seconds, bool failed) const;

    Program program_;
    PlanModel plan_;
    RunOptions options_;
    FailureReports reports_;
    std::shared_ptr<const CompiledCode> compiled_;  // after program_: destroyed before it
    RunStats stats_;
    std::unique_ptr<prov::Store> store_;
    std::unique_ptr<Models> models_;  // after store_: destroyed before it
    std::unique_ptr<ResumeLedger> resume_;  // before streams_: what they hold of it lets go first
    std::optional<PolicyTable> policies_;
    std::unique_ptr<python::PythonTasks> python_;  // before worker_: its Python tasks run in these pools
    std::unique_ptr<TaskWorker> worker_;  // before sites_: their workers run its bodies
    std::set<std::string> remoteSites_;   // the sites on other ranks (a distributed run)
    std::unique_ptr<SiteTransports> transports_;  // which transport carries each move
    std::map<std::string, std::unique_ptr<SiteExecutor>> sites_;
    std::optional<MetaController> meta_;
    std::map<std::string, std::unique_ptr<CatalogStore>> catalogs_;
    std::unique_ptr<EmitGraph> emits_;
    std::map<std::string, std::unique_ptr<StreamRuntime>> streams_;  // after emits_: destroyed before it
    std::atomic<bool> stopRequested_{false};
    std::atomic<bool> runningStopHandlers_{false};
    std::vector<const HandlerInfo*> stopHandlers_;  // the selected flows' `on stop`, in plan order
    std::atomic<uint64_t> fileCounter_{0};
    std::chrono::steady_clock::time_point started_;
    std::map<std::string, int64_t> invalidHashes_;  // content hash -> an invalidated entity with it
    int64_t recordedRun_ = 0;
    std::vector<int64_t> resumedChain_;  // with --resume: the runs this one continues (ResumeStart::chain)
    std::mutex unsyncedMutex_;
    std::vector<std::string> unsyncedFolders_;  // writtenUnsynced's, each once
};

}  // namespace xdml::runtime
