// ResumeStart.h — what `xdmlc run --resume [--run ID]` does before the new run begins: find
// the run to resume (the latest, or ID) and check it ran the same flow of the same script file,
// read its resume log, and remove from the catalogs the rows that it (and the runs it resumed
// in turn) recorded for work that did not finish, so that work is done again exactly once
// (docs/distributed.md, "Resume").
#pragma once

#include "runtime/engine/CallKey.h"
#include "runtime/engine/ResumeLog.h"
#include "runtime/engine/Run.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace xdml::runtime {

/// This run's code, as resume sees it.
struct RunCode {
    std::map<std::string, TaskCode> tasks;  // taskCodeHashes
    std::string flows;                         // flowCodeHash
};
RunCode runCodeOf(const std::string& planJson);

struct ResumeStart {
    int64_t run = 0;             // the run resumed
    ResumeLogContents previous;  // its log
    bool itemsReusable = false;  // the code is unchanged: its handled items are skipped
    /// The resumed run and the runs it resumed in turn: whose kept catalog rows are this run's too.
    std::vector<int64_t> chain;
    std::vector<std::string> notes;  // for the user
};

/// Whether --resume has a run to resume: one named by --run (checked by prepareResume), or an
/// earlier run in the work directory. Without one, a resume starts from the beginning, as
/// Nextflow's -resume does: a job killed before its run began must resubmit as it was.
bool hasRunToResume(prov::Store& store, const RunOptions& options);

/// Between runs (before beginRun). Throws ResumeError, with a message for the user, when there
/// is no run to resume, the run is another flow's or script's, or its log cannot be read.
ResumeStart prepareResume(prov::Store& store, const RunOptions& options, const std::string& flow, const RunCode& code,
                          const std::map<std::string, std::filesystem::path>& catalogFiles);

}  // namespace xdml::runtime
