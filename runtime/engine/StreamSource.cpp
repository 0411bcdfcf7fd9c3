// StreamSource.cpp — see StreamSource.h.
#include "runtime/engine/StreamSource.h"

#include "runtime/interp/Conform.h"
#include "runtime/interp/Evaluate.h"
#include "runtime/io/DataError.h"

#include <algorithm>

namespace xdml::runtime {

StreamSource::StreamSource(const StreamDecl& stream, std::string site, const Program& program,
                           const CompiledCode* compiled, std::filesystem::path baseDir, const ReplayLog* replay,
                           bool hashItems)
    : decl_(stream), site_(std::move(site)), program_(program), compiled_(compiled), baseDir_(std::move(baseDir)),
      replay_(replay), hashItems_(hashItems) {}

StreamSource::~StreamSource() {
    stop();
    join();
}

void StreamSource::open() {
    if (decl_.source->name != "files") openNow();
}

void StreamSource::openNow() {
    const Expr& src = *decl_.source;
    if (src.name == "generate") return;  // computed as it is read
    Evaluator ev(program_, nullptr, compiled_);
    std::vector<std::string> args;
    FileOptions options;  // files' and watch's named options (LANGUAGE.md §9)
    options.hashItems = hashItems_;
    for (std::size_t i = 0; i < src.args.size(); ++i) {
        const Expr& a = src.args[i];
        const std::string& option = i < src.names.size() ? src.names[i] : std::string();
        if (option == "format" && a.op == Expr::Op::Name) {  // a word: raw or npy
            options.format = a.name == "raw" ? FileOptions::Format::Raw : FileOptions::Format::Npy;
            continue;
        }
        Value v = ev.evaluate(a, Scope());
        if (!v.is(Value::Kind::String)) throw DataError("stream " + decl_.name, "'" + src.name + "' takes strings");
        if (option == "dataset") options.dataset = v.asString();
        else if (option.empty()) args.push_back(v.asString());
        else throw DataError("stream " + decl_.name, "'" + src.name + "' has no option '" + option + "'");
    }
    const TypeDesc& type = program_.structure(decl_.type);
    if (const std::vector<std::string>* recorded = replay_ ? replay_->sourceItems(decl_.name) : nullptr)
        source_ = makeListedFilesSource({recorded->begin(), recorded->end()}, type, options);
    else if (replay_)
        source_ = makeListedFilesSource({}, type);  // it delivered nothing in the recorded run
    else if (src.name == "files" && args.size() == 1)
        source_ = makeFilesSource(args[0], baseDir_, type, options);
    else if (src.name == "watch" && args.size() == 2)
        source_ = makeWatchSource(args[0], args[1], baseDir_, type, options);
    else if (src.name == "zmq" && args.size() == 1)
        source_ = makeZmqSource(args[0], type, baseDir_);
    else
        throw DataError("stream " + decl_.name, "unknown source '" + src.name + "'");
}

void StreamSource::start(BoundedQueue<IncomingItem>& input, SourceHooks hooks) {
    hooks_ = std::move(hooks);
    // `files` lists what exists when the stream starts: after the flow-level statements.
    if (decl_.source->name == "files") openNow();
    reader_ = std::thread([this, &input] { read(input); });
}

void StreamSource::read(BoundedQueue<IncomingItem>& input) {
    if (decl_.source->name == "generate") {
        readGenerated(input);
    } else {
        SourceItem item;
        while (!hooks_.stopping() && source_->next(item)) {
            if (!item.notice.empty()) {
                hooks_.notice(item);
                continue;
            }
            IncomingItem in;
            if (item.error.empty()) in.datum = Datum::make(std::move(item.value), site_);
            in.origin = std::move(item.origin);
            in.error = std::move(item.error);
            in.bytes = item.bytes;
            in.hash = std::move(item.hash);
            in.recovered = item.recovered;
            in.arrival = hooks_.clock();
            if (!input.push(std::move(in))) break;
        }
    }
    input.close();
}

bool StreamSource::waitUntil(std::chrono::steady_clock::time_point due) const {
    constexpr auto kSlice = std::chrono::milliseconds(20);  // how soon a stop is seen
    for (auto now = std::chrono::steady_clock::now(); now < due; now = std::chrono::steady_clock::now()) {
        if (hooks_.stopping()) return false;
        std::this_thread::sleep_until(std::min(due, now + kSlice));
    }
    return !hooks_.stopping();
}

void StreamSource::readGenerated(BoundedQueue<IncomingItem>& input) {
    const Expr& src = *decl_.source;
    Evaluator ev(program_, nullptr, compiled_);
    try {
        const bool paced = src.args.size() == 3 && src.names.size() == 3 && src.names[2] == "period";
        if ((src.args.size() != 2 && !paced) || src.args[0].op != Expr::Op::Name)
            throw EvalError("'generate' takes a fn, a count and maybe a period");
        Value count = ev.evaluate(src.args[1], Scope());
        if (!count.is(Value::Kind::Int)) throw EvalError("the count of 'generate' must be an int");
        double period = 0;
        if (paced) {
            Value p = ev.evaluate(src.args[2], Scope());
            if (!p.is(Value::Kind::Quantity) || !(p.asQuantity().value > 0))
                throw EvalError("the period of 'generate' must be a duration above 0");
            period = p.asQuantity().value;
        }
        const TypeDesc& type = decl_.type;
        int64_t n = count.asInt();
        // A replay generates what the recorded run delivered: no more, if it was stopped early;
        // and at once: its pace was the original's.
        if (replay_) {
            n = std::min(n, replay_->recordedItems(decl_.name));
            period = 0;
        }
        // Item i is due at start + i * period: scheduled against the start, so a slow item
        // does not delay the ones after it and the rate does not drift over a long run.
        const auto start = std::chrono::steady_clock::now();
        for (int64_t i = 0; i < n && !hooks_.stopping(); ++i) {
            if (period > 0 && !waitUntil(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                     std::chrono::duration<double>(period * static_cast<double>(i)))))
                break;
            IncomingItem in;
            in.origin = src.args[0].name + "(" + std::to_string(i) + ")";
            try {
                in.datum = Datum::make(conformTo(ev.call(src.args[0].name, {Value::integer(i)}), type, program_), site_);
            } catch (const EvalError& e) {
                in.error = in.origin + ": " + e.message();
            }
            in.arrival = hooks_.clock();
            if (!input.push(std::move(in))) break;
        }
    } catch (const std::exception& e) {
        hooks_.report("stream " + decl_.name + ": " + e.what());
    }
}

void StreamSource::stop() {
    stopped_.store(true);
    std::lock_guard lock(mutex_);
    if (source_) source_->stop();
}

void StreamSource::join() {
    if (reader_.joinable()) reader_.join();
}

}  // namespace xdml::runtime
