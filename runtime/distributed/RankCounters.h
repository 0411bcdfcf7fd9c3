// RankCounters.h — what a rank other than 0 counted of the run's work (its task bodies'
// expressions), sent to rank 0 in answer to Tag::Counters once every site is idle, so a
// distributed run's --stats-json and run row count what a local run counts.
#pragma once

#include "runtime/engine/RunStats.h"

#include <cstdint>
#include <string>

namespace xdml::runtime::distributed {

class Mailbox;

struct RankCounters {
    uint64_t expressionsEvaluated = 0;

    std::string encode() const;
    /// Throws MessageError on bytes that are not a RankCounters.
    static RankCounters decode(const std::string& bytes);
    void addTo(RunStats& stats) const;
};

/// Rank 0: asks every other rank for its counters and adds them to `stats`. A rank that
/// cannot answer (it left the run early) is reported on stderr; the rest are still added.
void gatherRankCounters(Mailbox& mailbox, RunStats& stats);

}  // namespace xdml::runtime::distributed
