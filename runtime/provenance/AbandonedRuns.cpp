// AbandonedRuns.cpp — the check for dead run processes, done when a store opens.
#include "runtime/provenance/AbandonedRuns.h"

#include <cerrno>
#include <climits>
#include <csignal>
#include <fstream>
#include <unistd.h>
#include <vector>

namespace xdml::runtime::prov {

std::string hostName() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) return "localhost";
    return name;
}

namespace {

/// A zombie (or a process being reaped) has exited: only its parent has not collected its
/// status. The ranks of an mpirun killed with -9 become such orphans, and a container's init
/// may never reap them.
bool hasExited(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const std::size_t close = line.rfind(')');  // the name in parentheses may hold anything
    return close != std::string::npos && close + 2 < line.size() && (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

}  // namespace

bool processIsGone(int64_t pid) {
    // kill(0) and kill(-1) address process groups: such a pid was never a run's process.
    if (pid <= 0 || pid > INT_MAX) return true;
    if (kill(static_cast<pid_t>(pid), 0) == -1) return errno == ESRCH;
    return hasExited(static_cast<pid_t>(pid));
}

int markAbandonedRuns(sqlite::Connection& db) {
    std::vector<int64_t> gone;
    {
        sqlite::Statement running =
            db.prepare("SELECT id, pid FROM runs WHERE status = 'running' AND host = ?1");
        std::string host = hostName();
        running.bindTextOrNull(1, host);
        while (running.step())
            if (processIsGone(running.columnInt(1))) gone.push_back(running.columnInt(0));
    }
    if (gone.empty()) return 0;
    sqlite::Transaction tx(db, sqlite::Transaction::Mode::Write);
    // The status check again: another store may have marked or ended the run meanwhile.
    sqlite::Statement mark =
        db.prepare("UPDATE runs SET status = 'incomplete' WHERE id = ?1 AND status = 'running'");
    for (int64_t id : gone) {
        mark.bindInt(1, id);
        mark.run();
    }
    tx.commit();
    return static_cast<int>(gone.size());
}

}  // namespace xdml::runtime::prov
