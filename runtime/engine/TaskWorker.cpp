// TaskWorker.cpp — see TaskWorker.h.
#include "runtime/engine/TaskWorker.h"

#include "runtime/interp/Conform.h"

namespace xdml::runtime {

TaskOutcome TaskWorker::run(const TaskRequest& request, EffectSink& sink) const {
    try {
        const TaskDecl* task = context_.program.task(request.task);
        if (!task) throw PlanError("a request for task '" + request.task + "', which is not among the plan's tasks");
        if (request.args.size() != task->params.size())
            throw PlanError("a request for task '" + request.task + "' with " + std::to_string(request.args.size()) +
                            " arguments; it takes " + std::to_string(task->params.size()));
        Firing body(context_, sink, request.handler, request.site, request.seq);
        for (std::size_t i = 0; i < request.args.size(); ++i) {
            const DatumMessage& a = request.args[i];
            auto bound = Datum::make(conformTo(a.value, task->params[i].type, context_.program), request.site, a.seq);
            bound->entity = a.entity;
            bound->sources = a.sources;
            body.bind(task->params[i].name, bound);
        }
        DatumPtr result = body.runTask(*task, request.line);
        if (task->result.kind != TypeDesc::Kind::Unknown && task->result.kind != TypeDesc::Kind::None)
            result = Datum::make(conformTo(result->value, task->result, context_.program), request.site, request.seq);
        TaskOutcome outcome;
        outcome.ok = true;
        outcome.result = messageOf(result);
        return outcome;
    } catch (...) {
        return TaskOutcome::failed(std::current_exception());
    }
}

}  // namespace xdml::runtime
