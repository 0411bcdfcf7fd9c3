// test_bounded_queue.cpp — the queue between sources and handlers: order, backpressure,
// timeouts and close(), with real threads.
#include "runtime/streams/BoundedQueue.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

using xdml::runtime::BoundedQueue;
using xdml::runtime::PushResult;
using namespace std::chrono_literals;

TEST_CASE("a bounded queue is first in, first out", "[streams][queue]") {
    BoundedQueue<int> q(3);
    CHECK(q.capacity() == 3);
    CHECK(q.push(1));
    CHECK(q.push(2));
    CHECK(q.size() == 2);
    CHECK(q.pop() == 1);
    CHECK(q.pop() == 2);
    CHECK(q.tryPop(10ms) == std::nullopt);
    CHECK_FALSE(q.closed());
    CHECK(BoundedQueue<int>(0).capacity() == 1);
}

TEST_CASE("a full queue blocks its producer until a consumer makes room", "[streams][queue]") {
    BoundedQueue<int> q(2);
    q.push(1);
    q.push(2);
    std::atomic<bool> pushed{false};
    std::thread producer([&] {
        q.push(3);
        pushed.store(true);
    });
    std::this_thread::sleep_for(50ms);
    CHECK_FALSE(pushed.load());
    CHECK(q.size() == 2);
    CHECK(q.pop() == 1);
    producer.join();
    CHECK(pushed.load());
    CHECK(q.pop() == 2);
    CHECK(q.pop() == 3);

    // tryPush gives up after its timeout and leaves the item with the caller.
    auto item = std::make_unique<int>(6);
    BoundedQueue<std::unique_ptr<int>> owners(1);
    owners.push(std::make_unique<int>(0));
    auto started = std::chrono::steady_clock::now();
    CHECK(owners.tryPush(item, 30ms) == PushResult::TimedOut);
    CHECK(std::chrono::steady_clock::now() - started >= 30ms);
    REQUIRE(item);
    CHECK(*item == 6);
    CHECK(**owners.pop() == 0);
    CHECK(owners.tryPush(item, 30ms) == PushResult::Pushed);
    CHECK_FALSE(item);
}

TEST_CASE("close wakes everyone: producers fail, consumers drain then stop", "[streams][queue]") {
    BoundedQueue<std::string> q(1);
    std::optional<std::string> got = "unset";
    std::thread consumer([&] { got = q.pop(); });
    std::this_thread::sleep_for(30ms);
    q.close();
    consumer.join();
    CHECK(got == std::nullopt);
    CHECK(q.closed());
    CHECK_FALSE(q.push("late"));

    BoundedQueue<std::string> r(1);
    r.push("kept");
    std::atomic<int> blockedResult{-1};
    std::thread producer([&] { blockedResult.store(r.push("blocked") ? 1 : 0); });
    std::this_thread::sleep_for(30ms);
    r.close();
    r.close();  // idempotent
    producer.join();
    CHECK(blockedResult.load() == 0);
    std::string s = "x";
    CHECK(r.tryPush(s, 1ms) == PushResult::Closed);
    CHECK(r.pop() == "kept");  // pushed before close: still delivered
    CHECK(r.pop() == std::nullopt);
}

TEST_CASE("many producers and consumers pass every item exactly once", "[streams][queue]") {
    constexpr int kProducers = 4, kConsumers = 3, kEach = 2000;
    BoundedQueue<int> q(8);
    std::vector<std::atomic<int>> seen(kProducers * kEach);
    std::vector<std::thread> producers, consumers;
    for (int p = 0; p < kProducers; ++p)
        producers.emplace_back([&, p] {
            for (int i = 0; i < kEach; ++i) q.push(p * kEach + i);
        });
    for (int c = 0; c < kConsumers; ++c)
        consumers.emplace_back([&] {
            while (auto v = q.pop()) seen[*v].fetch_add(1);
        });
    for (auto& t : producers) t.join();
    q.close();
    for (auto& t : consumers) t.join();
    int exactlyOnce = 0;
    for (auto& s : seen) exactlyOnce += s.load() == 1;
    CHECK(exactlyOnce == kProducers * kEach);
}

TEST_CASE("popAll takes every item at once, in order, and releases a blocked producer", "[streams][queue]") {
    BoundedQueue<int> q(3);
    q.push(1);
    q.push(2);
    q.push(3);
    std::atomic<bool> pushed{false};
    std::thread producer([&] {
        q.push(4);  // full: waits for room
        pushed.store(true);
    });
    std::vector<int> taken;
    CHECK(q.popAll(taken));
    CHECK(taken == std::vector<int>{1, 2, 3});
    producer.join();  // woken by popAll, never left waiting
    CHECK(pushed.load());
    CHECK(q.popAll(taken));
    CHECK(taken == std::vector<int>{1, 2, 3, 4});  // appended to what `out` held
    q.close();
    CHECK_FALSE(q.popAll(taken));  // closed and drained
}

TEST_CASE("a producer blocked on a full queue is released as it drains to half", "[streams][queue]") {
    // Woken at half, not at each item taken: the producer and the consumer do not trade a
    // wake-up per item. Whatever the timing, popping down to half always lets it through.
    BoundedQueue<int> q(4);
    for (int i = 0; i < 4; ++i) q.push(i);
    std::thread producer([&] {
        for (int i = 4; i < 8; ++i) q.push(i);
    });
    std::vector<int> order;
    for (int i = 0; i < 8; ++i) order.push_back(*q.pop());
    producer.join();
    std::vector<int> expected(8);
    std::iota(expected.begin(), expected.end(), 0);
    CHECK(order == expected);
    CHECK(q.size() == 0);
}
