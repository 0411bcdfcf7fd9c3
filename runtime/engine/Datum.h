// Datum.h — a value where it lives: its site, its provenance entity, the stream item it
// derives from (for `seq`), and the copies already moved to other sites (a value moves to a
// site once, however many nodes there read it).
#pragma once

#include "runtime/values/Value.h"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace xdml::runtime {

struct Datum;
using DatumPtr = std::shared_ptr<Datum>;

struct Datum {
    Value value;
    std::string site;
    int64_t seq = -1;      // the stream item it derives from; -1: none
    std::string type;      // its XDML type, printed, for provenance
    std::string label;     // the name it was bound to, for provenance
    std::vector<int64_t> sources;  // entities it was computed from, when it has none of its own yet

    /// Its provenance entity, recorded on first use by an activity (most intermediate values
    /// of a handler never need one). Guarded by `mutex`.
    int64_t entity = -1;
    std::string hash;  // its content hash once taken (an entity or a kept outcome), or ""; guarded by `mutex`
    std::map<std::string, DatumPtr> copies;  // site -> the copy there
    std::mutex mutex;
    std::mutex moveMutex;  // held while a copy to another site is made

    static DatumPtr make(Value v, std::string site, int64_t seq = -1) {
        auto d = std::make_shared<Datum>();
        d->value = std::move(v);
        d->site = std::move(site);
        d->seq = seq;
        return d;
    }
};

}  // namespace xdml::runtime
