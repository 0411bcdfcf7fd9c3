// WriterLock.h — at most one store writes a database at a time. The store hands out ids from
// in-process counters seeded at open (MAX(id)+1), so a second writer would hand out the same
// ids; this lock turns that into a clear error at open instead of lost groups later.
//
// The lock is an flock() on a file beside the database ("prov.db-lock", holding the owner's
// pid for the message). The kernel drops it when the process dies, kill -9 included, so there
// is never a stale lock to clean up. The file itself stays: deleting a lock file races with
// the next process taking it.
#pragma once

#include <filesystem>

namespace xdml::runtime::prov {

class WriterLock {
public:
    /// Takes the lock without waiting; throws a ProvenanceError naming the database (and the
    /// owner's pid) when another store holds it.
    explicit WriterLock(const std::filesystem::path& dbFile);
    ~WriterLock();
    WriterLock(const WriterLock&) = delete;
    WriterLock& operator=(const WriterLock&) = delete;

private:
    int fd_ = -1;
};

}  // namespace xdml::runtime::prov
