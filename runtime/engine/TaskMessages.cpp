// TaskMessages.cpp — see TaskMessages.h. Each message starts with a tag byte and a version, so
// that bytes of another kind (or another build) are refused rather than misread.
#include "runtime/engine/TaskMessages.h"

#include "runtime/engine/MessageCodec.h"
#include "runtime/engine/Models.h"
#include "runtime/engine/TaskFailure.h"
#include "runtime/interp/Conform.h"
#include "runtime/interp/EvalError.h"
#include "runtime/interp/Program.h"

namespace xdml::runtime {

namespace {

constexpr uint8_t kRequestTag = 0x51, kOutcomeTag = 0x52, kVersion = 1;

void header(MessageWriter& w, uint8_t tag) {
    w.pod(tag);
    w.pod(kVersion);
}

void expectHeader(MessageReader& r, uint8_t tag) {
    if (r.pod<uint8_t>() != tag) r.fail("not this kind of message");
    if (r.pod<uint8_t>() != kVersion) r.fail("an unknown version");
}

void writeRequest(MessageWriter& w, const TaskRequest& q);  // below, beside its reader

}  // namespace

DatumMessage messageOf(const DatumPtr& d) {
    DatumMessage m;
    m.value = d->value;
    m.site = d->site;
    m.seq = d->seq;
    m.label = d->label;
    m.type = d->type;
    std::lock_guard lock(d->mutex);  // entityOf may be recording it on another thread
    m.entity = d->entity;
    m.sources = d->sources;
    return m;
}

DatumPtr datumOf(DatumMessage m) {
    auto d = Datum::make(std::move(m.value), std::move(m.site), m.seq);
    d->label = std::move(m.label);
    d->type = std::move(m.type);
    d->entity = m.entity;
    d->sources = std::move(m.sources);
    return d;
}

DatumPtr asDeclared(DatumPtr result, const TypeDesc* declared, const Program& program) {
    if (!declared || declared->kind == TypeDesc::Kind::Unknown) return result;
    auto conformed = Datum::make(conformTo(result->value, *declared, program), result->site, result->seq);
    conformed->entity = result->entity;  // the caller's thread made it: no other holder yet
    conformed->label = result->label;
    return conformed;
}

FailureMessage failureOf(std::exception_ptr error) {
    FailureMessage f;
    try {
        std::rethrow_exception(error);
    } catch (const EvalError& e) {
        f = {FailureMessage::Kind::Eval, e.what(), e.message(), "", e.line()};
    } catch (const TaskFailure& e) {
        f = {FailureMessage::Kind::Task, e.what(), "", "", e.line()};
    } catch (const DataError& e) {
        const std::string what = e.what();
        // DataError's what() is "where: problem", or the problem alone.
        const std::string where = what.size() > e.problem().size() + 2 ? what.substr(0, what.size() - e.problem().size() - 2) : "";
        f = {FailureMessage::Kind::Data, what, e.problem(), where, 0};
    } catch (const PlanError& e) {
        f = {FailureMessage::Kind::Plan, e.what(), "", "", 0};
    } catch (const ModelError& e) {
        f = {FailureMessage::Kind::Model, e.what(), "", "", 0};
    } catch (const std::exception& e) {
        f = {FailureMessage::Kind::Other, e.what(), "", "", 0};
    } catch (...) {
        f = {FailureMessage::Kind::Other, "an unknown error", "", "", 0};
    }
    return f;
}

void rethrow(const FailureMessage& f) {
    switch (f.kind) {
    case FailureMessage::Kind::Eval: throw EvalError(f.message, f.line);
    case FailureMessage::Kind::Task: throw TaskFailure(f.what, f.line);
    case FailureMessage::Kind::Data: throw DataError(f.where, f.message);
    case FailureMessage::Kind::Plan: throw PlanError(f.what);
    case FailureMessage::Kind::Model: throw ModelError(f.what);
    case FailureMessage::Kind::Other: break;
    }
    throw std::runtime_error(f.what);
}

TaskOutcome TaskOutcome::failed(std::exception_ptr error) {
    TaskOutcome o;
    o.failure = failureOf(std::move(error));
    return o;
}

void writeDatum(MessageWriter& w, const DatumMessage& d) {
    w.value(d.value);
    w.text(d.site);
    w.pod(d.seq);
    w.text(d.label);
    w.text(d.type);
    w.pod(d.entity);
    w.ids(d.sources);
}

DatumMessage readDatum(MessageReader& r) {
    DatumMessage d;
    d.value = r.value();
    d.site = r.text();
    d.seq = r.pod<int64_t>();
    d.label = r.text();
    d.type = r.text();
    d.entity = r.pod<int64_t>();
    d.sources = r.ids();
    return d;
}

void writeFailure(MessageWriter& w, const FailureMessage& f) {
    w.pod(static_cast<uint8_t>(f.kind));
    w.text(f.what);
    w.text(f.message);
    w.text(f.where);
    w.pod<int32_t>(f.line);
}

FailureMessage readFailure(MessageReader& r) {
    FailureMessage f;
    const auto kind = r.pod<uint8_t>();
    if (kind > static_cast<uint8_t>(FailureMessage::Kind::Other)) r.fail("an unknown kind of failure " + std::to_string(kind));
    f.kind = static_cast<FailureMessage::Kind>(kind);
    f.what = r.text();
    f.message = r.text();
    f.where = r.text();
    f.line = r.pod<int32_t>();
    return f;
}

std::string encodeRequest(const TaskRequest& q) {
    MessageWriter w;
    writeRequest(w, q);
    return w.take();
}

void writeRequestPart(MessageWriter& w, const TaskRequest& q) {
    w.part([&](MessageWriter& inner) { writeRequest(inner, q); });
}

namespace {

void writeRequest(MessageWriter& w, const TaskRequest& q) {
    header(w, kRequestTag);
    w.pod(q.node);
    w.flag(q.chain);
    w.text(q.task);
    w.text(q.site);
    w.pod<int32_t>(q.handler);
    w.pod(q.seq);
    w.pod<int32_t>(q.line);
    w.pod(q.activity);
    w.pod<int32_t>(q.attempt);
    w.pod(q.submitted);
    w.pod<int32_t>(q.rank);
    w.text(q.host);
    const RequestPolicy& p = q.policy;
    w.pod<int32_t>(p.priority);
    w.pod(p.deadline);
    w.pod(p.startWithin);
    w.pod<int32_t>(p.retry);
    w.pod<int32_t>(p.maxConcurrent);
    w.pod(p.memoryCap);
    w.pod(p.memory);
    w.text(p.limitKey);
    w.pod<uint64_t>(q.args.size());
    for (const DatumMessage& a : q.args) writeDatum(w, a);
    w.pod<uint64_t>(q.names.size());
    for (const std::string& n : q.names) w.text(n);
}

}  // namespace

TaskRequest decodeRequest(std::string_view bytes) {
    MessageReader r(bytes, "task request");
    expectHeader(r, kRequestTag);
    TaskRequest q;
    q.node = r.pod<int64_t>();
    q.chain = r.flag();
    q.task = r.text();
    q.site = r.text();
    q.handler = r.pod<int32_t>();
    q.seq = r.pod<int64_t>();
    q.line = r.pod<int32_t>();
    q.activity = r.pod<int64_t>();
    q.attempt = r.pod<int32_t>();
    q.submitted = r.pod<double>();
    q.rank = r.pod<int32_t>();
    q.host = r.text();
    RequestPolicy& p = q.policy;
    p.priority = r.pod<int32_t>();
    p.deadline = r.pod<double>();
    p.startWithin = r.pod<double>();
    p.retry = r.pod<int32_t>();
    p.maxConcurrent = r.pod<int32_t>();
    p.memoryCap = r.pod<uint64_t>();
    p.memory = r.pod<uint64_t>();
    p.limitKey = r.text();
    // A datum is at least its value's length, three strings' lengths and three numbers.
    q.args.resize(r.count(7 * 8));
    for (DatumMessage& a : q.args) a = readDatum(r);
    q.names.resize(r.count(8));
    for (std::string& n : q.names) n = r.text();
    r.end();
    if (q.chain) {
        if (q.node < 0) r.fail("a chain request without its fused node");
        if (q.names.size() != q.args.size()) r.fail("a chain request with " + std::to_string(q.args.size()) +
                                                    " values for " + std::to_string(q.names.size()) + " names");
    } else if (q.task.empty()) {
        r.fail("a request without a task name");
    }
    return q;
}

namespace {

void writeOutcome(MessageWriter& w, const TaskOutcome& o) {
    header(w, kOutcomeTag);
    w.flag(o.ok);
    if (o.ok) {
        writeDatum(w, o.result);
        w.pod<uint64_t>(o.bound.size());
        for (const DatumMessage& b : o.bound) writeDatum(w, b);
    } else {
        writeFailure(w, o.failure);
    }
}

}  // namespace

std::string encodeOutcome(const TaskOutcome& o) {
    MessageWriter w;
    writeOutcome(w, o);
    return w.take();
}

void writeOutcomePart(MessageWriter& w, const TaskOutcome& o) {
    w.part([&](MessageWriter& inner) { writeOutcome(inner, o); });
}

TaskOutcome decodeOutcome(std::string_view bytes) {
    MessageReader r(bytes, "task outcome");
    expectHeader(r, kOutcomeTag);
    TaskOutcome o;
    o.ok = r.flag();
    if (o.ok) {
        o.result = readDatum(r);
        o.bound.resize(r.count(7 * 8));
        for (DatumMessage& b : o.bound) b = readDatum(r);
    } else {
        o.failure = readFailure(r);
    }
    r.end();
    return o;
}

}  // namespace xdml::runtime
