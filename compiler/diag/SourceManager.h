// SourceManager.h — the text of every loaded source file, and locations inside it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xdml {

using FileId = uint32_t;

/// A position in a loaded file: a byte offset, with its 1-based line and column.
struct SourceLoc {
    FileId file = 0;
    uint32_t offset = 0;
    uint32_t line = 0;  // 0 means "no location"
    uint32_t col = 0;   // 1-based, in bytes
    bool valid() const { return line != 0; }
};

/// A half-open byte range [begin, end) in one file.
struct SourceRange {
    SourceLoc begin;
    uint32_t endOffset = 0;
    bool valid() const { return begin.valid(); }
};

class SourceManager {
public:
    /// The largest file loadFile reads (offsets are 32-bit, and no flow is near this).
    static constexpr std::size_t kMaxSourceBytes = std::size_t(64) << 20;

    /// Adds a file's text; `path` is how diagnostics name it.
    FileId addFile(std::string path, std::string text);
    /// Reads a file from disk; returns false (and leaves `error`) when it cannot be read.
    bool loadFile(const std::string& path, FileId& id, std::string& error);

    const std::string& path(FileId id) const { return files_[id].path; }
    std::string_view text(FileId id) const { return files_[id].text; }
    std::size_t fileCount() const { return files_.size(); }

    SourceLoc locAt(FileId id, uint32_t offset) const;
    /// The whole source line containing `loc`, without its line break.
    std::string_view lineText(const SourceLoc& loc) const;

private:
    struct File {
        std::string path;
        std::string text;
        std::vector<uint32_t> lineStarts;
    };
    std::vector<File> files_;
};

}  // namespace xdml
