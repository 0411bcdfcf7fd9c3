// Npy.h — the NumPy .npy format (versions 1.0, 2.0 and 3.0): how frames reach XDML from files
// and messages, and how `write(path, tensor)` hands them back to Python.
#pragma once

#include "runtime/io/DataFile.h"
#include "runtime/values/Tensor.h"

#include <cstddef>
#include <filesystem>
#include <string>

namespace xdml::runtime {

/// True when the bytes start with the .npy magic "\x93NUMPY" (the rest may still be malformed).
bool isNpy(const std::byte* data, std::size_t n);

/// Decodes a whole .npy file held in memory. Accepts little-endian (or byte-order-free) `<f4 <f8
/// <i4 <i8 |u1 <u2 |b1` in C order; anything else — big-endian data, Fortran order, element
/// types XDML lacks, a truncated body, trailing bytes — throws DataError whose message starts
/// with `where` (a file name or a message's origin).
Tensor decodeNpy(const std::byte* data, std::size_t n, const std::string& where);

/// The .npy bytes of a tensor, exactly as NumPy >= 1.24's np.save writes them (version 1.0, or
/// 2.0 when the header needs more than 64 KiB), so files round-trip and hash the same.
std::string encodeNpy(const Tensor& t);

/// The most bytes an .npy file of `count` elements of `elemBytes` each can take: the elements
/// and the longest header numpy writes for a supported type (version 1.0's 64 KiB).
std::size_t maxNpyBytes(std::size_t count, std::size_t elemBytes);

/// Reads (readDataFile: regular files only, at most `limit`) and decodes an .npy file;
/// DataError names the path.
Tensor readNpyFile(const std::filesystem::path& file, const ByteLimit& limit = {});

}  // namespace xdml::runtime
