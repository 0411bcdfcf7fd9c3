// RankLayout.h — which ranks of a distributed run do what (docs/distributed.md, "Rank layout"):
// rank 0 is the coordinator; each MPI-placed site gets ranks, its first running the site's
// controller (and, for a one-rank site, the work); sites given no rank run on rank 0's pool.
#pragma once

#include "deploy/Deployment.h"
#include "runtime/engine/PlanModel.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace xdml::runtime::distributed {

struct SiteRanks {
    std::string site;
    std::vector<int> ranks;  // the first is the controller; the others its workers
    int threadsPerRank = 1;  // task calls one rank runs at once
    int prefetch = 0;        // calls a rank may hold queued per thread, beyond those it runs
    /// The ranks that run the site's calls: its workers, or the controller alone.
    std::vector<int> workRanks() const;
    int slots() const { return static_cast<int>(workRanks().size()) * threadsPerRank; }
};

struct RankLayout {
    int worldSize = 1;
    std::vector<SiteRanks> sites;         // in the plan's order
    std::vector<std::string> localSites;  // on rank 0's worker pool
    std::vector<int> idleRanks;           // more ranks than the layout uses
    std::vector<std::string> hosts;       // each rank's host, by rank

    /// The calls the sites on other ranks hold at once: each one's slots, and the calls each
    /// may hold ahead (prefetch).
    int callsHeldAtOnce() const;
    /// The site `rank` belongs to, or nullptr (rank 0, an idle rank).
    const SiteRanks* siteOf(int rank) const;
    const SiteRanks* site(const std::string& name) const;
    /// One line per site for the run's output.
    std::string describe() const;
    nlohmann::json toJson() const;
    static RankLayout fromJson(const nlohmann::json& j);
};

/// The layout of `sites` over `worldSize` ranks. With a profile: each site bound `mpi` takes
/// its binding's ranks in the plan's order (threads per rank from the binding, else from the
/// site's cores), each bound `local` stays on rank 0; too few ranks is an error
/// (std::runtime_error). Without one: ranks 1..N-1 are shared out in the plan's order, each
/// site one rank while ranks last, the rest spread evenly, first sites first.
RankLayout layoutRanks(const std::vector<SiteInfo>& sites, int worldSize, const deploy::Profile* profile, unsigned hardware);

}  // namespace xdml::runtime::distributed
