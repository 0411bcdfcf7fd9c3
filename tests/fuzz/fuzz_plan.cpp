// fuzz_plan.cpp — libFuzzer target: reading a plan file as `xdmlc run plan.json` does
// (tools/xdmlc/RunCommand.cpp): the bytes parsed as JSON, then the plan's code
// (Program::fromPlan) and its graph, sites and handlers (PlanModel::fromPlan). A plan that
// is not JSON is refused by the caller; one that is JSON of the wrong shape must be a
// PlanError naming the place, never an exception from inside the JSON library or a crash.
#include "runtime/engine/PlanModel.h"
#include "runtime/interp/Program.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>

using namespace xdml::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    nlohmann::json plan = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
    if (plan.is_discarded()) return 0;
    try {
        Program program = Program::fromPlan(plan);
        for (const auto& [name, type] : program.types()) (void)program.structure(type.is);
    } catch (const PlanError&) {
    }
    try {
        PlanModel model = PlanModel::fromPlan(plan);
        (void)model.nodes();
    } catch (const PlanError&) {
    }
    return 0;
}
