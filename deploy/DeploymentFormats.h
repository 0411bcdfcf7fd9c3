// DeploymentFormats.h — the value formats a deployment file shares with Slurm, and the nearest
// known key for "did you mean" (the reader's helpers, kept out of the one file that sees toml++).
#pragma once

#include <string>
#include <vector>

namespace xdml::deploy {

/// Slurm's --mem: digits with an optional unit K, M, G or T ("64G", "512M", "1024").
bool isSlurmMemory(const std::string& text);
/// Slurm's --time: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S" (minutes and seconds < 60,
/// hours < 24 after a day count).
bool isSlurmTime(const std::string& text);
/// One word safe in an #SBATCH line: letters, digits and - _ . , : + @ / =.
bool isSlurmWord(const std::string& text);
/// The candidate closest to `key` by edit distance, or "" when none is close enough.
std::string nearestKey(const std::string& key, const std::vector<std::string>& candidates);

}  // namespace xdml::deploy
