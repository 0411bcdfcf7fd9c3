// RankCounters.cpp — see RankCounters.h.
#include "runtime/distributed/RankCounters.h"

#include "runtime/distributed/Mailbox.h"
#include "runtime/engine/MessageCodec.h"

#include <iostream>

namespace xdml::runtime::distributed {

std::string RankCounters::encode() const {
    MessageWriter w;
    w.pod<uint64_t>(expressionsEvaluated);
    return w.take();
}

RankCounters RankCounters::decode(const std::string& bytes) {
    MessageReader r(bytes, "a rank's counters");
    RankCounters c;
    c.expressionsEvaluated = r.pod<uint64_t>();
    r.end();
    return c;
}

void RankCounters::addTo(RunStats& stats) const { stats.expressionsEvaluated += expressionsEvaluated; }

void gatherRankCounters(Mailbox& mailbox, RunStats& stats) {
    for (int rank = 1; rank < mailbox.size(); ++rank) {
        try {
            RankCounters::decode(mailbox.call(rank, Tag::Counters, "")).addTo(stats);
        } catch (const RemoteError& e) {
            std::cerr << "xdmlc: warning: rank " << rank << "'s counters are not in the run's: " << e.what() << std::endl;
        }
    }
}

}  // namespace xdml::runtime::distributed
