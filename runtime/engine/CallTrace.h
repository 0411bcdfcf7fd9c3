// CallTrace.h — what a task call's body did that its outcome does not hold, for resume
// (ResumeLedger.h): effects on the world (an emit, a record, a training, a file written),
// which make its outcome not reusable, and the files it read, which must be unchanged for it
// to be reused. A call nested in another's body reports to its caller's trace too.
#pragma once

#include "runtime/engine/ResumeLog.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace xdml::runtime {

class CallTrace {
public:
    explicit CallTrace(std::shared_ptr<CallTrace> caller) : caller_(std::move(caller)) {}

    void effect() {
        for (CallTrace* t = this; t; t = t->caller_.get()) t->effects_.store(true);
    }
    /// A file read; without its hash it cannot be checked again, so it counts as an effect.
    void read(const std::string& path, const std::string& hash) {
        for (CallTrace* t = this; t; t = t->caller_.get()) {
            std::lock_guard lock(t->mutex_);
            if (hash.empty()) t->effects_.store(true);
            else t->reads_.emplace_back(path, hash);
        }
    }
    bool hadEffects() const { return effects_.load(); }
    std::vector<FileRead> reads() {
        std::lock_guard lock(mutex_);
        return reads_;
    }

private:
    std::shared_ptr<CallTrace> caller_;
    std::atomic<bool> effects_{false};
    std::mutex mutex_;
    std::vector<FileRead> reads_;
};

}  // namespace xdml::runtime
