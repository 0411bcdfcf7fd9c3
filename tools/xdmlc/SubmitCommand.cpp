// SubmitCommand.cpp — see SubmitCommand.h. sbatch is given a bound (kSbatchTimeout): a batch
// system that does not answer is an error, never a hang.
#include "tools/xdmlc/SubmitCommand.h"

#include "deploy/Deployment.h"
#include "deploy/SbatchScript.h"
#include "runtime/exec/Shell.h"
#include "runtime/io/AtomicWrite.h"
#include "runtime/io/PrintableName.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

namespace xdml::tools {

namespace fs = std::filesystem;

namespace {

constexpr std::chrono::milliseconds kSbatchTimeout{60000};

/// The files submit writes into the work directory.
struct SubmitFiles {
    fs::path plan, deployment, script;
    explicit SubmitFiles(const fs::path& workdir)
        : plan(workdir / "plan.json"), deployment(workdir / "deploy.toml"), script(workdir / "job.sbatch") {}
};

/// `name` found in a directory of $PATH, or "".
std::string onPath(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
        if (access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate.string();
    }
    return "";
}

/// The xdmlc that runs this, so every rank runs the same one.
std::string thisXdmlc() {
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("xdmlc") : self.string();
}

std::vector<std::string> siteOrder(const nlohmann::json& plan) {
    std::vector<std::string> sites;
    for (const auto& site : plan.value("sites", nlohmann::json::array())) sites.push_back(site.at("name").get<std::string>());
    return sites;
}

std::string readWhole(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Hands the script to sbatch; prints the job id. The exit status as submitCommand's.
int sbatch(const std::string& sbatchPath, const SubmitFiles& files) {
    const std::string command = deploy::shellQuoted(sbatchPath) + " --parsable " + deploy::shellQuoted(files.script.string());
    runtime::ShellResult r = runtime::runShell(command, files.script.parent_path(), kSbatchTimeout);
    if (!r.ok()) {
        std::cerr << "xdmlc: error: sbatch did not take the job: " << runtime::shellFailure(r, command) << "\n"
                  << "xdmlc: the script is " << runtime::printableName(files.script.string()) << "\n";
        return 1;
    }
    std::string id = r.out.substr(0, r.out.find_first_of(";\n"));  // --parsable: "id" or "id;cluster"
    if (id.empty()) {
        std::cerr << "xdmlc: error: sbatch printed no job id (its output: '" << r.out << "')\n";
        return 1;
    }
    std::cout << id << "\n";
    std::cerr << "xdmlc: submitted job " << id << ": " << runtime::printableName(files.script.string()) << "; its output in "
              << runtime::printableName((files.script.parent_path() / ("slurm-" + id + ".out")).string()) << "\n";
    return 0;
}

}  // namespace

int submitCommand(const SubmitArguments& args, const nlohmann::json& plan) {
    const fs::path workdir = args.workdir.empty() ? fs::current_path() / (fs::path(args.file).stem().string() + ".run")
                                                  : fs::absolute(args.workdir).lexically_normal();
    const SubmitFiles files(workdir);
    std::string script;
    try {
        const deploy::Deployment deployment = deploy::readDeployment(args.deploy.file);
        deploy::SbatchJob job;
        job.profile = &deployment.profile(args.deploy.profile);
        job.siteOrder = siteOrder(plan);
        job.jobName = fs::path(args.file).stem().string();
        job.xdmlc = thisXdmlc();
        job.plan = files.plan.string();
        job.deployment = files.deployment.string();
        job.workdir = workdir.string();
        job.after = args.after;
        job.resume = args.resume;
        script = deploy::sbatchScript(job);
    } catch (const deploy::DeployError& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
    if (args.dryRun) {
        std::cout << script;
        return 0;
    }
    const std::string sbatchPath = onPath("sbatch");
    if (sbatchPath.empty()) {
        std::cerr << "xdmlc: error: sbatch is not on PATH: `xdmlc submit` needs Slurm's client commands "
                     "(Debian: slurm-client); --dry-run prints the script without them\n";
        return 2;
    }
    try {
        std::error_code ec;
        fs::create_directories(workdir, ec);
        if (ec) throw runtime::WriteError(workdir.string(), ec.message());
        runtime::writeOutput(files.plan.string(), plan.dump(2) + "\n");
        runtime::writeOutput(files.deployment.string(), readWhole(args.deploy.file));
        runtime::writeOutput(files.script.string(), script);
    } catch (const runtime::WriteError& e) {
        std::cerr << "xdmlc: error: cannot write '" << e.path() << "': " << e.reason() << "\n";
        return 2;
    }
    return sbatch(sbatchPath, files);
}

}  // namespace xdml::tools
