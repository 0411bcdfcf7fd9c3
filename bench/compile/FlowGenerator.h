// FlowGenerator.h — generates large, valid, realistic XDML flows for the compile benchmark.
#pragma once

#include <cstddef>
#include <string>

namespace xdml::bench {

/// A flow of about `lines` lines: repeated units of sites, consts, nominal and refined types,
/// fns with tensor expressions, streams, models, catalogs, policies (with `with`), tasks and a
/// flow with four kinds of handlers. Every name is unique, so the whole text checks clean.
std::string generateFlow(std::size_t lines);

/// The number of lines in `text`.
std::size_t countLines(const std::string& text);

}  // namespace xdml::bench
