// ReplayVersionGate.h — in a replay, what a firing waits for before it starts: the model
// versions the recorded run's firing used (ReplayLog::modelVersion). Its FiringQueue parks a
// firing whose version is not trained yet, holding no handler thread, and queues it again when
// the version is made (Models::whenVersionMade), so the firings whose training makes it are
// never stuck behind it. Outside a replay, or for a firing that used no model, there is no gate.
#pragma once

#include "runtime/engine/FiringQueue.h"
#include "runtime/engine/Models.h"
#include "runtime/engine/Replay.h"
#include "runtime/interp/Program.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace xdml::runtime {

class ReplayVersionGate {
public:
    /// `log`: the replayed run's log, or nullptr outside a replay; `models`: the run's, or
    /// nullptr when it has none (then nothing waits: the model calls fail as they would).
    ReplayVersionGate(const ReplayLog* log, const Program& program, Models* models);

    /// Handler `handler` (the plan's index) with its body: the models it trains matter, as a
    /// firing may use the version its own training makes.
    void addHandler(int handler, const std::vector<Stmt>& body);
    /// The gate of handler `handler`'s firing on item `seq` (a group's last), or an empty one.
    FiringQueue::Gate gateOf(int handler, int64_t seq) const;

private:
    const ReplayLog* log_;
    const Program& program_;
    Models* models_;
    std::vector<std::string> modelNames_;              // empty outside a replay
    std::map<int, std::set<std::string>> trainedBy_;  // handler -> the models it trains
};

}  // namespace xdml::runtime
