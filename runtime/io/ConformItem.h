// ConformItem.h — the check that a decoded tensor is an item of its stream's declared type:
// the same element type and the same dimensions, a `?` matching any length. Data is never
// converted silently: an f64 frame on an f32 stream means the instrument changed, and the
// user should hear about it.
#pragma once

#include "runtime/interp/Program.h"
#include "runtime/io/DataFile.h"
#include "runtime/values/Value.h"

#include <string>

namespace xdml::runtime {

/// What a declared type is called in messages: "tensor<f32>[128, ?]", "string", "list<int>".
std::string describeItemType(const TypeDesc& t);

/// The tensor as a value of `declared`, or DataError naming `where`, the expected type and the
/// tensor's own ("expected tensor<f32>[2, 3], got tensor<f32>[2, 4]").
Value conformItem(Tensor t, const TypeDesc& declared, const std::string& where);

/// The most bytes an .npy file holding an item of `declared` may take, so a file far larger than
/// any item is refused before it is read: its elements at the widest element type (an f64 file
/// on an f32 stream still reaches conformItem, which says so), plus the header. No limit for a
/// type with a `?` dimension or one that is not a tensor.
ByteLimit npyFileLimit(const TypeDesc& declared);

}  // namespace xdml::runtime
