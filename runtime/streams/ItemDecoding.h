// ItemDecoding.h — a received file or message turned into a SourceItem of the stream's item
// type. Shared by the sources so that every source reports bad data the same way.
#pragma once

#include "runtime/streams/Source.h"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

namespace xdml::runtime {

class Hdf5Items;

/// A file as an item: its path for `path` and `string` item types, its decoded contents (.npy,
/// or raw elements of a static shape) for a tensor type, and an item with `error` set for
/// anything else or bad data. An HDF5 file's frames are FileItems'.
SourceItem readFileItem(const std::filesystem::path& file, const TypeDesc& itemType, const FileOptions& options = {});

/// The items of one file: one, or with a `dataset` one per frame (the file is opened when the
/// FileItems is made; a file that cannot be is one item with the error). item() is thread-safe,
/// so the frames of one file can be decoded on several threads.
class FileItems {
public:
    FileItems(std::filesystem::path file, const TypeDesc& itemType, const FileOptions& options);
    ~FileItems();
    std::size_t size() const;
    /// Item i, hashed when the options ask (FileOptions::hashItems).
    SourceItem item(std::size_t i) const;

private:
    SourceItem decode(std::size_t i) const;
    std::filesystem::path file_;
    TypeDesc itemType_;
    FileOptions options_;
    std::unique_ptr<Hdf5Items> frames_;
    std::string openError_;
};

/// A message payload as an item: .npy (it starts with \x93NUMPY) or raw little-endian elements
/// for a tensor type, UTF-8 text for `string`; an item with `error` set otherwise.
SourceItem decodeMessageItem(const std::byte* data, std::size_t n, const TypeDesc& itemType,
                             std::string origin);

}  // namespace xdml::runtime
