// ValueCodec.h — values as bytes, for site storage and transfers between sites: a small tagged
// binary format (little-endian), tensors as their raw elements. What a site writes is what
// another site reads back, bit for bit.
#pragma once

#include "runtime/values/Value.h"

#include <cstddef>
#include <string>

namespace xdml::runtime {

/// The serialized value.
std::string encodeValue(const Value& v);
/// The serialized value, appended to `out` (a message holding a large value is written once).
void encodeValueInto(std::string& out, const Value& v);
/// Reads a serialized value back. A truncated or corrupt buffer is a DataError naming `where`.
Value decodeValue(const std::byte* data, std::size_t n, const std::string& where);

/// The payload bytes of a value by the compiler's size rules (docs/ir.md): tensor elements,
/// 8 per number and quantity, 1 per bool, strings by their length, records and lists summed.
/// The runtime's measured moved/written bytes count these, so they compare with the plan.
uint64_t payloadBytes(const Value& v);

}  // namespace xdml::runtime
