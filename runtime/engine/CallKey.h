// CallKey.h — the key under which a task call's outcome is kept for `xdmlc run --resume`
// (docs/distributed.md, "Resume"): the hash of the task's code as the plan holds it (its
// content, so an edited body gets a new key; never its name alone), the content hashes of the
// call's arguments, and the xdmlc version. Never file times: the files a body reads are checked
// by content when an outcome is reused (ResumeLedger.h).
#pragma once

#include "runtime/provenance/ContentHash.h"

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace xdml::runtime {

/// A task's code as its calls' keys see it.
struct TaskCode {
    std::string hash;
    /// Its body (or what it calls) asks an argument's `seq`, which is not in the value: the
    /// arguments' sequence numbers are then part of the key too.
    bool readsSeq = false;
};

/// The code of every task in `plan` (a plan as `xdmlc build --emit=plan` writes it): the hash
/// of its declaration with source positions left out, and of the declarations it names
/// (functions, constants, tasks, types), each once, transitively. A plan without code gives none.
std::map<std::string, TaskCode> taskCodeHashes(const nlohmann::json& plan);

/// The hash of all of `plan`'s code (flows, handlers, tasks, functions, types; source positions
/// left out): a resume skips the items the resumed run handled only when it is unchanged.
std::string flowCodeHash(const nlohmann::json& plan);

/// The key of one call: `version` of xdmlc, the task's code hash, its arguments' content hashes
/// in parameter order. Sixteen hex digits of XXH64 over the length-prefixed parts.
std::string callKey(const std::string& version, const std::string& codeHash, const std::vector<std::string>& argHashes);

/// The same key, made part by part: a call's arguments' hashes go in as they are read, with
/// no list of them kept (one per task call).
class CallKeyHasher {
public:
    CallKeyHasher(const std::string& version, const std::string& codeHash);
    /// The next argument's content hash (and, for a task that reads `seq`, its "seq N" part).
    void part(std::string_view s);
    std::string key() const { return hasher_.hex(); }

private:
    prov::ContentHasher hasher_;
};

}  // namespace xdml::runtime
