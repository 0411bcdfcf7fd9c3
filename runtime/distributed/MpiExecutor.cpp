// MpiExecutor.cpp — see MpiExecutor.h.
#include "runtime/distributed/MpiExecutor.h"

#include "runtime/distributed/MessageBatch.h"

#include "runtime/engine/EffectMessages.h"
#include "runtime/engine/MessageCodec.h"
#include "runtime/values/LargeBuffers.h"

namespace xdml::runtime::distributed {

namespace {

// Slow begins and ends at once: enough that a retry's backoff (up to a second) or a large
// value being moved does not hold up the other calls' slow steps.
constexpr int kStepThreads = 8;

/// An outcome up to this size decodes in microseconds (MessageBatch's batchable size).
constexpr std::size_t kQuickOutcomeBytes = kBatchableBytes;

}  // namespace

CoordinatorCalls::CoordinatorCalls(Mailbox& mailbox, const Program& program, const RankLayout& layout)
    : mailbox_(mailbox), program_(program), layout_(layout), steps_("rank 0", kStepThreads) {
    // Until a controller speaks, its site is idle with the slots the layout gives it.
    for (const SiteRanks& s : layout.sites) statuses_[s.site] = SiteStatus{s.site, s.slots(), 0, 0, 0, 0};
    // Post handlers run on the communication thread. A quick step (a call with small values,
    // a small successful outcome) runs right there: under load a call then costs rank 0 no
    // thread hand-off at all, where a hand-off each way had been most of its time. A slow one
    // (large values to hash and encode, a file to persist, a failure that may wait out a
    // retry's backoff) goes to steps_, so the communication thread never waits long. (Only a
    // successful outcome that fails at rank 0 itself — its resume record cannot be written —
    // waits out its backoff there.)
    mailbox_.onPost(Tag::Start, [this](int, std::string payload) {
        const Started s = decodeStart(payload);
        if (quick(s.id)) return begin(s);
        Job job;
        job.run = [this, s] { begin(s); };
        steps_.submit(std::move(job));
    });
    mailbox_.onPost(Tag::Done, [this](int, std::string payload) {
        if (payload.size() <= kQuickOutcomeBytes) {
            Done d = decodeDoneOrFail(payload);
            if (d.outcome.ok && quick(d.id)) return end(d.id, std::move(d.outcome));
            Job job;
            job.run = [this, d = std::move(d)]() mutable { end(d.id, std::move(d.outcome)); };
            steps_.submit(std::move(job));
            return;
        }
        Job job;
        job.run = [this, payload = std::move(payload)]() mutable {
            Done d = decodeDoneOrFail(payload);
            giveBackLargeBuffer(std::move(payload));  // decoded: its values have buffers of their own
            end(d.id, std::move(d.outcome));
        };
        steps_.submit(std::move(job));
    });
    mailbox_.onRequest(Tag::Effect, [this](int, std::string payload) { return effect(std::move(payload)); });
    mailbox_.onPost(Tag::Status, [this](int source, std::string payload) {
        SiteStatus s = decodeStatus(payload);
        std::lock_guard lock(mutex_);
        auto it = statuses_.find(s.site);
        if (it == statuses_.end())
            throw MessageError("a status from rank " + std::to_string(source) + " for site '" + s.site +
                               "', which no rank runs");
        it->second = std::move(s);
    });
}

uint64_t CoordinatorCalls::add(TaskRequest request, std::shared_ptr<TaskClient> client, int controller, bool now) {
    const bool quick = client->quickSteps();  // before the lock: it sums the arguments' sizes
    std::lock_guard lock(mutex_);
    const uint64_t id = next_++;
    underWay_[request.site]++;
    calls_.emplace(id, Call{std::move(request), std::move(client), controller, now, quick, -1});
    return id;
}

bool CoordinatorCalls::quick(uint64_t id) {
    std::lock_guard lock(mutex_);
    auto it = calls_.find(id);
    return it != calls_.end() && it->second.quick;  // an unknown call: its step fails it, on steps_
}

Done CoordinatorCalls::decodeDoneOrFail(const std::string& payload) {
    try {
        return decodeDone(payload);
    } catch (const MessageError& e) {
        mailbox_.fail(std::string("a done message that does not decode: ") + e.what());
    }
}

CoordinatorCalls::Call& CoordinatorCalls::find(uint64_t id, const char* what) {
    auto it = calls_.find(id);
    if (it == calls_.end())
        throw MessageError(std::string("a ") + what + " message about call " + std::to_string(id) + ", which is not under way");
    return it->second;
}

void CoordinatorCalls::begin(Started s) {
    TaskRequest request;
    std::shared_ptr<TaskClient> client;
    bool now = false;
    try {
        std::lock_guard lock(mutex_);
        Call& call = find(s.id, "start");
        const SiteRanks* site = layout_.siteOf(s.rank);
        if (!site || site->site != call.request.site)
            throw MessageError("a start message giving call " + std::to_string(s.id) + " of site '" + call.request.site +
                               "' a slot on rank " + std::to_string(s.rank) + ", which is not one of that site's");
        call.rank = s.rank;
        request = call.request;
        client = call.client;
        now = call.now;
    } catch (const MessageError& e) {
        mailbox_.fail(e.what());
    }
    request.rank = s.rank;
    request.host = layout_.hosts.at(static_cast<std::size_t>(s.rank));
    try {
        client->begin(request);
    } catch (...) {
        // Ended on steps_, wherever it began: the end of a failure may wait out a retry's backoff.
        Job job;
        job.run = [this, id = s.id, failure = std::current_exception()] { end(id, TaskOutcome::failed(failure)); };
        steps_.submit(std::move(job));
        return;
    }
    mailbox_.post(s.rank, Tag::Go, encodeGo(s.id, now, request));
}

void CoordinatorCalls::end(uint64_t id, TaskOutcome outcome) {
    std::shared_ptr<TaskClient> client;
    int controller = 0;
    try {
        std::lock_guard lock(mutex_);
        Call& call = find(id, "done");
        client = call.client;
        controller = call.controller;
    } catch (const MessageError& e) {
        mailbox_.fail(e.what());
    }
    const bool again = client->end(std::move(outcome));
    if (!again) {
        std::lock_guard lock(mutex_);
        auto it = calls_.find(id);
        const std::string site = it->second.request.site;
        calls_.erase(it);
        if (--underWay_[site] == 0) idle_.notify_all();
    }
    mailbox_.post(controller, Tag::Ended, encodeEnded(Ended{id, again}));
}

std::string CoordinatorCalls::effect(std::string payload) {
    MessageReader r(payload, "an effect message");
    const auto id = r.pod<uint64_t>();
    std::string message = r.text();
    r.end();
    std::shared_ptr<TaskClient> client;
    {
        std::lock_guard lock(mutex_);
        client = find(id, "effect").client;
    }
    return applyEffect(client->effects(), program_, message);
}

void CoordinatorCalls::waitIdle(const std::string& site) {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [&] { return underWay_[site] == 0; });
}

SiteStatus CoordinatorCalls::status(const std::string& site) const {
    std::lock_guard lock(mutex_);
    return statuses_.at(site);
}

void MpiExecutor::submit(TaskRequest request, std::shared_ptr<TaskClient> client, Dispatch how) {
    // A call made inside a task runs at once, outside the queue (as LocalExecutor runs it on
    // its caller's worker); any other call queues at the site's controller.
    const bool now = how == Dispatch::HereNow;
    const int controller = ranks_.ranks.front();
    const uint64_t id = calls_.add(request, std::move(client), controller, now);
    calls_.mailbox().post(controller, Tag::Submit, encodeSubmit(id, now ? SubmitHow::Now : SubmitHow::Queue, request));
}

}  // namespace xdml::runtime::distributed
