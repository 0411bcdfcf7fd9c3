// SourceManager.cpp — loading files and mapping offsets to lines and columns.
#include "diag/SourceManager.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace xdml {

FileId SourceManager::addFile(std::string path, std::string text) {
    File f{std::move(path), std::move(text), {0}};
    for (uint32_t i = 0; i < f.text.size(); ++i)
        if (f.text[i] == '\n') f.lineStarts.push_back(i + 1);
    files_.push_back(std::move(f));
    return static_cast<FileId>(files_.size() - 1);
}

bool SourceManager::loadFile(const std::string& path, FileId& id, std::string& error) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        error = std::strerror(errno);
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        error = "is a directory";
        return false;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = std::strerror(errno);
        return false;
    }
    // Bounded, so that a device or a pipe that never ends (/dev/zero) is an error, not a hang.
    std::string text;
    char chunk[1 << 16];
    while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
        text.append(chunk, static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxSourceBytes) {
            error = "is larger than " + std::to_string(kMaxSourceBytes >> 20) + " MiB: not a source file";
            return false;
        }
    }
    if (in.bad()) {
        error = std::strerror(errno);
        return false;
    }
    id = addFile(path, std::move(text));
    return true;
}

SourceLoc SourceManager::locAt(FileId id, uint32_t offset) const {
    const File& f = files_[id];
    offset = std::min<uint32_t>(offset, static_cast<uint32_t>(f.text.size()));
    auto it = std::upper_bound(f.lineStarts.begin(), f.lineStarts.end(), offset);
    auto line = static_cast<uint32_t>(it - f.lineStarts.begin());
    return SourceLoc{id, offset, line, offset - f.lineStarts[line - 1] + 1};
}

std::string_view SourceManager::lineText(const SourceLoc& loc) const {
    const File& f = files_[loc.file];
    if (loc.line == 0 || loc.line > f.lineStarts.size()) return {};
    uint32_t start = f.lineStarts[loc.line - 1];
    uint32_t end = loc.line < f.lineStarts.size() ? f.lineStarts[loc.line] : f.text.size();
    std::string_view line(f.text.data() + start, end - start);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    return line;
}

}  // namespace xdml
