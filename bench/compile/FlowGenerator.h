// FlowGenerator.h — generates large, valid, realistic XDML flows for the compile benchmark.
#pragma once

#include <cstddef>
#include <string>

namespace xdml::bench {

/// A flow of about `lines` lines: repeated units of sites, consts, nominal and refined types,
/// fns with tensor expressions, streams, models, catalogs, policies (with `with`), tasks and a
/// flow with four kinds of handlers. Every name is unique, so the whole text checks clean.
std::string generateFlow(std::size_t lines);

/// One handler whose body is a chain of `calls` dependent task calls (`let v1 = step(v0);` ...):
/// fuse-chains merges it into one node, which stresses the passes rather than the front end.
std::string generateChain(std::size_t calls);

/// One flow with `handlers` handlers of the same stream, each two task calls and a log.
std::string generateHandlers(std::size_t handlers);

/// Placement with work to do: a stream at `edge`, a catalog at `hub` (two linked sites), and
/// one handler fanning each frame out to `tasks` free tasks (`part`) whose results a ladder of
/// free `merge` tasks folds into one record: about 2·`tasks` free nodes between two fixed ones.
std::string generatePlacement(std::size_t tasks);

/// A fn returning one list literal of about `bytes` bytes: integers, floats and negative
/// numbers in turn (data pasted into a flow; memory must stay proportional to it).
std::string generateListLiteral(std::size_t bytes);

/// The number of lines in `text`.
std::size_t countLines(const std::string& text);

}  // namespace xdml::bench
