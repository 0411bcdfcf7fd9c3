// RankLayout.cpp — see RankLayout.h.
#include "runtime/distributed/RankLayout.h"

#include "runtime/engine/WorkerPool.h"

#include <stdexcept>

namespace xdml::runtime::distributed {

std::vector<int> SiteRanks::workRanks() const {
    if (ranks.size() <= 1) return ranks;
    return std::vector<int>(ranks.begin() + 1, ranks.end());
}

int RankLayout::callsHeldAtOnce() const {
    int calls = 0;
    for (const SiteRanks& s : sites) calls += s.slots() * (1 + s.prefetch);
    return calls;
}

const SiteRanks* RankLayout::siteOf(int rank) const {
    for (const SiteRanks& s : sites)
        for (int r : s.ranks)
            if (r == rank) return &s;
    return nullptr;
}

const SiteRanks* RankLayout::site(const std::string& name) const {
    for (const SiteRanks& s : sites)
        if (s.site == name) return &s;
    return nullptr;
}

namespace {

std::string rankList(const std::vector<int>& ranks) {
    if (ranks.size() == 1) return "rank " + std::to_string(ranks[0]);
    bool consecutive = true;
    for (std::size_t i = 1; i < ranks.size(); ++i) consecutive = consecutive && ranks[i] == ranks[i - 1] + 1;
    if (consecutive) return "ranks " + std::to_string(ranks.front()) + "-" + std::to_string(ranks.back());
    std::string out = "ranks";
    for (std::size_t i = 0; i < ranks.size(); ++i) out += (i ? "," : " ") + std::to_string(ranks[i]);
    return out;
}

}  // namespace

std::string RankLayout::describe() const {
    std::string out = "distributed run: " + std::to_string(worldSize) + " ranks; rank 0: the coordinator\n";
    for (const SiteRanks& s : sites)
        out += "distributed run: site " + s.site + ": " + rankList(s.ranks) +
               (s.ranks.size() > 1 ? " (controller " + std::to_string(s.ranks[0]) + ")" : "") + ", " +
               std::to_string(s.threadsPerRank) + " thread" + (s.threadsPerRank == 1 ? "" : "s") + " per rank" +
               (s.prefetch > 0 ? ", prefetch " + std::to_string(s.prefetch) : "") + "\n";
    for (const std::string& s : localSites) out += "distributed run: site " + s + ": on rank 0's local worker pool\n";
    if (!idleRanks.empty()) out += "distributed run: " + rankList(idleRanks) + " left idle\n";
    return out;
}

nlohmann::json RankLayout::toJson() const {
    nlohmann::json j = {{"world", worldSize}, {"local", localSites}, {"idle", idleRanks}, {"hosts", hosts}, {"sites", nlohmann::json::array()}};
    for (const SiteRanks& s : sites) j["sites"].push_back({{"site", s.site}, {"ranks", s.ranks}, {"threads", s.threadsPerRank}, {"prefetch", s.prefetch}});
    return j;
}

RankLayout RankLayout::fromJson(const nlohmann::json& j) {
    RankLayout out;
    out.worldSize = j.at("world").get<int>();
    out.localSites = j.at("local").get<std::vector<std::string>>();
    out.idleRanks = j.at("idle").get<std::vector<int>>();
    out.hosts = j.at("hosts").get<std::vector<std::string>>();
    for (const auto& s : j.at("sites"))
        out.sites.push_back({s.at("site").get<std::string>(), s.at("ranks").get<std::vector<int>>(), s.at("threads").get<int>(),
                             s.value("prefetch", 0)});
    return out;
}

RankLayout layoutRanks(const std::vector<SiteInfo>& sites, int worldSize, const deploy::Profile* profile, unsigned hardware) {
    RankLayout out;
    out.worldSize = worldSize;
    int next = 1;
    if (profile) {
        for (const SiteInfo& s : sites) {
            auto binding = profile->sites.find(s.name);
            if (binding == profile->sites.end() || binding->second.placement != deploy::Placement::Mpi) {
                out.localSites.push_back(s.name);
                continue;
            }
            const int ranks = std::max(1, binding->second.ranks);
            if (next + ranks > worldSize)
                throw std::runtime_error("profile '" + profile->name + "' binds site " + s.name + " to " + std::to_string(ranks) +
                                         " ranks, but the job has only " + std::to_string(worldSize - next) +
                                         " ranks left (of " + std::to_string(worldSize) + "; rank 0 is the coordinator)");
            SiteRanks placed{s.name, {}, binding->second.threadsPerRank > 0 ? binding->second.threadsPerRank : workersFor(s.cores, hardware),
                             binding->second.prefetch};
            for (int i = 0; i < ranks; ++i) placed.ranks.push_back(next++);
            out.sites.push_back(std::move(placed));
        }
    } else {
        const int spare = worldSize - 1;
        const int placed = std::min<int>(spare, static_cast<int>(sites.size()));
        for (int i = 0; i < static_cast<int>(sites.size()); ++i) {
            if (i >= placed) {
                out.localSites.push_back(sites[static_cast<std::size_t>(i)].name);
                continue;
            }
            // Even shares, the first sites taking the remainder.
            const int ranks = spare / placed + (i < spare % placed ? 1 : 0);
            SiteRanks s{sites[static_cast<std::size_t>(i)].name, {}, workersFor(sites[static_cast<std::size_t>(i)].cores, hardware)};
            for (int k = 0; k < ranks; ++k) s.ranks.push_back(next++);
            out.sites.push_back(std::move(s));
        }
    }
    for (int r = next; r < worldSize; ++r) out.idleRanks.push_back(r);
    return out;
}

}  // namespace xdml::runtime::distributed
