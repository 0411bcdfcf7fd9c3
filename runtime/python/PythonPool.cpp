// PythonPool.cpp — see PythonPool.h. The worker program is worker.py, embedded at build time.
#include "runtime/python/PythonPool.h"

#include "runtime/exec/CommandGroups.h"
#include "runtime/python/Marshal.h"
#include "runtime/python/PythonValues.h"
#include "runtime/values/SharedBlocks.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <deque>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace xdml::runtime::python {

namespace {

const char* const kWorkerSource =
#include "runtime/python/WorkerSource.inc"
    ;

constexpr int kSocketFd = 3, kArenaFd = 4;
constexpr std::size_t kArenaStep = std::size_t{2} << 20;
constexpr auto kExitGrace = std::chrono::milliseconds(2000);
/// The longest answer taken from a worker (a corrupt length is refused before memory is taken).
constexpr std::size_t kLongestAnswer = std::size_t{1} << 31;
/// How long a caller polls for an answer before it sleeps until one comes, and how many reads
/// a worker tries before it sleeps until its next call: only while at most half the machine's
/// cores are taken by calls (one polling thread and one worker each), else the polling would
/// take the cores the workers need.
constexpr auto kSpin = std::chrono::microseconds(40);
constexpr int kWorkerSpinReads = 40;
/// Shared blocks a worker keeps mapped at most, and new ones one message maps at most (the
/// kernel takes up to 253 descriptors in one message).
constexpr std::size_t kMappedBlocks = 64;
constexpr std::size_t kDescriptorsPerMessage = 200;
std::atomic<int> callsUnderWay{0};

bool coresToSpare() {
    static const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return 2 * callsUnderWay.load(std::memory_order_relaxed) <= cores;
}

std::string signalName(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return std::to_string(sig) + (abbrev ? std::string(" (SIG") + abbrev + ")" : "");
}

/// "exited with status 3", "was killed by signal 11 (SIGSEGV)".
std::string endedHow(int status) {
    if (WIFSIGNALED(status)) return "was killed by signal " + signalName(WTERMSIG(status));
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    return "stopped";
}

std::string errorText(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

/// One worker process: its socket, its arena (mapped here and there) and its state.
class PythonWorker {
public:
    PythonWorker(const PoolSetup& setup, const std::string& bootstrap) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
            throw PythonCallError(errorText("cannot make a socket for a Python worker"));
        socket_ = pair[0];
        arenaFd_ = memfd_create("xdml-python-arena", MFD_CLOEXEC);
        if (arenaFd_ < 0) {
            ::close(pair[1]);
            throw PythonCallError(errorText("cannot make a shared arena for a Python worker"));
        }
        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
        // dup2 clears close-on-exec on the copies: the worker gets exactly these two.
        posix_spawn_file_actions_adddup2(&actions, pair[1], kSocketFd);
        posix_spawn_file_actions_adddup2(&actions, arenaFd_, kArenaFd);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        // Relative paths mean what they mean to sh() and write(): the work directory.
        if (!setup.workingDir.empty()) posix_spawn_file_actions_addchdir_np(&actions, setup.workingDir.c_str());
        // What C code writes to stdout goes to stderr: the run's own stdout stays its own.
        posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
        // Its own group (the terminal's Ctrl-C is the run's to handle); default dispositions.
        sigset_t none, defaults;
        sigemptyset(&none);
        sigemptyset(&defaults);
        for (int sig : {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2}) sigaddset(&defaults, sig);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        const char* argv[] = {setup.interpreter.c_str(), "-c", bootstrap.c_str(), nullptr};
        const int rc = posix_spawnp(&pid_, setup.interpreter.c_str(), &actions, &attr, const_cast<char* const*>(argv), environ);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        ::close(pair[1]);
        if (rc != 0) {
            pid_ = -1;
            stop();  // closes the socket and the arena
            throw PythonCallError("cannot start " + setup.interpreter + " for Python tasks: " + std::strerror(rc) +
                                  (rc == ENOENT ? " (install python3, or set XDML_PYTHON to an interpreter)" : ""));
        }
        spawned_ = pid_;
        trackCommandGroup(pid_);
        MarshalWriter hello;
        hello.beginTuple(4);
        hello.integer(1);
        hello.beginList(setup.searchPath.size());
        for (const std::string& dir : setup.searchPath) hello.text(dir);
        hello.beginList(setup.functions.size());
        for (const PythonFunction& f : setup.functions) {
            hello.beginTuple(3);
            hello.text(f.task);
            hello.text(f.module);
            hello.text(f.function);
        }
        hello.integer(getpid());
        try {
            send(hello.bytes());
        } catch (...) {
            stop();
            throw;
        }
    }

    ~PythonWorker() { stop(); }

    /// The process as started: kept after it is reaped, so a pool can forget it.
    int pid() const { return spawned_; }
    bool dead() const { return dead_; }

    /// Waits for the worker to have imported the modules: each function's import error or none.
    void ready(const std::function<void(const std::string&)>& log) {
        if (ready_) return;
        PyValuePtr m = receive(log, "while it started");
        if (m->items.size() != 3 || m->items[0]->integer != 3 || m->items[2]->kind != PyValue::Kind::List)
            throw PythonCallError("a Python worker answered its set-up with something else");
        importErrors_ = m->items[2]->items;
        ready_ = true;
    }

    /// The import error of function `index`, or null.
    const PyValue* importError(int index) const {
        if (index < 0 || static_cast<std::size_t>(index) >= importErrors_.size()) return nullptr;
        const PyValue& e = *importErrors_[static_cast<std::size_t>(index)];
        return e.kind == PyValue::Kind::List ? &e : nullptr;
    }

    /// Sends a call and waits for its answer (its print lines to `log` as they come).
    PyValuePtr call(CallMessage& message, const std::function<void(const std::string&)>& log) {
        // Shared blocks: the worker keeps its mappings; it maps the new ones from the
        // descriptors sent with the message, and unmaps those freed here or least recently used.
        std::vector<uint64_t> forget;
        for (auto it = mapped_.begin(); it != mapped_.end();)
            if (!sharedBlockExists(*it)) {
                forget.push_back(*it);
                it = mapped_.erase(it);
            } else {
                ++it;
            }
        std::vector<const SharedBlock*> fresh;
        for (const SharedBlock* b : std::vector<const SharedBlock*>(message.blocks())) {
            auto it = std::find(mapped_.begin(), mapped_.end(), b->id);
            if (it != mapped_.end()) {
                mapped_.erase(it);
            } else if (fresh.size() >= kDescriptorsPerMessage) {
                message.copyInstead(b);
                continue;
            } else {
                fresh.push_back(b);
            }
            mapped_.push_back(b->id);  // most recently used last
        }
        // The least recently used go, never one this call passes (they are at the back).
        const std::size_t used = message.blocks().size();
        while (mapped_.size() > std::max(kMappedBlocks, used)) {
            forget.push_back(mapped_.front());
            mapped_.pop_front();
        }
        ensureArena(message.arenaBytes());
        message.copyTensors(arena_);
        struct UnderWay {
            UnderWay() { callsUnderWay.fetch_add(1, std::memory_order_relaxed); }
            ~UnderWay() { callsUnderWay.fetch_sub(1, std::memory_order_relaxed); }
        } underWay;
        const bool spin = coresToSpare();
        std::vector<int> fds;
        for (const SharedBlock* b : fresh) fds.push_back(b->fd);
        send(message.body(arenaSize_, spin ? kWorkerSpinReads : 0, fresh, forget), fds);
        spin_ = spin;
        return receive(log, "during the call");
    }

    /// The arena as the worker left it after a call: it may have grown it for its result.
    const std::byte* arena(std::size_t size) {
        if (size > arenaSize_) mapArena(size);
        return arena_;
    }
    std::size_t arenaSize() const { return arenaSize_; }

    /// Closes the socket (the worker exits when it reads the end), waits a grace period, then
    /// kills its group; reaps it. Returns how it ended ("" when it was gone already).
    void stop() {
        if (socket_ >= 0) ::close(socket_);
        socket_ = -1;
        if (arena_) munmap(arena_, arenaSize_);
        arena_ = nullptr;
        if (arenaFd_ >= 0) ::close(arenaFd_);
        arenaFd_ = -1;
        if (pid_ > 0) {
            int status = 0;
            const auto until = std::chrono::steady_clock::now() + kExitGrace;
            while (!reap(false, status) && std::chrono::steady_clock::now() < until)
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            if (pid_ > 0) {
                kill(-pid_, SIGKILL);
                reap(true, status);
            }
        }
    }

private:
    /// Sends a frame; `fds` (shared blocks' descriptors) go with its first byte.
    void send(const std::string& body, const std::vector<int>& fds = {}) {
        if (body.size() > UINT32_MAX) throw PythonCallError("a call's message of " + std::to_string(body.size()) + " bytes is too long");
        std::string frame(4, '\0');
        const auto n = static_cast<uint32_t>(body.size());
        for (int i = 0; i < 4; ++i) frame[static_cast<std::size_t>(i)] = static_cast<char>(n >> (8 * i));
        frame += body;
        std::size_t sent = 0;
        while (sent < frame.size()) {
            ssize_t k;
            if (sent == 0 && !fds.empty()) {
                iovec iov{frame.data(), frame.size()};
                std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()), 0);
                msghdr msg{};
                msg.msg_iov = &iov;
                msg.msg_iovlen = 1;
                msg.msg_control = control.data();
                msg.msg_controllen = control.size();
                cmsghdr* c = CMSG_FIRSTHDR(&msg);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
                std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
                k = ::sendmsg(socket_, &msg, MSG_NOSIGNAL);
            } else {
                k = ::send(socket_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
            }
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) throw PythonCallError(died("while it was sent a call"));
            sent += static_cast<std::size_t>(k);
        }
    }

    /// Reads frames until an answer (ready, result or exception); print output goes to `log`.
    PyValuePtr receive(const std::function<void(const std::string&)>& log, const char* when) {
        for (;;) {
            const std::string_view body = nextFrame(when);
            PyValuePtr m;
            try {
                m = readMarshal(body);
            } catch (const MarshalError& e) {
                throw PythonCallError(std::string("a Python worker sent a message XDML cannot read: ") + e.what());
            }
            if (m->kind != PyValue::Kind::List || m->items.empty() || m->items[0]->kind != PyValue::Kind::Int)
                throw PythonCallError("a Python worker sent a message of an unknown kind");
            if (m->items[0]->integer == 2) {
                if (m->items.size() == 3 && m->items[2]->kind == PyValue::Kind::Str) {
                    const std::string& text = m->items[2]->text;
                    std::size_t from = 0;
                    while (from <= text.size()) {
                        std::size_t to = text.find('\n', from);
                        if (to == std::string::npos) to = text.size();
                        log(text.substr(from, to - from));
                        from = to + 1;
                    }
                }
                continue;
            }
            return m;
        }
    }

    /// The next frame's body (valid until the next call): one read() per answer as a rule.
    std::string_view nextFrame(const char* when) {
        // The bytes after the last frame move to the front; `filled_` of `inbox_` hold data.
        std::memmove(inbox_.data(), inbox_.data() + consumed_, filled_ - consumed_);
        filled_ -= consumed_;
        consumed_ = 0;
        auto length = [&] {
            uint32_t n = 0;
            for (int i = 3; i >= 0; --i) n = n << 8 | static_cast<unsigned char>(inbox_[static_cast<std::size_t>(i)]);
            return static_cast<std::size_t>(n);
        };
        // An answer that comes within kSpin is taken without sleeping: being put to sleep and
        // woken costs more than a short call itself on a virtual machine (docs/python.md).
        const auto spinUntil = spin_ ? std::chrono::steady_clock::now() + kSpin : std::chrono::steady_clock::time_point{};
        while (filled_ < 4 || filled_ < 4 + length()) {
            if (filled_ >= 4 && length() > kLongestAnswer)
                throw PythonCallError(died("after it announced an answer of " + std::to_string(length()) + " bytes, more than XDML takes"));
            const std::size_t need = filled_ >= 4 ? 4 + length() : 4;
            if (inbox_.size() < std::max(need, filled_ + (std::size_t{1} << 16))) inbox_.resize(std::max(need, filled_ + (std::size_t{1} << 16)));
            const std::size_t room = inbox_.size() - filled_;
            ssize_t k = ::recv(socket_, inbox_.data() + filled_, room, MSG_DONTWAIT);
            if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (std::chrono::steady_clock::now() < spinUntil) continue;
                k = ::recv(socket_, inbox_.data() + filled_, room, 0);
            }
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) throw PythonCallError(died(when));
            filled_ += static_cast<std::size_t>(k);
        }
        consumed_ = 4 + length();
        return std::string_view(inbox_.data() + 4, consumed_ - 4);
    }

    /// The message of a worker that is gone: how it ended (waiting briefly for its status).
    std::string died(const std::string& when) {
        dead_ = true;
        int status = 0;
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1000);
        while (!reap(false, status) && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        if (pid_ > 0) {  // its socket closed, yet it lives on: no use any more
            kill(-pid_, SIGKILL);
            reap(true, status);
        }
        return "the Python worker " + endedHow(status) + " " + when;
    }

    bool reap(bool blocking, int& status) {
        if (pid_ <= 0) return true;
        siginfo_t info{};
        // As Shell.cpp: leave the tracked groups while the zombie still holds the id.
        while (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT | (blocking ? 0 : WNOHANG)) != 0) {
            if (errno == EINTR) continue;
            untrackCommandGroup(pid_);
            pid_ = -1;
            return true;
        }
        if (info.si_pid == 0) return false;
        untrackCommandGroup(pid_);
        // What the function started (a multiprocessing helper) goes with it: the group's id is
        // still the unreaped leader's, so no stranger is signalled.
        kill(-pid_, SIGKILL);
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        return true;
    }

    /// The arena file's size now: the worker grows it for a large result.
    std::size_t arenaFileSize() const {
        struct stat st{};
        return fstat(arenaFd_, &st) == 0 && st.st_size > 0 ? static_cast<std::size_t>(st.st_size) : 0;
    }

    void ensureArena(std::size_t bytes) {
        if (bytes <= arenaSize_) return;
        const std::size_t file = arenaFileSize();
        // Never below what the file has: the worker may have grown it, and a mapping of it.
        const std::size_t size = std::max({(bytes + kArenaStep - 1) / kArenaStep * kArenaStep, 2 * arenaSize_, file});
        if (size > file && ftruncate(arenaFd_, static_cast<off_t>(size)) != 0)
            throw PythonCallError(errorText("cannot grow a Python worker's shared arena to " + std::to_string(size) + " bytes"));
        mapArena(size);
    }

    void mapArena(std::size_t size) {
        size = std::min(size, arenaFileSize());  // a mapping past the file's end would fault
        if (size == 0) {
            if (arena_) munmap(arena_, arenaSize_);
            arena_ = nullptr;
            arenaSize_ = 0;
            return;
        }
        if (arena_) munmap(arena_, arenaSize_);
        arena_ = nullptr;
        arenaSize_ = 0;
        void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, arenaFd_, 0);
        if (p == MAP_FAILED) throw PythonCallError(errorText("cannot map a Python worker's shared arena"));
        arena_ = static_cast<std::byte*>(p);
        arenaSize_ = size;
    }

    pid_t pid_ = -1;      // -1 once reaped
    pid_t spawned_ = -1;
    int socket_ = -1;
    int arenaFd_ = -1;
    std::byte* arena_ = nullptr;
    std::size_t arenaSize_ = 0;
    bool ready_ = false;
    bool dead_ = false;
    bool spin_ = false;         // poll for this call's answer a while before sleeping
    std::deque<uint64_t> mapped_;  // shared blocks the worker has mapped, least recently used first
    std::string inbox_;         // room for bytes read from the socket
    std::size_t filled_ = 0;    // bytes of inbox_ read
    std::size_t consumed_ = 0;  // of which the frame handed out last
    std::vector<PyValuePtr> importErrors_;
};

namespace {

/// "ValueError: frame is empty (peaks.py:12)" from the worker's (type, message, file, line).
std::string exceptionText(const std::vector<PyValuePtr>& e, std::size_t first) {
    auto text = [&](std::size_t i) { return i < e.size() && e[i]->kind == PyValue::Kind::Str ? e[i]->text : std::string(); };
    const int64_t line = first + 3 < e.size() && e[first + 3]->kind == PyValue::Kind::Int ? e[first + 3]->integer : 0;
    std::string out = text(first);
    if (!text(first + 1).empty()) out += ": " + text(first + 1);
    if (!text(first + 2).empty()) out += " (" + text(first + 2) + (line > 0 ? ":" + std::to_string(line) : "") + ")";
    return out;
}

}  // namespace

PythonPool::PythonPool(std::string site, PoolSetup setup, int size)
    : site_(std::move(site)), setup_(std::move(setup)), size_(std::max(1, size)) {
    if (const char* python = std::getenv("XDML_PYTHON"); python && *python) setup_.interpreter = python;
    else if (access(setup_.interpreter.c_str(), X_OK) != 0) setup_.interpreter = "python3";
    bootstrap_ = kWorkerSource;
    spawner_ = std::thread([this] { spawnLoop(); });
    try {
        for (int i = 0; i < size_; ++i) idle_.push_back(spawn());
    } catch (...) {
        shutdown();
        stopSpawner();
        throw;
    }
}

PythonPool::~PythonPool() {
    shutdown();
    // The spawner goes last: a worker dies with the thread that started it (PR_SET_PDEATHSIG),
    // and a worker running a call when shutdown() came finishes it before the pool goes.
    stopSpawner();
}

void PythonPool::stopSpawner() {
    {
        std::lock_guard lock(spawnMutex_);
        spawnerDone_ = true;  // the jobs queued still run: their callers wait for them
    }
    spawnWanted_.notify_all();
    if (spawner_.joinable()) spawner_.join();
}

std::unique_ptr<PythonWorker> PythonPool::spawn() {
    std::packaged_task<std::unique_ptr<PythonWorker>()> job([this] { return std::make_unique<PythonWorker>(setup_, bootstrap_); });
    auto made = job.get_future();
    {
        std::lock_guard lock(spawnMutex_);
        if (spawnerDone_) throw PythonCallError("the run is stopping: its Python workers are shut down");
        spawnJobs_.push_back(std::move(job));
    }
    spawnWanted_.notify_one();
    return made.get();
}

void PythonPool::spawnLoop() {
    for (;;) {
        std::packaged_task<std::unique_ptr<PythonWorker>()> job;
        {
            std::unique_lock lock(spawnMutex_);
            spawnWanted_.wait(lock, [&] { return spawnerDone_ || !spawnJobs_.empty(); });
            if (spawnJobs_.empty()) return;
            job = std::move(spawnJobs_.front());
            spawnJobs_.pop_front();
        }
        job();
    }
}

std::unique_ptr<PythonWorker> PythonPool::take() {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (stopped_) throw PythonCallError("the run is stopping: its Python workers are shut down");
        if (!idle_.empty()) break;
        if (static_cast<int>(busy_.size()) + starting_ < size_) {
            // Fewer workers than the pool's size (one died and its replacement failed to
            // start): start one for this call, and let it say why when it cannot.
            ++starting_;
            lock.unlock();
            std::unique_ptr<PythonWorker> fresh;
            try {
                fresh = spawn();
            } catch (...) {
                lock.lock();
                --starting_;
                throw;
            }
            lock.lock();
            --starting_;
            idle_.push_back(std::move(fresh));
            continue;
        }
        freed_.wait(lock);
    }
    std::unique_ptr<PythonWorker> w = std::move(idle_.back());
    idle_.pop_back();
    busy_.push_back(w->pid());
    return w;
}

void PythonPool::giveBack(std::unique_ptr<PythonWorker> worker) noexcept {
    std::unique_lock lock(mutex_);
    busy_.erase(std::remove(busy_.begin(), busy_.end(), worker->pid()), busy_.end());
    if (worker->dead()) {
        worker.reset();
        if (stopped_) return;
        ++replaced_;
        ++starting_;
        lock.unlock();
        // Its replacement starts now, so the next call finds it ready; when it cannot start,
        // take() tries again for the call that needs it and reports why.
        try {
            worker = spawn();
        } catch (...) {
        }
        lock.lock();
        --starting_;
        if (!worker) {
            freed_.notify_one();
            return;
        }
    }
    if (stopped_) return;  // shutdown() stopped the idle ones; this one stops as it goes
    idle_.push_back(std::move(worker));
    freed_.notify_one();
}

Value PythonPool::call(int index, const std::vector<Value>& args, const TypeDesc& result, const Program& program,
                       const std::function<void(const std::string&)>& log) {
    std::unique_ptr<PythonWorker> worker = take();
    struct Return {
        PythonPool& pool;
        std::unique_ptr<PythonWorker>& worker;
        ~Return() { pool.giveBack(std::move(worker)); }
    } giveBack{*this, worker};
    try {
        worker->ready(log);
    } catch (const PythonCallError& e) {
        throw PythonCallError(std::string("the Python worker did not start: ") + e.what());
    }
    if (const PyValue* failed = worker->importError(index))
        throw PythonCallError("importing module '" + setup_.functions[static_cast<std::size_t>(index)].module +
                              "' failed: " + exceptionText(failed->items, 0));
    CallMessage message(index, args);
    PyValuePtr answer = worker->call(message, log);
    const auto& items = answer->items;
    if (items.size() == 6 && items[0]->integer == 1) throw PythonCallError(exceptionText(items, 1));
    if (items.size() != 4 || items[0]->integer != 0 || items[2]->kind != PyValue::Kind::List || items[3]->kind != PyValue::Kind::Int)
        throw PythonCallError("a Python worker answered a call with something else");
    std::vector<ArenaTensor> tensors;
    for (const PyValuePtr& t : items[2]->items) {
        ArenaTensor a;
        if (t->items.size() != 3 || !elemTypeOfDtype(t->items[0]->text, a.elem) || t->items[1]->kind != PyValue::Kind::List)
            throw PythonCallError("a Python worker described a result array XDML cannot read");
        for (const PyValuePtr& d : t->items[1]->items) {
            if (d->kind != PyValue::Kind::Int || d->integer < 0) throw PythonCallError("a Python worker described a result array XDML cannot read");
            a.dims.push_back(d->integer);
        }
        if (t->items[2]->kind != PyValue::Kind::Int || t->items[2]->integer < 0)
            throw PythonCallError("a Python worker described a result array XDML cannot read");
        a.offset = static_cast<std::size_t>(t->items[2]->integer);
        tensors.push_back(std::move(a));
    }
    const std::size_t arenaSize = static_cast<std::size_t>(std::max<int64_t>(0, items[3]->integer));
    const std::byte* arena = tensors.empty() ? nullptr : worker->arena(arenaSize);
    const TypeDesc& wanted = program.structure(result);
    if (wanted.kind == TypeDesc::Kind::Unknown || wanted.kind == TypeDesc::Kind::None) return Value::none();
    try {
        return resultValue(*items[1], result, program, tensors, arena, worker->arenaSize());
    } catch (const ResultMismatch& e) {
        throw PythonCallError(std::string("the function returned ") + e.what());
    }
}

void PythonPool::shutdown() {
    std::vector<std::unique_ptr<PythonWorker>> idle;
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        idle.swap(idle_);
    }
    freed_.notify_all();
    // Close every socket first, so the workers exit together; then wait for each.
    std::vector<std::thread> stopping;
    for (auto& w : idle) stopping.emplace_back([&w] { w->stop(); });
    for (std::thread& t : stopping) t.join();
}

std::vector<int> PythonPool::pids() const {
    std::lock_guard lock(mutex_);
    std::vector<int> out = busy_;
    for (const auto& w : idle_) out.push_back(w->pid());
    return out;
}

int PythonPool::replaced() const {
    std::lock_guard lock(mutex_);
    return replaced_;
}

}  // namespace xdml::runtime::python
