// HandlerFiring.h — one firing of a handler as the run records it: its activity and the items
// it used, a trigger decision where a choice was made, the body run by a Firing (Firing.h), a
// failure reported with its source line, and a deadline miss recorded. The flow-level
// statements (`flow F { ... }` outside handlers) fire so too, once, before the sources start.
#pragma once

#include "runtime/engine/Datum.h"
#include "runtime/engine/FiringQueue.h"
#include "runtime/engine/PlanModel.h"
#include "runtime/engine/PolicyTable.h"
#include "runtime/engine/RunStats.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace xdml::runtime {

class Run;

/// A data or end handler as its stream runs it, worked out once when it is added.
struct BoundHandler {
    HandlerInfo info;
    const Stmt* statement = nullptr;
    std::string title;                      // "on new data of type Hit in frames"
    bool refined = false;                   // its type is decided per item (a predicate or a model)
    const EffectivePolicy* policy = nullptr;
    HandlerCounters* counters = nullptr;
};

/// "on new data of type T in S [every N]", "on end of S" or "on stop".
std::string handlerTitle(const HandlerInfo& handler);

/// Fires `handler` on `binding` (an item, a group's list, or nullptr for an end handler):
/// item `seq`, which arrived at `arrival` on the run's clock, made of the entities `items`.
/// Never throws: a failure is reported and counted. `ended(ok)` is called once the firing
/// has ended, with whether it ended without failure: before this returns, or — `defer` given
/// and the body through while its calls run elsewhere — later, on a handler thread.
void fireHandler(Run& run, const BoundHandler& handler, const DatumPtr& binding, int64_t seq, double arrival,
                 const std::vector<int64_t>& items, FiringQueue::Defer* defer, std::function<void(bool ok)> ended);

/// Runs the flow-level statements of handler `handler` (a `start` handler) to their end.
/// Never throws: a failure is reported and counted.
void runStartHandler(Run& run, const HandlerInfo& handler, const FlowDecl& flow);

/// Runs an `on stop` handler's body once, as the run ends; `why` says how it ended (recorded
/// as the trigger's reason). Never throws: a failure is reported and counted.
void runStopHandler(Run& run, const HandlerInfo& handler, const Stmt& statement, const std::string& why);

}  // namespace xdml::runtime
