// test_streams.cpp — the stream sources (files, watch, zmq) against real folders and sockets:
// order, decoding, bad data as error items, and prompt stops.
#include "StreamTestSupport.h"
#include "runtime/io/DataError.h"
#include "runtime/io/Npy.h"
#include "runtime/streams/Source.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>
#include <zmq.h>

#include <random>

using namespace xdml;
using namespace std::chrono_literals;
using runtime::DataError;
using runtime::ElemType;
using runtime::SourceItem;
using runtime::Tensor;
using test::collect;
using test::f32Counting;
using test::tensorType;
using K = runtime::TypeDesc::Kind;

namespace {

const runtime::TypeDesc kFrame = tensorType(ElemType::F32, {2, 3});

std::string frameNpy(float start) {
    return runtime::encodeNpy(f32Counting({2, 3}, start));
}

/// The first element of a decoded frame, which the tests use as the frame's name.
float firstOf(const SourceItem& item) {
    return item.value.asTensor().data<float>()[0];
}

std::vector<std::string> origins(const std::vector<SourceItem>& items) {
    std::vector<std::string> out;
    for (const SourceItem& i : items) out.push_back(i.origin);
    return out;
}

}  // namespace

TEST_CASE("files() lists the matching files in byte order of their paths", "[streams]") {
    test::ScratchDir base;
    const auto& b = base.path();
    std::filesystem::create_directories(b / "data/run1/dir.npy");  // a folder is never an item
    std::filesystem::create_directories(b / "data/run2");
    test::writeFile(b / "data/run1/b.npy", frameNpy(2));
    test::writeFile(b / "data/run1/a.npy", frameNpy(1));
    test::writeFile(b / "data/run1/B.npy", frameNpy(0));  // 'B' < 'a' in bytes, unlike most locales
    test::writeFile(b / "data/run1/notes.txt", "not a frame");
    test::writeFile(b / "data/run1/.hidden.npy", frameNpy(9));
    test::writeFile(b / "data/run2/c.npy", frameNpy(3));

    auto source = runtime::makeFilesSource("data/run1/*.npy", b, kFrame);
    CHECK(source->finite());
    auto items = collect(*source, 10);
    CHECK(origins(items) == std::vector<std::string>{(b / "data/run1/B.npy").string(),
                                                     (b / "data/run1/a.npy").string(),
                                                     (b / "data/run1/b.npy").string()});
    for (std::size_t i = 0; i < items.size(); ++i) {
        CHECK(items[i].error.empty());
        CHECK(firstOf(items[i]) == static_cast<float>(i));
        CHECK(items[i].bytes == frameNpy(0).size());
    }
    SourceItem after;
    CHECK_FALSE(source->next(after));

    CHECK(collect(*runtime::makeFilesSource("data/run?/[ac].npy", b, kFrame), 10).size() == 2);
    CHECK(
        collect(*runtime::makeFilesSource((b / "data/*/c.npy").string(), "/elsewhere", kFrame), 10).size() ==
        1);
    CHECK(collect(*runtime::makeFilesSource("nothing/*.npy", b, kFrame), 10).empty());
}

TEST_CASE("files() reports bad files as items and gives paths to path streams", "[streams]") {
    test::ScratchDir base;
    test::writeFile(base.path() / "a.npy", frameNpy(0).substr(0, 140));
    test::writeFile(base.path() / "b.npy", runtime::encodeNpy(f32Counting({3, 3}, 0)));

    auto items = collect(*runtime::makeFilesSource("*.npy", base.path(), kFrame), 10);
    REQUIRE(items.size() == 2);
    CHECK(items[0].value.is(runtime::Value::Kind::None));
    CHECK(items[0].error ==
          (base.path() / "a.npy").string() + ": truncated: header says 24 bytes of data, file has 12");
    CHECK_THAT(items[1].error, Catch::EndsWith("expected tensor<f32>[2, 3], got tensor<f32>[3, 3]"));

    auto paths = collect(*runtime::makeFilesSource("*.npy", base.path(), test::scalarType(K::Path)), 10);
    REQUIRE(paths.size() == 2);
    CHECK(paths[1].value.asString() == (base.path() / "b.npy").string());
    auto ints = collect(*runtime::makeFilesSource("*.npy", base.path(), test::scalarType(K::Int)), 10);
    REQUIRE(ints.size() == 2);
    CHECK_THAT(ints[0].error, Catch::EndsWith("a.npy: cannot decode a file into int"));
}

TEST_CASE("watch() sees files once they are whole, and stops promptly", "[streams]") {
    test::ScratchDir base;
    const auto dir = base.path() / "incoming";
    std::filesystem::create_directories(dir);
    test::writeFile(dir / "old.npy", frameNpy(100));  // there before the watch: not an item

    auto source = runtime::makeWatchSource("incoming", "*.npy", base.path(), kFrame);
    CHECK_FALSE(source->finite());
    std::thread writer([&] {
        test::writeFile(dir / "f0.npy", frameNpy(0));
        test::writeFile(dir / "notes.txt", "ignored");
        test::writeFile(dir / ".f1.npy.tmp", frameNpy(1));  // hidden while it is written
        std::filesystem::rename(dir / ".f1.npy.tmp", dir / "f1.npy");
        test::writeFile(dir / "f2.part", frameNpy(2));
        std::filesystem::rename(dir / "f2.part", dir / "f2.npy");
        // A slow writer: header, a pause, half the data, a pause, the rest.
        std::string slow = frameNpy(3);
        int fd = ::open((dir / "f3.npy").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        for (auto [from, to] :
             {std::pair<std::size_t, std::size_t>{0, 128}, {128, 140}, {140, slow.size()}}) {
            CHECK(::write(fd, slow.data() + from, to - from) == static_cast<ssize_t>(to - from));
            std::this_thread::sleep_for(60ms);
        }
        ::close(fd);
        test::writeFile(dir / "f4.npy", "garbage");
    });
    auto items = collect(*source, 5);
    writer.join();

    REQUIRE(items.size() == 5);
    for (int i = 0; i < 4; ++i) {
        INFO(items[i].origin << " " << items[i].error);
        CHECK(items[i].origin == (dir / ("f" + std::to_string(i) + ".npy")).string());
        REQUIRE(items[i].error.empty());
        CHECK(firstOf(items[i]) == static_cast<float>(i));
        CHECK(items[i].value.asTensor().data<float>()[5] == static_cast<float>(i + 5));
    }
    CHECK_THAT(items[4].error, Catch::Contains("f4.npy: not an .npy file"));

    // Nothing else is pending (no second f3, no notes.txt): next() blocks until stop().
    std::thread stopper([&] {
        std::this_thread::sleep_for(150ms);
        source->stop();
    });
    auto started = std::chrono::steady_clock::now();
    SourceItem extra;
    CHECK_FALSE(source->next(extra));
    auto waited = std::chrono::steady_clock::now() - started;
    stopper.join();
    CHECK(waited >= 140ms);
    CHECK(waited < 400ms);
    source->stop();  // idempotent
    CHECK_FALSE(source->next(extra));
}

TEST_CASE("watch() creates a missing folder and rejects a glob with a folder part", "[streams]") {
    test::ScratchDir base;
    auto source = runtime::makeWatchSource("new/folder", "*.npy", base.path(), kFrame);
    CHECK(std::filesystem::is_directory(base.path() / "new/folder"));
    CHECK_THROWS_AS(runtime::makeWatchSource("x", "sub/*.npy", base.path(), kFrame), DataError);
    test::writeFile(base.path() / "file", "");
    CHECK_THROWS_AS(runtime::makeWatchSource("file", "*.npy", base.path(), kFrame), DataError);
}

namespace {

/// A zmq source bound to a free port picked at random: "tcp://*:<port>" or `prefix` + that.
std::unique_ptr<runtime::Source> bindOnSomePort(const std::string& prefix, const std::string& suffix,
                                                int& port) {
    std::mt19937 rng(std::random_device{}());
    for (int attempt = 0;; ++attempt) {
        port = std::uniform_int_distribution<int>(20000, 60000)(rng);
        try {
            return runtime::makeZmqSource(prefix + "tcp://*:" + std::to_string(port) + suffix, kFrame, {});
        } catch (const DataError&) {
            if (attempt == 20) throw;  // EADDRINUSE twenty times: something else is wrong
        }
    }
}

/// A test-side ZeroMQ socket, closed at scope exit.
struct TestSocket {
    void* context = zmq_ctx_new();
    void* socket;
    explicit TestSocket(int type) : socket(zmq_socket(context, type)) {
        int linger = 0;
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
    }
    ~TestSocket() {
        zmq_close(socket);
        zmq_ctx_term(context);
    }
    void send(const std::string& part, bool more = false) {
        zmq_send(socket, part.data(), part.size(), more ? ZMQ_SNDMORE : 0);
    }
};

}  // namespace

TEST_CASE("zmq() PULL decodes .npy and raw messages and reports the others", "[streams]") {
    int port = 0;
    auto source = bindOnSomePort("", "", port);
    CHECK_FALSE(source->finite());
    TestSocket push(ZMQ_PUSH);
    REQUIRE(zmq_connect(push.socket, ("tcp://127.0.0.1:" + std::to_string(port)).c_str()) == 0);
    push.send(frameNpy(0));
    push.send(frameNpy(10));
    push.send(frameNpy(20));
    push.send("garbage");
    const Tensor raw = f32Counting({2, 3}, 40);
    push.send(std::string(reinterpret_cast<const char*>(raw.buffer->data()), 24));
    push.send("two", true);
    push.send("parts");

    auto items = collect(*source, 6);
    REQUIRE(items.size() == 6);
    const std::string endpoint = "tcp://*:" + std::to_string(port);
    for (int i : {0, 1, 2, 4}) {
        INFO(items[i].error);
        REQUIRE(items[i].error.empty());
        CHECK(firstOf(items[i]) == static_cast<float>(i * 10));
        CHECK(items[i].origin == endpoint + "#" + std::to_string(i));
    }
    CHECK(items[4].bytes == 24);
    CHECK(items[3].value.is(runtime::Value::Kind::None));
    CHECK(items[3].error == endpoint +
                                "#3: neither .npy (no \\x93NUMPY magic) nor raw elements: raw elements of "
                                "tensor<f32>[2, 3] are 24 bytes, got 7");
    CHECK(items[5].error == endpoint + "#5: a message in 2 parts; expected one part (the payload)");

    // A blocked next() returns soon after stop().
    std::thread stopper([&] {
        std::this_thread::sleep_for(100ms);
        source->stop();
    });
    auto started = std::chrono::steady_clock::now();
    SourceItem none;
    CHECK_FALSE(source->next(none));
    stopper.join();
    CHECK(std::chrono::steady_clock::now() - started < 400ms);
}

TEST_CASE("zmq() SUB takes the payload after its topic", "[streams]") {
    int port = 0;
    auto source = bindOnSomePort("sub+", "#frames", port);
    TestSocket pub(ZMQ_PUB);
    REQUIRE(zmq_connect(pub.socket, ("tcp://127.0.0.1:" + std::to_string(port)).c_str()) == 0);
    // A subscription takes time to reach the publisher (the slow joiner): resend until seen.
    std::atomic<bool> received{false};
    std::thread publisher([&] {
        auto end = std::chrono::steady_clock::now() + 10s;
        while (!received.load() && std::chrono::steady_clock::now() < end) {
            pub.send("other", true);  // another topic: filtered out by the SUB socket
            pub.send("garbage");
            pub.send("frames", true);
            pub.send(frameNpy(7));
            std::this_thread::sleep_for(20ms);
        }
    });
    auto items = collect(*source, 2);
    received.store(true);
    publisher.join();
    REQUIRE(items.size() == 2);
    for (const SourceItem& item : items) {
        INFO(item.error);
        CHECK(item.error.empty());
        CHECK(firstOf(item) == 7.0f);
    }
    CHECK(items[1].origin == "tcp://*:" + std::to_string(port) + "#1");
}

TEST_CASE("zmq() endpoints that cannot work are errors when the stream starts", "[streams]") {
    CHECK_THROWS_WITH(runtime::makeZmqSource("localhost:5555", kFrame, {}),
                      Catch::Contains("not a ZeroMQ endpoint"));
    CHECK_THROWS_WITH(runtime::makeZmqSource("tcp://h:5555#frames", kFrame, {}),
                      Catch::Contains("needs a SUB socket"));
    int port = 0;
    auto first = bindOnSomePort("", "", port);
    CHECK_THROWS_WITH(runtime::makeZmqSource("tcp://*:" + std::to_string(port), kFrame, {}),
                      Catch::Contains("cannot bind: Address already in use"));
}
