// ProvenanceQueries.h — the questions bench_provenance times on the closed database (lineage
// depth 10, "which model version produced this", forward impact, run diff, and two unjudged
// ones), each answer checked against what the synthetic runs know it must be.
#pragma once

#include "SyntheticRun.h"

#include "query/ProvDb.h"

#include <string>
#include <vector>

namespace xdml::bench {

struct QueryFigure {
    std::string name{};
    bool judged = true;         // against the goal of 10 ms; the others are printed for information
    int reps = 0;
    double medianMs = 0, maxMs = 0;
    std::string answer{};       // what the last answer held, in a few words
    std::string wrong{};        // the first wrong answer, "" when every one was right
};

/// Times each query `reps` times (on different subjects where there are several) and checks
/// every answer. `first` is the run as captured; `second` the same run with frame `alteredSeq`
/// changed.
std::vector<QueryFigure> timeQueries(query::ProvDb& db, const CapturedRun& first, const CapturedRun& second,
                                     int64_t alteredSeq, int reps);

}  // namespace xdml::bench
