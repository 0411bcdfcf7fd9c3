// SplitMix.h — splitmix64 (Steele, Lea, Flood 2014): the portable generator behind every
// seeded choice of the models runtime (rehearsal buffers, trainers' seeds). One word of state,
// the same output on every machine and standard library.
#pragma once

#include <cstdint>

namespace xdml::runtime {

/// The splitmix64 output for state x (the state advanced once, then mixed).
inline uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/// The next number of the generator whose state is `state`.
inline uint64_t nextRandom(uint64_t& state) {
    const uint64_t out = splitmix64(state);
    state += 0x9E3779B97F4A7C15ull;
    return out;
}

/// Uniform in [0, n), n >= 1: Lemire's multiply-shift with rejection, exact and portable
/// (std::uniform_int_distribution gives different integers on different standard libraries).
inline uint64_t uniformBelow(uint64_t& state, uint64_t n) {
    unsigned __int128 m = static_cast<unsigned __int128>(nextRandom(state)) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
        const uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = static_cast<unsigned __int128>(nextRandom(state)) * n;
            low = static_cast<uint64_t>(m);
        }
    }
    return static_cast<uint64_t>(m >> 64);
}

}  // namespace xdml::runtime
