// Philox.cpp — see Philox.h.
#include "runtime/numerics/Philox.h"

#include <cmath>

namespace xdml::runtime {

namespace {
constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // multipliers
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments

PhiloxCounter round(const PhiloxCounter& c, const PhiloxKey& k) {
    const uint64_t p0 = static_cast<uint64_t>(kM0) * c[0];
    const uint64_t p1 = static_cast<uint64_t>(kM1) * c[2];
    return {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
            static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
}
}  // namespace

PhiloxCounter philox4x32_10(PhiloxCounter counter, PhiloxKey key) {
    for (int r = 0; r < 10; ++r) {
        if (r > 0) {
            key[0] += kW0;
            key[1] += kW1;
        }
        counter = round(counter, key);
    }
    return counter;
}

double normalAt(int64_t seed, uint64_t index) {
    const auto s = static_cast<uint64_t>(seed);
    PhiloxCounter r = philox4x32_10({static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32), 0, 0},
                                    {static_cast<uint32_t>(s), static_cast<uint32_t>(s >> 32)});
    // u1 in (0, 1], so its logarithm is finite; u2 in [0, 1).
    constexpr double kTwoToMinus32 = 1.0 / 4294967296.0;
    const double u1 = (static_cast<double>(r[0]) + 1.0) * kTwoToMinus32;
    const double u2 = static_cast<double>(r[1]) * kTwoToMinus32;
    constexpr double kTwoPi = 6.283185307179586476925286766559;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

void fillNormal(int64_t seed, uint64_t first, float* out, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<float>(normalAt(seed, first + i));
}

void fillNormal(int64_t seed, uint64_t first, double* out, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) out[i] = normalAt(seed, first + i);
}

}  // namespace xdml::runtime
