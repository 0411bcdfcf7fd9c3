// PythonPool.h — a site's Python workers: `python3` processes started once and reused (one
// call at a time each), each with a socket for messages and a shared arena for tensors
// (worker.py). A call that raises fails with the exception's type, message and Python
// file:line; a worker that dies (a segfault in a C extension, os._exit) fails the call it was
// running and is replaced, and the pool goes on. The workers are their own process group, so
// the terminal's Ctrl-C reaches the run, not them; they die with the run (PR_SET_PDEATHSIG)
// and a run stopped at once ends them with the shell commands (CommandGroups.h).
#pragma once

#include "runtime/interp/Program.h"
#include "runtime/values/Value.h"

#include <condition_variable>
#include <deque>
#include <future>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace xdml::runtime::python {

/// A task whose body is a Python function, as the plan gives it (docs/plan.md).
struct PythonFunction {
    std::string task;
    std::string module, function;
    std::string file;  // the module's file when the compiler found it, else ""
    std::string hash;  // its content hash (as the plan carries it)
};

/// What every worker of a pool imports, and where it looks.
struct PoolSetup {
    /// The system's (Debian's) python3, else python3 on PATH; XDML_PYTHON overrides both.
    std::string interpreter = "/usr/bin/python3";
    std::vector<std::string> searchPath;   // folders put first on sys.path
    std::string workingDir;                // the workers' current directory: the run's work directory
    std::vector<PythonFunction> functions;  // a call names one by its index here
};

/// A call that failed: `message` says why (the Python exception, or the worker's death).
class PythonCallError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class PythonWorker;

class PythonPool {
public:
    /// Starts `size` workers (at least one) without waiting for them to be ready.
    PythonPool(std::string site, PoolSetup setup, int size);
    ~PythonPool();
    PythonPool(const PythonPool&) = delete;
    PythonPool& operator=(const PythonPool&) = delete;

    /// Runs function `index` on a free worker (waiting for one) and converts its result to
    /// `result` (a task without a result type: none). Each line it prints goes to `log`.
    /// Throws PythonCallError.
    Value call(int index, const std::vector<Value>& args, const TypeDesc& result, const Program& program,
               const std::function<void(const std::string&)>& log);

    /// Stops the workers: each finishes its call, then exits as its socket closes (killed after
    /// a grace period). Idempotent; calls after it fail.
    void shutdown();

    /// The worker processes alive now (for tests and the run's statistics).
    std::vector<int> pids() const;
    const std::string& site() const { return site_; }
    /// Workers started to replace one that died.
    int replaced() const;

private:
    std::unique_ptr<PythonWorker> take();
    void giveBack(std::unique_ptr<PythonWorker> worker) noexcept;
    /// A new worker, started by the pool's own thread: PR_SET_PDEATHSIG ends a child when the
    /// thread that started it ends, and a call's thread (a stream's handler thread) may end
    /// before the run does.
    std::unique_ptr<PythonWorker> spawn();
    void spawnLoop();
    void stopSpawner();

    std::string site_;
    PoolSetup setup_;
    std::string bootstrap_;
    mutable std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<PythonWorker>> idle_;
    std::vector<int> busy_;  // pids of the workers running a call
    int size_ = 1;
    int starting_ = 0;  // workers being started outside the lock
    int replaced_ = 0;
    bool stopped_ = false;

    std::mutex spawnMutex_;
    std::condition_variable spawnWanted_;
    std::deque<std::packaged_task<std::unique_ptr<PythonWorker>()>> spawnJobs_;
    bool spawnerDone_ = false;
    std::thread spawner_;
};

}  // namespace xdml::runtime::python
