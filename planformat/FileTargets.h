// FileTargets.h — what a path names for `read`, `write` and the file sources (LANGUAGE.md §9):
// its format, told by the extension, and for HDF5 the dataset inside the file
// ("out.h5:/entry/result"). One rule for the checker, which knows a literal path's extension,
// and the runtime, which knows every path's.
#pragma once

#include <string>
#include <string_view>

namespace xdml::planformat {

enum class FileFormat {
    Npy,      // .npy: a tensor with NumPy's header
    Hdf5,     // .h5 .hdf5 .nxs: a dataset in an HDF5 (or NeXus) file
    Json,     // .json: any value as JSON
    Csv,      // .csv: a list of flat records, a header row first
    Text,     // .txt: a string as it is
    Raw,      // .raw .bin: a tensor's little-endian elements, no header
    Unknown,  // any other extension, or none
};

struct FileTarget {
    std::string file;       // the path without a dataset
    std::string dataset;    // "/entry/result" after `file.h5:`; empty when none is named
    std::string extension;  // lower case, without the dot ("h5"); empty when there is none
    FileFormat format = FileFormat::Unknown;
};

/// Splits `path` into the file and, after an HDF5 file's name, `:` and the dataset (which
/// starts with `/`). A `:` anywhere else is part of the file's name.
FileTarget fileTarget(std::string_view path);

/// The format of an extension as fileTarget spells it ("h5", "npy"...).
FileFormat formatOfExtension(std::string_view extension);

/// ".npy, .h5/.hdf5/.nxs, .json, .csv, .txt and .raw/.bin": the extensions `write` knows.
const char* writableExtensions();

}  // namespace xdml::planformat
