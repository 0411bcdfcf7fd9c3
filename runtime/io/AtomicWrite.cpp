// AtomicWrite.cpp — see AtomicWrite.h.
#include "runtime/io/AtomicWrite.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <sys/stat.h>
#include <unistd.h>

namespace xdml::runtime {

namespace fs = std::filesystem;

namespace {

std::string reason(int error) {
    return std::strerror(error);
}

/// Writes all of `bytes` to `fd`; false with errno set when the disk (or the pipe) refuses.
bool writeAll(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

/// The folder's entry made durable: a rename is only on disk once its folder is synced.
void syncFolder(const fs::path& folder, const fs::path& path) {
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw WriteError(path.string(), reason(errno));
    const bool failed = ::fsync(fd) != 0 && errno != EINVAL;  // EINVAL: a folder that cannot sync
    const int error = errno;
    ::close(fd);
    if (failed) throw WriteError(path.string(), reason(error));
}

/// The process's umask, read without changing it (umask() would race with other threads'
/// opens); 022 where /proc does not say.
mode_t processUmask() {
    static const mode_t mask = [] {
        std::ifstream status("/proc/self/status");
        for (std::string line; std::getline(status, line);)
            if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
        return static_cast<mode_t>(022);
    }();
    return mask;
}

/// The mode the written file gets: the old file's, else what open(0666) would give.
mode_t modeFor(const fs::path& path) {
    struct stat old {};
    if (::stat(path.c_str(), &old) == 0) return old.st_mode & 07777;
    return 0666 & ~processUmask();
}

/// What a path names when written: the file a chain of symlinks ends at (a link is followed,
/// never replaced by a regular file), and its kind. `exists` false when nothing is there yet.
struct Target {
    fs::path path;
    bool exists = false;
    mode_t kind = S_IFREG;
};

Target resolveTarget(const fs::path& path) {
    Target t{path};
    for (int hops = 0; hops < 40; ++hops) {
        struct stat st {};
        if (::lstat(t.path.c_str(), &st) != 0) return t;  // not there (yet): a new file
        t.exists = true;
        t.kind = st.st_mode & S_IFMT;
        if (!S_ISLNK(st.st_mode)) return t;
        const fs::path link = fs::read_symlink(t.path);
        t.path = link.is_absolute() ? link : t.path.parent_path() / link;
        t.exists = false;
    }
    throw WriteError(path.string(), reason(ELOOP));
}

/// A device, FIFO or socket is written through, as a shell's `>` would: replacing it with a
/// regular file would break it (as root, /dev/null itself). A FIFO without a reader is an error
/// (ENXIO), not a hang.
void writeThrough(const fs::path& path, const fs::path& shown, std::string_view bytes) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) throw WriteError(shown.string(), reason(errno));
    const int flags = ::fcntl(fd, F_GETFL);
    bool ok = flags >= 0 && ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 && writeAll(fd, bytes);
    int error = errno;
    if (::close(fd) != 0 && ok) {
        ok = false;
        error = errno;
    }
    if (!ok) throw WriteError(shown.string(), reason(error));
}

}  // namespace

void writeFileAtomically(const fs::path& requested, std::string_view bytes, Durability durability) {
    const Target target = resolveTarget(requested);
    if (target.exists && target.kind == S_IFDIR) throw WriteError(requested.string(), reason(EISDIR));
    if (target.exists && target.kind != S_IFREG) return writeThrough(target.path, requested, bytes);
    const fs::path& path = target.path;
    const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::string temporary = (folder / ("." + path.filename().string() + ".XXXXXX")).string();
    const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
    if (fd < 0) throw WriteError(requested.string(), reason(errno));
    bool ok = ::fchmod(fd, modeFor(path)) == 0 && writeAll(fd, bytes) &&
              (durability == Durability::Scratch || ::fsync(fd) == 0);
    int error = errno;
    if (::close(fd) != 0 && ok) {  // NFS and full quotas report a failed write only here
        ok = false;
        error = errno;
    }
    if (ok && ::rename(temporary.c_str(), path.c_str()) != 0) {
        ok = false;
        error = errno;
    }
    if (!ok) {
        ::unlink(temporary.c_str());
        throw WriteError(requested.string(), reason(error));
    }
    if (durability == Durability::Synced) syncFolder(folder, requested);
}

void writeOutput(const std::string& target, std::string_view bytes) {
    if (target != "-") {
        writeFileAtomically(target, bytes);
        return;
    }
    // What the program already printed through std::cout comes first.
    std::cout.flush();
    if (!std::cout || !writeAll(STDOUT_FILENO, bytes)) throw WriteError("standard output", reason(errno));
}

void syncFileSystemsOf(const std::vector<std::string>& folders) {
    std::vector<dev_t> synced;
    for (const std::string& folder : folders) {
        const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) continue;  // the folder is gone (the flow removed it): nothing there to sync
        struct stat st {};
        const bool known = ::fstat(fd, &st) == 0 && std::find(synced.begin(), synced.end(), st.st_dev) != synced.end();
        const int rc = known ? 0 : ::syncfs(fd);
        const int error = errno;
        ::close(fd);
        if (rc != 0) throw WriteError(folder, std::string("cannot sync the files written there: ") + std::strerror(error));
        if (!known) synced.push_back(st.st_dev);
    }
}

}  // namespace xdml::runtime
