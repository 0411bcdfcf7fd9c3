// CommandGroups.h — the process groups of the shell commands running now, so that a run that
// is stopped at once (a second Ctrl-C) can end them, and what they started, before it exits.
#pragma once

#include <chrono>
#include <sys/types.h>

namespace xdml::runtime {

/// Room for this many commands at once (far more than a run's worker threads); a command
/// started when the table is full runs untracked.
inline constexpr int kTrackedCommandGroups = 1024;

/// Remembers the process group led by `leader` (a started, not yet reaped command). False when
/// the table is full.
bool trackCommandGroup(pid_t leader);
/// Forgets it. Call it after the leader exited and before reaping it: while the zombie leader
/// is unreaped its group id cannot be reused, so endRunningCommands never signals a stranger.
void untrackCommandGroup(pid_t leader);

/// Sends SIGTERM to every tracked group, waits until each leader (the shell) has exited or
/// `grace` has passed, then sends SIGKILL to what is left of the groups (background children
/// of a shell that is gone, or a command that ignores SIGTERM). Reaps nothing: the threads
/// running the commands do. Async-signal-safe: it is meant for a signal handler that exits next.
void endRunningCommands(std::chrono::milliseconds grace);

}  // namespace xdml::runtime
