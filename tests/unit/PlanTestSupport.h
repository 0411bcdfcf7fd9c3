// PlanTestSupport.h — a flow's text compiled, lowered and optimized into the plan a run reads.
#pragma once

#include "TestSupport.h"
#include "ir/Lower.h"
#include "passes/Pass.h"
#include "plan/Plan.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace xdml::test {

/// The plan of `text`, as `xdmlc` writes it and a run reads it back (it must compile cleanly).
inline nlohmann::json planOf(const std::string& text) {
    auto c = compileText(text);
    REQUIRE(c->errors().empty());
    ir::FlowIR flow = ir::lowerToIR(*c->program, *c->diags);
    REQUIRE(passes::runPipeline(flow, *c->diags, passes::PipelineOptions()));
    return nlohmann::json::parse(plan::planJson(flow).dump());
}

}  // namespace xdml::test
