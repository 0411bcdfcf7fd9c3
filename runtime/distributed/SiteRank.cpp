// SiteRank.cpp — see SiteRank.h.
#include "runtime/distributed/SiteRank.h"

#include "runtime/distributed/CallMessages.h"
#include "runtime/distributed/RankCounters.h"
#include "runtime/distributed/RankLayout.h"
#include "runtime/engine/EffectMessages.h"
#include "runtime/engine/JobQueue.h"
#include "runtime/engine/LocalExecutor.h"
#include "runtime/engine/WorkerPool.h"
#include "runtime/engine/MessageCodec.h"
#include "runtime/engine/PlanModel.h"
#include "runtime/engine/TaskWorker.h"
#include "runtime/python/PythonTasks.h"
#include "runtime/values/LargeBuffers.h"

#include <deque>
#include <iostream>
#include <map>

namespace xdml::runtime::distributed {

std::string PlanMessage::encode() const {
    return nlohmann::json{{"plan", plan}, {"workdir", workdir.string()}, {"provenance", provenance}, {"layout", layout}}.dump();
}

PlanMessage PlanMessage::decode(const std::string& bytes) {
    nlohmann::json j = nlohmann::json::parse(bytes, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw MessageError("a plan message that is not JSON");
    try {
        return {j.at("plan"), j.at("workdir").get<std::string>(), j.at("provenance").get<bool>(), j.at("layout")};
    } catch (const nlohmann::json::exception& e) {
        throw MessageError(std::string("a plan message without its parts: ") + e.what());
    }
}

namespace {

/// A site's controller: its queue (JobQueue: priorities, deadlines, limits — the site's local
/// decisions) run as its messages arrive, so that no thread waits for a call, and the status it
/// sends. A slot is a work rank once per thread, and once more per call it may hold ahead
/// (the binding's `prefetch`); it is given with `start` and free again at `ended`.
class SiteController {
public:
    SiteController(Mailbox& mailbox, const SiteRanks& site)
        : mailbox_(mailbox), site_(site), queue_(site.site, site.slots() * (1 + site.prefetch)) {
        for (int t = 0; t < site.threadsPerRank * (1 + site.prefetch); ++t)
            for (int r : site.workRanks()) free_.push_back(r);
        mailbox_.onPost(Tag::Submit, [this](int, std::string payload) { submit(decodeSubmit(payload)); });
        mailbox_.onPost(Tag::Ended, [this](int, std::string payload) { ended(decodeEnded(payload)); });
        reporter_ = std::thread([this] { report(); });
    }
    ~SiteController() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        stop_.notify_all();
        reporter_.join();
    }

private:
    struct Given {
        Job job;
        int rank = 0;
        bool queued = true;  // false: a call inside a task, outside the queue and its slots
        std::chrono::steady_clock::time_point since;
    };

    void submit(Submitted s) {
        std::lock_guard lock(mutex_);
        if (s.how == SubmitHow::Now) {
            // Outside the queue, as a local call inside a task runs on its caller's worker.
            give(s.id, Given{Job{}, site_.workRanks().front(), false, std::chrono::steady_clock::now()});
            return;
        }
        Job job = queuedJob(s.request);
        job.call = s.id;
        queue_.push(std::move(job));
        dispatch();
    }

    /// Gives free slots to the first jobs the queue lets start (mutex_ held).
    void dispatch() {
        while (!free_.empty()) {
            std::optional<Job> job = queue_.startNext();
            if (!job) return;
            const int rank = free_.front();
            free_.pop_front();
            const uint64_t id = job->call;
            give(id, Given{std::move(*job), rank, true, std::chrono::steady_clock::now()});
        }
    }

    void give(uint64_t id, Given given) {
        const int rank = given.rank;
        given_[id] = std::move(given);
        mailbox_.post(0, Tag::Start, encodeStart(Started{id, rank}));
    }

    void ended(const Ended& e) {
        std::lock_guard lock(mutex_);
        auto it = given_.find(e.id);
        if (it == given_.end())
            throw MessageError("an ended message about call " + std::to_string(e.id) + ", which this controller did not start");
        if (e.again) {  // a retry keeps its slot
            mailbox_.post(0, Tag::Start, encodeStart(Started{e.id, it->second.rank}));
            return;
        }
        if (it->second.queued) {
            const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.since).count();
            queue_.finish(it->second.job, took);
            free_.push_back(it->second.rank);
        }
        given_.erase(it);
        dispatch();
    }

    /// The queue's status in the site's slots: calls held ahead at a rank (prefetch) count as
    /// queued, not running (mutex_ held).
    SiteStatus siteStatus() const {
        SiteStatus s = queue_.status();
        const int slots = site_.slots();
        s.queued += static_cast<std::size_t>(std::max(0, s.running - slots));
        s.running = std::min(s.running, slots);
        s.capacity = slots;
        if (s.running < slots && s.queued == 0) s.estimatedWait = 0;
        return s;
    }

    void report() {
        SiteStatus last{};
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            const SiteStatus now = siteStatus();
            if (now.running != last.running || now.queued != last.queued || now.meanJobSeconds != last.meanJobSeconds) {
                mailbox_.post(0, Tag::Status, encodeStatus(now));
                last = now;
            }
            stop_.wait_for(lock, std::chrono::milliseconds(20));
        }
    }

    Mailbox& mailbox_;
    const SiteRanks& site_;
    std::mutex mutex_;
    JobQueue queue_;
    std::deque<int> free_;               // the free slots, by rank
    std::map<uint64_t, Given> given_;    // the calls given a slot, by id
    std::condition_variable stop_;
    bool stopping_ = false;
    std::thread reporter_;
};

/// The calls this rank runs: queued ones on its threads in turn (the controller sends at most
/// its threads plus its prefetch), a call made inside a task at once on a thread of its own.
class CallRunner {
public:
    CallRunner(Mailbox& mailbox, const TaskWorker& worker, const SiteRanks& site)
        : mailbox_(mailbox), worker_(worker), threads_(site.site, site.threadsPerRank) {
        mailbox_.onPost(Tag::Go, [this](int, std::string payload) { take(std::move(payload)); });
    }

private:
    void take(std::string payload) {
        // Only the flag is read here, on the communication thread; the request (its values)
        // is decoded on the thread that runs it.
        MessageReader r(payload, "a go message");
        r.pod<uint64_t>();
        const bool now = r.flag();
        auto run = [this, payload = std::move(payload)]() mutable { runCall(std::move(payload)); };
        if (now) {
            mailbox_.spawn(std::move(run));
            return;
        }
        Job job;
        job.run = std::move(run);
        threads_.submit(std::move(job));
    }

    void runCall(std::string&& payload) {
        Go go;
        try {
            go = decodeGo(payload);
        } catch (const MessageError& e) {
            mailbox_.fail(e.what());
        }
        giveBackLargeBuffer(std::move(payload));  // decoded: its values have buffers of their own
        ChannelSink sink(worker_.context().program, [this, id = go.id](const std::string& message) {
            MessageWriter w;
            w.pod<uint64_t>(id);
            w.text(message);
            return mailbox_.call(0, Tag::Effect, w.take());
        });
        mailbox_.post(0, Tag::Done, encodeDone(go.id, worker_.run(go.request, sink)));
    }

    Mailbox& mailbox_;
    const TaskWorker& worker_;
    WorkerPool threads_;  // last: its threads stop before the rest goes
};

/// Everything a serving rank holds once the plan is here.
struct ServedPlan {
    PlanMessage message;
    Program program;
    PlanModel plan;
    RankLayout layout;
    std::shared_ptr<const CompiledCode> compiled;
    Counter evaluated;
    std::unique_ptr<python::PythonTasks> python;  // before worker: its Python tasks run here
    std::unique_ptr<TaskWorker> worker;
    std::unique_ptr<CallRunner> runner;
    std::unique_ptr<SiteController> controller;
    std::unique_ptr<ModelServer> models;  // at the site's first work rank
};

}  // namespace

int serveSite(Mailbox& mailbox, const CompileKernels& compile, const MakeModels& makeModels) {
    std::mutex mutex;
    std::condition_variable changed;
    std::optional<std::string> planBytes;
    bool stop = false;
    mailbox.onPost(Tag::Plan, [&](int, std::string payload) {
        std::lock_guard lock(mutex);
        planBytes = std::move(payload);
        changed.notify_all();
    });
    mailbox.onPost(Tag::Stop, [&](int, std::string) {
        std::lock_guard lock(mutex);
        stop = true;
        changed.notify_all();
    });
    mailbox.post(0, Tag::Hello, mailbox.host());
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return stop || planBytes; });
    if (stop) return 0;
    std::unique_ptr<ServedPlan> served;
    try {
        PlanMessage message = PlanMessage::decode(*planBytes);
        served.reset(new ServedPlan{message, Program::fromPlan(message.plan), PlanModel::fromPlan(message.plan),
                                    RankLayout::fromJson(message.layout), nullptr, {}, nullptr, nullptr, nullptr, nullptr, nullptr});
    } catch (const std::exception& e) {
        std::cerr << "xdmlc: error: rank " << mailbox.rank() << ": the plan from rank 0 cannot be used: " << e.what() << std::endl;
        return 1;
    }
    ServedPlan& s = *served;
    mailbox.onRequest(Tag::Counters, [&s](int, std::string) { return RankCounters{s.evaluated.load()}.encode(); });
    const SiteRanks* site = s.layout.siteOf(mailbox.rank());
    if (site) {
        lock.unlock();
        if (compile) s.compiled = compile(s.program);
        // A work rank's Python tasks run in its own pool, one worker per thread of the rank.
        const std::vector<int> workRanks = site->workRanks();
        const bool works = std::find(workRanks.begin(), workRanks.end(), mailbox.rank()) != workRanks.end();
        if (works) {
            s.python = python::PythonTasks::of(s.program, std::filesystem::absolute(s.message.workdir).string(),
                                               [threads = site->threadsPerRank](const std::string&) { return threads; });
            try {
                if (s.python) s.python->start(site->site);
            } catch (const std::exception&) {
                // No python3 on this rank: each call of a Python task fails saying so.
            }
        }
        s.worker = std::make_unique<TaskWorker>(FiringContext{s.program, s.plan, s.compiled.get(), s.message.workdir,
                                                              s.message.provenance, &s.evaluated, s.python.get()});
        s.runner = std::make_unique<CallRunner>(mailbox, *s.worker, *site);
        if (site->ranks.front() == mailbox.rank()) s.controller = std::make_unique<SiteController>(mailbox, *site);
        if (site->workRanks().front() == mailbox.rank()) s.models = std::make_unique<ModelServer>(mailbox, s.program, makeModels);
        lock.lock();
    }
    changed.wait(lock, [&] { return stop; });
    lock.unlock();
    s.controller.reset();
    s.models.reset();
    s.runner.reset();
    if (s.python) s.python->shutdown();
    return 0;
}

}  // namespace xdml::runtime::distributed
