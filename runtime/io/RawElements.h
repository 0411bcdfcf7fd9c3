// RawElements.h — tensors sent as bare little-endian elements with no header: the declared
// type supplies the element type and the shape, so the byte count must match it exactly.
#pragma once

#include "runtime/interp/Program.h"
#include "runtime/values/Tensor.h"

#include <cstddef>
#include <filesystem>
#include <string>

namespace xdml::runtime {

/// A new tensor of `elem` and `dims` filled from `count()` little-endian elements at `src`.
/// Bool bytes other than 0 become true, so every bool element holds exactly 0 or 1.
Tensor tensorFromLittleEndian(ElemType elem, std::vector<int64_t> dims, const std::byte* src);

/// Decodes `n` raw bytes as the elements of `tensorType` (a tensor type whose every dimension
/// is known). Throws DataError naming `where` for another type, a `?` dimension, or a byte
/// count other than elements × element size.
/// The bytes raw elements of `tensorType` take; SIZE_MAX for a '?' dimension or another type.
std::size_t rawBytes(const TypeDesc& tensorType);

/// A raw file of `tensorType` read straight into a new tensor (DataError for a `?` dimension,
/// another type or another size, naming the file).
Tensor readRawFile(const std::filesystem::path& file, const TypeDesc& tensorType);

Tensor decodeRaw(const std::byte* data, std::size_t n, const TypeDesc& tensorType, const std::string& where);

}  // namespace xdml::runtime
