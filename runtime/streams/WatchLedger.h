// WatchLedger.h — what a watch() has delivered, and what was in its folder when it started, so
// that a rescan after lost inotify events delivers each missed file once, in name order.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

namespace xdml::runtime {

/// Which version of a file this is: a file rewritten in place or replaced gets a new stamp.
struct FileStamp {
    uint64_t device = 0, inode = 0;
    int64_t size = 0, modifiedNs = 0;
    bool operator==(const FileStamp& o) const {
        return device == o.device && inode == o.inode && size == o.size && modifiedNs == o.modifiedNs;
    }
};

/// A matching regular file of the folder as a rescan lists it.
struct ListedFile {
    std::string name;
    FileStamp stamp;
};

/// What a rescan decided: the files to deliver now (in byte order of their names), and how
/// many were left for later because they were written too recently to be known whole.
struct RescanDecision {
    std::vector<std::string> deliver;
    std::size_t unsettled = 0;
};

/// Not thread-safe: one watch's reading thread owns it. Memory is one entry per matching file
/// still in the folder (entries of removed files are dropped by rescans and prune()).
class WatchLedger {
public:
    /// `settleNs`: a file modified less than this long before a rescan may still be being
    /// written; the rescan leaves it for its close event or the next rescan.
    explicit WatchLedger(int64_t settleNs) : settleNs_(settleNs) {}

    /// The folder's files when the watch starts: not items, so a rescan skips them unless they
    /// change. An event for one still delivers it (the event says it was written since).
    void markPresent(const std::vector<ListedFile>& listing);
    /// An event says `name` was closed after writing or renamed in, now at `stamp`: whether to
    /// deliver it (false for a second event of a version already delivered).
    bool takeEvent(const std::string& name, const FileStamp& stamp);
    /// An event says `name` landed, but it is gone already: whether to deliver it (reading it
    /// says what happened) — not when it was delivered before (a handler may have moved it).
    bool takeEventOfGone(const std::string& name);
    /// The folder as a rescan at `nowNs` (the clock of the stamps) lists it: the files no event
    /// delivered, once each. Entries of files no longer listed are forgotten.
    RescanDecision takeRescan(std::vector<ListedFile> listing, int64_t nowNs);
    /// Forgets entries of files no longer listed, delivering nothing (bounds the memory).
    void prune(const std::vector<ListedFile>& listing);
    /// Whether the ledger has grown enough since the last rescan or prune that a prune is due:
    /// doubling keeps the cost of listing the folder constant per delivered file.
    bool pruneDue() const { return entries_.size() >= std::max<std::size_t>(kMinPrune, 2 * sizeAfterPrune_); }
    std::size_t size() const { return entries_.size(); }

private:
    struct Entry {
        FileStamp stamp;
        bool delivered = false;  // false: present when the watch started, never an item yet
    };
    static constexpr std::size_t kMinPrune = 4096;
    int64_t settleNs_;
    std::unordered_map<std::string, Entry> entries_;
    std::size_t sizeAfterPrune_ = 0;
};

/// The stamp of `file` now (symlinks followed); false when it cannot be read.
bool stampOf(const std::filesystem::path& file, FileStamp& out);

/// The regular files of `dir` whose names match `glob` (fnmatch(3), FNM_PERIOD), with their
/// stamps; false and `error` set when the folder cannot be read (`missing`: it does not exist).
bool listFolder(const std::filesystem::path& dir, const std::string& glob, std::vector<ListedFile>& out,
                std::string& error, bool& missing);

}  // namespace xdml::runtime
