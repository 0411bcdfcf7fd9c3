// ModelMessages.cpp — see ModelMessages.h.
#include "runtime/distributed/ModelMessages.h"

namespace xdml::runtime::distributed {

namespace {

void writeItems(MessageWriter& w, const std::vector<LabeledItem>& items) {
    w.pod<uint64_t>(items.size());
    for (const LabeledItem& i : items) {
        w.value(i.x);
        w.value(i.y);
        w.pod(i.entity);
        w.pod(i.seq);
    }
}

std::vector<LabeledItem> readItems(MessageReader& r) {
    // Each item is at least its two value lengths and two ids.
    std::vector<LabeledItem> items(r.count(4 * sizeof(uint64_t)));
    for (LabeledItem& i : items) {
        i.x = r.value();
        i.y = r.value();
        i.entity = r.pod<int64_t>();
        i.seq = r.pod<int64_t>();
    }
    return items;
}

void writeRehearsal(MessageWriter& w, const std::optional<RehearsalConfig>& c) {
    w.flag(c.has_value());
    if (!c) return;
    w.text(c->stream);
    w.pod(c->capacity);
    w.pod<uint8_t>(static_cast<uint8_t>(c->select));
    w.pod(c->memoryBytes);
    w.text(c->spillDir.string());
    w.pod(c->seed);
}

std::optional<RehearsalConfig> readRehearsal(MessageReader& r) {
    if (!r.flag()) return std::nullopt;
    RehearsalConfig c;
    c.stream = r.text();
    c.capacity = r.pod<int64_t>();
    const auto select = r.pod<uint8_t>();
    if (select > static_cast<uint8_t>(Selection::Recent)) r.fail("a rehearsal selection " + std::to_string(select));
    c.select = static_cast<Selection>(select);
    c.memoryBytes = r.pod<uint64_t>();
    c.spillDir = r.text();
    c.seed = r.pod<uint64_t>();
    return c;
}

void writeNote(MessageWriter& w, const ModelNote& n) {
    w.pod<uint8_t>(static_cast<uint8_t>(n.kind));
    using K = ModelNote::Kind;
    switch (n.kind) {
    case K::Entity: {
        const prov::EntityRecord& e = n.entity;
        for (const std::string* s : {&e.kind, &e.label, &e.type, &e.hash, &e.site, &e.stream, &e.path}) w.text(*s);
        w.pod(e.bytes);
        w.pod(e.seq);
        w.flag(e.valid);
        return;
    }
    case K::StartActivity: {
        const prov::ActivityRecord& a = n.activity;
        for (const std::string* s : {&a.kind, &a.name, &a.site, &a.policyJson, &a.host}) w.text(*s);
        w.pod<int32_t>(a.handler);
        w.pod<int32_t>(a.line);
        w.pod<int32_t>(a.rank);
        return;
    }
    case K::Decision: {
        const prov::DecisionRecord& d = n.decision;
        for (const std::string* s : {&d.kind, &d.subject, &d.choice, &d.reason, &d.inputsJson}) w.text(*s);
        w.pod(d.modelVersion);
        return;
    }
    case K::ModelVersion: {
        const prov::ModelVersionRecord& v = n.version;
        for (const std::string* s : {&v.model, &v.metricsJson, &v.itemsJson, &v.snapshot}) w.text(*s);
        w.pod(v.version);
        w.pod(v.parent);
        w.pod(v.entity);
        return;
    }
    case K::EndActivity:
    case K::Used:
    case K::Generated:
    case K::DerivedFrom:
    case K::Report:
    case K::ReportItem:
        for (int64_t id : n.ids) w.pod(id);
        w.text(n.text);
        w.text(n.detail);
        w.pod(n.call);
        return;
    case K::Until:
        w.pod(n.call);
        w.pod(n.accuracy);
        w.pod(n.loss);
        w.pod(n.epoch);
        return;
    }
}

ModelNote readNote(MessageReader& r) {
    ModelNote n;
    const auto kind = r.pod<uint8_t>();
    if (kind > kLastNoteKind) r.fail("a note of kind " + std::to_string(kind));
    n.kind = static_cast<ModelNote::Kind>(kind);
    using K = ModelNote::Kind;
    switch (n.kind) {
    case K::Entity: {
        prov::EntityRecord& e = n.entity;
        for (std::string* s : {&e.kind, &e.label, &e.type, &e.hash, &e.site, &e.stream, &e.path}) *s = r.text();
        e.bytes = r.pod<int64_t>();
        e.seq = r.pod<int64_t>();
        e.valid = r.flag();
        break;
    }
    case K::StartActivity: {
        prov::ActivityRecord& a = n.activity;
        for (std::string* s : {&a.kind, &a.name, &a.site, &a.policyJson, &a.host}) *s = r.text();
        a.handler = r.pod<int32_t>();
        a.line = r.pod<int32_t>();
        a.rank = r.pod<int32_t>();
        break;
    }
    case K::Decision: {
        prov::DecisionRecord& d = n.decision;
        for (std::string* s : {&d.kind, &d.subject, &d.choice, &d.reason, &d.inputsJson}) *s = r.text();
        d.modelVersion = r.pod<int64_t>();
        break;
    }
    case K::ModelVersion: {
        prov::ModelVersionRecord& v = n.version;
        for (std::string* s : {&v.model, &v.metricsJson, &v.itemsJson, &v.snapshot}) *s = r.text();
        v.version = r.pod<int64_t>();
        v.parent = r.pod<int64_t>();
        v.entity = r.pod<int64_t>();
        break;
    }
    case K::EndActivity:
    case K::Used:
    case K::Generated:
    case K::DerivedFrom:
    case K::Report:
    case K::ReportItem:
        for (int64_t& id : n.ids) id = r.pod<int64_t>();
        n.text = r.text();
        n.detail = r.text();
        n.call = r.pod<uint64_t>();
        break;
    case K::Until:
        n.call = r.pod<uint64_t>();
        n.accuracy = r.pod<double>();
        n.loss = r.pod<double>();
        n.epoch = r.pod<int64_t>();
        break;
    }
    return n;
}

}  // namespace

std::string encodeModelCall(const ModelCallHead& call) {
    MessageWriter w;
    w.pod(call.id);
    w.pod<uint8_t>(static_cast<uint8_t>(call.op));
    w.text(call.model);
    w.text(call.arguments);
    return w.take();
}

ModelCallHead decodeModelCall(const std::string& bytes) {
    MessageReader r(bytes, "a model call");
    ModelCallHead call;
    call.id = r.pod<uint64_t>();
    const auto op = r.pod<uint8_t>();
    if (op > kLastModelOp) r.fail("the operation " + std::to_string(op));
    call.op = static_cast<ModelOp>(op);
    call.model = r.text();
    call.arguments = r.text();
    r.end();
    return call;
}

std::string encodeOpening(const ModelOpening& o) {
    MessageWriter w;
    w.pod<uint64_t>(o.served.size());
    for (const std::string& m : o.served) w.text(m);
    w.text(o.workdir.string());
    w.text(o.inputDir.string());
    w.pod(o.seed);
    w.text(o.homeSite);
    w.text(o.file);
    w.flag(o.keepVersions);
    w.flag(o.provenance);
    w.pod(o.run);
    return w.take();
}

ModelOpening decodeOpening(const std::string& bytes) {
    MessageReader r(bytes, "a model opening");
    ModelOpening o;
    for (uint64_t n = r.count(sizeof(uint64_t)); n > 0; --n) o.served.insert(r.text());
    o.workdir = r.text();
    o.inputDir = r.text();
    o.seed = r.pod<int64_t>();
    o.homeSite = r.text();
    o.file = r.text();
    o.keepVersions = r.flag();
    o.provenance = r.flag();
    o.run = r.pod<int64_t>();
    r.end();
    return o;
}

std::string encodeInferArguments(const Value& x, int64_t version) {
    MessageWriter w;
    w.value(x);
    w.pod(version);
    return w.take();
}

std::pair<Value, int64_t> decodeInferArguments(const std::string& bytes) {
    MessageReader r(bytes, "an inference's arguments");
    Value x = r.value();
    const auto version = r.pod<int64_t>();
    r.end();
    return {std::move(x), version};
}

std::string encodeItems(const std::vector<LabeledItem>& items) {
    MessageWriter w;
    writeItems(w, items);
    return w.take();
}

std::vector<LabeledItem> decodeItems(const std::string& bytes) {
    MessageReader r(bytes, "the items to score");
    std::vector<LabeledItem> items = readItems(r);
    r.end();
    return items;
}

std::string encodeTraining(const TrainingRequest& t) {
    MessageWriter w;
    w.text(t.model);
    w.text(t.stream);
    writeItems(w, t.items);
    w.pod(t.policy.batch);
    w.pod(t.policy.maxEpochs);
    w.pod(t.policy.lr);
    w.pod(t.policy.validate);
    w.text(t.policy.optimizer);
    w.text(t.policy.untilText);
    w.flag(static_cast<bool>(t.policy.until));
    writeRehearsal(w, t.rehearse);
    w.pod(t.mix);
    w.pod(t.handlerActivity);
    w.pod<int32_t>(t.line);
    w.text(t.site);
    return w.take();
}

DecodedTraining decodeTraining(const std::string& bytes) {
    MessageReader r(bytes, "a training request");
    DecodedTraining out;
    TrainingRequest& t = out.request;
    t.model = r.text();
    t.stream = r.text();
    t.items = readItems(r);
    t.policy.batch = r.pod<int64_t>();
    t.policy.maxEpochs = r.pod<int64_t>();
    t.policy.lr = r.pod<double>();
    t.policy.validate = r.pod<double>();
    t.policy.optimizer = r.text();
    t.policy.untilText = r.text();
    out.hasUntil = r.flag();
    t.rehearse = readRehearsal(r);
    t.mix = r.pod<double>();
    t.handlerActivity = r.pod<int64_t>();
    t.line = r.pod<int32_t>();
    t.site = r.text();
    r.end();
    return out;
}

std::string encodeModelReply(ModelStatus status, const std::string& bytes) {
    MessageWriter w;
    w.pod<uint8_t>(static_cast<uint8_t>(status));
    w.text(bytes);
    return w.take();
}

std::pair<ModelStatus, std::string> decodeModelReply(const std::string& bytes) {
    MessageReader r(bytes, "a model call's reply");
    const auto status = r.pod<uint8_t>();
    if (status > static_cast<uint8_t>(ModelStatus::Failed)) r.fail("the status " + std::to_string(status));
    std::string answer = r.text();
    r.end();
    return {static_cast<ModelStatus>(status), std::move(answer)};
}

std::string encodeInference(const Inference& i) {
    MessageWriter w;
    w.pod(i.classIndex);
    w.text(i.className);
    w.pod<uint64_t>(i.probabilities.size());
    for (float p : i.probabilities) w.pod(p);
    w.pod(i.version);
    w.pod(i.versionRow);
    w.pod(i.versionEntity);
    return w.take();
}

Inference decodeInference(const std::string& bytes) {
    MessageReader r(bytes, "an inference");
    Inference i;
    i.classIndex = r.pod<int64_t>();
    i.className = r.text();
    i.probabilities.resize(r.count(sizeof(float)));
    for (float& p : i.probabilities) p = r.pod<float>();
    i.version = r.pod<int64_t>();
    i.versionRow = r.pod<int64_t>();
    i.versionEntity = r.pod<int64_t>();
    r.end();
    return i;
}

std::string encodeTrainingResult(const TrainingResult& t) {
    MessageWriter w;
    w.pod(t.version);
    w.pod(t.trained);
    w.pod(t.skipped);
    w.text(t.stopReason);
    return w.take();
}

TrainingResult decodeTrainingResult(const std::string& bytes) {
    MessageReader r(bytes, "a training's result");
    TrainingResult t;
    t.version = r.pod<int64_t>();
    t.trained = r.pod<int64_t>();
    t.skipped = r.pod<int64_t>();
    t.stopReason = r.text();
    r.end();
    return t;
}

namespace {

template <typename T>
std::string encodeScalar(T v) {
    MessageWriter w;
    w.pod(v);
    return w.take();
}

template <typename T>
T decodeScalar(const std::string& bytes) {
    MessageReader r(bytes, "a number");
    const auto v = r.pod<T>();
    r.end();
    return v;
}

}  // namespace

std::string encodeNumber(int64_t n) { return encodeScalar(n); }
int64_t decodeNumber(const std::string& bytes) { return decodeScalar<int64_t>(bytes); }
std::string encodeReal(double d) { return encodeScalar(d); }
double decodeReal(const std::string& bytes) { return decodeScalar<double>(bytes); }

std::string encodeNotes(const std::vector<ModelNote>& notes) {
    MessageWriter w;
    w.pod<uint64_t>(notes.size());
    for (const ModelNote& n : notes) writeNote(w, n);
    return w.take();
}

std::vector<ModelNote> decodeNotes(const std::string& bytes) {
    MessageReader r(bytes, "a model effect");
    std::vector<ModelNote> notes(r.count(1));
    for (ModelNote& n : notes) n = readNote(r);
    r.end();
    return notes;
}

}  // namespace xdml::runtime::distributed
