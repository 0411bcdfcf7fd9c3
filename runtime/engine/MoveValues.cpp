// MoveValues.cpp — values between sites and into storage (see Run.h): a move is the value
// carried by the transport between its two sites (Transport.h: the sites' folders, or the
// executor's messages for a site on other ranks), once per value and site, counted and
// recorded alike; -O0 persistence writes a task's output and reads it back; entities are
// recorded when an activity first uses a value.
#include "runtime/engine/Run.h"

#include "runtime/io/AtomicWrite.h"
#include "runtime/io/DataError.h"
#include "runtime/io/ValueCodec.h"
#include "runtime/provenance/ContentHash.h"

#include <fstream>

namespace xdml::runtime {

namespace fs = std::filesystem;

std::string contentHashOf(const Value& v) {
    if (v.is(Value::Kind::Tensor)) {
        const Tensor& t = v.asTensor();
        return prov::contentHash(t.buffer->data(), t.count() * elemSize(t.elem));
    }
    const std::string raw = encodeValue(v);
    return prov::contentHash(raw.data(), raw.size());
}

prov::EntityRecord Run::entityRecordOf(const Datum& d, const std::string& kind) const {
    prov::EntityRecord rec;
    rec.kind = kind;
    rec.label = d.label;
    rec.site = d.site;
    rec.seq = -1;
    rec.hash = d.hash.empty() ? contentHashOf(d.value) : d.hash;
    rec.bytes = static_cast<int64_t>(payloadBytes(d.value));
    return rec;
}

int64_t Run::entityOf(const DatumPtr& d, const std::string& kind) {
    if (!store_) return -1;
    std::lock_guard lock(d->mutex);
    if (d->entity >= 0) return d->entity;
    prov::EntityRecord rec = entityRecordOf(*d, kind);
    d->hash = rec.hash;
    d->entity = store_->entity(std::move(rec));
    for (int64_t from : d->sources)
        if (from >= 0) store_->derivedFrom(d->entity, from, -1);
    return d->entity;
}

DatumPtr Run::moveTo(const DatumPtr& d, const std::string& to) {
    if (to.empty() || d->site == to) return d;
    // One copy per value and site, even when several tasks ask for it at once: the first
    // mover copies while holding the value's move lock; the others then find its copy.
    std::lock_guard moving(d->moveMutex);
    {
        std::lock_guard lock(d->mutex);
        if (auto it = d->copies.find(to); it != d->copies.end()) return it->second;
    }
    Transport& transport = transports_->between(d->site, to);
    auto copy = Datum::make(transport.carry(d->value, d->site, to), to, d->seq);
    copy->label = d->label;
    copy->type = d->type;
    const uint64_t bytes = payloadBytes(d->value);
    stats_.movedBytes += bytes;
    stats_.transfers++;
    if (store_) {
        const int64_t from = entityOf(d);
        prov::ActivityRecord rec;
        rec.kind = "transfer";
        rec.name = d->site + " -> " + to;
        rec.site = to;
        const int64_t a = store_->startActivity(rec);
        store_->used(a, from, "value");
        prov::EntityRecord e;
        e.kind = "value";
        e.label = d->label;
        e.site = to;
        // A copy's bytes are hashed again (the hash proves the copy); a value the executor's
        // messages carry later is the original itself, whose hash entityOf just took.
        if (!transport.copies()) {
            std::lock_guard lock(d->mutex);
            e.hash = d->hash;
        }
        if (e.hash.empty()) e.hash = contentHashOf(copy->value);
        e.bytes = static_cast<int64_t>(bytes);
        copy->entity = store_->entity(e);
        copy->hash = e.hash;
        store_->generated(copy->entity, a);
        store_->derivedFrom(copy->entity, from, a);
        store_->endActivity(a, "ok");
    }
    std::lock_guard lock(d->mutex);
    auto [it, inserted] = d->copies.emplace(to, copy);
    return it->second;
}

DatumPtr Run::persist(const DatumPtr& d, const std::string& what) {
    const std::string raw = encodeValue(d->value);
    const fs::path file = options_.workdir / "sites" / d->site / "values" / (what + "-" + std::to_string(++fileCounter_) + ".xv");
    try {
        writeFileAtomically(file, raw, Durability::Scratch);
    } catch (const WriteError& e) {
        throw WriteError(e.path(), "cannot write the output of " + what + ": " + e.reason());
    }
    std::string back(raw.size(), '\0');
    {
        std::ifstream f(file, std::ios::binary);
        f.read(back.data(), static_cast<std::streamsize>(back.size()));
        if (!f) throw DataError(file.string(), "cannot read back the output of " + what);
    }
    stats_.writtenBytes += payloadBytes(d->value);
    stats_.writtenFileBytes += raw.size();
    auto copy = Datum::make(decodeValue(reinterpret_cast<const std::byte*>(back.data()), back.size(), file.string()), d->site, d->seq);
    copy->label = d->label;
    copy->entity = d->entity;
    copy->sources = d->sources;
    return copy;
}

}  // namespace xdml::runtime
