// FailureReports.cpp — see FailureReports.h.
#include "runtime/engine/FailureReports.h"

#include "runtime/interp/EvalError.h"

#include <cctype>
#include <iostream>

namespace xdml::runtime {

namespace {
constexpr uint64_t kShown = 3;  // reports of one kind shown before the summary counts them

/// `text` with every run of digits as one '#'.
std::string withoutNumbers(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
            out += text[i];
            continue;
        }
        out += '#';
        while (i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1]))) ++i;
    }
    return out;
}
}  // namespace

FailureText failureText(const std::exception& error, int fallbackLine) {
    FailureText out{fallbackLine, error.what(), ""};
    if (const auto* task = dynamic_cast<const TaskFailure*>(&error); task && task->line()) out.line = task->line();
    if (const auto* eval = dynamic_cast<const EvalError*>(&error)) {
        if (eval->line()) out.line = eval->line();
        out.message = eval->message();
    }
    out.kind = std::to_string(out.line) + ":" + withoutNumbers(out.message);
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
    if (!kind.empty() && repeated_[kind].second == kShown) std::cerr << "xdmlc: … more like this are counted, not shown\n";
}

std::string FailureReports::notShown() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [kind, first] : repeated_)
        if (first.second > kShown)
            out += "  … " + std::to_string(first.second - kShown) + " more like this: " + first.first + "\n";
    return out;
}

void FailureReports::reportNotShown() const {
    const std::string lines = notShown();
    std::lock_guard lock(mutex_);
    std::cerr << lines << std::flush;
}

}  // namespace xdml::runtime
