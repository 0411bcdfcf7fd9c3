// Shell.h — std.exec's `sh(cmd)` (LANGUAGE.md §6): a command run by `/bin/sh -c` in a working
// directory with its stdout and stderr captured, and the message a task that it fails reports.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>

namespace xdml::runtime {

/// How much of each of stdout and stderr is kept; the rest is read (so the command never
/// blocks on a full pipe) and dropped.
inline constexpr std::size_t kShellCaptureLimit = std::size_t{64} << 20;

struct ShellResult {
    /// The exit status; 128+N when killed by signal N, as shells report it.
    int status = 0;
    std::string out, err;
    /// N when the command was killed by signal N, else 0.
    int signal = 0;
    /// The timeout expired and the command (its whole process group) was killed with SIGKILL.
    bool timedOut = false;
    /// More than kShellCaptureLimit bytes came on that stream: only the first are kept.
    bool outTruncated = false, errTruncated = false;
    std::chrono::milliseconds elapsed{0};

    bool ok() const { return status == 0; }
};

/// Runs `/bin/sh -c command` in `workingDir` (the current directory when empty) and waits for
/// it. stdin is /dev/null; stdout and stderr are read together (poll), so a command that writes
/// a lot to either never deadlocks. The command gets its own process group, with default signal
/// dispositions and no blocked signals; when `timeout` (0: none) expires the group is killed.
/// Being its own group, it does not get the terminal's Ctrl-C: until the shell is reaped the
/// group is tracked (CommandGroups.h), and a run stopped at once ends it with
/// endRunningCommands.
/// Every process this starts is reaped and every descriptor closed (the pipes are O_CLOEXEC,
/// so commands started at the same time from other threads do not inherit them).
/// Throws std::system_error only when the command cannot be started (no pipes, no /bin/sh, a
/// working directory that does not exist); a command that fails is a ShellResult.
ShellResult runShell(const std::string& command, const std::filesystem::path& workingDir,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds{0});

/// The message of a task failed by `result`: "sh: `cmd` exited with status 2: <stderr>", with
/// "killed by signal 9 (SIGKILL)" or "timed out after 500 ms" instead when so, and the last
/// lines of stderr, trimmed to about 2 KB. A long command is shortened to its first line.
std::string shellFailure(const ShellResult& result, const std::string& command);

}  // namespace xdml::runtime
