// RunStats.cpp — see RunStats.h.
#include "runtime/engine/RunStats.h"

namespace xdml::runtime {

StreamCounters& RunStats::stream(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto& slot = streams_[name];
    if (!slot) slot = std::make_unique<StreamCounters>();
    return *slot;
}

HandlerCounters& RunStats::handler(int id) {
    std::lock_guard lock(mutex_);
    auto& slot = handlers_[id];
    if (!slot) slot = std::make_unique<HandlerCounters>();
    return *slot;
}

std::map<std::string, const StreamCounters*> RunStats::streams() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, const StreamCounters*> out;
    for (const auto& [name, c] : streams_) out[name] = c.get();
    return out;
}

std::map<int, const HandlerCounters*> RunStats::handlers() const {
    std::lock_guard lock(mutex_);
    std::map<int, const HandlerCounters*> out;
    for (const auto& [id, c] : handlers_) out[id] = c.get();
    return out;
}

void RunStats::mayHaveMissed(const std::string& stream, const std::string& why) {
    std::lock_guard lock(mutex_);
    missed_.emplace(stream, why);
}

std::map<std::string, std::string> RunStats::missed() const {
    std::lock_guard lock(mutex_);
    return missed_;
}

nlohmann::json RunStats::toJson(double seconds) const {
    nlohmann::json items = nlohmann::json::object(), malformed = nlohmann::json::object(),
                   firings = nlohmann::json::object(), failedFirings = nlohmann::json::object(),
                   gaps = nlohmann::json::object(), recovered = nlohmann::json::object();
    for (const auto& [name, c] : streams()) {
        items[name] = c->items.load();
        malformed[name] = c->malformed.load();
        if (c->gaps.load() || c->recovered.load()) {  // only sources that can lose track (watch)
            gaps[name] = c->gaps.load();
            recovered[name] = c->recovered.load();
        }
    }
    for (const auto& [id, c] : handlers()) {
        firings[std::to_string(id)] = c->firings.load();
        failedFirings[std::to_string(id)] = c->failed.load();
    }
    return {
        {"seconds", seconds},
        {"moved_bytes", movedBytes.load()},
        {"written_bytes", writtenBytes.load()},
        {"written_file_bytes", writtenFileBytes.load()},
        {"transfers", transfers.load()},
        {"tasks_run", tasksRun.load()},
        {"tasks_failed", tasksFailed.load()},
        {"retries", retries.load()},
        {"deadline_misses", deadlineMisses.load()},
        {"start_misses", startMisses.load()},
        {"records", records.load()},
        {"emits", emits.load()},
        {"logs", logs.load()},
        {"dropped_items", droppedItems.load()},
        {"lost_items", lostItems.load()},
        {"unhandled_after_stop", unhandledAfterStop.load()},
        {"relocations", relocations.load()},
        {"expressions_evaluated", expressionsEvaluated.load()},
        {"requests", requests.load()},
        {"reused_tasks", reusedTasks.load()},
        {"resumed_items", resumedItems.load()},
        {"resume_log_failures", resumeLogFailures.load()},
        {"items", items},
        {"malformed_items", malformed},
        {"source_gaps", gaps},
        {"recovered_items", recovered},
        {"may_have_missed", missed()},
        {"handler_firings", firings},
        {"handler_failures", failedFirings},
    };
}

}  // namespace xdml::runtime
