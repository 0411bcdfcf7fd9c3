// Replay.h — what a replayed run takes from the log of the run it replays (`xdmlc replay`),
// instead of from the world: the items its sources delivered, and the choices made per item
// (which handlers fired on it — a type decided by a predicate or a model — and the inferences
// behind them). The runtime sees only this interface; query/ReplayLog reads it from the
// provenance database.
#pragma once

#include "runtime/provenance/Records.h"

#include <cstdint>
#include <string>
#include <vector>

namespace xdml::runtime {

class ReplayLog {
public:
    virtual ~ReplayLog() = default;
    /// The run being replayed.
    virtual int64_t originalRun() const = 0;
    /// Where stream `stream`'s source items came from, in order (their recorded paths), or
    /// nullptr when it had no items from a source (generated items are computed again).
    /// Throws DataError when they cannot be read again (ZeroMQ messages are not kept).
    virtual const std::vector<std::string>* sourceItems(const std::string& stream) const = 0;
    /// How many items stream `stream` delivered in the recorded run (a run stopped early
    /// delivered fewer than its generator makes), or -1 when the log does not say.
    virtual int64_t recordedItems(const std::string& stream) const = 0;
    /// Whether `on end of` handler `handler` fired in the recorded run (a stream the user
    /// stopped never ended, so neither may its replay).
    virtual bool endFired(int handler) const = 0;
    /// Whether the recorded run wrote this file: the replay must not read the original run's
    /// own output as if it had been there before (`exists`, `read`).
    virtual bool wrote(const std::string& path) const = 0;
    /// The content hashes of an emit-fed stream's items in their recorded order, or nullptr.
    virtual const std::vector<std::string>* itemOrder(const std::string& stream) const = 0;
    /// Whether handler `handler` (the plan's index) fired on item `seq` of `stream`, alone or
    /// in a group, in the recorded run.
    virtual bool fired(int handler, const std::string& stream, int64_t seq) const = 0;
    /// The version of `model` that answered the firing of handler `handler` on item `seq`
    /// (directly or in a task it called) in the recorded run; -1 when the log does not say.
    virtual int64_t modelVersion(const std::string& model, int handler, int64_t seq) const = 0;
    /// The decisions recorded about item `seq` of `stream` (an inferred type), to record again.
    virtual std::vector<prov::DecisionRecord> itemDecisions(const std::string& stream, int64_t seq) const = 0;
    /// The decisions recorded about stream `stream` as a whole (counted type tests), to record
    /// again at its end.
    virtual std::vector<prov::DecisionRecord> streamDecisions(const std::string& /*stream*/) const { return {}; }
};

}  // namespace xdml::runtime
