// NumberChecks.h — command-line checks of whole numbers that say, in the user's terms, what
// the number is and what it may be (CLI11's own ranges print "Value 0 not in range 0.000000
// to 1.797...e308").
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace xdml::tools {

/// A whole number of at least `least`: the error reads "--run: a run number, 1 or more
/// (`xdmlc prov runs` lists them); got '0'" for what = "a run number", hint = "`xdmlc prov
/// runs` lists them". CLI11 puts the option's name in front.
inline CLI::Validator wholeNumberAtLeast(int64_t least, const std::string& what, const std::string& hint = "") {
    const std::string expected = what + ", " + std::to_string(least) + " or more" + (hint.empty() ? "" : " (" + hint + ")");
    return CLI::Validator(
        [least, expected](std::string& value) -> std::string {
            std::size_t used = 0;
            long long n = 0;
            try {
                n = std::stoll(value, &used);
            } catch (const std::exception&) {
                used = 0;  // not a number, or too large
            }
            if (used == 0 || used != value.size() || n < least) return expected + "; got '" + value + "'";
            return "";
        },
        "INT>=" + std::to_string(least));
}

}  // namespace xdml::tools
