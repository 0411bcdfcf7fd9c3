// Shell.cpp — see Shell.h.
#include "runtime/exec/Shell.h"

#include "runtime/exec/CommandGroups.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace xdml::runtime {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// After a timeout kill, how long to keep reading what the dying processes had written.
constexpr milliseconds kDrainAfterKill{1000};
constexpr std::size_t kStderrInMessage = 2048;
constexpr std::size_t kCommandInMessage = 200;

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
#define XDML_HAVE_SPAWN_CHDIR 1
#else
#define XDML_HAVE_SPAWN_CHDIR 0
#endif

[[noreturn]] void systemFailure(int error, const std::string& what) {
    throw std::system_error(error, std::generic_category(), what);
}

class Descriptor {
public:
    Descriptor() = default;
    ~Descriptor() { close(); }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    int get() const { return fd_; }
    void reset(int fd) {
        close();
        fd_ = fd;
    }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

struct Pipe {
    Descriptor read, write;
};

void openPipe(Pipe& p) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) systemFailure(errno, "sh: cannot make a pipe");
    p.read.reset(fds[0]);
    p.write.reset(fds[1]);
}

struct SpawnSetup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
};

/// One captured stream: appends what it reads, up to the cap; false once the writer closed it.
bool readInto(int fd, std::string& into, bool& truncated) {
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            std::size_t room = kShellCaptureLimit - std::min(kShellCaptureLimit, into.size());
            if (static_cast<std::size_t>(n) > room) truncated = true;
            into.append(buffer, std::min(room, static_cast<std::size_t>(n)));
            return true;
        }
        if (n < 0 && errno == EINTR) continue;
        return n < 0 && errno == EAGAIN;  // 0 is end of file; another error ends the stream too
    }
}

/// Reaps the child: true with its status once it has exited, false while it runs (only when
/// not `blocking`). It waits without reaping first (WNOWAIT) so that the group leaves the
/// tracked ones while its id is still taken. ECHILD means someone else reaped it (SIGCHLD set
/// to SIG_IGN reaps automatically): the status is lost, and guessing success would hide failures.
bool reap(pid_t pid, bool blocking, int& status) {
    siginfo_t info{};
    while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT | (blocking ? 0 : WNOHANG)) != 0) {
        if (errno == EINTR) continue;
        untrackCommandGroup(pid);
        systemFailure(errno, "sh: lost the exit status of the command (is SIGCHLD ignored?)");
    }
    if (info.si_pid == 0) return false;
    untrackCommandGroup(pid);
    while (waitpid(pid, &status, 0) != pid)
        if (errno != EINTR) systemFailure(errno, "sh: lost the exit status of the command (is SIGCHLD ignored?)");
    return true;
}

/// The tail of stderr for a message: trailing space trimmed, at most ~2 KB, from a line start.
std::string stderrTail(const std::string& err) {
    std::size_t end = err.find_last_not_of(" \t\r\n");
    if (end == std::string::npos) return "";
    std::string_view text(err.data(), end + 1);
    if (text.size() <= kStderrInMessage) return std::string(text);
    std::string_view tail = text.substr(text.size() - kStderrInMessage);
    if (std::size_t nl = tail.find('\n'); nl != std::string_view::npos) tail.remove_prefix(nl + 1);
    // Without a newline, at least do not start inside a UTF-8 sequence.
    else while (!tail.empty() && (static_cast<unsigned char>(tail.front()) & 0xC0) == 0x80) tail.remove_prefix(1);
    return "...\n" + std::string(tail);
}

std::string shortCommand(const std::string& command) {
    std::string first = command.substr(0, command.find('\n'));
    if (first.size() > kCommandInMessage) first = first.substr(0, kCommandInMessage);
    return first.size() < command.size() ? first + " ..." : first;
}

#if !XDML_HAVE_SPAWN_CHDIR
std::string singleQuoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}
#endif

}  // namespace

ShellResult runShell(const std::string& command, const std::filesystem::path& workingDir, milliseconds timeout) {
    const auto start = Clock::now();
    Pipe out, err;
    openPipe(out);
    openPipe(err);

    SpawnSetup setup;
    posix_spawn_file_actions_adddup2(&setup.actions, out.write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&setup.actions, err.write.get(), STDERR_FILENO);
    posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    std::string script = command;
    if (!workingDir.empty()) {
#if XDML_HAVE_SPAWN_CHDIR
        posix_spawn_file_actions_addchdir_np(&setup.actions, workingDir.c_str());
#else
        script = "cd -- " + singleQuoted(workingDir.string()) + " || exit 127\n" + command;
#endif
    }
    // Its own process group, so a timeout kills what the shell started too; default
    // dispositions, because ignored signals (SIGPIPE, in many servers) survive exec.
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2}) sigaddset(&defaults, sig);
    posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&setup.attr, 0);
    posix_spawnattr_setsigmask(&setup.attr, &none);
    posix_spawnattr_setsigdefault(&setup.attr, &defaults);

    const char* argv[] = {"sh", "-c", script.c_str(), nullptr};
    pid_t pid = 0;
    int rc = posix_spawn(&pid, "/bin/sh", &setup.actions, &setup.attr, const_cast<char* const*>(argv), environ);
    if (rc != 0)
        systemFailure(rc, "sh: cannot start `" + shortCommand(command) + "`" +
                              (workingDir.empty() ? "" : " in " + workingDir.string()));
    trackCommandGroup(pid);
    out.write.close();
    err.write.close();

    ShellResult result;
    const bool limited = timeout.count() > 0;
    const auto deadline = start + timeout;
    auto drainUntil = Clock::time_point::max();
    auto killGroup = [&] {
        // The group exists while the unreaped shell does, so its id cannot have been reused.
        kill(-pid, SIGKILL);
        result.timedOut = true;
        drainUntil = Clock::now() + kDrainAfterKill;
    };

    pollfd fds[2] = {{out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}};
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        int waitMs = -1;
        if (limited) {
            const auto now = Clock::now();
            if (!result.timedOut && now >= deadline) killGroup();
            if (result.timedOut && now >= drainUntil) break;  // something outside the group holds a pipe
            const auto until = result.timedOut ? drainUntil : deadline;
            // Clamped: a timeout of weeks would overflow poll's int; the loop just polls again.
            waitMs = static_cast<int>(std::min<int64_t>(std::chrono::ceil<milliseconds>(until - now).count(), 3600000));
        }
        int ready = poll(fds, 2, waitMs);
        if (ready < 0 && errno != EINTR) {
            int error = errno;
            kill(-pid, SIGKILL);
            int ignored = 0;
            reap(pid, true, ignored);
            systemFailure(error, "sh: cannot wait for `" + shortCommand(command) + "`");
        }
        for (int i = 0; i < 2 && ready > 0; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            bool open = i == 0 ? readInto(fds[i].fd, result.out, result.outTruncated)
                               : readInto(fds[i].fd, result.err, result.errTruncated);
            if (!open) fds[i].fd = -1;
        }
    }
    out.read.close();
    err.read.close();

    // The pipes can close before the shell exits (`exec >&-`): keep the deadline while waiting.
    int status = 0;
    bool reaped = false;
    while (limited && !result.timedOut && !(reaped = reap(pid, false, status))) {
        if (Clock::now() >= deadline) killGroup();
        else std::this_thread::sleep_for(milliseconds(5));
    }
    if (!reaped) reap(pid, true, status);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    result.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    return result;
}

std::string shellFailure(const ShellResult& result, const std::string& command) {
    std::string what;
    if (result.timedOut) {
        what = "timed out after " + std::to_string(result.elapsed.count()) + " ms and was killed";
    } else if (result.signal) {
        what = "killed by signal " + std::to_string(result.signal);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
        if (const char* name = sigabbrev_np(result.signal)) what += std::string(" (SIG") + name + ")";
#endif
    } else {
        what = "exited with status " + std::to_string(result.status);
    }
    std::string message = "sh: `" + shortCommand(command) + "` " + what;
    std::string tail = stderrTail(result.err);
    if (!tail.empty()) message += ": " + tail;
    if (result.errTruncated) message += "\n(stderr was longer than 64 MiB; only its start was kept)";
    return message;
}

}  // namespace xdml::runtime
