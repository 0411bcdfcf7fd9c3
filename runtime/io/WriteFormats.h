// WriteFormats.h — the bytes `write(path, value)` puts in a file, by the path's extension
// (LANGUAGE.md §9): .npy, .json, .csv, .txt and .raw/.bin. HDF5 (.h5/.hdf5/.nxs) is
// Hdf5.h's writeHdf5Tensor, which adds a dataset to a file rather than making bytes.
#pragma once

#include "planformat/FileTargets.h"
#include "runtime/values/Value.h"

#include <nlohmann/json.hpp>

#include <string>

namespace xdml::runtime {

/// The file's bytes for `v`. Throws DataError naming `where` (the path) when the value does
/// not fit the format (a record to .txt, a tensor to .csv) or the extension is none of these.
///  - .json: records as objects (fields in order), lists as arrays, tensors as nested arrays,
///    quantities as strings with their unit ("500ms"), NaN and infinities as "nan", "inf",
///    "-inf" (JSON has no such numbers), none as null; indented, ending in a newline.
///  - .csv: a list of flat records, a header row of the first record's field names, then one
///    row per record (RFC 4180 quoting); quantities with their unit; none as an empty cell.
///  - .txt: a string as it is.  .raw/.bin: a tensor's little-endian elements, no header.
std::string encodeForFile(planformat::FileFormat format, const Value& v, const std::string& where);

/// A number as JSON: NaN and infinities as the strings "nan", "inf", "-inf" (JSON has no such
/// numbers). Shared by `write` and the catalogs' JSON columns.
nlohmann::ordered_json jsonNumber(double x);

}  // namespace xdml::runtime
