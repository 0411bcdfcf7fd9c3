// MpiRun.cpp — see MpiRun.h.
#include "tools/xdmlc/MpiRun.h"

#include "jit/Kernels.h"
#include "tools/xdmlc/ModelsPlugin.h"
#include "runtime/distributed/Mailbox.h"
#include "runtime/distributed/MpiExecutor.h"
#include "runtime/distributed/RankCounters.h"
#include "runtime/distributed/RankLayout.h"
#include "runtime/distributed/RemoteModels.h"
#include "runtime/distributed/SiteRank.h"
#include "runtime/engine/FiringQueue.h"
#include "runtime/engine/TaskWorker.h"
#include "runtime/io/AtomicWrite.h"

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

namespace xdml::tools {

namespace dist = runtime::distributed;

namespace {

/// Handler threads per stream at most, however many slots the sites' ranks have.
constexpr int kMostHandlerThreads = 1024;
// Firings per stream that wait for their last call without a thread (FiringQueue::Defer).
constexpr int kLeastDeferredFirings = 64;
constexpr int kMostDeferredFirings = 4096;

/// Rank 0: the hosts of all ranks, once each has said hello (a dead rank ends the job through
/// the mailbox's silence watch).
std::vector<std::string> gatherHosts(dist::Mailbox& mailbox) {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> hosts(static_cast<std::size_t>(mailbox.size()));
    int heard = 1;
    hosts[0] = mailbox.host();
    mailbox.onPost(dist::Tag::Hello, [&](int source, std::string host) {
        std::lock_guard lock(mutex);
        if (hosts[static_cast<std::size_t>(source)].empty()) ++heard;
        hosts[static_cast<std::size_t>(source)] = std::move(host);
        changed.notify_all();
    });
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return heard == mailbox.size(); });
    mailbox.onPost(dist::Tag::Hello, [](int, std::string) {});
    return hosts;
}

/// `calls` outlives the mailbox's thread: a controller's last status may still arrive. The
/// caller tells the other ranks to stop, whatever this returns.
int coordinate(dist::Mailbox& mailbox, const RunArguments& args, std::unique_ptr<dist::CoordinatorCalls>& calls) {
    std::vector<std::string> hosts = gatherHosts(mailbox);
    int code = 0;
    std::optional<deploy::Profile> profile;
    nlohmann::json plan = planOf(args, code, profile);
    if (code != 0 || plan.is_null()) return code ? code : 1;
    runtime::RunOptions options = runOptionsOf(args, plan);
    options.profile = std::move(profile);
    dist::RankLayout layout;
    try {
        layout = dist::layoutRanks(runtime::PlanModel::fromPlan(plan).sites, mailbox.size(),
                                   options.profile ? &*options.profile : nullptr,
                                   std::thread::hardware_concurrency());
    } catch (const std::exception& e) {
        std::cerr << "xdmlc: error: " << args.file << ": " << e.what() << "\n";
        return 1;
    }
    layout.hosts = hosts;
    if (!args.quiet) std::cout << layout.describe() << std::flush;
    dist::PlanMessage message{plan, options.workdir, options.provenance, layout.toJson()};
    const std::string bytes = message.encode();
    for (int r = 1; r < mailbox.size(); ++r) mailbox.post(r, dist::Tag::Plan, bytes);
    options.remoteSite = [&](const runtime::SiteInfo& site, const runtime::TaskWorker& worker) -> std::unique_ptr<runtime::SiteExecutor> {
        const dist::SiteRanks* ranks = layout.site(site.name);
        if (!ranks) return nullptr;
        if (!calls) calls = std::make_unique<dist::CoordinatorCalls>(mailbox, worker.context().program, layout);
        return std::make_unique<dist::MpiExecutor>(*calls, *ranks);
    };
    // A firing waits on its handler thread for a call whose value it uses in place: with the
    // default eight threads per stream no more than eight calls would be under way, however
    // many slots the sites' ranks have. Enough threads to keep every slot (and its prefetch)
    // busy; beyond the eight, each starts only when the others are busy (FiringQueue::growIfBusy).
    options.handlerThreads = std::clamp(layout.callsHeldAtOnce(), runtime::FiringQueue::kDefaultThreads, kMostHandlerThreads);
    // A firing whose body ends with a call need not hold its thread while the call runs:
    // enough of them for every slot and its prefetch, and as many again queued at the site
    // controllers, twice over (a slot freed finds its next call already there).
    options.deferredFirings = std::clamp(4 * layout.callsHeldAtOnce(), kLeastDeferredFirings, kMostDeferredFirings);
    options.addRemoteCounters = [&mailbox](runtime::RunStats& stats) { dist::gatherRankCounters(mailbox, stats); };
    // Each model trains and infers at its site's rank (docs/distributed.md, "Models at their sites").
    options.models = [&](const runtime::Program& program, const runtime::ModelContext& context) {
        return dist::modelsAtSites(mailbox, layout, program, context, createModels);
    };
    return executePlan(plan, std::move(options), args);
}

dist::CompileKernels kernelsFor(const RunArguments& args) {
    if (args.noJit) return nullptr;
    // Rank 0 reports what the JIT could not compile: the same plan gives the same kernels here.
    return [wait = args.jitWait](const runtime::Program& program) -> std::shared_ptr<const runtime::CompiledCode> {
        auto kernels = std::make_shared<jit::Kernels>(program);
        if (wait) kernels->compileAll([](int, const std::string&) {});
        else kernels->start([](int, const std::string&) {});
        return kernels;
    };
}

/// Rank 0's last act: the run's exit status into $XDML_RUN_EXIT_FILE, when set. A batch script
/// whose srun can hang after every rank has ended (Slurm before 24.11 under --mpi=pmix with
/// heterogeneous components) ends srun and exits with this status (deploy/SbatchScript.cpp).
void writeExitStatus(int code) {
    const char* path = std::getenv("XDML_RUN_EXIT_FILE");
    if (!path || !*path) return;
    try {
        runtime::writeFileAtomically(path, std::to_string(code) + "\n", runtime::Durability::Scratch);
    } catch (const runtime::WriteError& e) {
        std::cerr << "xdmlc: warning: XDML_RUN_EXIT_FILE: " << e.what() << "\n";
    }
}

}  // namespace

int runDistributed(const RunArguments& args, const dist::LaunchInfo& launch) {
    const XdmlMpiApi* api = nullptr;
    try {
        api = &dist::loadMpiPlugin(launch.mpi, XDML_MPI_PLUGIN_DIR);
    } catch (const std::exception& e) {
        std::cerr << "xdmlc: error: " << e.what() << "\n";
        return 2;
    }
    int provided = 0, rank = 0, size = 0;
    char host[256] = {};
    if (api->init(&provided) != 0 || api->rank(&rank) != 0 || api->size(&size) != 0 || api->processorName(host, sizeof host) != 0) {
        std::cerr << "xdmlc: error: " << launch.mpi << " could not be initialised under " << launch.launcher << "\n";
        return 2;
    }
    if (const std::string problem = dist::singletonProblem(launch, size); !problem.empty()) {
        std::cerr << "xdmlc: error: " << problem << "\n";
        api->finalize();
        return 2;
    }
    if (provided < 2) {  // MPI_THREAD_SERIALIZED
        std::cerr << "xdmlc: error: " << launch.mpi << " grants thread level " << provided
                  << "; the distributed run needs MPI_THREAD_SERIALIZED\n";
        api->abort(2);
        return 2;
    }
    int code = 0;
    {
        std::unique_ptr<dist::CoordinatorCalls> calls;  // destroyed after the mailbox
        dist::Mailbox mailbox(*api, rank, size, host);
        mailbox.start();
        if (rank == 0) {
            try {
                code = coordinate(mailbox, args, calls);
            } catch (const std::exception& e) {
                std::cerr << "xdmlc: error: " << e.what() << "\n";
                code = 3;
            }
            // Rank 0's mailbox stops once every rank has left, which they do when told to.
            for (int r = 1; r < size; ++r) mailbox.post(r, dist::Tag::Stop, "");
        } else {
            // The launcher forwards Ctrl-C and SIGTERM to every rank; rank 0 stops the run in
            // order and then tells the others.
            std::signal(SIGINT, SIG_IGN);
            std::signal(SIGTERM, SIG_IGN);
            code = dist::serveSite(mailbox, kernelsFor(args), createModels);
        }
        mailbox.stop();
    }
    api->finalize();
    if (rank == 0) writeExitStatus(code);
    return code;
}

}  // namespace xdml::tools
