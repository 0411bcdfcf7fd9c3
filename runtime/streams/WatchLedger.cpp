// WatchLedger.cpp — see WatchLedger.h.
#include "runtime/streams/WatchLedger.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <unordered_set>

namespace xdml::runtime {

namespace {

FileStamp stampOf(const struct stat& st) {
    return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), static_cast<int64_t>(st.st_size),
            static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

}  // namespace

void WatchLedger::markPresent(const std::vector<ListedFile>& listing) {
    for (const ListedFile& f : listing) entries_[f.name] = Entry{f.stamp, false};
    sizeAfterPrune_ = entries_.size();
}

bool WatchLedger::takeEvent(const std::string& name, const FileStamp& stamp) {
    Entry& e = entries_[name];
    if (e.delivered && e.stamp == stamp) return false;
    e = Entry{stamp, true};
    return true;
}

bool WatchLedger::takeEventOfGone(const std::string& name) {
    auto it = entries_.find(name);
    return it == entries_.end() || !it->second.delivered;
}

RescanDecision WatchLedger::takeRescan(std::vector<ListedFile> listing, int64_t nowNs) {
    prune(listing);
    std::sort(listing.begin(), listing.end(), [](const ListedFile& a, const ListedFile& b) { return a.name < b.name; });
    RescanDecision out;
    for (ListedFile& f : listing) {
        auto it = entries_.find(f.name);
        if (it != entries_.end() && it->second.stamp == f.stamp) continue;  // delivered, or there at the start
        // Perhaps half-written: its close event, or the next rescan, delivers it. A time ahead of
        // this clock (a skewed file server) says nothing about that, and would hold it forever.
        if (f.stamp.modifiedNs <= nowNs && nowNs - f.stamp.modifiedNs < settleNs_) {
            ++out.unsettled;
            continue;
        }
        entries_[f.name] = Entry{f.stamp, true};
        out.deliver.push_back(std::move(f.name));
    }
    sizeAfterPrune_ = entries_.size();
    return out;
}

void WatchLedger::prune(const std::vector<ListedFile>& listing) {
    std::unordered_set<std::string_view> listed;
    listed.reserve(listing.size());
    for (const ListedFile& f : listing) listed.insert(f.name);
    for (auto it = entries_.begin(); it != entries_.end();)
        it = listed.count(it->first) ? std::next(it) : entries_.erase(it);
    sizeAfterPrune_ = entries_.size();
}


bool stampOf(const std::filesystem::path& file, FileStamp& out) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return false;
    out = stampOf(st);
    return true;
}

bool listFolder(const std::filesystem::path& dir, const std::string& glob, std::vector<ListedFile>& out,
                std::string& error, bool& missing) {
    out.clear();
    missing = false;
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        missing = errno == ENOENT;
        error = std::string("cannot list the folder: ") + std::strerror(errno);
        return false;
    }
    const int fd = ::dirfd(d);
    int readError = 0;
    for (;;) {
        errno = 0;
        const dirent* entry = ::readdir(d);
        if (!entry) {
            readError = errno;
            break;
        }
        if (::fnmatch(glob.c_str(), entry->d_name, FNM_PERIOD) != 0) continue;
        struct stat st {};
        // A file removed since readdir saw it is simply not listed; a symlink is followed.
        if (::fstatat(fd, entry->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) continue;
        out.push_back({entry->d_name, stampOf(st)});
    }
    ::closedir(d);
    if (readError != 0) {
        error = std::string("cannot list the folder: ") + std::strerror(readError);
        return false;
    }
    return true;
}

}  // namespace xdml::runtime
