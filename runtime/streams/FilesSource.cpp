// FilesSource.cpp — files(glob): a finite stream of the files that exist when it starts.
// Matching uses glob(3), so patterns mean what they mean in a shell (no braces, no `**`);
// the result is sorted by the bytes of the path, not the locale, so runs are reproducible.
// Each file is read when its turn comes (readFileItem), so one replaced by a folder or a FIFO
// since the listing is a per-file message, and the stream goes on.
#include "runtime/io/DataError.h"
#include "runtime/streams/ItemDecoding.h"
#include "runtime/streams/Source.h"

#include <glob.h>

#include <algorithm>
#include <atomic>
#include <vector>

namespace xdml::runtime {

namespace {

/// baseDir may itself contain `*`, `[` ... (a run folder named "[2024]"); it is taken literally.
std::string escapeForGlob(const std::string& literal) {
    std::string out;
    for (char c : literal) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::vector<std::filesystem::path> listMatches(const std::string& pattern,
                                               const std::filesystem::path& baseDir) {
    std::string full = pattern;
    if (!pattern.empty() && pattern[0] != '/' && !baseDir.empty()) {
        std::string base = escapeForGlob(baseDir.string());
        full = base + (base.back() == '/' ? "" : "/") + pattern;
    }
    glob_t g{};
    int rc = ::glob(full.c_str(), GLOB_NOSORT, nullptr, &g);
    std::vector<std::string> names;
    if (rc == 0)
        for (std::size_t i = 0; i < g.gl_pathc; ++i) names.emplace_back(g.gl_pathv[i]);
    ::globfree(&g);
    if (rc == GLOB_NOSPACE) throw DataError("files(\"" + pattern + "\")", "out of memory listing the files");
    if (rc != 0 && rc != GLOB_NOMATCH) throw DataError("files(\"" + pattern + "\")", "cannot list the files");
    std::sort(names.begin(), names.end());  // std::string compares bytes
    std::vector<std::filesystem::path> files;
    for (const std::string& n : names) {
        // A matching folder, or a link to one (`data/latest -> run42/`), is no item: `data/*`
        // skips subfolders. Anything else that matches — a FIFO, a socket, a dangling link — is,
        // and its reader says why it cannot be read.
        std::error_code ec;
        if (!std::filesystem::is_directory(std::filesystem::status(n, ec))) files.emplace_back(n);
    }
    return files;
}

class FilesSource final : public Source {
public:
    FilesSource(std::vector<std::filesystem::path> files, TypeDesc itemType)
        : files_(std::move(files)), itemType_(std::move(itemType)) {}

    bool next(SourceItem& out) override {
        if (stopped_.load() || next_ >= files_.size()) return false;
        // Decoded only now, so a long run never holds more than the items in flight.
        out = readFileItem(files_[next_++], itemType_);
        return true;
    }
    void stop() override { stopped_.store(true); }
    bool finite() const override { return true; }

private:
    std::vector<std::filesystem::path> files_;
    TypeDesc itemType_;
    std::size_t next_ = 0;
    std::atomic<bool> stopped_{false};
};

}  // namespace

std::unique_ptr<Source> makeFilesSource(const std::string& glob, const std::filesystem::path& baseDir,
                                        TypeDesc itemType) {
    return std::make_unique<FilesSource>(listMatches(glob, baseDir), std::move(itemType));
}

std::unique_ptr<Source> makeListedFilesSource(std::vector<std::filesystem::path> files, TypeDesc itemType) {
    return std::make_unique<FilesSource>(std::move(files), std::move(itemType));
}

}  // namespace xdml::runtime
