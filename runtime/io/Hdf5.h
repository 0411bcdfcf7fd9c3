// Hdf5.h — HDF5 datasets in and out (LANGUAGE.md §9), through the HDF5 C library.
//
// In: a dataset of rank k + 1 is frames along its first axis, each one item of a declared
// rank-k tensor type; a dataset of rank k is one item. External links (an Eiger master file
// pointing at its data files) are followed by the library. A frame whose dataset is chunked
// one frame per chunk is read as that chunk's stored bytes and decoded straight into the
// tensor (bitshuffle-LZ4, LZ4 or none), outside the library's lock, so frames of one file
// decode on several cores; any other layout or filter (gzip...) goes through H5Dread.
//
// The decoders XDML registers for the LZ4 (32004) and bitshuffle (32008) filters check every
// length against the buffer: the Debian plugins decode with LZ4_decompress_fast, which trusts
// its input, so a corrupt file could make them read past it.
//
// Every failure is a DataError naming the file and dataset; the library's own error stack is
// never printed.
#pragma once

#include "runtime/interp/Program.h"
#include "runtime/io/AtomicWrite.h"
#include "runtime/values/Tensor.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace xdml::runtime {

/// One dataset, open for reading items of a declared tensor type.
class Hdf5Items {
public:
    /// Opens `dataset` (a path from the root, "/entry/data/data") in `file` and checks its
    /// element type and shape against `declared` (a tensor type). Throws DataError.
    Hdf5Items(const std::filesystem::path& file, const std::string& dataset, const TypeDesc& declared);
    ~Hdf5Items();
    Hdf5Items(const Hdf5Items&) = delete;
    Hdf5Items& operator=(const Hdf5Items&) = delete;

    /// Frames along the first axis, or 1 when the dataset is one item.
    std::size_t size() const;
    /// Whether the items are frames along the first axis (a dataset of one more dimension).
    bool frames() const;
    /// Item i, read into a new tensor. Thread-safe. Throws DataError naming the item. With
    /// `hash`: its content hash (of the elements' bytes, as provenance takes it), when it could be
    /// taken while decoding, block by block in cache (bitshuffle-LZ4); else left empty.
    Tensor read(std::size_t i, std::string* hash = nullptr) const;
    /// "file.h5:/entry/data/data[3]" for a frame, "file.h5:/data" for a whole dataset.
    std::string origin(std::size_t i) const;
    /// The bytes item i takes in memory (what a source counts as received).
    uint64_t itemBytes() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

/// A path's frame index as origin() spells it: "f.h5:/d[3]" with dataset "/d" gives file
/// "f.h5" and 3; false when `origin` is not a frame of `dataset`.
bool parseFrameOrigin(const std::string& origin, const std::string& dataset, std::filesystem::path& file, std::size_t& index);

/// The whole of `dataset` as one item of `declared` (what `read("f.h5:/d", T)` reads).
Tensor readHdf5Tensor(const std::filesystem::path& file, const std::string& dataset, const TypeDesc& declared);

/// Writes `t` as `dataset` of `file` (groups made as needed), keeping the file's other datasets
/// and replacing one of the same name. The file is replaced atomically: a reader sees the old
/// or the new file, never a half-written one. Throws DataError.
void writeHdf5Tensor(const std::filesystem::path& file, const std::string& dataset, const Tensor& t,
                     Durability durability = Durability::Synced);

}  // namespace xdml::runtime
