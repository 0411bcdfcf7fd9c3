// SubmitCommand.h — `xdmlc submit`: a flow and a deployment profile to one Slurm job
// (docs/distributed.md, "Submitting to Slurm"). Writes the plan, a copy of the deployment file and
// the batch script (deploy/SbatchScript.h) into the work directory, then hands the script to sbatch.
#pragma once

#include "tools/xdmlc/DeployFlags.h"
#include "tools/xdmlc/PassFlags.h"

#include <nlohmann/json.hpp>

#include <string>

namespace xdml::tools {

struct SubmitArguments {
    std::string file, flow, workdir, after;
    DeployFlags deploy;  // required here: the file and the profile the job is made from
    PassFlags passes;  // how the flow is compiled, as by `xdmlc build`
    bool dryRun = false, resume = false;
};

/// Submits `plan` (the flow compiled as `xdmlc build --emit=plan` compiles it). Prints the job
/// id (`--dry-run`: the script, and writes and submits nothing). Exit status: 0 submitted,
/// 1 a deployment that cannot be submitted or sbatch refusing the job, 2 misuse (no sbatch on
/// PATH, a work directory that cannot be written).
int submitCommand(const SubmitArguments& args, const nlohmann::json& plan);

}  // namespace xdml::tools
