// FilesSource.cpp — files(glob): a finite stream of the files that exist when it starts.
// Matching uses glob(3), so patterns mean what they mean in a shell (no braces, no `**`);
// the result is sorted by the bytes of the path, not the locale, so runs are reproducible.
// Each file is read when its turn comes (readFileItem), so one replaced by a folder or a FIFO
// since the listing is a per-file message, and the stream goes on.
#include "runtime/io/DataError.h"
#include "runtime/io/Hdf5.h"
#include "runtime/streams/ItemDecoding.h"
#include "runtime/streams/OrderedDecoder.h"
#include "runtime/streams/Source.h"

#include <glob.h>

#include <algorithm>
#include <atomic>
#include <optional>
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

/// One entry of the list: a file, or (a replay's) one frame of an HDF5 file.
struct Entry {
    std::filesystem::path file;
    std::optional<std::size_t> frame;
};

/// An HDF5 file's frames are decoded ahead on the OrderedDecoder's threads (each frame is
/// read from the file and decoded there); .npy and raw files too, a few at a time.
class FilesSource final : public Source {
public:
    FilesSource(std::vector<Entry> entries, TypeDesc itemType, FileOptions options)
        : entries_(std::move(entries)), itemType_(std::move(itemType)), options_(std::move(options)),
          threads_(OrderedDecoder::threadsForMachine()), decoder_(threads_ > 1 ? threads_ : 0) {}

    bool next(SourceItem& out) override {
        if (stopped_.load()) return false;
        // Ahead: two items per decoding thread, so none waits while the reader hands one on.
        const std::size_t ahead = 2 * threads_;
        while (decoder_.pending() < ahead && submitNext()) {
        }
        if (decoder_.pending() == 0) return false;
        out = decoder_.takeNext();
        return true;
    }
    void stop() override { stopped_.store(true); }
    bool finite() const override { return true; }

private:
    /// Submits the next item's decoding; false when every entry is submitted.
    bool submitNext() {
        while (!file_ || nextFrame_ >= lastFrame_) {
            if (nextEntry_ >= entries_.size()) return false;
            const Entry& e = entries_[nextEntry_++];
            // Opened now (an HDF5 file's frames counted), so a long run holds few files open.
            file_ = std::make_shared<const FileItems>(e.file, itemType_, options_);
            nextFrame_ = e.frame ? *e.frame : 0;
            lastFrame_ = e.frame ? std::min(*e.frame + 1, std::max<std::size_t>(file_->size(), 1)) : file_->size();
            if (e.frame && *e.frame >= file_->size()) {  // a replay's frame the file no longer has
                SourceItem missing;
                missing.origin = e.file.string();
                missing.error = e.file.string() + ": has no frame " + std::to_string(*e.frame) + " any more";
                decoder_.submit([missing] { return missing; });
                file_.reset();
                return true;
            }
        }
        decoder_.submit([file = file_, i = nextFrame_++] { return file->item(i); });
        return true;
    }

    std::vector<Entry> entries_;
    TypeDesc itemType_;
    FileOptions options_;
    std::size_t nextEntry_ = 0;
    std::shared_ptr<const FileItems> file_;
    std::size_t nextFrame_ = 0, lastFrame_ = 0;
    std::atomic<bool> stopped_{false};
    const std::size_t threads_;  // the machine's cores, asked once (glibc reads /sys to answer)
    OrderedDecoder decoder_;  // last: destroyed first, while the files it reads are still here
};

}  // namespace

std::unique_ptr<Source> makeFilesSource(const std::string& glob, const std::filesystem::path& baseDir,
                                        TypeDesc itemType, FileOptions options) {
    std::vector<Entry> entries;
    for (std::filesystem::path& f : listMatches(glob, baseDir)) entries.push_back({std::move(f), std::nullopt});
    return std::make_unique<FilesSource>(std::move(entries), std::move(itemType), std::move(options));
}

std::unique_ptr<Source> makeListedFilesSource(std::vector<std::filesystem::path> files, TypeDesc itemType,
                                              FileOptions options) {
    // A replay lists the items it delivered: an HDF5 frame as "file.h5:/dataset[i]".
    std::vector<Entry> entries;
    for (std::filesystem::path& f : files) {
        std::filesystem::path file;
        std::size_t frame = 0;
        if (!options.dataset.empty() && parseFrameOrigin(f.string(), options.dataset, file, frame))
            entries.push_back({std::move(file), frame});
        else
            entries.push_back({std::move(f), std::nullopt});
    }
    return std::make_unique<FilesSource>(std::move(entries), std::move(itemType), std::move(options));
}

}  // namespace xdml::runtime
