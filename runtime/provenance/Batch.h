// Batch.h — the records captured between two group commits, one vector per table, each in id
// order. Callers fill one batch while the writer thread commits the other; the two swap, and a
// written batch is cleared but keeps its capacity, so capture allocates nothing in the steady
// state beyond the records' own strings. Rows are built in place under the capture lock (every
// move of a short string is a memcpy call: moving a row costs about ten).
#pragma once

#include "runtime/provenance/Kinds.h"
#include "runtime/provenance/Records.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xdml::runtime::prov {

struct EntityRow {
    int64_t id, run;
    double created;
    EntityRecord record;
    // Filled in by the writer from a `generated` link of the same group: the activity that made
    // it, kept in the row (entities.generated_by) instead of a row of its own.
    int64_t generatedBy = -1;
};

struct ActivityRow {
    int64_t id, run;
    double started;
    ActivityRecord record;
    // Filled in by the writer when the activity also ended within the same group, which saves
    // the UPDATE for every short activity.
    double ended = 0;
    std::string_view status = activity_status::running;  // one of Kinds.h's constants
    std::string error{};
    // Filled in by the writer from the activity's first `used` link in the same group, kept in
    // the row (activities.input, input_role) instead of a row of its own.
    int64_t input = -1;
    std::string inputRole{};
};

struct ActivityEnd {
    int64_t activity;
    double ended;
    std::string_view status;  // one of Kinds.h's activity_status constants
    std::string error{};
};

struct UsedRow {
    int64_t activity, entity;
    std::string role;
};

struct GeneratedRow {
    int64_t entity, activity;
};

struct DerivationRow {
    int64_t entity, from, activity;
};

struct DecisionRow {
    int64_t id, run;
    double time;
    DecisionRecord record;
};

struct SiteStatusRow {
    int64_t run;
    double time;
    SiteStatusRecord record;
};

struct ModelRow {
    int64_t id, run;
    double created;
    ModelVersionRecord record;
};

struct Batch {
    std::vector<EntityRow> entities;
    std::vector<ActivityRow> activities;
    std::vector<ActivityEnd> ends;
    std::vector<UsedRow> used;
    std::vector<GeneratedRow> generated;
    std::vector<DerivationRow> derivations;
    std::vector<DecisionRow> decisions;
    std::vector<ModelRow> models;
    std::vector<SiteStatusRow> statuses;
    std::size_t records = 0;  // the sum of the sizes above, kept so callers need not add them up
    /// The folders of files `write()` wrote (without fsync) that entities of this group record:
    /// their file systems are synced before the group commits (Store::writtenFile).
    std::vector<std::string> syncFolders;

    void clear() {
        entities.clear();
        activities.clear();
        ends.clear();
        used.clear();
        generated.clear();
        derivations.clear();
        decisions.clear();
        models.clear();
        statuses.clear();
        syncFolders.clear();
        records = 0;
    }
};

}  // namespace xdml::runtime::prov
