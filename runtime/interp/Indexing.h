// Indexing.h — `a[i, j]`, `a[lo:hi, :k]` on tensors and `l[i]` on lists. An index drops its
// dimension, a range keeps it; indexing every dimension gives a scalar (f32 elements an f32,
// f64 a float, bool a bool, integer elements an int). Bounds are checked: an index or range
// outside the dimension is an EvalError (no negative indexes from the end in XDML 0.1).
#pragma once

#include "runtime/values/Value.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace xdml::runtime {

struct IndexItem {
    bool range = false;
    std::optional<int64_t> lo, hi;  // an index has lo only; a range may leave either out
};

Value indexValue(const Value& base, const std::vector<IndexItem>& items);

/// Element i of a tensor as a scalar value, by the rule above.
Value elementValue(const Tensor& t, std::size_t i);

}  // namespace xdml::runtime
