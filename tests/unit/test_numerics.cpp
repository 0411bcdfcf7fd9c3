// test_numerics.cpp — the deterministic numerics of the runtime: Philox against Random123's
// published known answers, noise values, and the eight-lane summation order.
#include "runtime/numerics/Philox.h"
#include "runtime/numerics/Reductions.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace xdml::runtime;

TEST_CASE("Philox-4x32-10 gives Random123's known answers") {
    CHECK(philox4x32_10({0, 0, 0, 0}, {0, 0}) == PhiloxCounter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
    CHECK(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
          PhiloxCounter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
    CHECK(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
          PhiloxCounter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("noise is standard normal, and the same value for the same seed and index") {
    CHECK(normalAt(7, 12345) == normalAt(7, 12345));
    CHECK(normalAt(7, 12345) != normalAt(8, 12345));
    const std::size_t n = 200000;
    std::vector<double> z(n);
    fillNormal(42, 0, z.data(), n);
    double mean = meanOf(z.data(), n);
    double var = 0;
    for (double x : z) var += (x - mean) * (x - mean);
    var /= static_cast<double>(n);
    CHECK(std::fabs(mean) < 0.01);
    CHECK(std::fabs(var - 1.0) < 0.02);
    std::size_t finite = 0;
    for (double x : z) finite += std::isfinite(x) ? 1 : 0;
    CHECK(finite == n);
    // A chunk filled from an offset is the same as the whole filled at once.
    std::vector<float> whole(64), part(16);
    fillNormal(-3, 0, whole.data(), 64);
    fillNormal(-3, 48, part.data(), 16);
    for (int i = 0; i < 16; ++i) CHECK(part[i] == whole[48 + i]);
}

TEST_CASE("sums use eight lanes by index mod 8, combined in order") {
    // 1e16 + 1 - 1e16 loses the 1 in a plain left-to-right sum; by lanes it survives.
    std::vector<double> v = {1e16, 1.0, -1e16, 0, 0, 0, 0, 0, 0, 0};
    double lanes[8] = {1e16, 1.0, -1e16, 0, 0, 0, 0, 0};
    double expected = lanes[0];
    for (int i = 1; i < 8; ++i) expected += lanes[i];
    CHECK(sumOf(v.data(), v.size()) == expected);
    float f[] = {1.5f, 2.5f, -1.0f, 4.0f};
    CHECK(meanOf(f, 4) == 1.75);
    CHECK(maxOf(f, 4) == 4.0);
    CHECK(minOf(f, 4) == -1.0);
    CHECK(argmaxOf(f, 4) == 3);
    bool mask[] = {true, false, true};
    CHECK(countOf(mask, 3) == 2);
    CHECK(std::isinf(maxOf(f, 0)));
    CHECK(argmaxOf(f, 0) == -1);
}
