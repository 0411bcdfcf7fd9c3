// FileTargets.cpp — see FileTargets.h.
#include "planformat/FileTargets.h"

#include <cctype>

namespace xdml::planformat {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

/// The extension of the last component of `file`, lower case; "" for none (".bashrc" has none).
std::string extensionOf(std::string_view file) {
    const std::size_t slash = file.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? file : file.substr(slash + 1);
    const std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return "";
    return lower(name.substr(dot + 1));
}

}  // namespace

FileFormat formatOfExtension(std::string_view e) {
    if (e == "npy") return FileFormat::Npy;
    if (e == "h5" || e == "hdf5" || e == "nxs") return FileFormat::Hdf5;
    if (e == "json") return FileFormat::Json;
    if (e == "csv") return FileFormat::Csv;
    if (e == "txt") return FileFormat::Text;
    if (e == "raw" || e == "bin") return FileFormat::Raw;
    return FileFormat::Unknown;
}

FileTarget fileTarget(std::string_view path) {
    FileTarget t;
    // The first `:/` whose left side is an HDF5 file's name starts the dataset.
    for (std::size_t colon = path.find(":/"); colon != std::string_view::npos; colon = path.find(":/", colon + 1)) {
        if (formatOfExtension(extensionOf(path.substr(0, colon))) != FileFormat::Hdf5) continue;
        t.file = std::string(path.substr(0, colon));
        t.dataset = std::string(path.substr(colon + 1));
        break;
    }
    if (t.file.empty()) t.file = std::string(path);
    t.extension = extensionOf(t.file);
    t.format = formatOfExtension(t.extension);
    return t;
}

const char* writableExtensions() { return ".npy, .h5/.hdf5/.nxs, .json, .csv, .txt and .raw/.bin"; }

}  // namespace xdml::planformat
