// MessageBounds.h — how large one received message of a stream's item type can be, so that a
// transport can refuse a larger one before it is in memory.
#pragma once

#include "runtime/interp/Program.h"

#include <cstdint>

namespace xdml::runtime {

/// For a type with no bound of its own (a `string`, a tensor with a `?` dimension, a type no
/// message decodes into): 256 MiB.
inline constexpr int64_t kUnboundedMessageCap = int64_t{256} << 20;
/// Room for an .npy header (at most 64 KiB in format 1.0) and framing around the elements.
inline constexpr int64_t kMessageHeaderSlack = int64_t{64} << 10;

/// The largest message an item of `itemType` (its structure) can arrive in: for a tensor of a
/// static shape, its elements as .npy (raw elements are smaller) plus the header slack; else
/// kUnboundedMessageCap. A static shape larger than that cap is honoured as declared.
int64_t largestMessage(const TypeDesc& itemType);

}  // namespace xdml::runtime
