// DeploymentFile.cpp — reads a deployment file (TOML, docs/distributed.md "Deployment profiles")
// into the data model of Deployment.h. The only file that sees toml++: every problem, from a
// TOML syntax error to a misspelt key, becomes a DeployError at its file:line:column.
#include "deploy/Deployment.h"
#include "deploy/DeploymentFormats.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace xdml::deploy {
namespace {

const char* typeName(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a number with a fraction";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        default: return "nothing";
    }
}

std::string listed(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

bool isName(const std::string& s, bool allowDashDot) {
    if (s.empty() || s.size() > 128 || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
    for (unsigned char c : s)
        if (!(std::isalnum(c) || c == '_' || (allowDashDot && (c == '-' || c == '.')))) return false;
    return true;
}

// Walks the parsed document; `where` strings name the table being read ("[profiles.hpc.sites.a]").
class Reader {
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    Deployment read(const toml::table& root) {
        Deployment d;
        d.file = file_;
        knownKeys(root, "the top level", {"default", "profiles"});
        const toml::table* profiles = table(root, "profiles", "the top level");
        if (profiles)
            for (const auto& [key, node] : *profiles) {
                std::string name(key.str());
                if (!isName(name, true))
                    fail(key.source(), "profile name '" + name + "' must be letters, digits, '_', '-' or '.'");
                const toml::table* t = node.as_table();
                if (!t) fail(node.source(), "profile '" + name + "' must be a table, not " + typeName(node));
                d.profiles[name] = readProfile(name, *t);
            }
        if (d.profiles.empty())
            fail(profiles ? profiles->source() : root.source(),
                 "the file declares no profile: add one, e.g. [profiles.laptop.sites.SITE] with placement = \"local\"");
        if (const toml::node* def = root.get("default")) {
            d.defaultProfile = text(*def, "default");
            if (!d.profiles.count(d.defaultProfile)) {
                std::vector<std::string> names;
                for (const auto& [n, p] : d.profiles) names.push_back(n);
                std::string near = nearestKey(d.defaultProfile, names);
                fail(def->source(), "default = '" + d.defaultProfile + "' names no profile" +
                                        (near.empty() ? "" : " (did you mean '" + near + "'?)") + "; the file has " + listed(names));
            }
        } else if (d.profiles.size() == 1) {
            d.defaultProfile = d.profiles.begin()->first;
        }
        return d;
    }

    [[noreturn]] void fail(const toml::source_region& region, const std::string& problem) const {
        throw DeployError(place(region), problem);
    }

private:
    std::string file_;

    FilePlace place(const toml::source_region& r) const {
        if (r.begin.line == 0) return {file_, 1, 1};  // a table made implicitly: the file's start
        return {file_, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
    }

    void knownKeys(const toml::table& t, const std::string& where, const std::vector<std::string>& known) const {
        for (const auto& [key, node] : t) {
            std::string k(key.str());
            if (std::find(known.begin(), known.end(), k) != known.end()) continue;
            std::string near = nearestKey(k, known);
            fail(key.source(), "unknown key '" + k + "' in " + where +
                                   (near.empty() ? "" : " (did you mean '" + near + "'?)") + "; known: " + listed(known));
        }
    }

    const toml::table* table(const toml::table& t, const char* key, const std::string& where) const {
        const toml::node* n = t.get(key);
        if (!n) return nullptr;
        if (!n->is_table()) fail(n->source(), "'" + std::string(key) + "' in " + where + " must be a table, not " + typeName(*n));
        return n->as_table();
    }

    std::string text(const toml::node& n, const std::string& key) const {
        if (!n.is_string()) fail(n.source(), "'" + key + "' must be a string, not " + typeName(n));
        return n.as_string()->get();
    }

    int integer(const toml::node& n, const std::string& key, int64_t lo, int64_t hi) const {
        if (!n.is_integer()) fail(n.source(), "'" + key + "' must be an integer, not " + typeName(n));
        int64_t v = n.as_integer()->get();
        if (v < lo || v > hi)
            fail(n.source(), "'" + key + "' = " + std::to_string(v) + " is out of range (" + std::to_string(lo) + " to " + std::to_string(hi) + ")");
        return static_cast<int>(v);
    }

    std::string choice(const toml::node& n, const std::string& key, const std::vector<std::string>& allowed) const {
        std::string v = text(n, key);
        if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return v;
        std::string near = nearestKey(v, allowed);
        fail(n.source(), "unknown " + key + " '" + v + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)") +
                             "; known: " + listed(allowed));
    }

    Profile readProfile(const std::string& name, const toml::table& t) const {
        Profile p;
        p.name = name;
        p.at = place(t.source());
        std::string where = "[profiles." + name + "]";
        knownKeys(t, where, {"sites", "mpi", "hetjob"});
        if (const toml::node* n = t.get("mpi")) p.mpi = choice(*n, "mpi", {"openmpi", "mpich"});
        if (const toml::node* n = t.get("hetjob")) {
            if (!n->is_boolean()) fail(n->source(), "'hetjob' must be true or false, not " + std::string(typeName(*n)));
            p.hetjob = n->as_boolean()->get();
        }
        if (const toml::table* sites = table(t, "sites", where))
            for (const auto& [key, node] : *sites) {
                std::string site(key.str());
                if (!isName(site, false)) fail(key.source(), "site name '" + site + "' is not a name a flow can declare");
                const toml::table* s = node.as_table();
                if (!s) fail(node.source(), "site '" + site + "' must be a table, not " + typeName(node));
                p.sites[site] = readSite(p, site, *s);
            }
        return p;
    }

    SiteBinding readSite(const Profile& p, const std::string& site, const toml::table& t) const {
        SiteBinding b;
        b.site = site;
        b.at = place(t.source());
        std::string where = "[profiles." + p.name + ".sites." + site + "]";
        knownKeys(t, where, {"placement", "ranks", "threads_per_rank", "prefetch", "gpus", "slurm"});
        if (const toml::node* n = t.get("placement"))
            b.placement = choice(*n, "placement", {"local", "mpi"}) == "mpi" ? Placement::Mpi : Placement::Local;
        const toml::node* ranks = t.get("ranks");
        if (ranks) b.ranks = integer(*ranks, "ranks", 1, 65536);
        if (ranks && b.ranks > 1 && b.placement == Placement::Local)
            fail(ranks->source(), "'ranks' = " + std::to_string(b.ranks) + " needs placement = \"mpi\" (a local site runs in one process)");
        const toml::node* threads = t.get("threads_per_rank");
        if (threads) b.threadsPerRank = integer(*threads, "threads_per_rank", 1, 4096);
        if (const toml::node* prefetch = t.get("prefetch")) {
            b.prefetch = integer(*prefetch, "prefetch", 0, 1024);
            if (b.placement != Placement::Mpi)
                fail(prefetch->source(), "'prefetch' needs placement = \"mpi\" (calls are held ahead at a site's ranks)");
        }
        const toml::node* gpus = t.get("gpus");
        if (gpus) b.gpus = integer(*gpus, "gpus", 0, 4096);
        b.gpusBound = gpus != nullptr;
        if (const toml::table* s = table(t, "slurm", where)) {
            b.slurm = readSlurm(p, where.substr(0, where.size() - 1) + ".slurm]", *s);
            reconcile(b, *s, ranks, threads, gpus);
        }
        if (b.threadsPerRank > 0) b.cores = b.ranks * b.threadsPerRank;
        else if (b.slurm && b.slurm->cpusPerTask > 0) b.cores = b.ranks * b.slurm->cpusPerTask;
        return b;
    }

    // What the binding says and what it asks of Slurm must agree.
    void reconcile(SiteBinding& b, const toml::table& slurm, const toml::node* ranks, const toml::node* threads,
                   const toml::node* gpus) const {
        const SlurmRequest& s = *b.slurm;
        if (s.tasks > 0 && ranks && s.tasks != b.ranks)
            fail(slurm.get("tasks")->source(), "slurm 'tasks' = " + std::to_string(s.tasks) + " differs from the site's 'ranks' = " +
                                                   std::to_string(b.ranks) + " (one MPI rank per task; leave one out)");
        if (s.tasks > 1 && b.placement == Placement::Local)
            fail(slurm.get("tasks")->source(), "slurm 'tasks' = " + std::to_string(s.tasks) + " needs placement = \"mpi\"");
        if (s.tasks > 0) b.ranks = s.tasks;
        if (threads && s.cpusPerTask > 0 && b.threadsPerRank > s.cpusPerTask)
            fail(threads->source(), "'threads_per_rank' = " + std::to_string(b.threadsPerRank) + " exceeds the slurm 'cpus_per_task' = " +
                                        std::to_string(s.cpusPerTask) + " each rank is granted");
        int64_t slurmGpus = static_cast<int64_t>(s.gpusPerNode) * std::max(1, s.nodes);
        if (gpus && slurm.get("gpus_per_node") && b.gpus > slurmGpus)
            fail(gpus->source(), "'gpus' = " + std::to_string(b.gpus) + " exceeds what slurm grants (" + std::to_string(slurmGpus) +
                                     ": gpus_per_node × nodes)");
        if (!gpus && slurm.get("gpus_per_node")) {
            b.gpus = static_cast<int>(std::min<int64_t>(slurmGpus, 4096));
            b.gpusBound = true;
        }
    }

    SlurmRequest readSlurm(const Profile& p, const std::string& where, const toml::table& t) const {
        SlurmRequest s;
        s.at = place(t.source());
        knownKeys(t, where, {"partition", "account", "nodes", "tasks", "cpus_per_task", "gpus_per_node", "memory", "time", "mpi", "setup"});
        for (auto [key, field] : {std::pair{"partition", &s.partition}, std::pair{"account", &s.account}})
            if (const toml::node* n = t.get(key)) {
                *field = text(*n, key);
                if (!isSlurmWord(*field)) fail(n->source(), "'" + std::string(key) + "' = '" + *field + "' must be one word (letters, digits, - _ . , : + @ / =)");
            }
        if (const toml::node* n = t.get("nodes")) s.nodes = integer(*n, "nodes", 1, 100000);
        if (const toml::node* n = t.get("tasks")) s.tasks = integer(*n, "tasks", 1, 65536);
        if (const toml::node* n = t.get("cpus_per_task")) s.cpusPerTask = integer(*n, "cpus_per_task", 1, 4096);
        if (const toml::node* n = t.get("gpus_per_node")) s.gpusPerNode = integer(*n, "gpus_per_node", 0, 1024);
        if (const toml::node* n = t.get("memory")) {
            s.memory = text(*n, "memory");
            if (!isSlurmMemory(s.memory)) fail(n->source(), "'memory' = '" + s.memory + "' is not a Slurm size: digits and a unit K, M, G or T, e.g. \"64G\"");
        }
        if (const toml::node* n = t.get("time")) s.wallTime = wallTime(*n);
        if (const toml::node* n = t.get("mpi")) {
            s.mpiPlugin = choice(*n, "mpi plugin", {"pmix", "pmix_v3", "pmix_v4", "pmi2", "none"});
            if (p.mpi == "mpich" && s.mpiPlugin.rfind("pmix", 0) == 0)
                fail(n->source(), "MPICH under srun --mpi=" + s.mpiPlugin + " starts every rank alone (rank 0 of 1): use mpi = \"pmi2\"");
        }
        if (const toml::node* n = t.get("setup")) s.setup = setupLines(*n);
        return s;
    }

    // A TOML time (time = 01:30:00) is taken as Slurm's H:M:S; a string must be in Slurm's forms.
    std::string wallTime(const toml::node& n) const {
        if (const auto* t = n.as_time()) {
            const toml::time& v = t->get();
            char buf[16];
            std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", v.hour, v.minute, v.second);
            return buf;
        }
        std::string s = text(n, "time");
        if (!isSlurmTime(s))
            fail(n.source(), "'time' = '" + s + "' is not a Slurm wall time: minutes, \"H:MM:SS\" or \"D-HH:MM:SS\"");
        return s;
    }

    std::vector<std::string> setupLines(const toml::node& n) const {
        const toml::array* lines = n.as_array();
        if (!lines) fail(n.source(), "'setup' must be an array of lines, not " + std::string(typeName(n)));
        std::vector<std::string> out;
        for (const toml::node& line : *lines) {
            out.push_back(text(line, "setup"));
            if (out.back().find_first_of("\r\n") != std::string::npos)
                fail(line.source(), "a 'setup' line holds a line break: give each line its own string");
        }
        return out;
    }
};

}  // namespace

Deployment parseDeployment(const std::string& text, const std::string& file) {
    toml::table root;
    try {
        root = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        const auto& r = e.source();
        throw DeployError({file, std::max(1, static_cast<int>(r.begin.line)), std::max(1, static_cast<int>(r.begin.column))},
                          "TOML: " + std::string(e.description()));
    }
    return Reader(file).read(root);
}

Deployment readDeployment(const std::filesystem::path& file) {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) throw DeployError({file.string(), 0, 0}, "is a directory, not a deployment file");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw DeployError({file.string(), 0, 0}, "cannot read the deployment file");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw DeployError({file.string(), 0, 0}, "cannot read the deployment file");
    return parseDeployment(text.str(), file.string());
}

}  // namespace xdml::deploy
