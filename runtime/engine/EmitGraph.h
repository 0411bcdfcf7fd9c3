// EmitGraph.h — the streams' ends: which streams feed which through emits (the handlers of a
// stream and the tasks they call), the cycles that makes, and when each stream ends: a source
// stream when its source does, an emit-fed one once all that feeds it has ended (a cycle when
// it is quiet as a whole, CycleWork.h, and has fired its streams' ends while still open).
#pragma once

#include "runtime/engine/CycleWork.h"
#include "runtime/engine/PlanModel.h"
#include "runtime/interp/Program.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace xdml::runtime {

class StreamRuntime;

/// The `on new data` or `on end` statement of `body` at source position `at`, or nullptr.
const Stmt* findHandler(const std::vector<Stmt>& body, const std::string& at);

class EmitGraph {
public:
    /// The handlers of `flows` (every flow when empty) and the streams they emit into. Throws
    /// PlanError for a handler of a flow or at a place the program does not have.
    EmitGraph(const Program& program, const PlanModel& plan, const std::set<std::string>& flows);

    /// The streams the selected handlers listen to or emit into.
    std::set<std::string> streams() const;
    /// Whether `to`'s handlers (through other streams) feed `from` back: an emit from `from`'s
    /// handlers into `to` must then not block.
    bool feedsBack(const std::string& from, const std::string& to) const;
    /// The work counter shared by the streams of `stream`'s cycle of emits, or nullptr when it
    /// is in none: its items and firings hold counts on it (CycleWork.h).
    CycleWork* cycleWork(const std::string& stream) const;

    /// The flow-level statements have run: emit-fed streams may end from now on.
    void startHandlersDone();
    /// Called by a stream when it is done: emit-fed streams may end in turn.
    void streamDone();
    /// Ends the emit-fed streams as what feeds them ends, until every stream is done; once
    /// `stopRequested`, stops the sources.
    void waitForEnds(const std::map<std::string, std::unique_ptr<StreamRuntime>>& streams,
                     const std::atomic<bool>& stopRequested);

private:
    std::set<std::string> reachableFrom(const std::string& stream) const;
    const std::set<std::string>& producersOf(const std::string& stream) const;
    void closeFeds(const std::map<std::string, std::unique_ptr<StreamRuntime>>& streams);
    /// Whether the quiet `cycle` has fired its last groups and end handlers and handled what
    /// they emitted; if not, asks its streams for the next round.
    bool endRoundsDone(const std::set<std::string>& cycle,
                       const std::map<std::string, std::unique_ptr<StreamRuntime>>& streams);

    struct CycleEnd {
        bool roundsStarted = false;
        bool endHandlersFired = false;
    };

    std::map<std::string, std::set<std::string>> producers_;  // stream -> streams feeding it ("": the flow's start)
    std::map<std::string, std::set<std::string>> cycles_;     // stream -> the others of its cycle (and itself)
    std::map<std::string, CycleWork*> cycleWork_;            // stream -> its cycle's counter
    std::vector<std::unique_ptr<CycleWork>> cycleCounters_;  // one per cycle
    std::map<CycleWork*, CycleEnd> cycleEnds_;               // the rounds of each quiet cycle's end
    std::mutex doneMutex_;
    std::condition_variable doneChanged_;
    bool startDone_ = false;
};

}  // namespace xdml::runtime
