// CallMessages.h — the bodies of the messages that carry one task call through a distributed
// run (Wire.h; docs/distributed.md, "What crosses the wire"): every one is posted, none waits
// for a reply, so no thread anywhere is held for the length of a call.
//   submit  0 → controller   a call id, queue or now, the TaskRequest
//   start   controller → 0   take call N on rank R (its slot at the site)
//   go      0 → rank R       the begun TaskRequest, and whether it skips R's queue
//   done    rank R → 0       the TaskOutcome of call N
//   ended   0 → controller   call N has ended, or wants another attempt on its slot
//   status  controller → 0   the site's SiteStatus
#pragma once

#include "runtime/engine/SiteExecutor.h"

#include <cstdint>
#include <string>

namespace xdml::runtime::distributed {

/// How a submitted call is to run.
enum class SubmitHow : uint8_t { Queue = 0, Now = 1 };

struct Submitted {
    uint64_t id = 0;
    SubmitHow how = SubmitHow::Queue;
    TaskRequest request;
};
std::string encodeSubmit(uint64_t id, SubmitHow how, const TaskRequest& request);
Submitted decodeSubmit(const std::string& bytes);

/// start: the controller gives call `id` the slot on `rank`.
struct Started {
    uint64_t id = 0;
    int rank = 0;
};
std::string encodeStart(const Started& s);
Started decodeStart(const std::string& bytes);

/// go: a begun call for a site rank. `now`: run at once (a call inside a task), not queued
/// behind the calls the rank holds.
struct Go {
    uint64_t id = 0;
    bool now = false;
    TaskRequest request;
};
std::string encodeGo(uint64_t id, bool now, const TaskRequest& request);
Go decodeGo(const std::string& bytes);

/// done: an attempt's outcome, as TaskMessages encodes it.
struct Done {
    uint64_t id = 0;
    TaskOutcome outcome;
};
std::string encodeDone(uint64_t id, const TaskOutcome& outcome);
Done decodeDone(const std::string& bytes);

/// ended: whether call `id` runs again (a retry) on the slot it holds.
struct Ended {
    uint64_t id = 0;
    bool again = false;
};
std::string encodeEnded(const Ended& e);
Ended decodeEnded(const std::string& bytes);

std::string encodeStatus(const SiteStatus& s);
SiteStatus decodeStatus(const std::string& bytes);

}  // namespace xdml::runtime::distributed
