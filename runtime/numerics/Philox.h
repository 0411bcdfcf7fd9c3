// Philox.h — the counter-based generator behind `noise(T, seed)` (LANGUAGE.md §6): Philox-4x32-10
// (Salmon et al., SC'11) keyed by the seed, with the element index as counter, turned into
// standard normal values by Box–Muller. Shared by the interpreter and the JIT, so every
// execution mode gives the same bits on every machine.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace xdml::runtime {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

/// Ten rounds of Philox-4x32 on `counter` under `key`.
PhiloxCounter philox4x32_10(PhiloxCounter counter, PhiloxKey key);

/// The standard normal value of element `index` of `noise(T, seed)`, in double precision.
double normalAt(int64_t seed, uint64_t index);

/// Fills `out[0..count)` with noise elements `first..first+count` of `seed`.
void fillNormal(int64_t seed, uint64_t first, float* out, std::size_t count);
void fillNormal(int64_t seed, uint64_t first, double* out, std::size_t count);

}  // namespace xdml::runtime
