// MpiRun.h — `xdmlc run` as one rank of a distributed run (docs/distributed.md): loads the MPI
// plugin the launcher belongs to, and makes rank 0 the coordinator (the whole run, with an
// MpiExecutor for each site placed on other ranks) and every other rank a server of its site.
#pragma once

#include "runtime/distributed/Launcher.h"
#include "tools/xdmlc/RunCommand.h"

namespace xdml::tools {

/// The exit status as runCommand's; 2 when MPI cannot be used (a singleton world, no plugin).
int runDistributed(const RunArguments& args, const runtime::distributed::LaunchInfo& launch);

}  // namespace xdml::tools
