// test_large_buffers.cpp — the memory of large values and messages (LargeBuffers.h): a buffer
// let go is handed out again for the next one that fits, the spares stay within their bound,
// and a large tensor made from reused memory is still all zeros.
#include "runtime/io/ValueCodec.h"
#include "runtime/values/LargeBuffers.h"
#include "runtime/values/Tensor.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>

using namespace xdml;
using namespace xdml::runtime;

namespace {
constexpr std::size_t kMiB = std::size_t{1} << 20;
}

TEST_CASE("a large buffer let go is handed out again for the next that fits") {
    std::string first = takeLargeBuffer(3 * kMiB);
    REQUIRE(first.size() == 3 * kMiB);
    first[0] = 'x';
    const char* memory = first.data();
    giveBackLargeBuffer(std::move(first));
    CHECK(first.empty());
    // A slightly smaller one reuses it; nothing is written to hand it out.
    std::string again = takeLargeBuffer(3 * kMiB - 100);
    CHECK(again.size() == 3 * kMiB - 100);
    CHECK(again.data() == memory);
    CHECK(again[0] == 'x');
    giveBackLargeBuffer(std::move(again));
    // One four times smaller does not hold it.
    std::string small = takeLargeBuffer(kLargeBufferBytes);
    CHECK(small.data() != memory);
    // A small string is simply freed.
    const std::size_t before = spareLargeBufferBytes();
    giveBackLargeBuffer(std::string(100, 'a'));
    CHECK(spareLargeBufferBytes() == before);
}

TEST_CASE("the spares stay within their bound, the oldest going first") {
    std::vector<std::string> buffers;
    for (int i = 0; i < 20; ++i) buffers.push_back(takeLargeBuffer(kMiB));
    for (std::string& b : buffers) giveBackLargeBuffer(std::move(b));
    // At most 16 spares: the last 16 given back, of 1 MiB each.
    CHECK(spareLargeBufferBytes() == 16 * kMiB);
    for (int i = 0; i < 16; ++i) CHECK(takeLargeBuffer(kMiB).size() == kMiB);
    CHECK(spareLargeBufferBytes() == 0);
}

TEST_CASE("a large tensor made from reused memory is all zeros, and its value survives encoding") {
    const int64_t n = 1 << 20;  // 4 MiB of f32
    const std::byte* memory = nullptr;
    {
        Tensor t = Tensor::zeros(ElemType::F32, {n});
        memory = t.buffer->data();
        std::fill(t.data<float>(), t.data<float>() + n, 7.0f);
    }
    Tensor t = Tensor::zeros(ElemType::F32, {n});
    CHECK(t.buffer->data() == memory);  // the first tensor's memory, reused
    CHECK(reinterpret_cast<uintptr_t>(t.buffer->data()) % 64 == 0);
    CHECK(std::all_of(t.data<float>(), t.data<float>() + n, [](float v) { return v == 0.0f; }));
    for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = static_cast<float>(i % 1000);
    const std::string bytes = encodeValue(Value::tensor(t));
    const Value back = decodeValue(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), "a test");
    REQUIRE(back.is(Value::Kind::Tensor));
    CHECK(std::memcmp(back.asTensor().buffer->data(), t.buffer->data(), static_cast<std::size_t>(n) * 4) == 0);
}
