// Mailbox.cpp — see Mailbox.h. A message's body: u64 call id (0: posted), u8 frame
// (0 posted, 1 request, 2 reply ok, 3 reply with the handler's error), then its payload.
#include "runtime/distributed/Mailbox.h"

#include "runtime/distributed/MessageBatch.h"

#include "runtime/engine/MessageCodec.h"
#include "runtime/values/LargeBuffers.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>

namespace xdml::runtime::distributed {

namespace {

enum Frame : uint8_t { Posted = 0, Request = 1, ReplyOk = 2, ReplyError = 3 };
constexpr std::size_t kFrameBytes = 8 + 1;  // the call id and the frame byte

std::string frameOf(uint64_t id, Frame frame) {
    MessageWriter w;
    w.pod<uint64_t>(id);
    w.pod<uint8_t>(frame);
    return w.take();
}

double silenceFromEnvironment() {
    const char* text = std::getenv("XDML_MPI_SILENCE");
    const double s = text ? std::atof(text) : 0;
    return s > 0 ? s : 5;
}

}  // namespace

const char* tagName(Tag tag) {
    switch (tag) {
    case Tag::Reply: return "reply";
    case Tag::Hello: return "hello";
    case Tag::Plan: return "plan";
    case Tag::Submit: return "submit";
    case Tag::Start: return "start";
    case Tag::Go: return "go";
    case Tag::Done: return "done";
    case Tag::Ended: return "ended";
    case Tag::Effect: return "effect";
    case Tag::Status: return "status";
    case Tag::Stop: return "stop";
    case Tag::Heartbeat: return "heartbeat";
    case Tag::Batch: return "batch";
    case Tag::Counters: return "counters";
    case Tag::Leave: return "leave";
    case Tag::ModelCall: return "model call";
    case Tag::ModelEffect: return "model effect";
    }
    return "unknown";
}

Mailbox::Mailbox(const XdmlMpiApi& api, int rank, int size, std::string host)
    : api_(api), rank_(rank), size_(size), host_(std::move(host)), silenceSeconds_(silenceFromEnvironment()),
      left_(static_cast<std::size_t>(size), 0) {
    if (const char* spin = std::getenv("XDML_MPI_SPIN_US"); spin && std::atof(spin) >= 0) spinSeconds_ = std::atof(spin) / 1e6;
    if (const char* poll = std::getenv("XDML_MPI_IDLE_POLL_US"); poll && std::atol(poll) > 0)
        idlePoll_ = std::chrono::microseconds(std::atol(poll));
    if (const char* chunk = std::getenv("XDML_MPI_CHUNK_BYTES"); chunk && std::atol(chunk) > 0)
        chunkBytes_ = std::max(kMinChunkBytes, static_cast<std::size_t>(std::atol(chunk)));
    fatal_ = [this](const std::string& problem) {
        std::cerr << "xdmlc: error: rank " << rank_ << " (" << host_ << "): " << problem
                  << "; ending the distributed run" << std::endl;
        api_.abort(1);
        std::_Exit(1);
    };
}

Mailbox::~Mailbox() { stop(); }

void Mailbox::onRequest(Tag tag, RequestHandler handler) {
    std::vector<std::tuple<int, Tag, std::string>> waiting;
    {
        std::lock_guard lock(mutex_);
        requestHandlers_[tag] = std::move(handler);
        waiting = takeBacklog(tag);
    }
    for (auto& [source, t, message] : waiting) deliver(source, t, std::move(message));
}

void Mailbox::onPost(Tag tag, PostHandler handler) {
    std::vector<std::tuple<int, Tag, std::string>> waiting;
    {
        std::lock_guard lock(mutex_);
        postHandlers_[tag] = std::move(handler);
        waiting = takeBacklog(tag);
    }
    for (auto& [source, t, message] : waiting) deliver(source, t, std::move(message));
}

std::vector<std::tuple<int, Tag, std::string>> Mailbox::takeBacklog(Tag tag) {
    std::vector<std::tuple<int, Tag, std::string>> taken;
    for (auto it = backlog_.begin(); it != backlog_.end();)
        if (std::get<1>(*it) == tag) {
            taken.push_back(std::move(*it));
            it = backlog_.erase(it);
        } else {
            ++it;
        }
    return taken;
}

void Mailbox::start() {
    heard_.assign(static_cast<std::size_t>(size_), std::chrono::steady_clock::now());
    lastBeat_ = std::chrono::steady_clock::time_point{};
    running_ = true;
    thread_ = std::thread([this] { loop(); });
}

void Mailbox::post(int dest, Tag tag, std::string payload) {
    {
        std::lock_guard lock(mutex_);
        outbox_.push_back({dest, tag, frameOf(0, Posted), std::move(payload)});
    }
    wake_.notify_all();
}

std::string Mailbox::call(int dest, Tag tag, std::string payload) {
    std::future<std::pair<bool, std::string>> reply;
    {
        std::lock_guard lock(mutex_);
        const uint64_t id = nextCall_++;
        reply = waiting_[id].get_future();
        outbox_.push_back({dest, tag, frameOf(id, Request), std::move(payload)});
    }
    wake_.notify_all();
    auto [ok, bytes] = reply.get();
    if (!ok) throw RemoteError(bytes);
    return std::move(bytes);
}

void Mailbox::spawn(std::function<void()> work) { handlerThreads_.run(std::move(work)); }

void Mailbox::stop() {
    if (!running_.exchange(false)) return;
    if (rank_ != 0) {
        // What its handlers still send goes before the Leave; nothing goes after it.
        handlerThreads_.stop();
        {
            std::lock_guard lock(mutex_);
            leaving_ = true;
        }
        call(0, Tag::Leave, "");
        std::lock_guard lock(mutex_);
        left_[0] = 1;
    }
    {
        std::lock_guard lock(mutex_);
        stopRequested_ = true;
    }
    wake_.notify_all();
    thread_.join();
    handlerThreads_.stop();
}

// ------------------------------------------------------------ the communication thread

void Mailbox::check(int rc, const std::string& doing) {
    if (rc == 0) return;
    char text[512] = {};
    api_.errorText(rc, text, sizeof text);
    die("MPI failed while " + doing + ": " + text + " (a rank has died, or the network failed)");
}

void Mailbox::die(const std::string& problem) {
    // The calls waiting for replies are not woken: their errors would only bury this message,
    // and the job ends now.
    fatal_(problem);
    std::_Exit(1);
}

void Mailbox::loop() {
    auto idleFor = std::chrono::microseconds(0);
    auto lastBusy = std::chrono::steady_clock::now();
    const auto spin = std::chrono::duration<double>(spinSeconds_);
    for (;;) {
        bool busy = false;
        try {
            busy = sendSome() | receiveSome();
        } catch (const std::exception& e) {
            die(e.what());
        }
        const auto now = std::chrono::steady_clock::now();
        heartbeats(now);
        std::unique_lock lock(mutex_);
        if (stopRequested_ && outbox_.empty() && sending_.empty() && everyoneLeft()) return;
        if (busy || !outbox_.empty()) {
            idleFor = std::chrono::microseconds(0);
            lastBusy = now;
            continue;
        }
        // Just after a message the answer is usually a round trip away: keep polling (yielding
        // the core) for spinSeconds_, so a reply is not left waiting for a sleep to end. While
        // a large message is half sent or half received, MPI moves its bytes only when called:
        // keep polling until it is through.
        if (now - lastBusy < spin || !sending_.empty() || joiner_.partial() > 0) {
            lock.unlock();
            std::this_thread::yield();
            continue;
        }
        // Idle: poll less often the longer nothing happens (up to idlePoll_ while messages
        // came within the last second, the next likely soon; 0.5 ms once quiet for longer),
        // waking at once for anything posted.
        const auto ceiling = now - lastWork_ < std::chrono::seconds(1) ? idlePoll_ : std::chrono::microseconds(500);
        idleFor = std::min(ceiling, idleFor + std::chrono::microseconds(20));
        wake_.wait_for(lock, idleFor);
    }
}

void Mailbox::startSend(int dest, Tag tag, std::string head, std::string body) {
    // The body's memory goes back to the spares once its last chunk is sent.
    std::shared_ptr<const std::string> kept(new std::string(std::move(body)), [](const std::string* sent) {
        giveBackLargeBuffer(std::move(*const_cast<std::string*>(sent)));
        delete sent;
    });
    ChunkedMessage chunks = splitIntoChunks(head, *kept, nextMessage_++, chunkBytes_);
    const auto doing = [&] { return std::string("sending a ") + tagName(tag) + " message to rank " + std::to_string(dest); };
    Sending& first = sending_.emplace_back();
    first.chunk = std::move(chunks.first);
    check(api_.isend(dest, static_cast<int>(tag), first.chunk.data(), first.chunk.size(), &first.handle), doing());
    for (std::string_view part : chunks.rest) {
        Sending& s = sending_.emplace_back();  // a deque: the chunks already sent stay where they are
        s.body = kept;
        check(api_.isend(dest, static_cast<int>(tag), part.data(), part.size(), &s.handle), doing());
    }
}

bool Mailbox::sendSome() {
    std::deque<Outgoing> fresh;
    {
        std::lock_guard lock(mutex_);
        // A rank that has left may be finalizing MPI: nothing more may reach it, and a
        // leaving rank sends nothing after its Leave.
        for (Outgoing& o : outbox_)
            if (left_[static_cast<std::size_t>(o.dest)] || (leaving_ && o.tag != Tag::Leave)) refuse(o);
            else fresh.push_back(std::move(o));
        outbox_.clear();
    }
    // Small messages for one rank that queued up together go as one MPI message, in their
    // order; a large one first sends its rank's batch, so each rank's order is kept.
    std::map<int, MessageBatch> batches;
    const auto flush = [&](int dest) {
        auto it = batches.find(dest);
        if (it == batches.end()) return;
        if (it->second.size() == 1)
            startSend(dest, it->second.onlyTag(), "", it->second.onlyBytes());
        else
            startSend(dest, Tag::Batch, "", it->second.encode());
        batches.erase(it);
    };
    for (Outgoing& o : fresh) {
        if (o.head.size() + o.body.size() > kBatchableBytes) {
            flush(o.dest);
            startSend(o.dest, o.tag, std::move(o.head), std::move(o.body));
            continue;
        }
        MessageBatch& batch = batches[o.dest];
        batch.add(o.tag, o.head + o.body);
        if (batch.bytes() >= kBatchBytes) flush(o.dest);
    }
    while (!batches.empty()) flush(batches.begin()->first);
    bool progressed = !fresh.empty();
    for (auto it = sending_.begin(); it != sending_.end();) {
        int done = 0;
        check(api_.testSend(it->handle, &done), "completing a send");
        if (done) {
            it = sending_.erase(it);
            progressed = true;
        } else {
            ++it;
        }
    }
    return progressed;
}

bool Mailbox::receiveSome() {
    bool any = false;
    for (int i = 0; i < 64; ++i) {
        int found = 0, source = -1, tag = -1;
        std::size_t size = 0;
        check(api_.probe(&found, &source, &tag, &size), "waiting for messages");
        if (!found) break;
        const std::string doing = "receiving from rank " + std::to_string(source);
        // A chunk that continues a message is received straight into it; others here first.
        char* place = tag >= kFirstTag && tag <= kLastTag ? joiner_.continuation(source, tag, size) : nullptr;
        const bool continues = place != nullptr;
        if (!continues) {
            received_.resize(size);
            place = received_.data();
        }
        check(api_.receive(source, tag, place, size), doing);
        any = true;
        const auto now = std::chrono::steady_clock::now();
        if (source >= 0 && source < size_) heard_[static_cast<std::size_t>(source)] = now;
        if (tag != static_cast<int>(Tag::Heartbeat)) lastWork_ = now;
        if (tag < kFirstTag || tag > kLastTag)
            throw MessageError("a message from rank " + std::to_string(source) + " with the unknown tag " + std::to_string(tag));
        std::optional<std::string> whole = continues ? joiner_.received(source, tag, size) : joiner_.start(source, tag, received_);
        if (whole) dispatch(source, static_cast<Tag>(tag), std::move(*whole));
    }
    return any;
}

void Mailbox::dispatch(int source, Tag tag, std::string message) {
    if (tag == Tag::Heartbeat) return;
    if (tag == Tag::Batch) {
        for (auto& [inner, bytes] : MessageBatch::decode(message, source)) dispatch(source, inner, std::move(bytes));
        return;
    }
    if (tag == Tag::Reply) {
        MessageReader r(message, "a reply from rank " + std::to_string(source));
        const auto id = r.pod<uint64_t>();
        const auto frame = r.pod<uint8_t>();
        if (frame != ReplyOk && frame != ReplyError) r.fail("frame " + std::to_string(frame) + " in a reply");
        std::lock_guard lock(mutex_);
        auto it = waiting_.find(id);
        if (it == waiting_.end()) r.fail("the answer to call " + std::to_string(id) + ", which nobody waits for");
        message.erase(0, kFrameBytes);  // in place: a large outcome is not copied again
        it->second.set_value({frame == ReplyOk, std::move(message)});
        waiting_.erase(it);
        return;
    }
    if (tag == Tag::Leave) {
        leaving(source, message);
        return;
    }
    deliver(source, tag, std::move(message));
}

void Mailbox::leaving(int source, const std::string& message) {
    MessageReader r(message, "a leave message from rank " + std::to_string(source));
    const auto id = r.pod<uint64_t>();
    if (r.pod<uint8_t>() != Request || rank_ != 0) r.fail("a leave that is not a request to rank 0");
    // Sent at once, not queued: the answer is the last message the rank gets from here.
    startSend(source, Tag::Reply, frameOf(id, ReplyOk), "");
    std::lock_guard lock(mutex_);
    left_[static_cast<std::size_t>(source)] = 1;
}

void Mailbox::refuse(const Outgoing& o) {
    MessageReader r(o.head, "a message to a rank that left");
    const auto id = r.pod<uint64_t>();
    auto it = r.pod<uint8_t>() == Request ? waiting_.find(id) : waiting_.end();
    if (it == waiting_.end()) return;  // a post or a heartbeat: the rank no longer needs it
    const std::string who = leaving_ ? "rank " + std::to_string(rank_) : "rank " + std::to_string(o.dest);
    it->second.set_value({false, who + " has left the run"});
    waiting_.erase(it);
}

bool Mailbox::everyoneLeft() const {
    for (int r = 1; rank_ == 0 && r < size_; ++r)
        if (!left_[static_cast<std::size_t>(r)]) return false;
    return true;
}

void Mailbox::deliver(int source, Tag tag, std::string message) {
    MessageReader r(message, std::string("a ") + tagName(tag) + " message from rank " + std::to_string(source));
    const auto id = r.pod<uint64_t>();
    const auto frame = r.pod<uint8_t>();
    if (frame != (id ? Request : Posted)) r.fail("frame " + std::to_string(frame) + " for call " + std::to_string(id));
    std::unique_lock lock(mutex_);
    if (frame == Posted) {
        auto it = postHandlers_.find(tag);
        if (it == postHandlers_.end()) {
            backlog_.emplace_back(source, tag, std::move(message));
            return;
        }
        PostHandler handler = it->second;  // a copy: it may be replaced meanwhile
        lock.unlock();
        message.erase(0, kFrameBytes);
        handler(source, std::move(message));
        return;
    }
    auto it = requestHandlers_.find(tag);
    if (it == requestHandlers_.end()) {
        backlog_.emplace_back(source, tag, std::move(message));
        return;
    }
    RequestHandler handler = it->second;
    lock.unlock();
    message.erase(0, kFrameBytes);  // in place: a large request is not copied again
    spawn([this, handler, source, id, payload = std::move(message)]() mutable {
        std::string reply;
        Frame frame = ReplyOk;
        try {
            reply = handler(source, std::move(payload));
        } catch (const std::exception& e) {
            reply = e.what();
            frame = ReplyError;
        }
        {
            std::lock_guard lock(mutex_);
            outbox_.push_back({source, Tag::Reply, frameOf(id, frame), std::move(reply)});
        }
        wake_.notify_all();
    });
}

void Mailbox::heartbeats(std::chrono::steady_clock::time_point now) {
    const bool beat = now - lastBeat_ >= std::chrono::milliseconds(500);
    if (beat) lastBeat_ = now;
    const auto silence = std::chrono::duration<double>(silenceSeconds_);
    int silent = -1;
    {
        std::lock_guard lock(mutex_);
        // Between rank 0 and each other rank, until that rank has left (a leaving rank stops
        // beating at once, and watches rank 0 until its Leave is answered).
        for (int r = 0; r < size_; ++r) {
            if (r == rank_ || (rank_ != 0 && r != 0) || left_[static_cast<std::size_t>(r)]) continue;
            if (beat && !leaving_) outbox_.push_back({r, Tag::Heartbeat, frameOf(0, Posted), ""});
            if (now - heard_[static_cast<std::size_t>(r)] > silence && silent < 0) silent = r;
        }
    }
    if (silent >= 0)
        die("rank " + std::to_string(silent) + " has not been heard from for " + std::to_string(static_cast<int>(silenceSeconds_)) +
            " s: it died or hangs");
}

}  // namespace xdml::runtime::distributed
