// TaskFailure.h — a task that failed for good: the error carries the source line of its call.
#pragma once

#include <stdexcept>
#include <string>

namespace xdml::runtime {

class TaskFailure : public std::runtime_error {
public:
    TaskFailure(const std::string& message, int line) : std::runtime_error(message), line_(line) {}
    int line() const { return line_; }

private:
    int line_;
};

}  // namespace xdml::runtime
