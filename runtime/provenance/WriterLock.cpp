// WriterLock.cpp — the flock() behind WriterLock.
#include "runtime/provenance/WriterLock.h"

#include "runtime/provenance/ProvenanceError.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <unistd.h>

namespace xdml::runtime::prov {

WriterLock::WriterLock(const std::filesystem::path& dbFile) {
    std::string lockFile = dbFile.string() + "-lock";
    fd_ = ::open(lockFile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
        throw ProvenanceError(dbFile.string() + ": cannot create the writer lock " + lockFile + " (" +
                              std::strerror(errno) + ")");
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        int why = errno;
        char owner[32] = {};
        ssize_t n = pread(fd_, owner, sizeof owner - 1, 0);
        ::close(fd_);
        fd_ = -1;
        if (why == EWOULDBLOCK)
            throw ProvenanceError(dbFile.string() + ": the provenance database is already open for writing" +
                                  (n > 0 ? " by process " + std::string(owner, static_cast<size_t>(n)) : "") +
                                  "; one store writes a database at a time");
        throw ProvenanceError(dbFile.string() + ": cannot lock " + lockFile + " (" + std::strerror(why) +
                              ")");
    }
    // The pid is only for the message above; a failure to write it changes nothing.
    std::string pid = std::to_string(getpid());
    if (ftruncate(fd_, 0) == 0 && pwrite(fd_, pid.data(), pid.size(), 0) < 0) { /* see above */
    }
}

WriterLock::~WriterLock() {
    if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace xdml::runtime::prov
