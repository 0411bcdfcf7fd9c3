// DataError.h — input data that cannot become a value: a malformed or truncated .npy file, a
// message of the wrong size, a tensor whose shape is not the declared one, a folder that cannot
// be watched. The message names where the data came from, then the problem.
#pragma once

#include <stdexcept>
#include <string>

namespace xdml::runtime {

/// Thrown by the decoders and by stream sources when they start. A source that is already
/// running never throws it out of next(): it delivers a SourceItem with `error` set instead, so
/// one bad frame does not end an experiment.
class DataError : public std::runtime_error {
public:
    /// `where`: the file, the message (`tcp://host:5555#17`) or the source; `problem` what is wrong.
    DataError(const std::string& where, const std::string& problem)
        : std::runtime_error(where.empty() ? problem : where + ": " + problem), problem_(problem) {}

    /// The problem without the place, for callers that report the place themselves.
    const std::string& problem() const { return problem_; }

private:
    std::string problem_;
};

}  // namespace xdml::runtime
