// Wire.h — the kinds of message of a distributed run (each an MPI tag), listed once, and the
// framing every message body carries: a call id (0 for a posted message) and, in a reply,
// whether the request's handler succeeded. docs/distributed.md, "What crosses the wire".
#pragma once

#include <cstdint>
#include <string>

namespace xdml::runtime::distributed {

enum class Tag : int {
    Reply = 1,    // the answer to a request: ok flag, then the handler's bytes or its error
    Hello,        // each rank → 0 when it starts: its host name (rank 0 waits for all)
    Plan,         // 0 → all: the plan, the options that matter and the rank layout (JSON)
    Submit,       // 0 → a site's controller: a call id, how, and the TaskRequest
    Start,        // controller → 0: take call N on rank R (CallMessages.h)
    Go,           // 0 → a site rank: the begun TaskRequest of call N
    Done,         // site rank → 0: call N's TaskOutcome
    Ended,        // 0 → controller: call N has ended, or runs again on its slot (a retry)
    Effect,       // site rank → 0 (request): an effect of call N's body; replies its answer
    Status,       // controller → 0: the site's SiteStatus
    Stop,         // 0 → all: the run is over (or never started): finish and leave
    Heartbeat,    // between rank 0 and each other rank, every half second
    Batch,        // several small messages to one rank that queued up together, in order
    Counters,     // 0 → a rank (request) once the sites are idle: replies its RankCounters
    Leave,        // a rank → 0 (request), last: it sends nothing more; the reply is 0's last to it
    ModelCall,    // 0 → a model's rank (request): one call of its Models; posted: the run is stopping
    ModelEffect,  // a model's rank → 0 (request): what its Models record, report or ask rank 0
};
inline constexpr int kFirstTag = 1, kLastTag = static_cast<int>(Tag::ModelEffect);

const char* tagName(Tag tag);

}  // namespace xdml::runtime::distributed
