// EffectSink.h — everything a firing asks of the world beyond its own values: the effects
// (emit, record, log, files read and written, train) applied in program order, the questions
// (a catalog's count, the clock, a model's answer, where a path is), task calls, and moving a
// value to another site. A handler's firing talks to the coordinator's sink (RunEffects.h);
// a task's body talks to the sink its executor gives it, which may carry each call across a
// process boundary as bytes (EffectMessages.h). The body never sees the run itself.
#pragma once

#include "runtime/engine/Pending.h"
#include "runtime/values/Value.h"

#include <cstdint>
#include <string>
#include <vector>

namespace xdml::runtime {

struct Stmt;
struct TaskDecl;
struct TypeDesc;

/// A task call as a firing makes it.
struct TaskCall {
    const TaskDecl* task = nullptr;
    int64_t node = -1;               // its node in the plan; -1 for a call inside a task
    std::vector<DatumPtr> args;      // by parameter
    std::string site;                // where the calling expression runs (a call inside a task runs there)
    int64_t seq = -1;
    int line = 0;
    bool needNow = false;            // the caller waits at once: run it on this thread if the site has room
    const TypeDesc* as = nullptr;    // the declared type of the `let` it is bound to
    double madeAt = -1;              // when the call was made (run seconds) if earlier than now
};

/// A fused task chain's statements (`{"op": "fused"}`, docs/plan.md) started as one request:
/// they run back to back on one worker of the chain's site, their calls in place.
struct ChainCall {
    int64_t node = -1;  // the plan's fused node
    std::string site;
    int64_t seq = -1;
    int line = 0;
    /// The locals the statements read, by name, and the names they bind, in order.
    std::vector<std::pair<std::string, DatumPtr>> inputs;
    std::vector<std::string> outputs;
    bool needNow = false;  // the caller waits at once: run it on this thread if the site has room
};

/// A started chain: the value of each of its outputs, and its end.
struct ChainResult {
    std::vector<Pending> outputs;
    Pending done;
};

/// A file the flow read or wrote, to be recorded as an entity of the firing's activity.
struct FileUse {
    std::string path;
    uint64_t bytes = 0;
    std::string hash;
    std::string site;
    bool written = false;
    /// Written and synced to disk already; a written file that is not is made durable before
    /// its entity commits (EffectSink::syncsWrittenFiles).
    bool synced = true;
};

/// A question for a model: `m(x)` (the class), `probs(m, x)`, `version(m)`, `accuracy(m, S)`.
struct ModelQuery {
    enum class Kind : uint8_t { Classify, Probs, Version, Accuracy };
    Kind kind = Kind::Classify;
    std::string model;
    Value input;         // Classify, Probs
    std::string stream;  // Accuracy
    int line = 0;
};

class EffectSink {
public:
    virtual ~EffectSink() = default;

    /// The value at `site`: itself, or its copy moved there (the transport).
    virtual DatumPtr moveTo(const DatumPtr& d, const std::string& site) = 0;
    /// Emits `d` (moved to `site`, persisted first when `persist`) into `stream`.
    virtual void emit(const std::string& stream, const DatumPtr& d, const std::string& site, bool persist) = 0;
    virtual void record(const std::string& catalog, const DatumPtr& d, const std::string& site) = 0;
    virtual void log(const std::string& line) = 0;
    virtual void fileUsed(const FileUse& file) = 0;
    /// Whether a file `write()` writes may skip its own fsyncs: the run syncs it before it
    /// records it (with provenance, on this process's file systems). Else each is synced as written.
    virtual bool syncsWrittenFiles() const { return false; }
    /// `train M on S` (the statement `s`, in the body of `task` or of the firing's handler).
    virtual void train(const Stmt& s, const TaskDecl* task) = 0;
    /// Starts a task call; inside a task or a chain the call runs at once, on the caller's thread.
    virtual Pending startTask(TaskCall call) = 0;
    /// Starts a fused chain (a handler's firing only: a chain never starts inside a task or a
    /// chain).
    virtual ChainResult startChain(ChainCall chain) = 0;
    virtual Value askModel(const ModelQuery& q) = 0;
    virtual int64_t count(const std::string& catalog) = 0;
    virtual double now() = 0;  // seconds since the run started
    virtual bool stopping() = 0;
    /// A path the flow names: for writing, in the work directory; for reading, where the run
    /// finds its inputs.
    virtual std::string resolve(const std::string& path, bool forWriting) = 0;
};

}  // namespace xdml::runtime
