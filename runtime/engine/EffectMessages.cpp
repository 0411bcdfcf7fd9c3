// EffectMessages.cpp — see EffectMessages.h. A message: a tag, a version, the effect's kind and
// its fields; an answer: a tag, a version, ok, then the result or the failure.
#include "runtime/engine/EffectMessages.h"

#include "runtime/engine/MessageCodec.h"
#include "runtime/engine/TaskMessages.h"
#include "runtime/interp/Program.h"

namespace xdml::runtime {

namespace {

constexpr uint8_t kEffectTag = 0x45, kAnswerTag = 0x41, kVersion = 1;

enum class Kind : uint8_t { Move, Emit, Record, Log, File, Train, Call, Model, Count, Now, Stopping, Resolve };

MessageWriter message(Kind kind) {
    MessageWriter w;
    w.pod(kEffectTag);
    w.pod(kVersion);
    w.pod(static_cast<uint8_t>(kind));
    return w;
}

void expect(MessageReader& r, uint8_t tag) {
    if (r.pod<uint8_t>() != tag) r.fail("not this kind of message");
    if (r.pod<uint8_t>() != kVersion) r.fail("an unknown version");
}

/// The answer's reader, positioned after `ok`; a failure is thrown again here, on the worker.
class Answer {
public:
    explicit Answer(std::string bytes) : bytes_(std::move(bytes)), reader_(bytes_, "effect answer") {
        expect(reader_, kAnswerTag);
        if (!reader_.flag()) {
            const FailureMessage f = readFailure(reader_);
            reader_.end();
            rethrow(f);
        }
    }
    MessageReader& operator*() { return reader_; }
    MessageReader* operator->() { return &reader_; }

private:
    std::string bytes_;
    MessageReader reader_;
};

/// The coordinator's entity for a value the worker holds, kept on the worker's copy.
void adoptEntity(const DatumPtr& d, int64_t entity) {
    if (entity < 0) return;
    std::lock_guard lock(d->mutex);
    if (d->entity < 0) d->entity = entity;
}

const Stmt* findTrain(const std::vector<Stmt>& body, const std::string& at, int line) {
    for (const Stmt& s : body) {
        if (s.op == Stmt::Op::Train && s.at == at && s.line == line) return &s;
        if (const Stmt* inner = findTrain(s.body, at, line)) return inner;
        if (const Stmt* inner = findTrain(s.elseBody, at, line)) return inner;
    }
    return nullptr;
}

}  // namespace

// ------------------------------------------------------------------ the worker's side

DatumPtr ChannelSink::moveTo(const DatumPtr& d, const std::string& site) {
    if (site.empty() || d->site == site) return d;  // already there: nothing crosses
    {
        std::lock_guard lock(d->mutex);
        if (auto it = d->copies.find(site); it != d->copies.end()) return it->second;
    }
    MessageWriter w = message(Kind::Move);
    writeDatum(w, messageOf(d));
    w.text(site);
    Answer a(channel_(w.take()));
    adoptEntity(d, a->pod<int64_t>());
    DatumMessage moved = readDatum(*a);
    a->end();
    moved.value = d->value;  // a move never changes a value: the answer holds only the copy's identity
    DatumPtr copy = datumOf(std::move(moved));
    std::lock_guard lock(d->mutex);
    return d->copies.emplace(site, copy).first->second;
}

void ChannelSink::emit(const std::string& stream, const DatumPtr& d, const std::string& site, bool persist) {
    MessageWriter w = message(Kind::Emit);
    w.text(stream);
    writeDatum(w, messageOf(d));
    w.text(site);
    w.flag(persist);
    Answer a(channel_(w.take()));
    adoptEntity(d, a->pod<int64_t>());
    a->end();
}

void ChannelSink::record(const std::string& catalog, const DatumPtr& d, const std::string& site) {
    MessageWriter w = message(Kind::Record);
    w.text(catalog);
    writeDatum(w, messageOf(d));
    w.text(site);
    Answer a(channel_(w.take()));
    adoptEntity(d, a->pod<int64_t>());
    a->end();
}

void ChannelSink::log(const std::string& line) {
    MessageWriter w = message(Kind::Log);
    w.text(line);
    Answer a(channel_(w.take()));
    a->end();
}

void ChannelSink::fileUsed(const FileUse& f) {
    MessageWriter w = message(Kind::File);
    w.text(f.path);
    w.pod(f.bytes);
    w.text(f.hash);
    w.text(f.site);
    w.flag(f.written);
    Answer a(channel_(w.take()));
    a->end();
}

void ChannelSink::train(const Stmt& s, const TaskDecl* task) {
    // The statement by where it is: the task it is in, its position and line.
    MessageWriter w = message(Kind::Train);
    w.text(task ? task->name : "");
    w.text(s.at);
    w.pod<int32_t>(s.line);
    Answer a(channel_(w.take()));
    a->end();
}

Pending ChannelSink::startTask(TaskCall call) {
    MessageWriter w = message(Kind::Call);
    w.text(call.task->name);
    w.pod(call.node);
    w.pod<uint64_t>(call.args.size());
    for (const DatumPtr& arg : call.args) writeDatum(w, messageOf(arg));
    w.text(call.site);
    w.pod(call.seq);
    w.pod<int32_t>(call.line);
    Answer a(channel_(w.take()));
    DatumPtr result = datumOf(readDatum(*a));
    a->end();
    // The type of the `let` it is bound to is this side's to apply (the coordinator's task
    // call applies it when the caller is its own).
    return PendingDatum::ready(asDeclared(std::move(result), call.as, program_));
}

ChainResult ChannelSink::startChain(ChainCall chain) {
    throw PlanError("plan code: a fused chain (node " + std::to_string(chain.node) + ") inside a task's body or another chain");
}

Value ChannelSink::askModel(const ModelQuery& q) {
    MessageWriter w = message(Kind::Model);
    w.pod(static_cast<uint8_t>(q.kind));
    w.text(q.model);
    w.value(q.input);
    w.text(q.stream);
    w.pod<int32_t>(q.line);
    Answer a(channel_(w.take()));
    Value v = a->value();
    a->end();
    return v;
}

int64_t ChannelSink::count(const std::string& catalog) {
    MessageWriter w = message(Kind::Count);
    w.text(catalog);
    Answer a(channel_(w.take()));
    const auto n = a->pod<int64_t>();
    a->end();
    return n;
}

double ChannelSink::now() {
    Answer a(channel_(message(Kind::Now).take()));
    const auto t = a->pod<double>();
    a->end();
    return t;
}

bool ChannelSink::stopping() {
    Answer a(channel_(message(Kind::Stopping).take()));
    const bool b = a->flag();
    a->end();
    return b;
}

std::string ChannelSink::resolve(const std::string& path, bool forWriting) {
    MessageWriter w = message(Kind::Resolve);
    w.text(path);
    w.flag(forWriting);
    Answer a(channel_(w.take()));
    std::string p = a->text();
    a->end();
    return p;
}

// ------------------------------------------------------------------ the coordinator's side

std::string applyEffect(EffectSink& sink, const Program& program, const std::string& bytes) {
    MessageWriter out;
    out.pod(kAnswerTag);
    out.pod(kVersion);
    try {
        MessageReader r(bytes, "effect");
        expect(r, kEffectTag);
        const auto kind = r.pod<uint8_t>();
        MessageWriter answer;
        switch (static_cast<Kind>(kind)) {
        case Kind::Move: {
            DatumPtr d = datumOf(readDatum(r));
            const std::string site = r.text();
            r.end();
            DatumPtr copy = sink.moveTo(d, site);
            answer.pod(d->entity);
            DatumMessage identity = messageOf(copy);
            identity.value = Value::none();  // the worker holds the value: it does not cross back
            writeDatum(answer, identity);
            break;
        }
        case Kind::Emit:
        case Kind::Record: {
            const std::string target = r.text();
            DatumPtr d = datumOf(readDatum(r));
            const std::string site = r.text();
            const bool persist = static_cast<Kind>(kind) == Kind::Emit ? r.flag() : false;
            r.end();
            if (static_cast<Kind>(kind) == Kind::Emit) sink.emit(target, d, site, persist);
            else sink.record(target, d, site);
            std::lock_guard lock(d->mutex);
            answer.pod(d->entity);
            break;
        }
        case Kind::Log: {
            const std::string line = r.text();
            r.end();
            sink.log(line);
            break;
        }
        case Kind::File: {
            FileUse f;
            f.path = r.text();
            f.bytes = r.pod<uint64_t>();
            f.hash = r.text();
            f.site = r.text();
            f.written = r.flag();
            r.end();
            sink.fileUsed(f);
            break;
        }
        case Kind::Train: {
            const std::string taskName = r.text();
            const std::string at = r.text();
            const int line = r.pod<int32_t>();
            r.end();
            const TaskDecl* task = program.task(taskName);
            const Stmt* s = task ? findTrain(task->body, at, line) : nullptr;
            if (!s) r.fail("no train statement at " + at + " (line " + std::to_string(line) + ") in task '" + taskName + "'");
            sink.train(*s, task);
            break;
        }
        case Kind::Call: {
            TaskCall call;
            const std::string name = r.text();
            call.task = program.task(name);
            if (!call.task) r.fail("a call of '" + name + "', which is not among the tasks");
            call.node = r.pod<int64_t>();
            call.args.resize(r.count(7 * 8));
            for (DatumPtr& arg : call.args) arg = datumOf(readDatum(r));
            call.site = r.text();
            call.seq = r.pod<int64_t>();
            call.line = r.pod<int32_t>();
            call.needNow = true;
            r.end();
            writeDatum(answer, messageOf(sink.startTask(std::move(call))->get()));
            break;
        }
        case Kind::Model: {
            ModelQuery q;
            const auto k = r.pod<uint8_t>();
            if (k > static_cast<uint8_t>(ModelQuery::Kind::Accuracy)) r.fail("an unknown model question " + std::to_string(k));
            q.kind = static_cast<ModelQuery::Kind>(k);
            q.model = r.text();
            q.input = r.value();
            q.stream = r.text();
            q.line = r.pod<int32_t>();
            r.end();
            answer.value(sink.askModel(q));
            break;
        }
        case Kind::Count: {
            const std::string catalog = r.text();
            r.end();
            answer.pod<int64_t>(sink.count(catalog));
            break;
        }
        case Kind::Now: r.end(); answer.pod(sink.now()); break;
        case Kind::Stopping: r.end(); answer.flag(sink.stopping()); break;
        case Kind::Resolve: {
            const std::string path = r.text();
            const bool forWriting = r.flag();
            r.end();
            answer.text(sink.resolve(path, forWriting));
            break;
        }
        default: r.fail("an unknown effect " + std::to_string(kind));
        }
        out.flag(true);
        std::string head = out.take();
        return head + answer.take();
    } catch (...) {
        out.flag(false);
        writeFailure(out, failureOf(std::current_exception()));
        return out.take();
    }
}

}  // namespace xdml::runtime
