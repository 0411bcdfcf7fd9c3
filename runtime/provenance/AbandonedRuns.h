// AbandonedRuns.h — finding the runs whose process died without ending them. A killed process
// cannot write its own epitaph, so beginRun leaves the pid and host in the run's row, and the
// next store to open the database marks the run incomplete once that process is gone.
#pragma once

#include "runtime/sqlite/Sqlite.h"

#include <cstdint>
#include <string>

namespace xdml::runtime::prov {

/// This machine's host name, as stored in runs.host.
std::string hostName();

/// True when no process `pid` runs on this machine: kill(pid, 0) fails with ESRCH, or the
/// process is a zombie (it has exited; its parent has not reaped it). A process we may not
/// signal exists.
bool processIsGone(int64_t pid);

/// Marks 'incomplete' every 'running' run of this host whose process is gone, and returns how
/// many it marked. Runs of other hosts are left alone: their pids mean nothing here.
int markAbandonedRuns(sqlite::Connection& db);

}  // namespace xdml::runtime::prov
