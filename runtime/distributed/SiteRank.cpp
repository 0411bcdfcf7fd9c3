// SiteRank.cpp — see SiteRank.h.
#include "runtime/distributed/SiteRank.h"

#include "runtime/distributed/MpiExecutor.h"
#include "runtime/distributed/RankLayout.h"
#include "runtime/engine/EffectMessages.h"
#include "runtime/engine/LocalExecutor.h"
#include "runtime/engine/MessageCodec.h"
#include "runtime/engine/PlanModel.h"
#include "runtime/engine/TaskWorker.h"

#include <iostream>

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

/// The slots of a site's work ranks: a rank once per thread it runs calls on.
class RankSlots {
public:
    explicit RankSlots(const SiteRanks& site) {
        for (int t = 0; t < site.threadsPerRank; ++t)
            for (int r : site.workRanks()) free_.push_back(r);
    }
    int take() {
        std::unique_lock lock(mutex_);
        available_.wait(lock, [&] { return !free_.empty(); });
        const int rank = free_.front();
        free_.erase(free_.begin());
        return rank;
    }
    void give(int rank) {
        {
            std::lock_guard lock(mutex_);
            free_.push_back(rank);
        }
        available_.notify_one();
    }

private:
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<int> free_;
};

/// A site's controller: its queue, and the status it sends.
class SiteController {
public:
    SiteController(Mailbox& mailbox, const SiteRanks& site, const RankLayout& layout)
        : mailbox_(mailbox), site_(site), layout_(layout), slots_(site), pool_(site.site, site.slots()) {
        mailbox_.onPost(Tag::Submit, [this](int, std::string payload) { submit(decodeSubmit(payload)); });
        reporter_ = std::thread([this] { report(); });
    }
    ~SiteController() {
        pool_.shutdown();
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        stop_.notify_all();
        reporter_.join();
    }

private:
    void submit(Submitted s) {
        if (s.how == SubmitHow::Now) {
            // Outside the queue, as a local call inside a task runs on its caller's worker.
            mailbox_.spawn([this, id = s.id] { attempts(id, site_.workRanks().front()); });
            return;
        }
        Job job = queuedJob(s.request);
        job.run = [this, id = s.id] {
            const int rank = slots_.take();
            attempts(id, rank);
            slots_.give(rank);
        };
        pool_.submit(std::move(job));
    }

    /// Asks rank 0 to attempt the call on `rank` until it wants no retry.
    void attempts(uint64_t id, int rank) {
        for (;;) {
            MessageWriter w;
            w.pod<uint64_t>(id);
            w.pod<int32_t>(rank);
            w.text(layout_.hosts.at(static_cast<std::size_t>(rank)));
            if (mailbox_.call(0, Tag::Attempt, w.take()) != "1") return;
        }
    }

    void report() {
        SiteStatus last{};
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            const SiteStatus now = pool_.status();
            if (now.running != last.running || now.queued != last.queued || now.meanJobSeconds != last.meanJobSeconds) {
                mailbox_.post(0, Tag::Status, encodeStatus(now));
                last = now;
            }
            lock.lock();
            stop_.wait_for(lock, std::chrono::milliseconds(20));
        }
    }

    Mailbox& mailbox_;
    const SiteRanks& site_;
    const RankLayout& layout_;
    RankSlots slots_;
    WorkerPool pool_;
    std::mutex mutex_;
    std::condition_variable stop_;
    bool stopping_ = false;
    std::thread reporter_;
};

/// Everything a serving rank holds once the plan is here.
struct ServedPlan {
    PlanMessage message;
    Program program;
    PlanModel plan;
    RankLayout layout;
    std::shared_ptr<const CompiledCode> compiled;
    std::atomic<uint64_t> evaluated{0};
    std::unique_ptr<TaskWorker> worker;
    std::unique_ptr<SiteController> controller;
};

std::string runCall(Mailbox& mailbox, const TaskWorker& worker, const std::string& payload) {
    MessageReader r(payload, "a run message");
    const auto id = r.pod<uint64_t>();
    const TaskRequest request = decodeRequest(r.textView());
    r.end();
    ChannelSink sink(worker.context().program, [&](const std::string& message) {
        MessageWriter w;
        w.pod<uint64_t>(id);
        w.text(message);
        return mailbox.call(0, Tag::Effect, w.take());
    });
    return encodeOutcome(worker.run(request, sink));
}

}  // namespace

int serveSite(Mailbox& mailbox, const CompileKernels& compile) {
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
                                    RankLayout::fromJson(message.layout), nullptr, {}, nullptr, nullptr});
    } catch (const std::exception& e) {
        std::cerr << "xdmlc: error: rank " << mailbox.rank() << ": the plan from rank 0 cannot be used: " << e.what() << std::endl;
        return 1;
    }
    ServedPlan& s = *served;
    const SiteRanks* site = s.layout.siteOf(mailbox.rank());
    if (site) {
        lock.unlock();
        if (compile) s.compiled = compile(s.program);
        s.worker = std::make_unique<TaskWorker>(
            FiringContext{s.program, s.plan, s.compiled.get(), s.message.workdir, s.message.provenance, &s.evaluated});
        const TaskWorker& worker = *s.worker;
        mailbox.onRequest(Tag::Run, [&mailbox, &worker](int, std::string payload) { return runCall(mailbox, worker, payload); });
        if (site->ranks.front() == mailbox.rank()) s.controller = std::make_unique<SiteController>(mailbox, *site, s.layout);
        lock.lock();
    }
    changed.wait(lock, [&] { return stop; });
    lock.unlock();
    s.controller.reset();
    return 0;
}

}  // namespace xdml::runtime::distributed
