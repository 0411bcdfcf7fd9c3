// JobComponents.cpp — see JobComponents.h.
#include "deploy/JobComponents.h"

#include <algorithm>
#include <cctype>

namespace xdml::deploy {
namespace {

/// Requests folded into one: the words that must agree, the sizes that take the largest.
class RequestMerge {
public:
    explicit RequestMerge(SlurmRequest& into) : into_(into) {}

    void add(const SlurmRequest& r, const std::string& site) {
        agree(into_.partition, partitionFrom_, r.partition, site, r.at, "partition");
        agree(into_.account, accountFrom_, r.account, site, r.at, "account");
        into_.cpusPerTask = std::max(into_.cpusPerTask, r.cpusPerTask);
        into_.gpusPerNode = std::max(into_.gpusPerNode, r.gpusPerNode);
        if (slurmMemoryMiB(r.memory) > slurmMemoryMiB(into_.memory)) into_.memory = r.memory;
        if (slurmTimeSeconds(r.wallTime) > slurmTimeSeconds(into_.wallTime)) into_.wallTime = r.wallTime;
        if (into_.mpiPlugin.empty()) into_.mpiPlugin = r.mpiPlugin;
        for (const std::string& line : r.setup)
            if (std::find(into_.setup.begin(), into_.setup.end(), line) == into_.setup.end()) into_.setup.push_back(line);
        if (into_.at.file.empty()) into_.at = r.at;
    }

private:
    struct Origin {
        std::string site;
        FilePlace at;
    };
    SlurmRequest& into_;
    Origin partitionFrom_, accountFrom_;

    static void agree(std::string& have, Origin& from, const std::string& value, const std::string& site,
                      const FilePlace& at, const char* what) {
        if (value.empty()) return;
        if (have.empty()) {
            have = value;
            from = {site, at};
        } else if (have != value) {
            throw DeployError(at, "site '" + site + "' asks for " + what + " '" + value + "' and site '" + from.site + "' (" +
                                      from.at.str() + ") for '" + have + "', but they share one Slurm allocation");
        }
    }
};

SlurmRequest siteRequest(const SiteBinding& b) {
    SlurmRequest r = b.slurm.value_or(SlurmRequest{});
    if (!b.slurm) r.at = b.at;
    r.tasks = std::max(1, b.ranks);
    if (r.cpusPerTask == 0 && b.threadsPerRank > 0) r.cpusPerTask = b.threadsPerRank;
    return r;
}

bool allDigits(const std::string& s) {
    return !s.empty() && s.size() <= 12 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::vector<JobComponent> jobComponents(const Profile& profile, const std::vector<std::string>& siteOrder) {
    std::vector<JobComponent> out(1);
    RequestMerge coordinator(out[0].request);
    int nextRank = 1;
    for (const std::string& site : siteOrder) {
        auto it = profile.sites.find(site);
        if (it == profile.sites.end() || it->second.placement == Placement::Local) {
            out[0].sites.push_back(site);
            if (it != profile.sites.end() && it->second.slurm) coordinator.add(*it->second.slurm, site);
            continue;
        }
        JobComponent c;
        c.sites = {site};
        c.request = siteRequest(it->second);
        c.tasks = c.request.tasks;
        c.firstRank = nextRank;
        nextRank += c.tasks;
        out.push_back(std::move(c));
    }
    SlurmRequest& zero = out[0].request;
    zero.tasks = 1;
    zero.nodes = 0;  // one task: one node
    if (zero.partition.empty() && zero.account.empty() && zero.wallTime.empty())
        for (std::size_t i = 1; i < out.size(); ++i) {
            const SlurmRequest& site = out[i].request;
            if (site.partition.empty() && site.account.empty() && site.wallTime.empty()) continue;
            zero.partition = site.partition;
            zero.account = site.account;
            zero.wallTime = site.wallTime;
            break;
        }
    return out;
}

JobComponent oneAllocation(const std::vector<JobComponent>& components) {
    JobComponent all;
    all.tasks = 0;
    RequestMerge merge(all.request);
    bool everyNodes = components.size() > 1;
    int nodes = 0;
    // The sites' components first: a conflict is then named by the sites that ask, not by what
    // component 0 borrowed from one of them.
    for (std::size_t i = 1; i <= components.size(); ++i) {
        const JobComponent& c = components[i % components.size()];
        all.tasks += c.tasks;
        merge.add(c.request, c.sites.empty() ? "(the coordinator)" : c.sites.front());
        if (i < components.size()) {
            everyNodes = everyNodes && c.request.nodes > 0;
            nodes += c.request.nodes;
        }
    }
    for (const JobComponent& c : components) all.sites.insert(all.sites.end(), c.sites.begin(), c.sites.end());
    all.request.tasks = all.tasks;
    all.request.nodes = everyNodes ? nodes : 0;
    return all;
}

std::string mpiPlugin(const Profile& profile, const std::vector<JobComponent>& components) {
    std::string plugin;
    FilePlace at = profile.at;
    std::string from;
    int ranks = 0;
    for (const JobComponent& c : components) {
        ranks += c.tasks;
        const std::string& p = c.request.mpiPlugin;
        if (p.empty()) continue;
        const std::string site = c.sites.empty() ? "(the coordinator)" : c.sites.front();
        if (!plugin.empty() && p != plugin)
            throw DeployError(c.request.at, "site '" + site + "' asks for srun --mpi=" + p + " and site '" + from +
                                                "' for --mpi=" + plugin + ", but one srun starts every rank with one plugin");
        plugin = p;
        at = c.request.at;
        from = site;
    }
    if (plugin.empty()) {
        if (profile.mpi == "openmpi") plugin = "pmix";
        else if (profile.mpi == "mpich") plugin = "pmi2";
        else if (ranks > 1)
            throw DeployError(profile.at, "profile '" + profile.name + "' runs " + std::to_string(ranks) +
                                              " MPI ranks but says not which MPI: add mpi = \"openmpi\" or \"mpich\" to "
                                              "[profiles." + profile.name + "]");
        else plugin = "none";
    }
    if (profile.mpi == "mpich" && plugin.rfind("pmix", 0) == 0)
        throw DeployError(at, "MPICH under srun --mpi=" + plugin +
                                  " starts every rank alone (each rank 0 of 1), not one run: use mpi = \"pmi2\"");
    return plugin;
}

long long slurmMemoryMiB(const std::string& memory) {
    if (memory.empty()) return -1;
    std::string digits = memory;
    long long unit = 1;
    const char last = static_cast<char>(std::toupper(static_cast<unsigned char>(memory.back())));
    if (!std::isdigit(static_cast<unsigned char>(last))) {
        const std::string units = "KMGT";
        const auto at = units.find(last);
        if (at == std::string::npos) return -1;
        digits.pop_back();
        if (at == 0) return allDigits(digits) ? std::stoll(digits) / 1024 : -1;
        for (std::size_t i = 1; i < at; ++i) unit *= 1024;
    }
    return allDigits(digits) ? std::stoll(digits) * unit : -1;
}

long long slurmTimeSeconds(const std::string& time) {
    if (time.empty()) return -1;
    long long days = 0;
    std::string clock = time;
    const auto dash = time.find('-');
    if (dash != std::string::npos) {
        if (!allDigits(time.substr(0, dash))) return -1;
        days = std::stoll(time.substr(0, dash));
        clock = time.substr(dash + 1);
    }
    std::vector<long long> fields;
    std::size_t start = 0;
    for (;;) {
        const auto colon = clock.find(':', start);
        const std::string part = clock.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        if (!allDigits(part) || fields.size() == 3) return -1;
        fields.push_back(std::stoll(part));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    if (dash != std::string::npos) {  // days-hours[:minutes[:seconds]]
        fields.resize(3, 0);
        return ((days * 24 + fields[0]) * 60 + fields[1]) * 60 + fields[2];
    }
    if (fields.size() == 1) return fields[0] * 60;             // minutes
    if (fields.size() == 2) return fields[0] * 60 + fields[1];  // minutes:seconds
    return (fields[0] * 60 + fields[1]) * 60 + fields[2];      // hours:minutes:seconds
}

}  // namespace xdml::deploy
