// Records.h — what a caller hands the provenance store: one plain struct per kind of row, in
// the caller's words (see docs/provenance.md for the columns they become). Empty strings and
// negative ids mean "not known" and are stored as NULL. Every field has a default, so a caller
// names only what it knows: store.entity({"value", "x"}).
#pragma once

#include <cstdint>
#include <string>

namespace xdml::runtime::prov {

/// One execution of a flow: the `runs` row that beginRun writes.
struct RunInfo {
    std::string flow{};        // the flow's name
    std::string scriptPath{};  // the .xdml file it came from
    std::string scriptHash{};  // contentHash of the script's text
    std::string arguments{};   // the command line's flow arguments, as given
    int64_t seed = 0;          // the run's random seed
    std::string planJson{};    // the plan that ran (docs/plan.md)
    std::string workdir{};     // the work directory its relative paths resolved against
    std::string version{};     // the xdmlc that ran it
};

/// A piece of data: a value, a file, a stream item, a model version, a record (Kinds.h).
struct EntityRecord {
    std::string kind{};
    std::string label{};   // the name in the flow: a variable, a stream, a file's role
    std::string type{};    // its XDML type, printed
    std::string hash{};    // contentHash of its bytes
    std::string site{};    // where it lives
    std::string stream{};  // for a stream item: the stream
    std::string path{};    // for a file: its path
    int64_t bytes = 0;
    int64_t seq = -1;   // for a stream item: its position in the stream
    bool valid = true;  // false: its content was invalidated before (`xdmlc prov invalidate`)
};

/// A step that used and generated entities: a task, a transfer, a handler call (Kinds.h).
struct ActivityRecord {
    std::string kind{};
    std::string name{};
    std::string site{};
    std::string policyJson{};  // the policy it ran under, as in the plan
    int handler = -1;          // the plan's handler index, for handler activities
    int line = 0;              // its source line in the script (0: none)
    int rank = 0;              // the MPI rank it ran on (0: the coordinator, or a local run)
    std::string host{};        // the host it ran on; empty: this process's host
    std::string code{};        // a Python task's module: its content hash; else empty (NULL)
};

/// A choice the runtime made, and why: the record behind "why did this happen?" (Kinds.h).
struct DecisionRecord {
    std::string kind{};
    std::string subject{};      // what it is about: subjectOfEntity / subjectOfActivity
    std::string choice{};       // what was chosen
    std::string reason{};       // why, in words
    std::string inputsJson{};   // the numbers it was chosen from
    int64_t modelVersion = -1;  // the models row that made it, when a model decided
};

/// A site controller's status at one moment, sampled by the run at a fixed interval: the
/// performance-control interface the meta-controller reads (SiteExecutor.h), made visible.
struct SiteStatusRecord {
    std::string site{};
    int capacity = 0;           // workers
    int running = 0;            // calls running
    int64_t queued = 0;         // calls waiting
    double meanJobSeconds = 0;  // recent mean run time of a call
    double estimatedWait = 0;   // seconds a call submitted now would wait
};

/// A trained version of a model: its place in the model's history and how good it was.
struct ModelVersionRecord {
    std::string model{};
    int64_t version = 0;        // the model's own version number (1, 2, ...)
    int64_t parent = -1;        // the models row it was trained from
    int64_t entity = -1;        // the entity that holds its weights
    std::string metricsJson{};  // e.g. {"loss": 0.12}
    std::string itemsJson{};    // which items it was trained on (ranges of entity ids or seqs)
    std::string snapshot{};     // where the weights were saved
};

/// Where a catalog row came from, kept with the row in the catalog's own database (its
/// `xdml_lineage` table, written in the row's transaction): enough to write the row's record
/// entity when the run that made it died before its store committed that entity.
struct RecordOrigin {
    std::string provenance{};  // the provenance database (absolute path) the ids below belong to
    int64_t run = 0;
    int64_t activity = -1;  // the activity that recorded the row
    int64_t from = -1;      // the entity the row was made from
    std::string site{};
    std::string hash{};  // contentHash of the recorded value
    int64_t bytes = 0;
    int64_t row = 0;  // the catalog row's rowid, which is its record entity's seq
};

/// The `subject` of a decision about an entity or an activity: "entity:12", "activity:3".
inline std::string subjectOfEntity(int64_t id) {
    return "entity:" + std::to_string(id);
}
inline std::string subjectOfActivity(int64_t id) {
    return "activity:" + std::to_string(id);
}

}  // namespace xdml::runtime::prov
