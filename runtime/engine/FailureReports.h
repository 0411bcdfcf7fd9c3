// FailureReports.h — what a run tells its user as it goes: log lines, and warnings and failures
// (each kind shown three times, the rest counted for the summary), and the one reading of a
// failure's source line, message and kind.
#pragma once

#include "runtime/engine/TaskFailure.h"
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

namespace xdml::runtime {

/// A failure as a report shows it: the source line it names (an EvalError's or a TaskFailure's
/// own line when it has one, else `fallbackLine`) and its message without a line prefix.
/// `kind` groups repeats: the line and the message with every number as '#', so the same
/// failure on item 7 and item 8 (or on out/f_7.npy and out/f_8.npy) is counted as one.
struct FailureText {
    int line = 0;
    std::string message;
    std::string kind;
};
FailureText failureText(const std::exception& error, int fallbackLine);

class FailureReports {
public:
    /// `out` takes log lines (stdout by default); failures go to standard error.
    /// `quiet`: no log lines; `progress`: a progress line is drawn on standard error.
    FailureReports(std::function<void(const std::string&)> out, bool quiet, bool progress)
        : out_(std::move(out)), quiet_(quiet), progress_(progress) {}

    /// A `log` line of the flow.
    void log(const std::string& line);
    /// A warning or failure. Reports of one `kind` (say, one failing call's message) are shown
    /// three times, the third followed by a note that more are counted; the summary counts the rest.
    void report(const std::string& line, const std::string& kind = "");
    /// The summary's lines about reports not shown: "  … N more like this: <first>".
    std::string notShown() const;
    /// The same lines on standard error, for a run without a summary (--quiet).
    void reportNotShown() const;

private:
    std::function<void(const std::string&)> out_;
    bool quiet_, progress_;
    mutable std::mutex mutex_;  // one line at a time, around the progress line
    std::map<std::string, std::pair<std::string, uint64_t>> repeated_;  // kind -> first line, count
};

}  // namespace xdml::runtime
