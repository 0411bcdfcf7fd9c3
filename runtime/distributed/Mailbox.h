// Mailbox.h — one rank's end of the distributed run's messages. One communication thread owns
// every MPI call (MpiApi.h, initialised with MPI_THREAD_SERIALIZED): it sends what the rank's
// threads post (small messages queued together for one rank go as one batch; large ones split
// into chunks, Chunks.h), receives from any rank, joins chunks, answers replies to the calls
// waiting for them, and hands requests to handler threads (HandlerThreads.h: a request's
// handler may wait on other messages, so it never runs on the communication thread). It also
// sends a heartbeat every half second and watches the other side's: a rank not heard from for
// XDML_MPI_SILENCE seconds (5 by default), an MPI error or a malformed message ends the whole
// job with a message saying which (docs/distributed.md, "When a rank fails"). Ranks leave in
// order (stop()): each other rank says Leave as its last message, and rank 0 ends only when all
// have, so no rank finalizes MPI while another still sends to it.
#pragma once

#include "runtime/distributed/Chunks.h"
#include "runtime/distributed/HandlerThreads.h"
#include "runtime/distributed/MpiApi.h"
#include "runtime/distributed/Wire.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace xdml::runtime::distributed {

/// A request's handler failed on the rank that served it: its message.
class RemoteError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Mailbox {
public:
    /// Answers a request (its reply's bytes); runs on a handler thread; may throw.
    using RequestHandler = std::function<std::string(int source, std::string payload)>;
    /// Takes a posted message; runs on the communication thread: must not wait.
    using PostHandler = std::function<void(int source, std::string payload)>;
    /// Ends the job after a fatal problem (default: print it and MPI_Abort).
    using Fatal = std::function<void(const std::string& problem)>;

    Mailbox(const XdmlMpiApi& api, int rank, int size, std::string host);
    ~Mailbox();
    int rank() const { return rank_; }
    int size() const { return size_; }
    const std::string& host() const { return host_; }

    /// Handlers may be added at any time; messages that arrived before theirs wait for it.
    void onRequest(Tag tag, RequestHandler handler);
    void onPost(Tag tag, PostHandler handler);
    void onFatal(Fatal fatal) { fatal_ = std::move(fatal); }
    /// Starts the communication thread. Heartbeats go between rank 0 and each other rank.
    void start();

    void post(int dest, Tag tag, std::string payload);
    /// Sends a request and waits for its reply. Throws RemoteError when the handler failed.
    std::string call(int dest, Tag tag, std::string payload);
    /// Ends the whole job over a problem found off the communication thread (a message about
    /// a call nobody knows), as the communication thread ends it over its own.
    [[noreturn]] void fail(const std::string& problem) { die(problem); }
    /// Runs `work` on a handler thread of this mailbox (joined by stop()).
    void spawn(std::function<void()> work);
    /// Sends everything posted, waits for the sends to complete, stops the thread and the
    /// handler threads. A rank other than 0 first finishes its handlers and leaves (Tag::Leave);
    /// rank 0 waits until every other rank has left, still watching their heartbeats, so it
    /// must have told them to stop. MPI is still initialised afterwards (finalize is the caller's).
    void stop();

private:
    /// A message is its frame (`head`: call id and frame byte) and its payload, kept apart so
    /// that a large payload is sent from where its writer left it.
    struct Outgoing {
        int dest;
        Tag tag;
        std::string head, body;
    };
    struct Sending {
        std::string chunk;                        // the first chunk, with its header
        std::shared_ptr<const std::string> body;  // or the body a later chunk is sent from
        void* handle = nullptr;
    };
    void loop();
    bool sendSome();
    void startSend(int dest, Tag tag, std::string head, std::string body);
    bool receiveSome();
    void dispatch(int source, Tag tag, std::string message);
    /// Rank 0: `source` leaves; it is answered, and sent nothing more after the answer.
    void leaving(int source, const std::string& message);
    /// A message for a rank that has left: dropped, or, a request, failed (mutex_ held).
    void refuse(const Outgoing& o);
    bool everyoneLeft() const;  // mutex_ held
    void deliver(int source, Tag tag, std::string message);
    /// The backlog's messages of `tag`, in arrival order, taken out of it (mutex_ held).
    std::vector<std::tuple<int, Tag, std::string>> takeBacklog(Tag tag);
    void heartbeats(std::chrono::steady_clock::time_point now);
    void check(int rc, const std::string& doing);
    [[noreturn]] void die(const std::string& problem);

    const XdmlMpiApi& api_;
    const int rank_, size_;
    const std::string host_;
    std::size_t chunkBytes_ = kDefaultChunkBytes;
    double silenceSeconds_ = 5;
    double spinSeconds_ = 500e-6;  // XDML_MPI_SPIN_US
    // Idle within a second of its last message other than a heartbeat, the thread polls at
    // least this often (XDML_MPI_IDLE_POLL_US): a message from a rank that was quiet waits for
    // the next poll, and a call crosses twice (go, done). Quiet for longer: every 0.5 ms.
    std::chrono::microseconds idlePoll_{100};
    std::chrono::steady_clock::time_point lastWork_;  // the communication thread's
    Fatal fatal_;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Outgoing> outbox_;
    std::map<uint64_t, std::promise<std::pair<bool, std::string>>> waiting_;
    std::map<Tag, RequestHandler> requestHandlers_;
    std::map<Tag, PostHandler> postHandlers_;
    std::vector<std::tuple<int, Tag, std::string>> backlog_;  // messages without a handler yet
    uint64_t nextCall_ = 1;
    bool stopRequested_ = false;
    bool leaving_ = false;  // a rank other than 0: no more heartbeats, its Leave is on its way
    std::vector<char> left_;  // rank 0: the ranks that left; another rank: [0] once 0 answered

    // The communication thread's own.
    std::deque<Sending> sending_;
    ChunkJoiner joiner_;
    std::string received_;  // a chunk that starts a message, received here first
    uint64_t nextMessage_ = 0;
    std::vector<std::chrono::steady_clock::time_point> heard_;
    std::chrono::steady_clock::time_point lastBeat_;

    HandlerThreads handlerThreads_;
    std::atomic<bool> running_{false};
    std::thread thread_;
};

}  // namespace xdml::runtime::distributed
