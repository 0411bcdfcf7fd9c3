// MpiExecutor.cpp — see MpiExecutor.h.
#include "runtime/distributed/MpiExecutor.h"

#include "runtime/engine/EffectMessages.h"
#include "runtime/engine/MessageCodec.h"

namespace xdml::runtime::distributed {

std::string encodeSubmit(uint64_t id, SubmitHow how, const TaskRequest& request) {
    MessageWriter w;
    w.pod<uint64_t>(id);
    w.pod<uint8_t>(static_cast<uint8_t>(how));
    w.text(encodeRequest(request));
    return w.take();
}

Submitted decodeSubmit(const std::string& bytes) {
    MessageReader r(bytes, "a submit message");
    Submitted s;
    s.id = r.pod<uint64_t>();
    const auto how = r.pod<uint8_t>();
    if (how > 1) r.fail("dispatch " + std::to_string(how));
    s.how = static_cast<SubmitHow>(how);
    s.request = decodeRequest(r.text());
    r.end();
    return s;
}

std::string encodeStatus(const SiteStatus& s) {
    MessageWriter w;
    w.text(s.site);
    w.pod<int32_t>(s.capacity);
    w.pod<int32_t>(s.running);
    w.pod<uint64_t>(s.queued);
    w.pod(s.meanJobSeconds);
    w.pod(s.estimatedWait);
    return w.take();
}

SiteStatus decodeStatus(const std::string& bytes) {
    MessageReader r(bytes, "a site status");
    SiteStatus s;
    s.site = r.text();
    s.capacity = r.pod<int32_t>();
    s.running = r.pod<int32_t>();
    s.queued = r.pod<uint64_t>();
    s.meanJobSeconds = r.pod<double>();
    s.estimatedWait = r.pod<double>();
    r.end();
    return s;
}

CoordinatorCalls::CoordinatorCalls(Mailbox& mailbox, const Program& program, const RankLayout& layout)
    : mailbox_(mailbox), program_(program) {
    // Until a controller speaks, its site is idle with the slots the layout gives it.
    for (const SiteRanks& s : layout.sites) statuses_[s.site] = SiteStatus{s.site, s.slots(), 0, 0, 0, 0};
    mailbox_.onRequest(Tag::Attempt, [this](int, std::string payload) { return attempt(std::move(payload)); });
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

uint64_t CoordinatorCalls::add(TaskRequest request, std::shared_ptr<TaskClient> client) {
    std::lock_guard lock(mutex_);
    const uint64_t id = next_++;
    underWay_[request.site]++;
    calls_.emplace(id, Call{std::move(request), std::move(client)});
    return id;
}

std::shared_ptr<TaskClient> CoordinatorCalls::find(uint64_t id, TaskRequest* request) {
    std::lock_guard lock(mutex_);
    auto it = calls_.find(id);
    if (it == calls_.end()) throw MessageError("a message about call " + std::to_string(id) + ", which is not under way");
    if (request) *request = it->second.request;
    return it->second.client;
}

std::string CoordinatorCalls::attempt(std::string payload) {
    MessageReader r(payload, "an attempt message");
    const auto id = r.pod<uint64_t>();
    const auto rank = r.pod<int32_t>();
    std::string host = r.text();
    r.end();
    TaskRequest request;
    std::shared_ptr<TaskClient> client = find(id, &request);
    request.rank = rank;
    request.host = std::move(host);
    TaskOutcome outcome;
    try {
        client->begin(request);
        MessageWriter w;
        w.pod<uint64_t>(id);
        writeRequestPart(w, request);  // in place: the arguments' values are not copied again
        outcome = decodeOutcome(mailbox_.call(rank, Tag::Run, w.take()));
    } catch (...) {
        outcome = TaskOutcome::failed(std::current_exception());
    }
    const bool again = client->end(std::move(outcome));
    if (!again) {
        std::lock_guard lock(mutex_);
        calls_.erase(id);
        if (--underWay_[request.site] == 0) idle_.notify_all();
    }
    return again ? "1" : "0";
}

std::string CoordinatorCalls::effect(std::string payload) {
    MessageReader r(payload, "an effect message");
    const auto id = r.pod<uint64_t>();
    std::string message = r.text();
    r.end();
    std::shared_ptr<TaskClient> client = find(id, nullptr);
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
    const SubmitHow submitHow = how == Dispatch::HereNow ? SubmitHow::Now : SubmitHow::Queue;
    std::string bytes;
    const uint64_t id = calls_.add(request, std::move(client));
    calls_.mailbox().post(ranks_.ranks.front(), Tag::Submit, encodeSubmit(id, submitHow, request));
}

}  // namespace xdml::runtime::distributed
