// PythonTasks.h — the Python tasks of a plan in this process (a local run, or an MPI rank's
// sites): a PythonPool per site, as many workers as the site has worker threads here. None is
// started unless the plan has Python tasks; a site's pool starts with the run when the plan
// places a Python task there, else at its first call (a relocated call). The module files are
// hashed once, at the start: each call's activity records that hash (docs/python.md).
#pragma once

#include "runtime/interp/Program.h"
#include "runtime/values/Value.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace xdml::runtime::python {

class PythonPool;

class PythonTasks {
public:
    /// Null when `program` has no Python task. `workingDir`: the workers' current directory (the
    /// run's work directory); `workersOf(site)`: the pool's size there.
    static std::unique_ptr<PythonTasks> of(const Program& program, std::string workingDir,
                                           std::function<int(const std::string& site)> workersOf);
    ~PythonTasks();

    /// Starts the pool of `site` now with `workers` workers (0: workersOf's), when it has none
    /// yet (its workers import while the run goes on; a call waits for them).
    void start(const std::string& site, int workers = 0);
    /// The pool size of `site` by default: workersOf's.
    int workersAt(const std::string& site) const { return workersOf_ ? workersOf_(site) : 1; }
    /// Runs Python task `task` at `site` with `args`; what it prints goes to `log`, a line at a
    /// time. Throws PythonCallError (the exception, a worker's death, a result that does not fit).
    Value call(const TaskDecl& task, const std::string& site, const std::vector<Value>& args, const Program& program,
               const std::function<void(const std::string&)>& log);
    /// Stops every pool (after the calls under way). Idempotent.
    void shutdown();

    /// The content hash of Python task `task`'s module file as the run found it ("" when the
    /// plan names no file for it).
    std::string codeOf(const std::string& task) const;
    /// Notes for the run's log: modules that changed since the plan was made, or are missing.
    const std::vector<std::string>& notes() const { return notes_; }
    /// The workers alive now, every site's (tests, statistics).
    std::vector<int> pids() const;

private:
    PythonTasks() = default;
    PythonPool& pool(const std::string& site, int workers = 0);

    std::function<int(const std::string&)> workersOf_;
    std::vector<std::string> searchPath_;
    std::string workingDir_;
    std::vector<std::string> names_;           // Python tasks in the pools' function order
    std::vector<std::string> modules_, functions_;
    std::map<std::string, int> indexOf_;       // task name -> its index
    std::map<std::string, std::string> code_;  // task name -> module hash
    std::vector<std::string> notes_;
    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<PythonPool>> pools_;
    bool stopped_ = false;
};

}  // namespace xdml::runtime::python
