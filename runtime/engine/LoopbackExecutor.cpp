// LoopbackExecutor.cpp — see LoopbackExecutor.h.
#include "runtime/engine/LoopbackExecutor.h"

#include "runtime/engine/EffectMessages.h"

namespace xdml::runtime {

void LoopbackExecutor::submit(TaskRequest request, std::shared_ptr<TaskClient> client, Dispatch how) {
    // What is queued is what arrived: the request as its bytes decode.
    LocalExecutor::submit(decodeRequest(encodeRequest(request)), std::move(client), how);
}

TaskOutcome LoopbackExecutor::attempt(const TaskRequest& request, TaskClient& client) {
    // The worker sees the request (now with its arguments and activity) as decoded bytes, and
    // the coordinator sees the outcome likewise; each effect crosses through the channel.
    const TaskRequest received = decodeRequest(encodeRequest(request));
    EffectSink& coordinator = client.effects();
    const Program& program = worker_.context().program;
    ChannelSink sink(program, [&](const std::string& message) { return applyEffect(coordinator, program, message); });
    return decodeOutcome(encodeOutcome(worker_.run(received, sink)));
}

}  // namespace xdml::runtime
