// test_mailbox_leave.cpp — how ranks leave a distributed run (Mailbox::stop, docs/distributed.md
// "When a rank fails"), over an in-process stand-in for MPI: rank 0 ends only once every rank
// has left, no rank sends to one that has finalized, nothing is left unreceived at the end, a
// call to a rank that left fails at once, and the ranks' counters reach rank 0.
#include "runtime/distributed/Mailbox.h"
#include "runtime/distributed/RankCounters.h"
#include "runtime/engine/MessageCodec.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace xdml::runtime;
using namespace xdml::runtime::distributed;

namespace {

struct Envelope {
    int source, tag;
    std::string bytes;
};

/// The world the fake ranks share: a queue of messages per receiving rank. A send completes at
/// once; one to or from a rank that has finalized is what OpenMPI's TCP transport fails on.
struct FakeWorld {
    std::mutex mutex;
    std::vector<std::deque<Envelope>> inbox;
    std::vector<bool> finalized;
    std::vector<std::string> faults;

    void reset(int size) {
        std::lock_guard lock(mutex);
        inbox.assign(static_cast<std::size_t>(size), {});
        finalized.assign(static_cast<std::size_t>(size), false);
        faults.clear();
    }
};
FakeWorld world;

/// Rank R's MPI: the plugin's functions carry no rank, so each rank gets its own table.
template <int R>
struct FakeRank {
    static int isend(int dest, int tag, const void* bytes, std::size_t size, void** handle) {
        std::lock_guard lock(world.mutex);
        if (world.finalized[R] || world.finalized[static_cast<std::size_t>(dest)])
            world.faults.push_back("rank " + std::to_string(R) + " sent tag " + std::to_string(tag) + " to rank " +
                                   std::to_string(dest) + " after a finalize");
        world.inbox[static_cast<std::size_t>(dest)].push_back({R, tag, std::string(static_cast<const char*>(bytes), size)});
        *handle = &world;
        return 0;
    }
    static int testSend(void*, int* done) {
        *done = 1;
        return 0;
    }
    static int probe(int* found, int* source, int* tag, std::size_t* size) {
        std::lock_guard lock(world.mutex);
        const auto& queue = world.inbox[R];
        *found = !queue.empty();
        if (*found) {
            *source = queue.front().source;
            *tag = queue.front().tag;
            *size = queue.front().bytes.size();
        }
        return 0;
    }
    static int receive(int, int, void* bytes, std::size_t size) {
        std::lock_guard lock(world.mutex);
        std::memcpy(bytes, world.inbox[R].front().bytes.data(), size);
        world.inbox[R].pop_front();
        return 0;
    }
    static void abortAll(int) {
        std::fprintf(stderr, "fake rank %d: MPI_Abort\n", R);
        std::abort();
    }
    static int finalize() {
        std::lock_guard lock(world.mutex);
        world.finalized[R] = true;
        return 0;
    }
    static void errorText(int, char* out, int capacity) { std::snprintf(out, static_cast<std::size_t>(capacity), "fake"); }
    static const XdmlMpiApi& api() {
        static const XdmlMpiApi table{kXdmlMpiAbiVersion, "fake", nullptr, nullptr, nullptr, nullptr, isend,
                                      testSend, probe, receive, abortAll, finalize, errorText};
        return table;
    }
};

/// Stops rank R's mailbox and finalizes its MPI, as runDistributed does.
template <int R>
void leave(Mailbox& mailbox) {
    mailbox.stop();
    FakeRank<R>::finalize();
}

void answerCounters(Mailbox& mailbox, uint64_t evaluated) {
    mailbox.onRequest(Tag::Counters, [evaluated](int, std::string) { return RankCounters{evaluated}.encode(); });
}

void requireNothingInFlight() {
    std::lock_guard lock(world.mutex);
    INFO("sends that met a finalized rank: " << world.faults.size() << (world.faults.empty() ? "" : ", first: " + world.faults.front()));
    CHECK(world.faults.empty());
    for (std::size_t r = 0; r < world.inbox.size(); ++r) {
        INFO("messages never received by rank " << r);
        CHECK(world.inbox[r].empty());
    }
}

}  // namespace

TEST_CASE("rank 0 ends only after every rank has left, and nobody sends to a finalized rank") {
    world.reset(3);
    Mailbox zero(FakeRank<0>::api(), 0, 3, "host"), one(FakeRank<1>::api(), 1, 3, "host"), two(FakeRank<2>::api(), 2, 3, "host");
    zero.start();
    one.start();
    two.start();
    std::atomic<bool> zeroEnded{false};
    std::thread coordinator([&] {
        leave<0>(zero);
        zeroEnded = true;
    });
    leave<1>(one);
    // Two heartbeats' time: rank 2 still runs (its teardown may be slow), so rank 0 must still
    // be there, beating to it and taking its beats; rank 1, gone, must get nothing more.
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    CHECK_FALSE(zeroEnded.load());
    leave<2>(two);
    coordinator.join();
    CHECK(zeroEnded.load());
    requireNothingInFlight();
}

TEST_CASE("the ranks' counters reach rank 0, and a rank that left is refused at once") {
    world.reset(3);
    Mailbox zero(FakeRank<0>::api(), 0, 3, "host"), one(FakeRank<1>::api(), 1, 3, "host"), two(FakeRank<2>::api(), 2, 3, "host");
    zero.start();
    one.start();
    two.start();
    answerCounters(one, 7);
    answerCounters(two, 5);
    RunStats stats;
    stats.expressionsEvaluated += 100;  // rank 0's own
    gatherRankCounters(zero, stats);
    CHECK(stats.expressionsEvaluated.load() == 112);

    leave<1>(one);
    CHECK_THROWS_WITH(zero.call(1, Tag::Counters, ""), Catch::Contains("rank 1 has left the run"));
    zero.post(1, Tag::Stop, "");  // dropped: rank 1 may be finalizing
    gatherRankCounters(zero, stats);  // says rank 1 cannot answer, adds rank 2's
    CHECK(stats.expressionsEvaluated.load() == 117);
    leave<2>(two);
    leave<0>(zero);
    requireNothingInFlight();
}

TEST_CASE("a rank's counters cross unchanged, and malformed ones are refused") {
    CHECK(RankCounters::decode(RankCounters{123456789}.encode()).expressionsEvaluated == 123456789);
    CHECK_THROWS_AS(RankCounters::decode("abc"), MessageError);
    CHECK_THROWS_AS(RankCounters::decode(RankCounters{1}.encode() + "x"), MessageError);
}
