// TaskCall.h — the coordinator's half of a task call: the policy resolved and the site chosen
// (the meta-controller may move it), the request submitted to the site's executor, and, as a
// TaskClient, each attempt begun (start_within, the provenance activity, the arguments moved
// to the site) and ended (the result recorded and, at -O0, persisted; retries with backoff;
// a deadline miss is a decision). The body runs in the worker's half (TaskWorker.h).
#pragma once

#include "runtime/engine/CallTrace.h"
#include "runtime/engine/EffectSink.h"

namespace xdml::runtime {

class Run;

/// Starts `call` for `handler`'s firing. `nested`: a call made inside a task's body, which
/// runs at once on the caller's thread (the task's worker) and is ready when this returns;
/// `caller`: the calling task's trace (CallTrace.h). With a resume, a call whose outcome the
/// resumed run kept (ResumeLedger.h) is not run: its value is ready when this returns.
Pending startTaskCall(Run& run, TaskCall call, int handler, bool nested, std::shared_ptr<CallTrace> caller = nullptr);

/// Starts a fused chain for `handler`'s firing: one request to a worker of the chain's site
/// (the meta-controller may move it), which runs its statements and their calls in place.
ChainResult startChainCall(Run& run, ChainCall chain, int handler);

}  // namespace xdml::runtime
