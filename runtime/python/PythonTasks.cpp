// PythonTasks.cpp — see PythonTasks.h.
#include "runtime/python/PythonTasks.h"

#include "planformat/ContentHash.h"
#include "runtime/python/PythonPool.h"
#include "runtime/values/SharedBlocks.h"

#include <algorithm>

namespace xdml::runtime::python {

std::unique_ptr<PythonTasks> PythonTasks::of(const Program& program, std::string workingDir,
                                             std::function<int(const std::string&)> workersOf) {
    std::unique_ptr<PythonTasks> tasks;
    for (const auto& [name, task] : program.tasks()) {
        if (!task.python) continue;
        if (!tasks) tasks.reset(new PythonTasks);
        const PythonBody& py = *task.python;
        tasks->indexOf_[name] = static_cast<int>(tasks->names_.size());
        tasks->names_.push_back(name);
        tasks->modules_.push_back(py.module);
        tasks->functions_.push_back(py.function);
        for (const std::string& dir : py.path)
            if (std::find(tasks->searchPath_.begin(), tasks->searchPath_.end(), dir) == tasks->searchPath_.end())
                tasks->searchPath_.push_back(dir);
        std::string hash;
        if (!py.file.empty()) {
            std::string error;
            if (!planformat::hashFile(py.file, hash, error))
                tasks->notes_.push_back("note: Python task '" + name + "': its module file " + py.file + " cannot be read (" + error +
                                        "): the module is looked for on the Python path");
            else if (!py.hash.empty() && hash != py.hash)
                tasks->notes_.push_back("note: Python task '" + name + "': " + py.file +
                                        " changed since the plan was made; this run uses it as it is now (content hash " + hash + ")");
        }
        tasks->code_[name] = hash;
    }
    if (tasks) {
        shareLargeTensors();  // frames reach the workers without a copy (SharedBlocks.h)
        tasks->workersOf_ = std::move(workersOf);
        tasks->workingDir_ = std::move(workingDir);
    }
    return tasks;
}

PythonTasks::~PythonTasks() { shutdown(); }

PythonPool& PythonTasks::pool(const std::string& site, int workers) {
    std::lock_guard lock(mutex_);
    if (stopped_) throw PythonCallError("the run is stopping: its Python workers are shut down");
    auto it = pools_.find(site);
    if (it != pools_.end()) return *it->second;
    PoolSetup setup;
    setup.searchPath = searchPath_;
    setup.workingDir = workingDir_;
    for (std::size_t i = 0; i < names_.size(); ++i) setup.functions.push_back({names_[i], modules_[i], functions_[i], "", code_[names_[i]]});
    auto made = std::make_unique<PythonPool>(site, std::move(setup), workers > 0 ? workers : workersAt(site));
    return *pools_.emplace(site, std::move(made)).first->second;
}

void PythonTasks::start(const std::string& site, int workers) { pool(site, workers); }

Value PythonTasks::call(const TaskDecl& task, const std::string& site, const std::vector<Value>& args, const Program& program,
                        const std::function<void(const std::string&)>& log) {
    auto it = indexOf_.find(task.name);
    if (it == indexOf_.end()) throw PythonCallError("task '" + task.name + "' is not among the plan's Python tasks");
    return pool(site).call(it->second, args, task.result, program, log);
}

void PythonTasks::shutdown() {
    // The pools stay (a call under way holds one) until this goes; only their workers stop.
    std::vector<PythonPool*> pools;
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        for (auto& [site, p] : pools_) pools.push_back(p.get());
    }
    for (PythonPool* p : pools) p->shutdown();
}

std::string PythonTasks::codeOf(const std::string& task) const {
    auto it = code_.find(task);
    return it == code_.end() ? "" : it->second;
}

std::vector<int> PythonTasks::pids() const {
    std::lock_guard lock(mutex_);
    std::vector<int> out;
    for (const auto& [site, p] : pools_)
        for (int pid : p->pids()) out.push_back(pid);
    return out;
}

}  // namespace xdml::runtime::python
