// TaskWorker.cpp — see TaskWorker.h.
#include "runtime/engine/TaskWorker.h"

#include "runtime/engine/BlockingWait.h"
#include "runtime/engine/TaskFailure.h"
#include "runtime/interp/Conform.h"
#include "runtime/python/PythonPool.h"
#include "runtime/python/PythonTasks.h"

namespace xdml::runtime {

namespace {

void indexChains(const std::vector<Stmt>& body, std::unordered_map<int64_t, const Stmt*>& out) {
    for (const Stmt& s : body) {
        if (s.op == Stmt::Op::Fused) out.emplace(s.node, &s);
        indexChains(s.body, out);
        indexChains(s.elseBody, out);
    }
}

DatumPtr bound(const DatumMessage& m, Value value, const std::string& site) {
    auto d = Datum::make(std::move(value), site, m.seq);
    d->entity = m.entity;
    d->sources = m.sources;
    return d;
}

}  // namespace

TaskWorker::TaskWorker(FiringContext context) : context_(std::move(context)) {
    for (const auto& [name, flow] : context_.program.flows()) indexChains(flow.body, chains_);
}

TaskOutcome TaskWorker::run(const TaskRequest& request, EffectSink& sink) const {
    try {
        TaskOutcome outcome;
        if (request.chain) {
            for (const DatumPtr& d : runChain(request, sink)) outcome.bound.push_back(messageOf(d));
            outcome.result.value = Value::none();
        } else {
            outcome.result = messageOf(runTask(request, sink));
        }
        outcome.ok = true;
        return outcome;
    } catch (...) {
        return TaskOutcome::failed(std::current_exception());
    }
}

DatumPtr TaskWorker::runTask(const TaskRequest& request, EffectSink& sink) const {
    const TaskDecl* task = context_.program.task(request.task);
    if (!task) throw PlanError("a request for task '" + request.task + "', which is not among the plan's tasks");
    if (request.args.size() != task->params.size())
        throw PlanError("a request for task '" + request.task + "' with " + std::to_string(request.args.size()) +
                        " arguments; it takes " + std::to_string(task->params.size()));
    if (task->python) return runPython(*task, request, sink);
    Firing body(context_, sink, request.handler, request.site, request.seq);
    for (std::size_t i = 0; i < request.args.size(); ++i) {
        const DatumMessage& a = request.args[i];
        body.bind(task->params[i].name, bound(a, conformTo(a.value, task->params[i].type, context_.program), request.site));
    }
    DatumPtr result = body.runTask(*task, request.line);
    if (task->result.kind != TypeDesc::Kind::Unknown && task->result.kind != TypeDesc::Kind::None)
        result = Datum::make(conformTo(result->value, task->result, context_.program), request.site, request.seq);
    return result;
}

DatumPtr TaskWorker::runPython(const TaskDecl& task, const TaskRequest& request, EffectSink& sink) const {
    if (!context_.python) throw PlanError("Python task '" + task.name + "' at a worker without Python pools");
    std::vector<Value> args;
    args.reserve(request.args.size());
    for (std::size_t i = 0; i < request.args.size(); ++i) args.push_back(conformTo(request.args[i].value, task.params[i].type, context_.program));
    Value result;
    try {
        BlockingWait blocking;  // the call runs in a Python worker process
        result = context_.python->call(task, request.site, args, context_.program,
                                       [&](const std::string& line) { sink.log("[" + task.name + "] " + line); });
    } catch (const python::PythonCallError& e) {
        throw TaskFailure("Python task '" + task.name + "' (" + task.python->module + ":" + task.python->function + "): " + e.what(), request.line);
    }
    // The result derives from every argument, as a body's `return` of them would.
    auto d = Datum::make(std::move(result), request.site, request.seq);
    for (const DatumMessage& a : request.args) {
        if (a.entity >= 0) d->sources.push_back(a.entity);
        else d->sources.insert(d->sources.end(), a.sources.begin(), a.sources.end());
    }
    return d;
}

std::vector<DatumPtr> TaskWorker::runChain(const TaskRequest& request, EffectSink& sink) const {
    auto found = chains_.find(request.node);
    if (found == chains_.end())
        throw PlanError("a request for fused chain " + std::to_string(request.node) + ", which is not in the plan's code");
    if (request.names.size() != request.args.size())
        throw PlanError("a request for fused chain " + std::to_string(request.node) + " with " +
                        std::to_string(request.args.size()) + " values for " + std::to_string(request.names.size()) + " names");
    Firing chain(context_, sink, request.handler, request.site, request.seq);
    for (std::size_t i = 0; i < request.args.size(); ++i)
        chain.bind(request.names[i], bound(request.args[i], request.args[i].value, request.site));
    return chain.runChain(*found->second);
}

}  // namespace xdml::runtime
