// ZmqSource.cpp — zmq(endpoint): an endless stream of ZeroMQ messages, one item each.
//
// The endpoint convention (the language gives zmq() a single string):
//   "tcp://*:5555"                PULL socket, bound: the host `*` means "listen here";
//                                 detectors and simulators connect PUSH sockets to it.
//   "tcp://detector:5555"         PULL socket, connected to a PUSH socket bound there.
//   "sub+tcp://detector:5556"     SUB socket, connected, subscribed to every message; each
//                                 message is one part, the payload.
//   "sub+tcp://detector:5556#frames"
//                                 SUB socket subscribed to the topic "frames" (ZeroMQ matches
//                                 it as a prefix): each message is two parts, the topic frame
//                                 (skipped) and the payload. "...:5556#" takes every topic.
//   "sub+tcp://*:5556"            SUB socket, bound (publishers connect to it).
// tcp:// and ipc:// are the useful transports (inproc:// cannot reach the source's private
// context); only a `*` host binds, and a relative ipc:// path is relative to the flow's folder.
// A payload is an .npy file's bytes or the raw little-endian elements of the declared shape;
// anything else, or a message with the wrong number of parts, becomes an item with `error` set
// naming the message number.
// A message part larger than the item type allows (MessageBounds.h) is refused by libzmq
// while its header is read, before it is in memory: ZeroMQ drops it and disconnects the peer
// that sent it (a PUSH peer reconnects by itself), and the stream goes on. libzmq reports this
// only as a disconnection, the same as a peer leaving, so it is not counted as a malformed item.
#include "runtime/io/DataError.h"
#include "runtime/streams/ItemDecoding.h"
#include "runtime/streams/MessageBounds.h"
#include "runtime/streams/Source.h"

#include <zmq.h>

#include <atomic>
#include <memory>
#include <vector>

namespace xdml::runtime {

namespace {

constexpr int kPollMs = 50;  // how soon a blocked next() notices stop()

struct Endpoint {
    bool subscribe = false;
    bool bind = false;
    bool topicFrame = false;  // a '#' was given: messages start with a topic frame
    std::string topic;
    std::string address;  // what libzmq binds or connects to
};

Endpoint parseEndpoint(const std::string& spec, const std::filesystem::path& baseDir) {
    const std::string where = "zmq(\"" + spec + "\")";
    Endpoint e;
    std::string rest = spec;
    if (rest.rfind("sub+", 0) == 0) {
        e.subscribe = true;
        rest = rest.substr(4);
        if (auto hash = rest.find('#'); hash != std::string::npos) {
            e.topicFrame = true;
            e.topic = rest.substr(hash + 1);
            rest = rest.substr(0, hash);
        }
    } else if (rest.find('#') != std::string::npos) {
        throw DataError(where, "a topic after '#' needs a SUB socket: write \"sub+" + spec + "\"");
    }
    auto scheme = rest.find("://");
    if (scheme == std::string::npos || scheme == 0)
        throw DataError(
            where, "not a ZeroMQ endpoint; expected e.g. \"tcp://*:5555\" or \"sub+tcp://host:5556#topic\"");
    std::string transport = rest.substr(0, scheme), target = rest.substr(scheme + 3);
    if (transport == "ipc" && !target.empty() && target[0] != '/' && target != "*" && !baseDir.empty())
        target = (baseDir / target).string();
    auto colon = target.rfind(':');
    std::string host = transport == "ipc" || transport == "inproc" || colon == std::string::npos
                           ? target
                           : target.substr(0, colon);
    e.bind = host == "*";
    e.address = transport + "://" + target;
    return e;
}

/// One received message part, closed when it goes out of scope.
struct Part {
    zmq_msg_t msg;
    Part() { zmq_msg_init(&msg); }
    ~Part() { zmq_msg_close(&msg); }
    Part(const Part&) = delete;
    Part& operator=(const Part&) = delete;
    const std::byte* data() { return static_cast<const std::byte*>(zmq_msg_data(&msg)); }
    std::size_t size() { return zmq_msg_size(&msg); }
};

class ZmqSource final : public Source {
public:
    ZmqSource(const std::string& spec, TypeDesc itemType, const std::filesystem::path& baseDir)
        : endpoint_(parseEndpoint(spec, baseDir)), itemType_(std::move(itemType)) {
        const std::string where = "zmq(\"" + spec + "\")";
        context_ = zmq_ctx_new();
        if (!context_)
            throw DataError(where, std::string("cannot make a ZeroMQ context: ") + zmq_strerror(zmq_errno()));
        socket_ = zmq_socket(context_, endpoint_.subscribe ? ZMQ_SUB : ZMQ_PULL);
        int linger = 0;  // never keep the process alive for undelivered messages on close
        const int64_t largest = largestMessage(itemType_);
        bool ok = socket_ && zmq_setsockopt(socket_, ZMQ_LINGER, &linger, sizeof linger) == 0 &&
                  zmq_setsockopt(socket_, ZMQ_MAXMSGSIZE, &largest, sizeof largest) == 0 &&
                  (!endpoint_.subscribe || zmq_setsockopt(socket_, ZMQ_SUBSCRIBE, endpoint_.topic.data(),
                                                          endpoint_.topic.size()) == 0);
        if (ok)
            ok = (endpoint_.bind ? zmq_bind(socket_, endpoint_.address.c_str())
                                 : zmq_connect(socket_, endpoint_.address.c_str())) == 0;
        if (!ok) {
            std::string why = std::string(endpoint_.bind ? "cannot bind: " : "cannot connect: ") +
                              zmq_strerror(zmq_errno());
            close();
            throw DataError(where, why);
        }
    }
    ~ZmqSource() override { close(); }

    bool next(SourceItem& out) override {
        while (!stopped_.load()) {
            zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
            int ready = zmq_poll(&item, 1, kPollMs);
            if (ready <= 0) continue;  // a timeout, or EINTR: look at stopped_ again
            std::vector<std::unique_ptr<Part>> parts;
            int more = 1;
            while (more) {
                parts.push_back(std::make_unique<Part>());
                if (zmq_msg_recv(&parts.back()->msg, socket_, ZMQ_DONTWAIT) < 0) {
                    parts.pop_back();
                    break;  // the rest of a multi-part message always arrives with its first part
                }
                more = zmq_msg_more(&parts.back()->msg);
            }
            if (parts.empty()) continue;
            out = itemOf(parts, endpoint_.address + "#" + std::to_string(received_++));
            return true;
        }
        return false;
    }

    void stop() override { stopped_.store(true); }
    bool finite() const override { return false; }

private:
    SourceItem itemOf(std::vector<std::unique_ptr<Part>>& parts, std::string origin) {
        const std::size_t expected = endpoint_.topicFrame ? 2 : 1;
        if (parts.size() != expected) {
            SourceItem bad;
            bad.origin = origin;
            for (auto& p : parts) bad.bytes += p->size();
            bad.error =
                origin + ": a message in " + std::to_string(parts.size()) +
                (parts.size() == 1 ? " part" : " parts") + "; expected " +
                (expected == 1 ? "one part (the payload)" : "two parts (the topic, then the payload)");
            return bad;
        }
        Part& payload = *parts.back();
        return decodeMessageItem(payload.data(), payload.size(), itemType_, std::move(origin));
    }

    void close() {
        if (socket_) zmq_close(socket_);
        if (context_) zmq_ctx_term(context_);
        socket_ = context_ = nullptr;
    }

    Endpoint endpoint_;
    TypeDesc itemType_;
    void* context_ = nullptr;
    void* socket_ = nullptr;
    uint64_t received_ = 0;
    std::atomic<bool> stopped_{false};
};

}  // namespace

std::unique_ptr<Source> makeZmqSource(const std::string& endpoint, TypeDesc itemType,
                                      const std::filesystem::path& baseDir) {
    return std::make_unique<ZmqSource>(endpoint, std::move(itemType), baseDir);
}

}  // namespace xdml::runtime
