// SbatchScript.cpp — see SbatchScript.h.
#include "deploy/SbatchScript.h"

#include "deploy/JobComponents.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace xdml::deploy {
namespace {

/// An #SBATCH value: sbatch reads these lines itself (no shell), and takes double quotes.
std::string sbatchValue(const std::string& value) {
    return value.find_first_of(" \t'\"") == std::string::npos ? value : "\"" + value + "\"";
}

void requestLines(std::ostream& out, const SlurmRequest& r) {
    auto line = [&](const char* option, const std::string& value) {
        if (!value.empty()) out << "#SBATCH --" << option << "=" << sbatchValue(value) << "\n";
    };
    auto number = [&](const char* option, int value) {
        if (value > 0) line(option, std::to_string(value));
    };
    line("partition", r.partition);
    line("account", r.account);
    number("nodes", r.nodes);
    number("ntasks", r.tasks);
    number("cpus-per-task", r.cpusPerTask);
    number("gpus-per-node", r.gpusPerNode);
    line("mem", r.memory);
    line("time", r.wallTime);
}

std::string joined(const std::vector<std::string>& words, const char* separator) {
    std::string out;
    for (const std::string& w : words) out += (out.empty() ? "" : separator) + w;
    return out;
}

std::string rankRange(const JobComponent& c) {
    const int last = c.firstRank + c.tasks - 1;
    return c.tasks == 1 ? "rank " + std::to_string(c.firstRank)
                        : "ranks " + std::to_string(c.firstRank) + "-" + std::to_string(last);
}

/// The comment that says which ranks each component holds.
void layoutComment(std::ostream& out, const std::vector<JobComponent>& components, bool hetjob) {
    for (std::size_t i = 0; i < components.size(); ++i) {
        const JobComponent& c = components[i];
        out << "# " << (hetjob ? "component " + std::to_string(i) + ": " : "") << rankRange(c);
        if (i == 0) out << " (the coordinator" << (c.sites.empty() ? "" : "; local sites: " + joined(c.sites, ", ")) << ")";
        else out << " (site " << c.sites.front() << ")";
        out << "\n";
    }
}

std::vector<std::string> setupLines(const std::vector<JobComponent>& components) {
    std::vector<std::string> lines;
    for (const JobComponent& c : components)
        for (const std::string& line : c.request.setup)
            if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(line);
    return lines;
}

std::string launchLine(const SbatchJob& job, const std::vector<JobComponent>& components, const std::string& plugin) {
    std::string srun = "srun -K --mpi=" + plugin;
    if (!job.profile->hetjob) {
        int total = 0;
        for (const JobComponent& c : components) total += c.tasks;
        srun += " -n " + std::to_string(total);
    } else if (components.size() > 1) {
        srun += " --het-group=0";
        for (std::size_t i = 1; i < components.size(); ++i) srun += "," + std::to_string(i);
    }
    return srun + " " + shellQuoted(job.xdmlc) + " run " + shellQuoted(job.plan) + " --deploy " + shellQuoted(job.deployment) +
           " --profile " + shellQuoted(job.profile->name) + " --workdir " + shellQuoted(job.workdir) + (job.resume ? " --resume" : "");
}

/// Slurm's mpi/pmix plugin before 24.11 gives srun one PMIx abort agent for all of a step's
/// heterogeneous components, and their threads race to stop it: now and then srun hangs after
/// every rank has ended (SchedMD ticket 16817, fixed by "mpi/pmix - Prevent mutiple abort
/// agents"). Seen about once in five jobs on the test Slurm (22.05.8).
bool srunMayHangAfterRun(const std::string& plugin) { return plugin.rfind("pmix", 0) == 0; }

/// A background watch that ends such a hung srun: once rank 0 has written the run's status,
/// srun gets XDML_SRUN_EXIT_GRACE seconds (default kSrunExitGraceSeconds) to return; then the
/// watch leaves a mark that tells the script to exit with rank 0's status, and kills srun.
void srunWatch(std::ostream& out) {
    out << "# srun --mpi=pmix over heterogeneous components can hang after every rank has ended (Slurm\n"
        << "# before 24.11, ticket 16817). Once rank 0 has written its status, srun gets\n"
        << "# XDML_SRUN_EXIT_GRACE seconds to return; then it is ended and the job exits with that status.\n"
        << "(\n"
        << "  trap '' USR1\n"
        << "  grace=${XDML_SRUN_EXIT_GRACE:-" << kSrunExitGraceSeconds << "}\n"
        << "  case \"$grace\" in ''|*[!0-9]*)\n"
        << "    echo \"xdmlc: XDML_SRUN_EXIT_GRACE='$grace' is not a whole number of seconds: using " << kSrunExitGraceSeconds << "\" >&2\n"
        << "    grace=" << kSrunExitGraceSeconds << " ;;\n"
        << "  esac\n"
        << "  waited=0\n"
        << "  while kill -0 \"$run\" 2>/dev/null; do\n"
        << "    if [ -s \"$XDML_RUN_EXIT_FILE\" ]; then\n"
        << "      if [ \"$waited\" -ge \"$grace\" ]; then\n"
        << "        echo \"xdmlc: srun did not return $waited s after the run ended (Slurm ticket 16817, fixed in 24.11): ending it\" >&2\n"
        << "        : > \"$XDML_RUN_EXIT_FILE.ended\"\n"
        << "        kill -KILL \"$run\"\n"
        << "        exit\n"
        << "      fi\n"
        << "      waited=$((waited + 1))\n"
        << "    fi\n"
        << "    sleep 1\n"
        << "  done\n"
        << ") &\n"
        << "watch=$!\n";
}

}  // namespace

std::string shellQuoted(const std::string& word) {
    const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](unsigned char c) {
        return std::isalnum(c) || std::string("/._-+=:,@%").find(static_cast<char>(c)) != std::string::npos;
    });
    if (plain) return word;
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string sbatchScript(const SbatchJob& job) {
    const Profile& profile = *job.profile;
    const std::vector<JobComponent> components = jobComponents(profile, job.siteOrder);
    const std::string plugin = mpiPlugin(profile, components);
    const bool hetjob = profile.hetjob && components.size() > 1;
    std::vector<JobComponent> allocations = hetjob ? components : std::vector<JobComponent>{oneAllocation(components)};

    std::ostringstream out;
    out << "#!/bin/bash\n"
        << "# Written by `xdmlc submit` (docs/distributed.md, \"Submitting to Slurm\"): flow " << job.jobName
        << ", profile " << profile.name << ".\n";
    layoutComment(out, components, hetjob);
    if (!profile.hetjob && components.size() > 1)
        out << "# hetjob = false: one allocation for every rank, started by one srun -n\n";
    out << "#SBATCH --job-name=" << sbatchValue(job.jobName) << "\n"
        << "#SBATCH --chdir=" << sbatchValue(job.workdir) << "\n"
        << "#SBATCH --output=" << sbatchValue(job.workdir + "/slurm-%j.out") << "\n"
        << "#SBATCH --signal=B:USR1@" << kStopSignalLeadSeconds << "\n";
    if (!job.after.empty()) out << "#SBATCH --dependency=afterok:" << job.after << "\n";
    for (std::size_t i = 0; i < allocations.size(); ++i) {
        if (i > 0) out << "#SBATCH hetjob\n";
        requestLines(out, allocations[i].request);
    }
    out << "\n";
    const std::vector<std::string> setup = setupLines(components);
    for (const std::string& line : setup) out << line << "\n";
    if (!setup.empty()) out << "\n";
    if (!profile.mpi.empty())
        out << "# The profile's MPI: each rank loads this MPI's plugin whatever srun's --mpi is, and refuses\n"
            << "# a plugin that does not fit it (MPICH under --mpi=pmix: singletons) instead of running N times.\n"
            << "export XDML_MPI=" << profile.mpi << "\n\n";
    const bool watched = hetjob && srunMayHangAfterRun(plugin);
    out << "# Slurm's SIGUSR1 (" << kStopSignalLeadSeconds << " s before the wall time) comes to this shell; srun passes it\n"
        << "# to every rank, and the run stops cleanly; `xdmlc submit --resume` goes on from there.\n"
        << "early=0\n"
        << "trap 'early=1' USR1\n";
    if (watched)
        out << "# Rank 0 writes the run's exit status here as it ends (the watch below reads it).\n"
            << "export XDML_RUN_EXIT_FILE=" << shellQuoted(job.workdir + "/.run-exit-") << "\"$SLURM_JOB_ID\"\n"
            << "rm -f \"$XDML_RUN_EXIT_FILE\" \"$XDML_RUN_EXIT_FILE.ended\"\n";
    out << launchLine(job, components, plugin) << " &\n"
        << "run=$!\n"
        << "stopping=0\n"
        << "trap 'stopping=1; kill -USR1 \"$run\"' USR1\n"
        << "if [ \"$early\" = 1 ]; then stopping=1; kill -USR1 \"$run\"; fi\n";
    if (watched) srunWatch(out);
    out << "wait \"$run\"\n"
        << "status=$?\n"
        << "# a trapped signal ends the first wait early: the second one gets the run's own status\n"
        << "if [ \"$stopping\" = 1 ]; then wait \"$run\"; status=$?; fi\n";
    if (watched)
        out << "kill \"$watch\" 2>/dev/null\n"
            << "if [ -e \"$XDML_RUN_EXIT_FILE.ended\" ]; then status=$(cat \"$XDML_RUN_EXIT_FILE\"); fi\n"
            << "rm -f \"$XDML_RUN_EXIT_FILE\" \"$XDML_RUN_EXIT_FILE.ended\"\n";
    out << "exit \"$status\"\n";
    return out.str();
}

}  // namespace xdml::deploy
