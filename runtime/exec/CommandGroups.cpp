// CommandGroups.cpp — see CommandGroups.h. Only lock-free atomics and async-signal-safe calls
// (kill, waitid, clock_gettime, nanosleep): endRunningCommands runs inside a signal handler.
#include "runtime/exec/CommandGroups.h"

#include <atomic>
#include <csignal>
#include <ctime>
#include <sys/wait.h>

namespace xdml::runtime {

namespace {

std::atomic<pid_t> groups[kTrackedCommandGroups];  // 0: a free slot
static_assert(std::atomic<pid_t>::is_always_lock_free, "a signal handler reads the table");

int64_t monotonicMs() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

void signalAll(int sig) {
    for (auto& slot : groups)
        if (pid_t leader = slot.load(); leader > 0) kill(-leader, sig);
}

/// Whether every tracked leader has exited (WNOWAIT: its thread still reaps it).
bool leadersExited() {
    for (auto& slot : groups) {
        pid_t leader = slot.load();
        if (leader <= 0) continue;
        siginfo_t info{};
        if (waitid(P_PID, static_cast<id_t>(leader), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0)
            return false;
    }
    return true;
}

}  // namespace

bool trackCommandGroup(pid_t leader) {
    for (auto& slot : groups) {
        pid_t free = 0;
        if (slot.compare_exchange_strong(free, leader)) return true;
    }
    return false;
}

void untrackCommandGroup(pid_t leader) {
    for (auto& slot : groups) {
        pid_t expected = leader;
        if (slot.compare_exchange_strong(expected, 0)) return;
    }
}

void endRunningCommands(std::chrono::milliseconds grace) {
    signalAll(SIGTERM);
    const int64_t deadline = monotonicMs() + grace.count();
    while (monotonicMs() < deadline && !leadersExited()) {
        const timespec step{0, 10 * 1000 * 1000};
        nanosleep(&step, nullptr);
    }
    signalAll(SIGKILL);
}

}  // namespace xdml::runtime
