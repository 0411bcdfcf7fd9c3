// ItemDecoding.h — a received file or message turned into a SourceItem of the stream's item
// type. Shared by the sources so that every source reports bad data the same way.
#pragma once

#include "runtime/streams/Source.h"

#include <cstddef>
#include <filesystem>
#include <string>

namespace xdml::runtime {

/// A file as an item: its path for `path` and `string` item types, its decoded .npy contents
/// for a tensor type, and an item with `error` set for anything else or bad data.
SourceItem readFileItem(const std::filesystem::path& file, const TypeDesc& itemType);

/// A message payload as an item: .npy (it starts with \x93NUMPY) or raw little-endian elements
/// for a tensor type, UTF-8 text for `string`; an item with `error` set otherwise.
SourceItem decodeMessageItem(const std::byte* data, std::size_t n, const TypeDesc& itemType,
                             std::string origin);

}  // namespace xdml::runtime
