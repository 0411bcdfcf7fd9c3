// Capture.h — the capture calls a part of the run records provenance through. The Store is
// the one implementation that writes; a model server on another rank of a distributed run
// records through a proxy whose calls travel to rank 0's store (runtime/distributed/ModelServer.h),
// so every id is rank 0's and the database keeps one writer.
#pragma once

#include "runtime/provenance/Records.h"

#include <cstdint>
#include <string>

namespace xdml::runtime::prov {

class Capture {
public:
    virtual ~Capture() = default;
    virtual int64_t entity(EntityRecord record) = 0;
    virtual int64_t startActivity(ActivityRecord record) = 0;
    virtual void endActivity(int64_t activity, const std::string& status, const std::string& error = "") = 0;
    virtual void used(int64_t activity, int64_t entity, const std::string& role = "") = 0;
    virtual void generated(int64_t entity, int64_t activity) = 0;
    virtual void derivedFrom(int64_t entity, int64_t from, int64_t activity) = 0;
    virtual int64_t decision(DecisionRecord record) = 0;
    virtual int64_t modelVersion(ModelVersionRecord record) = 0;
    /// The open run's id, 0 between runs.
    virtual int64_t runId() const = 0;
};

}  // namespace xdml::runtime::prov
