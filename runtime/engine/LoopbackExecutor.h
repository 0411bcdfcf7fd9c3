// LoopbackExecutor.h — a site executor that proves the seam: it runs on this machine's worker
// pool like LocalExecutor, but every request is encoded to bytes when submitted and decoded
// when a worker takes it, every outcome is encoded and decoded before the coordinator sees it,
// and every effect of the body crosses as bytes too (EffectMessages.h). A flow run with it
// (`xdmlc run --executor=loopback`) must give the catalogs, logs and provenance of a direct run:
// whatever a distributed executor would need to carry, this one already carries.
#pragma once

#include "runtime/engine/LocalExecutor.h"

namespace xdml::runtime {

class LoopbackExecutor : public LocalExecutor {
public:
    using LocalExecutor::LocalExecutor;
    void submit(TaskRequest request, std::shared_ptr<TaskClient> client, Dispatch how) override;

protected:
    TaskOutcome attempt(const TaskRequest& request, TaskClient& client) override;
};

}  // namespace xdml::runtime
