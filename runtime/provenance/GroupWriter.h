// GroupWriter.h — writes one batch of captured records to the database in one transaction:
// the group commit. It owns its own connection and prepared statements and is used only by
// the capture queue's writer thread.
//
// Requires: the schema exists (createSchema). Guarantees: a batch is written whole or not at
// all; on failure it throws a ProvenanceError naming the file and leaves no transaction open.
#pragma once

#include "runtime/provenance/Batch.h"
#include "runtime/provenance/Digest.h"
#include "runtime/provenance/LogCheckpointer.h"
#include "runtime/sqlite/Sqlite.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace xdml::runtime::prov {

/// An INSERT prepared twice: for kRowsPerInsert rows at once and for one row. Inserting rows
/// many to a statement opens the table's and indexes' cursors once per chunk instead of once
/// per row, which is most of the cost of a small row.
struct BulkInsert {
    static constexpr int kRowsPerInsert = 32;
    /// `head` VALUES (?, ...), ... `tail`: the tail may wrap the rows (`head` ends in a
    /// "SELECT * FROM (", the tail closes it and filters them).
    BulkInsert(sqlite::Connection& db, const char* head, int columns, const char* tail = "");
    sqlite::Statement many, one;
    int columns;
};

class GroupWriter {
public:
    explicit GroupWriter(const std::filesystem::path& dbFile);

    /// Commits `batch`. It may rewrite the batch: an activity that ended in the same group is
    /// inserted with its end instead of being updated afterwards, and links whose activity or
    /// entity is in the group become columns of its row (Schema.cpp, kLinkViews).
    void write(Batch& batch);

private:
    void insertRows(const Batch& batch);
    void mergeEnds(Batch& batch);
    void mergeLinks(Batch& batch);
    void syncWrittenFiles(const Batch& batch);
    void writeDigests(const Batch& batch);

    sqlite::Connection db_;
    LogCheckpointer checkpointer_;  // after db_: it stops before the connection closes
    BulkInsert entities_, activities_, used_, generated_, derivations_, models_, decisions_, statuses_;
    sqlite::Statement endActivity_, addDigest_;
    // Per (run, kind, label): how many entities this writer has committed (an entity's ordinal
    // in its group decides its bucket) and the digest of the group's last, open bucket.
    using DigestKey = std::tuple<int64_t, std::string, std::string>;
    struct OpenGroup {
        int64_t size = 0;
        BucketDigest open;       // bucket (size - 1) / kBucketEntities
        uint64_t touchedIn = 0;  // the last commit that added to the open bucket
    };
    std::map<DigestKey, OpenGroup> groups_;
    uint64_t commits_ = 0;  // group commits so far (writeDigests counts them)
    // The groups this commit touched as they were before it, put back when it fails.
    std::vector<std::pair<OpenGroup*, OpenGroup>> digestsBefore_;
};

}  // namespace xdml::runtime::prov
