// FailureReports.cpp — see FailureReports.h.
#include "runtime/engine/FailureReports.h"

#include "runtime/interp/EvalError.h"

#include <iostream>

namespace xdml::runtime {

namespace {
constexpr uint64_t kShown = 3;  // reports of one kind shown before the summary counts them
}

FailureText failureText(const std::exception& error, int fallbackLine) {
    FailureText out{fallbackLine, error.what()};
    if (const auto* task = dynamic_cast<const TaskFailure*>(&error); task && task->line()) out.line = task->line();
    if (const auto* eval = dynamic_cast<const EvalError*>(&error)) {
        if (eval->line()) out.line = eval->line();
        out.message = eval->message();
    }
    return out;
}

void FailureReports::log(const std::string& line) {
    std::lock_guard lock(mutex_);
    if (quiet_) return;
    if (progress_) std::cerr << "\r\033[K" << std::flush;  // the progress line redraws below
    out_(line);
}

void FailureReports::report(const std::string& line, const std::string& kind) {
    std::lock_guard lock(mutex_);
    if (!kind.empty()) {
        auto& [first, count] = repeated_[kind];
        if (count++ == 0) first = line;
        if (count > kShown) return;
    }
    // Failures go to standard error, whatever --quiet says.
    if (progress_ && !quiet_) std::cerr << "\r\033[K";
    std::cerr << "xdmlc: " << line << std::endl;
}

std::string FailureReports::notShown() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [kind, first] : repeated_)
        if (first.second > kShown)
            out += "  " + std::to_string(first.second - kShown) + " more like: " + first.first + "\n";
    return out;
}

}  // namespace xdml::runtime
