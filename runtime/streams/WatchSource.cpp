// WatchSource.cpp — watch(dir, glob): an endless stream of the files landing in a folder, as
// they land, through Linux inotify.
//
// The rules, chosen for detectors that write frames while the flow runs:
// - A file counts when it is closed after being written (IN_CLOSE_WRITE) or renamed into the
//   folder (IN_MOVED_TO). Creation alone (IN_CREATE) is ignored, so a half-written file is
//   never an item; a file reopened and written again counts again.
// - Files already in the folder when the watch starts are not items (files(glob) reads those).
// - The glob matches the file name only (fnmatch(3), a leading `.` matched only explicitly, so
//   the usual ".frame.npy.tmp, then rename" writers are not seen twice); the watch is not
//   recursive, and a glob with '/' is an error.
// - A missing folder is created: at a beamline the flow is often started before the detector
//   software makes its output folder, and waiting on a folder we made is harmless.
// - Events inotify had to drop, or the folder disappearing, become items with `error` set.
#include "runtime/io/DataError.h"
#include "runtime/streams/ItemDecoding.h"
#include "runtime/streams/Source.h"

#include <fnmatch.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>

namespace xdml::runtime {

namespace {

struct Landed {
    std::filesystem::path file;
    std::string error;  // non-empty: not a file but a problem with the watch itself
};

class WatchSource final : public Source {
public:
    WatchSource(std::filesystem::path dir, std::string glob, TypeDesc itemType)
        : dir_(std::move(dir)), glob_(std::move(glob)), itemType_(std::move(itemType)) {
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
        if (wake_ < 0) {
            int err = errno;
            ::close(inotify_);
            throw DataError(where, std::string("cannot make an eventfd: ") + std::strerror(err));
        }
        if (inotify_add_watch(inotify_, dir_.c_str(),
                              IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR) <
            0) {
            int err = errno;
            ::close(inotify_);
            ::close(wake_);
            throw DataError(where,
                            std::string("cannot watch the folder: ") + std::strerror(err) +
                                (err == ENOSPC ? " (the limit fs.inotify.max_user_watches is reached)" : ""));
        }
    }
    ~WatchSource() override {
        ::close(inotify_);
        ::close(wake_);
    }

    bool next(SourceItem& out) override {
        while (!stopped_.load()) {
            if (!landed_.empty()) {
                Landed l = std::move(landed_.front());
                landed_.pop_front();
                if (!l.error.empty()) {
                    out = SourceItem{};
                    out.origin = dir_.string();
                    out.error = out.origin + ": " + l.error;
                } else {
                    out = readFileItem(l.file, itemType_);  // decoded now, after the writer closed it
                }
                return true;
            }
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
    /// Sleeps in poll() until inotify has events or stop() writes the eventfd, then queues the
    /// files that landed.
    void waitForEvents() {
        pollfd fds[2] = {{inotify_, POLLIN, 0}, {wake_, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) return;  // EINTR: the caller loops
        if (fds[1].revents) return;          // stop(): the caller sees stopped_
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
            landed_.push_back(
                {{}, "inotify dropped events (its queue overflowed); some files that landed are missing"});
            return;
        }
        if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) {
            if (!gone_)
                landed_.push_back({{}, "the folder was removed or moved; no more files will be seen"});
            gone_ = true;
            return;
        }
        if (!(ev.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) || (ev.mask & IN_ISDIR) || ev.len == 0) return;
        if (::fnmatch(glob_.c_str(), ev.name, FNM_PERIOD) != 0) return;
        landed_.push_back({dir_ / ev.name, {}});
    }

    std::filesystem::path dir_;
    std::string glob_;
    TypeDesc itemType_;
    int inotify_ = -1, wake_ = -1;
    std::deque<Landed> landed_;
    bool gone_ = false;
    std::atomic<bool> stopped_{false};
};

}  // namespace

std::unique_ptr<Source> makeWatchSource(const std::string& dir, const std::string& glob,
                                        const std::filesystem::path& baseDir, TypeDesc itemType) {
    std::filesystem::path folder(dir);
    if (folder.is_relative() && !baseDir.empty()) folder = baseDir / folder;
    return std::make_unique<WatchSource>(std::move(folder), glob, std::move(itemType));
}

}  // namespace xdml::runtime
