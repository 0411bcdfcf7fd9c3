// ModelUses.h — which streams the program's models read: the streams `train` trains on (and
// with which models) and those `accuracy` scores. Only these keep their items after dispatch.
#pragma once

#include "runtime/interp/Program.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace xdml::runtime {

struct StreamModelUse {
    std::set<std::string> trainedModels;  // `train M on S`
    bool scored = false;                  // `accuracy(M, S)`: every item delivered is kept
};

/// `flows`: only these flows (and every task); empty: all.
std::map<std::string, StreamModelUse> modelUsesOfStreams(const Program& program, const std::set<std::string>& flows = {});
/// Whether a body (a handler's) has a `train` statement, at any depth.
bool containsTrain(const std::vector<Stmt>& body);
/// The models a body (a handler's) trains, at any depth and in the tasks it calls.
std::set<std::string> modelsTrainedBy(const std::vector<Stmt>& body, const Program& program);

}  // namespace xdml::runtime
