// Kinds.h — the words the provenance store is written in, listed once: entity, activity and
// decision kinds, and the statuses of runs and activities. Callers use these constants rather
// than spelling the strings, so a query written against docs/provenance.md finds their rows.
// Kinds are open (a new one needs no schema change); statuses are closed and checked.
#pragma once

#include <string_view>

namespace xdml::runtime::prov {

namespace entity_kind {
inline constexpr std::string_view value = "value";                  // an in-memory value
inline constexpr std::string_view file = "file";                    // a file, with its path
inline constexpr std::string_view item = "item";                    // a stream item, with stream and seq
inline constexpr std::string_view model_version = "model_version";  // a model's weights
inline constexpr std::string_view record = "record";                // a catalog record
inline constexpr std::string_view rehearsal_snapshot = "rehearsal_snapshot";  // a rehearsal buffer's content
}  // namespace entity_kind

namespace activity_kind {
inline constexpr std::string_view task = "task";          // a task of the plan
inline constexpr std::string_view transfer = "transfer";  // data moved between sites
inline constexpr std::string_view training = "training";  // a model trained or updated
inline constexpr std::string_view handler = "handler";    // a stream handler called on an item
inline constexpr std::string_view emit = "emit";          // an item put on a stream
inline constexpr std::string_view record = "record";      // a record written to a catalog
inline constexpr std::string_view log = "log";            // a log statement
inline constexpr std::string_view sh = "sh";              // a shell command
}  // namespace activity_kind

namespace decision_kind {
inline constexpr std::string_view trigger = "trigger";              // why a handler or task fired
inline constexpr std::string_view inferred_type = "inferred_type";  // a type read from data
inline constexpr std::string_view type_test = "type_test";          // a `where` predicate held or not, and why
inline constexpr std::string_view placement = "placement";          // which site runs a task
inline constexpr std::string_view deadline_miss = "deadline_miss";  // finished after its deadline
inline constexpr std::string_view start_miss = "start_miss";        // started after its latest start
inline constexpr std::string_view train_stop = "train_stop";        // why training stopped
inline constexpr std::string_view retry = "retry";                  // a failed activity tried again
inline constexpr std::string_view failure = "failure";              // what was done about a failure
inline constexpr std::string_view backpressure = "backpressure";    // a stream slowed or dropped items
inline constexpr std::string_view invalidation = "invalidation";    // data marked invalid, and why
inline constexpr std::string_view catalog_state = "catalog_state";  // a catalog held records when a run started
inline constexpr std::string_view reuse = "reuse";                  // resume: a call's outcome or an item's handling reused
}  // namespace decision_kind

namespace run_status {
inline constexpr std::string_view running = "running";        // begun, not ended (or its process lives)
inline constexpr std::string_view complete = "complete";      // ended normally
inline constexpr std::string_view failed = "failed";          // ended with an error
inline constexpr std::string_view stopped = "stopped";        // stopped on request before its end
inline constexpr std::string_view incomplete = "incomplete";  // its process died, or records were lost
}  // namespace run_status

namespace activity_status {
inline constexpr std::string_view running = "running";  // started, not ended
inline constexpr std::string_view ok = "ok";
inline constexpr std::string_view failed = "failed";
inline constexpr std::string_view dropped = "dropped";  // abandoned: cancelled, shed by backpressure
}  // namespace activity_status

}  // namespace xdml::runtime::prov
