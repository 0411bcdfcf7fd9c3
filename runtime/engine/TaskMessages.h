// TaskMessages.h — what a coordinator and a site's workers say to each other about one task
// call: the request (the task's id in the plan, its arguments, the resolved policy, the item's
// identity and the provenance ids the coordinator assigned) and the outcome (the result, or
// the failure). Plain data — values, names, numbers; no closures or pointers — with an
// encoding to bytes, so that they can cross a process boundary (SiteExecutor.h).
#pragma once

#include "runtime/engine/Datum.h"

#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace xdml::runtime {

/// A value with its identity: where it is, the item it derives from, its provenance entity
/// (or the entities it was computed from).
struct DatumMessage {
    Value value;
    std::string site;
    int64_t seq = -1;
    std::string label;
    std::string type;
    int64_t entity = -1;
    std::vector<int64_t> sources;
};
DatumMessage messageOf(const DatumPtr& d);  // reads entity and sources under the datum's lock
DatumPtr datumOf(DatumMessage m);
class Program;
struct TypeDesc;
/// A task's result as the `let` it is bound to declares it (`let x: T = task(...)`), keeping
/// its entity and label; itself when the `let` declares no type. Whichever side holds the
/// caller applies it (the coordinator's task call, or a worker's channel for a chain's call).
DatumPtr asDeclared(DatumPtr result, const TypeDesc* declared, const Program& program);

/// An error as data: its kind, so that the receiving side throws the same error again.
struct FailureMessage {
    enum class Kind : uint8_t { Eval, Task, Data, Plan, Model, Other };
    Kind kind = Kind::Other;
    std::string what;     // the exception's what()
    std::string message;  // Eval: without the line; Data: the problem without the place
    std::string where;    // Data: the place
    int line = 0;         // Eval, Task
};
FailureMessage failureOf(std::exception_ptr error);
/// Throws the error `f` describes (EvalError, TaskFailure, DataError, PlanError, ModelError,
/// or std::runtime_error).
[[noreturn]] void rethrow(const FailureMessage& f);

/// The policy clauses a call runs under, as the coordinator resolved them.
struct RequestPolicy {
    int priority = 0;
    double deadline = 0;     // seconds from submission; 0: none
    double startWithin = 0;  // seconds; 0: none
    int retry = 0;
    int maxConcurrent = 0;   // `limit: { tasks | cores }`; 0: none
    uint64_t memoryCap = 0;  // `limit: { memory }`; 0: none
    uint64_t memory = 0;     // bytes the call holds while it runs (its node's values)
    std::string limitKey;    // the policy a limit came from
};

struct TaskRequest {
    int64_t node = -1;       // the call's node in the plan; -1: a call made inside a task
    /// A fused chain (docs/plan.md): the statements of handler `handler`'s fused node `node`
    /// run back to back, their task calls in place; `task` is empty and `args` are the locals
    /// they read, bound to `names`.
    bool chain = false;
    std::string task;        // the task's name in the plan's code
    std::string site;        // where it runs
    int handler = -1;        // the plan's handler the call belongs to
    int64_t seq = -1;        // the stream item it derives from
    int line = 0;            // the call's source line
    int64_t activity = -1;   // this attempt's provenance activity (the coordinator's id)
    int attempt = 0;
    /// Coordinator seconds since the run started; read only for a policy with a deadline or a
    /// start_within (0 otherwise).
    double submitted = 0;
    RequestPolicy policy;
    /// Where the attempt runs: the MPI rank and its host (a local run: rank 0, "" for this
    /// host), recorded on its activity.
    int rank = 0;
    std::string host;
    /// Filled when the call is dispatched (TaskClient::begin): the arguments, at `site`.
    std::vector<DatumMessage> args;
    std::vector<std::string> names;  // chain: the name of each argument
};

struct TaskOutcome {
    bool ok = false;
    DatumMessage result;     // ok: the task's value (conformed to its declared result type)
    std::vector<DatumMessage> bound;  // ok, a chain: the values of the names it binds, in order
    FailureMessage failure;  // !ok
    static TaskOutcome failed(std::exception_ptr error);
};

std::string encodeRequest(const TaskRequest& r);
/// Throws MessageError (MessageCodec.h) when `bytes` is not a well-formed request.
TaskRequest decodeRequest(std::string_view bytes);
std::string encodeOutcome(const TaskOutcome& o);
TaskOutcome decodeOutcome(std::string_view bytes);

// The parts, for the other messages (EffectMessages.h, the distributed run's `go` and `done`).
class MessageWriter;
class MessageReader;
/// The request as a part of a larger message, written in place (what encodeRequest holds).
void writeRequestPart(MessageWriter& w, const TaskRequest& r);
/// The outcome as a part of a larger message, written in place (what encodeOutcome holds).
void writeOutcomePart(MessageWriter& w, const TaskOutcome& o);
void writeDatum(MessageWriter& w, const DatumMessage& d);
DatumMessage readDatum(MessageReader& r);
void writeFailure(MessageWriter& w, const FailureMessage& f);
FailureMessage readFailure(MessageReader& r);

}  // namespace xdml::runtime
