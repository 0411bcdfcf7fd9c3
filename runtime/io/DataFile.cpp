// DataFile.cpp — see DataFile.h.
#include "runtime/io/DataFile.h"

#include "runtime/io/DataError.h"
#include "runtime/io/PrintableName.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

namespace xdml::runtime {

namespace {

/// What an entry that is not a regular file is: "x.npy: is a directory, not a regular file".
std::string kindOf(mode_t mode) {
    switch (mode & S_IFMT) {
        case S_IFDIR: return "a directory";
        case S_IFIFO: return "a FIFO (named pipe)";
        case S_IFSOCK: return "a socket";
        case S_IFCHR: return "a device (character special file)";
        case S_IFBLK: return "a device (block special file)";
        default: return "an entry of another kind";
    }
}

[[noreturn]] void refuseKind(const std::string& where, mode_t mode) {
    throw DataError(where, "is " + kindOf(mode) + ", not a regular file (only regular files are read)");
}

/// Closes the descriptor on every way out.
struct OpenFile {
    int fd;
    explicit OpenFile(int descriptor) : fd(descriptor) {}
    OpenFile(OpenFile&& other) noexcept : fd(other.fd) { other.fd = -1; }
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;
    ~OpenFile() {
        if (fd >= 0) ::close(fd);
    }
};

/// `file` opened for reading if it is a regular file, its stat in `st`; else DataError.
OpenFile openRegularFile(const std::filesystem::path& file, const std::string& where, struct stat& st) {
    // Not even opened when the name is no file: opening a device can have effects of its own.
    if (::stat(file.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) refuseKind(where, st.st_mode);
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
    OpenFile f(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (f.fd < 0) throw DataError(where, std::string("cannot open it: ") + std::strerror(errno));
    // Checked again on what was opened: the name may have been replaced since.
    if (::fstat(f.fd, &st) != 0) throw DataError(where, std::string("cannot inspect it: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) refuseKind(where, st.st_mode);
    return f;
}

}  // namespace

void readDataFileInto(const std::filesystem::path& file, std::byte* out, std::size_t n, const std::string& what) {
    const std::string where = printableName(file.string());
    struct stat st {};
    OpenFile f = openRegularFile(file, where, st);
    auto wrongSize = [&](std::size_t size) {
        return DataError(where, what + " are " + std::to_string(n) + " bytes, got " + std::to_string(size));
    };
    if (static_cast<std::size_t>(st.st_size) != n) throw wrongSize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::read(f.fd, out + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw DataError(where, std::string("cannot read it: ") + std::strerror(errno));
        if (r == 0) throw wrongSize(got);  // it shrank while it was read
        got += static_cast<std::size_t>(r);
    }
    std::byte extra;
    ssize_t r;
    while ((r = ::read(f.fd, &extra, 1)) < 0 && errno == EINTR) {
    }
    if (r > 0) throw DataError(where, "grew while it was read: " + what + " are " + std::to_string(n) + " bytes");
}

void requireRegularFile(const std::filesystem::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0)
        throw DataError(printableName(file.string()), std::string("cannot open it: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) refuseKind(printableName(file.string()), st.st_mode);
}

std::vector<std::byte> readDataFile(const std::filesystem::path& file, const ByteLimit& limit) {
    const std::string where = printableName(file.string());
    struct stat st {};
    OpenFile f = openRegularFile(file, where, st);
    const auto size = static_cast<std::size_t>(st.st_size);
    const std::string bound = std::to_string(limit.bytes) + " bytes" + (limit.what.empty() ? "" : ", the most " + limit.what + " can take");
    if (size > limit.bytes) throw DataError(where, "is " + std::to_string(size) + " bytes, more than " + bound);

    // One byte more than the size, to notice a file that grew since fstat.
    std::vector<std::byte> bytes;
    try {
        bytes.resize(size < limit.bytes ? size + 1 : size);
    } catch (const std::bad_alloc&) {
        throw DataError(where, "is " + std::to_string(size) + " bytes, more than this machine can hold in memory");
    }
    std::size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = ::read(f.fd, bytes.data() + got, bytes.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw DataError(where, std::string("cannot read it: ") + std::strerror(errno));
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got == bytes.size() && got > size) {
        // It grew: read on, as long as the limit allows.
        std::byte chunk[1 << 16];
        for (;;) {
            const ssize_t n = ::read(f.fd, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw DataError(where, std::string("cannot read it: ") + std::strerror(errno));
            if (n == 0) break;
            if (static_cast<std::size_t>(n) > limit.bytes - got)
                throw DataError(where, "grew while it was read to more than " + bound);
            bytes.insert(bytes.end(), chunk, chunk + n);
            got += static_cast<std::size_t>(n);
        }
    }
    bytes.resize(got);
    return bytes;
}

}  // namespace xdml::runtime
