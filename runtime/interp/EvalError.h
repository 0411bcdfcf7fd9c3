// EvalError.h — an expression that cannot be evaluated: a run-time fault of the program
// (division by zero, an index out of bounds) or something a pure evaluation cannot do.
#pragma once

#include <stdexcept>
#include <string>

namespace xdml::runtime {

class EvalError : public std::runtime_error {
public:
    /// `line` 0: not known yet; the evaluator fills in the line of the expression it was at.
    explicit EvalError(const std::string& message, int line = 0)
        : std::runtime_error(line ? "line " + std::to_string(line) + ": " + message : message),
          message_(message), line_(line) {}

    const std::string& message() const { return message_; }
    int line() const { return line_; }

private:
    std::string message_;
    int line_;
};

}  // namespace xdml::runtime
