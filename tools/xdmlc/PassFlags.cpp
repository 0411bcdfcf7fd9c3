// PassFlags.cpp — see PassFlags.h.
#include "tools/xdmlc/PassFlags.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace xdml::tools {

void PassFlags::addTo(CLI::App& command, const std::string& levels) {
    command.add_option("-O", optLevel, levels)->check(CLI::IsMember({0, 1, 2}));
    command.add_option("--disable-pass", disabled, "Skip this pass (repeatable)");
    command.add_option("--print-after", printAfter, "Print the IR after this pass (repeatable), to standard error");
    command.add_flag("--verify-each", verifyEach, "Verify the IR after every pass");
}

std::string PassFlags::problem() const {
    for (const std::string& name : disabled) {
        const passes::Pass* pass = passes::findPass(name);
        if (pass && !pass->required) continue;
        std::string known;
        for (const passes::Pass& p : passes::allPasses())
            if (!p.required) known += (known.empty() ? "" : ", ") + std::string(p.name);
        return (pass ? "pass '" + name + "' is required and cannot be disabled" : "unknown pass '" + name + "'") +
               "; passes that can be disabled: " + known;
    }
    for (const std::string& name : printAfter)
        if (!passes::findPass(name)) return "unknown pass '" + name + "'";
    return "";
}

passes::PipelineOptions PassFlags::pipeline() const {
    passes::PipelineOptions options;
    options.optLevel = optLevel;
    options.disabled = {disabled.begin(), disabled.end()};
    options.printAfter = {printAfter.begin(), printAfter.end()};
    options.verifyEach = verifyEach;
    options.printTo = &std::cerr;
    return options;
}

}  // namespace xdml::tools
