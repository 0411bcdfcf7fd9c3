// DataFile.h — the one way XDML reads a data file (`read()`, `files()`, `watch()`): only a
// regular file is read, never blocking, never more than the declared type can fill.
//
// What lands in a watched folder is not always a file: a directory, a symbolic link to one, a
// FIFO a detector forgot, a socket. A name that is no regular file is not opened (opening a
// device can have effects); opening with O_NONBLOCK cannot hang on a FIFO; and the kind is
// checked again with fstat on what was opened, as the name may be replaced in between. Links
// are followed: a link to a directory is a directory like any other.
#pragma once

#include <cstddef>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace xdml::runtime {

/// The most a file may hold, and what sets that limit, for the message ("an .npy file of
/// tensor<f32>[8, 8]": "more than N bytes, the most an .npy file of ... can take").
/// The default is no limit.
struct ByteLimit {
    std::size_t bytes = std::numeric_limits<std::size_t>::max();
    std::string what;
};

/// The whole contents of the regular file `file`. Throws DataError naming the path (escaped,
/// see printableName) and the problem: it cannot be opened (the reason), it is not a regular
/// file ("is a directory", "is a FIFO", "is a socket", "is a device"...), it is larger than
/// `limit` (refused before anything is read), or a read failed. A file that shrinks while it is
/// read returns what was there; one that grows past the limit is refused.
std::vector<std::byte> readDataFile(const std::filesystem::path& file, const ByteLimit& limit = {});

/// Reads the regular file `file`, which must hold exactly `n` bytes, into `out` (a raw frame
/// straight into its tensor: no zeroed buffer, no copy). Throws DataError as readDataFile does,
/// and for a file of another size: "is N bytes; raw elements of ... are M bytes" (`what` names
/// what the M bytes are).
void readDataFileInto(const std::filesystem::path& file, std::byte* out, std::size_t n, const std::string& what);

/// Throws DataError as readDataFile does when `file` is there but no regular file, before a
/// library that opens files itself (HDF5) opens it: opening a FIFO would block, a device act.
void requireRegularFile(const std::filesystem::path& file);

}  // namespace xdml::runtime
