// WatchSource.cpp — watch(dir, glob): an endless stream of the files landing in a folder, as
// they land, through Linux inotify.
//
// The rules, chosen for detectors that write frames while the flow runs:
// - A file counts when it is closed after being written (IN_CLOSE_WRITE) or renamed into the
//   folder (IN_MOVED_TO). Creation alone (IN_CREATE) is ignored, so a half-written file is
//   never an item; a file written again counts again, a second event for the same version of a
//   file (same inode, size and modification time) does not.
// - Files already in the folder when the watch starts are not items (files(glob) reads those).
// - The glob matches the file name only (fnmatch(3), a leading `.` matched only explicitly, so
//   the usual ".frame.npy.tmp, then rename" writers are not seen twice); the watch is not
//   recursive, and a glob with '/' is an error.
// - A missing folder is created: at a beamline the flow is often started before the detector
//   software makes its output folder, and waiting on a folder we made is harmless.
// - Nothing is lost silently. When inotify's queue overflows (a burst, a slow handler), the
//   folder is rescanned and the files no event delivered come in name order, once each
//   (WatchLedger). When the folder is removed or moved away, its path is polled until a folder
//   is there again, which is watched and rescanned. What cannot be recovered (the path is now a
//   file, the folder cannot be read or watched) ends the stream with a notice that items may
//   have been missed, which the run's exit status reports.
#include "runtime/io/DataError.h"
#include "runtime/streams/ItemDecoding.h"
#include "runtime/streams/Source.h"
#include "runtime/streams/WatchLedger.h"

#include <fnmatch.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <optional>

namespace xdml::runtime {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kReturnPollMs = 100;  // how often a removed folder's path is looked at
// A file a rescan finds modified more recently than this may still be being written.
constexpr std::chrono::milliseconds kSettle{1000};
constexpr uint32_t kEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

int64_t wallClockNs() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);  // the clock of files' modification times
    return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

std::string plural(std::size_t n, const char* one) {
    return std::to_string(n) + " " + one + (n == 1 ? "" : "s");
}

/// A file that landed, or news of the watch itself.
struct Landed {
    std::filesystem::path file;
    bool recovered = false;  // found by a rescan
    std::string notice;
    bool gap = false, mayHaveMissed = false;
};

Landed fileLanded(std::filesystem::path file, bool recovered) {
    Landed l;
    l.file = std::move(file);
    l.recovered = recovered;
    return l;
}

class WatchSource final : public Source {
public:
    WatchSource(std::filesystem::path dir, std::string glob, TypeDesc itemType, FileOptions options)
        : dir_(std::move(dir)), glob_(std::move(glob)), itemType_(std::move(itemType)), options_(std::move(options)), ledger_(kSettle.count() * 1'000'000) {
        const std::string where = "watch(\"" + dir_.string() + "\", \"" + glob_ + "\")";
        if (glob_.find('/') != std::string::npos)
            throw DataError(where, "the glob matches file names in the folder, so it cannot contain '/'");
        std::error_code ec;
        std::filesystem::create_directories(dir_, ec);
        if (ec) throw DataError(where, "cannot create the folder: " + ec.message());
        if (!std::filesystem::is_directory(dir_, ec))
            throw DataError(where, "not a folder: " + dir_.string());

        inotify_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (inotify_ < 0)
            throw DataError(where, std::string("cannot start inotify: ") + std::strerror(errno));
        wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        std::string error;
        std::vector<ListedFile> present;
        bool missing = false;
        if (wake_ < 0) error = std::string("cannot make an eventfd: ") + std::strerror(errno);
        // Listed after the watch is added, so that a file landing in between has its event.
        else if (addWatch(error) && listFolder(dir_, glob_, present, error, missing)) ledger_.markPresent(present);
        if (!error.empty()) {
            ::close(inotify_);
            if (wake_ >= 0) ::close(wake_);
            throw DataError(where, error);
        }
    }
    ~WatchSource() override {
        ::close(inotify_);
        ::close(wake_);
    }

    bool next(SourceItem& out) override {
        while (!stopped_.load()) {
            // The rest of an HDF5 file's frames, in order, before the next file.
            if (frames_ && nextFrame_ < frames_->size()) {
                out = frames_->item(nextFrame_++);
                out.recovered = framesRecovered_;
                return true;
            }
            frames_.reset();
            if (!landed_.empty()) {
                Landed l = std::move(landed_.front());
                landed_.pop_front();
                if (!l.notice.empty()) {
                    out = SourceItem{};
                    out.origin = dir_.string();
                    out.notice = std::move(l.notice);
                    out.gap = l.gap;
                    out.mayHaveMissed = l.mayHaveMissed;
                } else {
                    // Decoded now, after the writer closed it; an HDF5 file's frames one by one.
                    frames_ = std::make_unique<FileItems>(l.file, itemType_, options_);
                    nextFrame_ = 0;
                    framesRecovered_ = l.recovered;
                    continue;
                }
                return true;
            }
            if (ended_) return false;  // a watch that could not go on: its notice said why
            waitForEvents();
        }
        return false;
    }

    void stop() override {
        stopped_.store(true);
        const uint64_t one = 1;
        // Cannot fail but for a counter overflow, which still leaves it readable.
        [[maybe_unused]] ssize_t n = ::write(wake_, &one, sizeof one);
    }

    bool finite() const override { return false; }

private:
    /// Sleeps in poll() until inotify has events, stop() writes the eventfd, or a timer is due
    /// (a removed folder's path to look at, recently written files a rescan left), then queues
    /// what landed.
    void waitForEvents() {
        pollfd fds[2] = {{inotify_, POLLIN, 0}, {wake_, POLLIN, 0}};
        if (::poll(fds, 2, timeoutMs()) < 0) return;  // EINTR: the caller loops
        if (fds[1].revents) return;                    // stop(): the caller sees stopped_
        if (fds[0].revents) drainEvents();
        if (overflowed_) {
            overflowed_ = false;
            rescan("inotify's event queue overflowed (the limit fs.inotify.max_queued_events), so events were lost", true);
        }
        if (wd_ < 0 && !ended_) watchAgainIfBack();
        if (recheckAt_ && Clock::now() >= *recheckAt_) {
            recheckAt_.reset();
            rescan("", false);
        }
        if (wd_ >= 0 && ledger_.pruneDue()) pruneLedger();
    }

    int timeoutMs() const {
        int timeout = wd_ < 0 && !ended_ ? kReturnPollMs : -1;
        if (recheckAt_) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*recheckAt_ - Clock::now()).count();
            int due = static_cast<int>(std::max<int64_t>(0, left) + 1);
            timeout = timeout < 0 ? due : std::min(timeout, due);
        }
        return timeout;
    }

    void drainEvents() {
        alignas(inotify_event) char buf[64 * 1024];
        for (;;) {
            ssize_t n = ::read(inotify_, buf, sizeof buf);
            if (n <= 0) return;  // EAGAIN: drained
            for (char* p = buf; p < buf + n;) {
                const auto* ev = reinterpret_cast<const inotify_event*>(p);
                take(*ev);
                p += sizeof(inotify_event) + ev->len;
            }
        }
    }

    void take(const inotify_event& ev) {
        if (ev.mask & IN_Q_OVERFLOW) {
            overflowed_ = true;  // the rescan waits until the queue is drained: events flow again then
            return;
        }
        if (ev.wd != wd_) return;  // a former watch's last events: a folder moved away or removed
        if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) {
            folderLost("was removed or moved away");
            return;
        }
        if (!(ev.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) || (ev.mask & IN_ISDIR) || ev.len == 0) return;
        if (::fnmatch(glob_.c_str(), ev.name, FNM_PERIOD) != 0) return;
        FileStamp stamp;
        const bool present = stampOf(dir_ / ev.name, stamp);
        if (present ? !ledger_.takeEvent(ev.name, stamp) : !ledger_.takeEventOfGone(ev.name)) return;
        landed_.push_back(fileLanded(dir_ / ev.name, false));
    }

    bool addWatch(std::string& error) {
        wd_ = inotify_add_watch(inotify_, dir_.c_str(), kEvents);
        struct stat st {};
        if (wd_ < 0 || ::stat(dir_.c_str(), &st) != 0) {
            const int err = errno;
            if (wd_ >= 0) inotify_rm_watch(inotify_, wd_);
            wd_ = -1;
            error = std::string("cannot watch the folder: ") + std::strerror(err) +
                    (err == ENOSPC ? " (the limit fs.inotify.max_user_watches is reached)" : "");
            return false;
        }
        watched_ = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
        return true;
    }

    void folderLost(const std::string& how) {
        if (wd_ < 0) return;
        inotify_rm_watch(inotify_, wd_);  // a moved folder is still watched where it went
        wd_ = -1;
        notice("the folder " + how + "; watching for a folder at its path again", true, false);
    }

    /// While the folder is gone: a folder at its path again is watched and rescanned (all its
    /// matching files are new); anything else there ends the stream.
    void watchAgainIfBack() {
        struct stat st {};
        if (::stat(dir_.c_str(), &st) != 0) {
            if (errno != ENOENT) end(std::string("cannot look at the folder's path: ") + std::strerror(errno));
            return;
        }
        std::string error;
        if (!S_ISDIR(st.st_mode)) end("its path is no longer a folder");
        else if (!addWatch(error)) end(error);
        else rescan("the folder is back and watched again", false);
    }

    /// Lists the folder and queues, in name order, the matching files no event delivered.
    /// `why` non-empty: a notice says why and what the rescan found (`gap`: events were lost).
    void rescan(const std::string& why, bool gap) {
        if (wd_ < 0) return;  // the folder is gone: its return rescans it
        std::vector<ListedFile> listing;
        std::string error;
        bool missing = false;
        if (!listFolder(dir_, glob_, listing, error, missing)) {
            if (missing) folderLost("was removed");
            else end(error);
            return;
        }
        if (!stillWatched()) {  // removed and made again while events were lost
            folderLost("was replaced");
            watchAgainIfBack();
            return;
        }
        RescanDecision found = ledger_.takeRescan(std::move(listing), wallClockNs());
        if (found.unsettled) recheckAt_ = Clock::now() + kSettle;
        if (!why.empty())
            notice(why + "; a rescan of the folder found " + plural(found.deliver.size(), "file") + " no event delivered" +
                       (found.unsettled ? " (and " + std::to_string(found.unsettled) + " being written, taken when whole)" : ""),
                   gap, false);
        for (std::string& name : found.deliver) landed_.push_back(fileLanded(dir_ / name, true));
    }

    bool stillWatched() const {
        struct stat st {};
        return ::stat(dir_.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_dev) == watched_.first &&
               static_cast<uint64_t>(st.st_ino) == watched_.second;
    }

    void pruneLedger() {
        std::vector<ListedFile> listing;
        std::string error;
        bool missing = false;
        // Cannot list: the next rescan says why; the ledger is only bounded a little later.
        if (listFolder(dir_, glob_, listing, error, missing)) ledger_.prune(listing);
    }

    /// The watch cannot go on: the stream ends once what is queued is delivered.
    void end(const std::string& why) {
        if (wd_ >= 0) inotify_rm_watch(inotify_, wd_);
        wd_ = -1;
        ended_ = true;
        notice(why + "; the stream ends, and files that land from now on are not seen", true, true);
    }

    void notice(std::string text, bool gap, bool mayHaveMissed) {
        Landed l;
        l.notice = std::move(text);
        l.gap = gap;
        l.mayHaveMissed = mayHaveMissed;
        landed_.push_back(std::move(l));
    }

    std::filesystem::path dir_;
    std::string glob_;
    TypeDesc itemType_;
    FileOptions options_;
    std::unique_ptr<FileItems> frames_;  // the file being delivered
    std::size_t nextFrame_ = 0;
    bool framesRecovered_ = false;
    int inotify_ = -1, wake_ = -1;
    int wd_ = -1;                                // -1: the folder is gone (or the watch ended)
    std::pair<uint64_t, uint64_t> watched_{};   // the watched folder's device and inode
    WatchLedger ledger_;
    std::deque<Landed> landed_;
    bool overflowed_ = false, ended_ = false;
    std::optional<Clock::time_point> recheckAt_;  // a rescan for files that were being written
    std::atomic<bool> stopped_{false};
};

}  // namespace

std::unique_ptr<Source> makeWatchSource(const std::string& dir, const std::string& glob,
                                        const std::filesystem::path& baseDir, TypeDesc itemType, FileOptions options) {
    std::filesystem::path folder(dir);
    if (folder.is_relative() && !baseDir.empty()) folder = baseDir / folder;
    return std::make_unique<WatchSource>(std::move(folder), glob, std::move(itemType), std::move(options));
}

}  // namespace xdml::runtime
