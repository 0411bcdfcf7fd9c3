// Run.cpp — see Run.h: setting a run up, moving and persisting values, policies, and the end.
#include "runtime/engine/Run.h"

#include "runtime/engine/LoopbackExecutor.h"
#include "runtime/engine/RunEffects.h"
#include "runtime/engine/ModelUses.h"
#include "runtime/engine/Progress.h"
#include "runtime/engine/StreamRuntime.h"
#include "runtime/interp/Evaluate.h"
#include "runtime/io/DataError.h"
#include "runtime/io/ValueCodec.h"
#include "runtime/provenance/ContentHash.h"
#include "runtime/values/Text.h"

#include <fstream>
#include <iostream>
#include <limits>
#include <set>
#include <thread>

namespace xdml::runtime {

namespace fs = std::filesystem;

namespace {

void collectEmits(const Program& program, const std::vector<Stmt>& body, std::set<std::string>& out,
                  std::set<std::string>& tasksSeen);

void emitsInExpr(const Program& program, const Expr& e, std::set<std::string>& out, std::set<std::string>& tasksSeen) {
    if (e.op == Expr::Op::Call && e.binding == NameBinding::OtherGlobal && e.declares == "task" &&
        tasksSeen.insert(e.name).second)
        if (const TaskDecl* t = program.task(e.name)) collectEmits(program, t->body, out, tasksSeen);
    for (const Expr& a : e.args) emitsInExpr(program, a, out, tasksSeen);
}

/// The streams a body may emit into, through the tasks it calls too.
void collectEmits(const Program& program, const std::vector<Stmt>& body, std::set<std::string>& out,
                  std::set<std::string>& tasksSeen) {
    for (const Stmt& s : body) {
        if (s.op == Stmt::Op::Emit) out.insert(s.target);
        if (s.op == Stmt::Op::OnNewData || s.op == Stmt::Op::OnEnd) continue;
        if (s.value) emitsInExpr(program, *s.value, out, tasksSeen);
        collectEmits(program, s.body, out, tasksSeen);
        collectEmits(program, s.elseBody, out, tasksSeen);
    }
}

const Stmt* findHandler(const std::vector<Stmt>& body, const std::string& at) {
    for (const Stmt& s : body)
        if ((s.op == Stmt::Op::OnNewData || s.op == Stmt::Op::OnEnd) && s.at == at) return &s;
    return nullptr;
}

}  // namespace

Run::Run(Program program, PlanModel plan, RunOptions options)
    : program_(std::move(program)), plan_(std::move(plan)), options_(std::move(options)) {
    if (!options_.out) options_.out = [](const std::string& line) { std::cout << line << std::endl; };
}

Run::~Run() {
    // Streams emit into each other: stop and drain all of them before destroying any.
    for (auto& [name, s] : streams_) s->stopSource();
    for (auto& [name, s] : streams_) s->closeInput();
    for (auto& [name, s] : streams_) s->join();
    for (auto& [name, site] : sites_) site->shutdown();
    streams_.clear();
}

double Run::elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count(); }

fs::path Run::resolve(const std::string& path) const {
    fs::path p(path);
    return p.is_absolute() ? p : options_.workdir / p;
}

fs::path Run::resolveInput(const std::string& path) const {
    fs::path p(path);
    if (p.is_absolute() || options_.inputDir.empty()) return resolve(path);
    std::error_code ec;
    if (fs::exists(options_.workdir / p, ec)) return options_.workdir / p;
    // What the recorded run wrote was not there before it: the replay sees its own copy or none.
    if (options_.replay && options_.replay->wrote((options_.inputDir / p).string())) return options_.workdir / p;
    return options_.inputDir / p;
}

std::string Run::invalidatedInput(const std::string& hash) const {
    auto it = invalidHashes_.find(hash);
    if (it == invalidHashes_.end()) return "";
    return "its content is that of entity " + std::to_string(it->second) +
           ", which was invalidated (`xdmlc prov why " + std::to_string(it->second) + "`)";
}

const FiringContext& Run::firingContext() const { return worker_->context(); }

SiteExecutor& Run::site(const std::string& name) {
    auto it = sites_.find(name);
    if (it == sites_.end()) throw PlanError("plan: a node at the unknown site '" + name + "'");
    return *it->second;
}

std::vector<SiteStatus> Run::siteStatuses() const {
    std::vector<SiteStatus> out;
    for (const auto& [name, s] : sites_) out.push_back(s->status());
    return out;
}

StreamRuntime* Run::stream(const std::string& name) {
    auto it = streams_.find(name);
    return it == streams_.end() ? nullptr : it->second.get();
}

Models& Run::models() {
    if (!models_) throw EvalError("this run has no models runtime (LibTorch): models cannot be used");
    return *models_;
}

CatalogStore& Run::catalog(const std::string& name) {
    auto it = catalogs_.find(name);
    if (it == catalogs_.end()) throw EvalError("no catalog '" + name + "' in this run");
    return *it->second;
}

void Run::log(const std::string& line) {
    std::lock_guard lock(reportMutex_);
    if (options_.quiet) return;
    if (options_.progress) std::cerr << "\r\033[K" << std::flush;  // the progress line redraws below
    options_.out(line);
}

void Run::report(const std::string& line, const std::string& kind) {
    constexpr uint64_t kShown = 3;
    std::lock_guard lock(reportMutex_);
    if (!kind.empty()) {
        auto& [first, count] = repeated_[kind];
        if (count++ == 0) first = line;
        if (count > kShown) return;
    }
    if (reports_.size() < 1000) reports_.push_back(line);
    // Failures go to standard error, whatever --quiet says.
    if (options_.progress && !options_.quiet) std::cerr << "\r\033[K";
    std::cerr << "xdmlc: " << line << std::endl;
}

void Run::recordDecision(const std::string& kind, const std::string& subject, const std::string& choice,
                         const std::string& reason, const std::string& inputsJson) {
    if (store_) store_->decision({kind, subject, choice, reason, inputsJson, -1});
    if (kind == "deadline_miss" || kind == "start_miss") {
        std::lock_guard lock(reportMutex_);
        if (reports_.size() < 1000) reports_.push_back("warning: " + reason);
    }
}

// ------------------------------------------------------------------ the run

void Run::openStores() {
    std::error_code ec;
    fs::create_directories(options_.workdir, ec);
    if (ec) throw DataError(options_.workdir.string(), "cannot create the work directory: " + ec.message());
    const unsigned hardware = std::thread::hardware_concurrency();
    for (const SiteInfo& s : plan_.sites) {
        for (const char* sub : {"values", "outbox", "inbox"}) fs::create_directories(options_.workdir / "sites" / s.name / sub, ec);
        if (ec) throw DataError((options_.workdir / "sites" / s.name).string(), "cannot create the site's folder: " + ec.message());
    }
    worker_ = std::make_unique<TaskWorker>(FiringContext{program_, plan_, compiled(), options_.workdir, options_.provenance});
    transport_ = std::make_unique<FolderTransport>(options_.workdir);
    if (options_.executor != "local" && options_.executor != "loopback")
        throw PlanError("unknown executor '" + options_.executor + "' (local or loopback)");
    for (const SiteInfo& s : plan_.sites) {
        const int workers = workersFor(s.cores, hardware);
        if (options_.executor == "loopback") sites_.emplace(s.name, std::make_unique<LoopbackExecutor>(s.name, workers, *worker_));
        else sites_.emplace(s.name, std::make_unique<LocalExecutor>(s.name, workers, *worker_));
    }
    if (options_.provenance) {
        store_ = prov::Store::open(options_.provenanceFile.empty() ? options_.workdir / "provenance.db"
                                                                   : options_.provenanceFile);
        invalidHashes_ = store_->invalidInputHashes();
        prov::RunInfo info;
        info.flow = options_.flows.empty() ? "" : options_.flows.front();
        for (std::size_t i = 1; i < options_.flows.size(); ++i) info.flow += "," + options_.flows[i];
        info.scriptPath = options_.scriptPath;
        info.scriptHash = !options_.scriptHash.empty() ? options_.scriptHash
                                                       : prov::contentHash(options_.scriptText.data(), options_.scriptText.size());
        info.arguments = options_.arguments;
        info.seed = options_.seed;
        info.planJson = options_.planJson;
        info.workdir = fs::absolute(inputDir()).lexically_normal().string();
        recordedRun_ = store_->beginRun(info);
    }
    Evaluator ev(program_, nullptr, compiled());
    for (const auto& [name, c] : program_.catalogs()) {
        Value path = ev.evaluate(c.path, Scope());
        if (!path.is(Value::Kind::String)) throw DataError("catalog " + name, "its path is not a string");
        auto& catalog = catalogs_.emplace(name, CatalogStore::open(resolve(path.asString()), name, program_.structure(c.type),
                                                   [this](const TypeDesc& t) -> const TypeDesc& { return program_.structure(t); })).first->second;
        // What a flow reads of a catalog depends on what earlier runs left in it: said once, so
        // a replay (which starts with the catalog empty) can tell its user.
        if (const int64_t held = catalog->count(); held > 0 && store_)
            store_->decision({"catalog_state", "catalog:" + name, std::to_string(held) + " records",
                              "catalog " + name + " held " + std::to_string(held) + " records when the run started", "{}", -1});
    }
}

void Run::startStreams() {
    std::set<std::string> flows(options_.flows.begin(), options_.flows.end());
    auto selected = [&](const std::string& flow) { return flows.empty() || flows.count(flow); };
    // Which streams take part: those the selected handlers listen to or emit into.
    std::set<std::string> used;
    for (const HandlerInfo& h : plan_.handlers) {
        if (!selected(h.flow)) continue;
        if (!h.stream.empty()) used.insert(h.stream);
        const FlowDecl* flow = nullptr;
        if (auto f = program_.flows().find(h.flow); f != program_.flows().end()) flow = &f->second;
        if (!flow) throw PlanError("plan: handler " + std::to_string(h.id) + " of the unknown flow '" + h.flow + "'");
        std::set<std::string> targets, tasksSeen;
        if (h.kind == "start") {
            collectEmits(program_, flow->body, targets, tasksSeen);
        } else {
            const Stmt* st = findHandler(flow->body, h.at);
            if (!st) throw PlanError("plan: handler " + std::to_string(h.id) + " has no statement at " + h.at);
            collectEmits(program_, st->body, targets, tasksSeen);
        }
        for (const std::string& t : targets) {
            used.insert(t);
            producers_[t].insert(h.kind == "start" ? "" : h.stream);
        }
    }
    // And those a model trains on or scores, which may have no handler of their own.
    const auto modelUses = modelUsesOfStreams(program_, flows);
    for (const auto& [name, use] : modelUses) used.insert(name);
    for (const std::string& name : used) {
        auto decl = program_.streams().find(name);
        if (decl == program_.streams().end()) throw PlanError("plan: the unknown stream '" + name + "'");
        auto info = plan_.streams.find(name);
        std::string site = info != plan_.streams.end() && !info->second.site.empty() ? info->second.site : plan_.homeSite;
        auto use = modelUses.find(name);
        streams_.emplace(name, std::make_unique<StreamRuntime>(*this, decl->second, site,
                                                               use != modelUses.end() ? use->second : StreamModelUse{}));
        producers_[name];  // every stream has an entry, maybe empty
    }
    for (const HandlerInfo& h : plan_.handlers) {
        if (!selected(h.flow) || h.kind == "start") continue;
        const Stmt* st = findHandler(program_.flows().at(h.flow).body, h.at);
        streams_.at(h.stream)->addHandler(h, *st);
    }
    // The plan's placements, once: why each task runs where it does.
    if (store_)
        for (const auto& [id, n] : plan_.nodes())
            if ((n.kind == "task" || n.kind == "fused") && n.handler >= 0 &&
                selected(plan_.handlers[static_cast<std::size_t>(n.handler)].flow))
                store_->decision({"placement", "node:" + std::to_string(id), n.site, n.reason,
                                  "{\"node\": " + std::to_string(id) + ", \"label\": " + nlohmann::json(n.label).dump() + "}", -1});
    // Cycles of emits (a stream that feeds itself, or streams that feed each other): their
    // emits must never block, and they end together, when quiet.
    for (const auto& [name, from] : producers_) {
        for (const std::string& other : reachableFrom(name))
            if (reachableFrom(other).count(name)) cycles_[name].insert(other);
    }
    // Every source opens before any thread starts, so a bad one fails the run cleanly.
    for (auto& [name, s] : streams_) s->open();
    for (auto& [name, s] : streams_) s->startDispatch();
}

void Run::runStartHandlers() {
    std::set<std::string> flows(options_.flows.begin(), options_.flows.end());
    for (const HandlerInfo& h : plan_.handlers) {
        if (h.kind != "start" || (!flows.empty() && !flows.count(h.flow))) continue;
        const FlowDecl& flow = program_.flows().at(h.flow);
        int64_t activity = -1;
        if (store_) activity = store_->startActivity({"handler", "flow " + h.flow + " starts", h.site, policy(h.policy).json, h.id, 0});
        try {
            HandlerFiring firing(*this, h.id, h.site.empty() ? plan_.homeSite : h.site, -1, activity);
            firing.runHandler(flow.body);
            if (store_) store_->endActivity(activity, "ok");
        } catch (const std::exception& e) {
            stats_.handler(h.id).failed++;
            std::string what = e.what();
            int line = 0;
            if (const auto* ev = dynamic_cast<const EvalError*>(&e)) {
                what = ev->message();
                line = ev->line();
            }
            if (const auto* t = dynamic_cast<const TaskFailure*>(&e)) line = t->line();
            report(plan_.file + ":" + std::to_string(line) + ": flow " + h.flow + ": " + what);
            if (store_) store_->endActivity(activity, "failed", what);
        }
        stats_.handler(h.id).firings++;
    }
    std::lock_guard lock(doneMutex_);
    startDone_ = true;
}

void Run::streamDone(const std::string&) {
    {
        std::lock_guard lock(doneMutex_);
    }
    doneChanged_.notify_all();
}

std::set<std::string> Run::reachableFrom(const std::string& stream) const {
    std::set<std::string> seen;
    std::vector<std::string> todo{stream};
    while (!todo.empty()) {
        const std::string s = todo.back();
        todo.pop_back();
        for (const auto& [target, from] : producers_)
            if (from.count(s) && seen.insert(target).second) todo.push_back(target);
    }
    return seen;
}

bool Run::feedsBack(const std::string& from, const std::string& to) const {
    auto it = cycles_.find(to);
    return it != cycles_.end() && it->second.count(from);
}

void Run::closeFeds() {
    std::lock_guard lock(doneMutex_);
    for (auto& [name, s] : streams_) {
        if (s->hasSource()) continue;
        // The streams of its cycle (those it feeds that feed it back) end with it, together.
        std::set<std::string> cycle = cycles_[name];
        cycle.insert(name);
        bool ready = startDone_;
        for (const std::string& member : cycle)
            for (const std::string& p : producers_[member])
                if (!p.empty() && !cycle.count(p) && (!streams_.count(p) || !streams_.at(p)->done())) ready = false;
        if (ready && !cycles_[name].empty()) {
            // Its own firings may still feed it: it ends when the whole cycle is quiet and no
            // emit happened while we looked.
            const uint64_t before = emitsStarted_.load();
            for (const std::string& member : cycle)
                if (!streams_.count(member) || streams_.at(member)->hasSource() || !streams_.at(member)->quiet()) ready = false;
            if (emitsStarted_.load() != before) ready = false;
        }
        if (ready)
            for (const std::string& member : cycle)
                if (streams_.count(member)) streams_.at(member)->closeInput();
    }
}

void Run::waitUntilDone() {
    bool stopped = false;
    for (;;) {
        closeFeds();
        bool all = true;
        for (auto& [name, s] : streams_) all = all && s->done();
        if (all) return;
        if (stopRequested_.load() && !stopped) {
            stopped = true;
            for (auto& [name, s] : streams_) s->stopSource();
        }
        std::unique_lock lock(doneMutex_);
        doneChanged_.wait_for(lock, std::chrono::milliseconds(50));
    }
}

int Run::execute() {
    started_ = std::chrono::steady_clock::now();
    // Kernels compile in the background while the flow starts interpreted (RunOptions::compile).
    if (options_.compile)
        compiled_ = options_.compile(program_, [this](int line, const std::string& message) {
            report(plan_.file + ":" + std::to_string(line) + ": " + message, "jit");
        });
    openStores();
    if (options_.models) {
        ModelContext context;
        context.store = store_.get();
        context.workdir = options_.workdir;
        context.inputDir = inputDir();
        context.keepVersions = options_.replay != nullptr;
        context.seed = options_.seed;
        context.homeSite = plan_.homeSite;
        context.file = plan_.file;
        context.report = [this](const std::string& line) { report(line, "model"); };
        models_ = options_.models(program_, context);
    }
    Progress progress(*this);
    // Streams take emits before the flow-level statements run (they may emit); sources start
    // after them (they may prepare the files a source lists).
    startStreams();
    if (options_.progress && !options_.quiet) progress.start();
    runStartHandlers();
    for (auto& [name, s] : streams_) s->startSource();
    waitUntilDone();
    for (auto& [name, s] : streams_) s->join();
    for (auto& [name, s] : sites_) s->shutdown();
    progress.stop();
    const double seconds = elapsed();
    uint64_t failedFirings = 0;
    for (const auto& [id, h] : stats_.handlers()) failedFirings += h->failed.load();
    const bool failed = stats_.tasksFailed.load() > 0 || failedFirings > 0;
    const nlohmann::json counters = stats_.toJson(seconds);
    if (store_) store_->endRun(stopRequested_.load() ? "stopped" : failed ? "failed" : "complete", counters.dump());
    if (!options_.quiet) options_.out(summary(seconds, failed));
    return failed ? 1 : 0;
}

std::string Run::summary(double seconds, bool failed) const {
    std::string out = "\n" + std::string(failed ? "run finished with failures" : stopRequested_.load() ? "run stopped" : "run complete") +
                      " in " + formatFloat(std::round(seconds * 1000) / 1000) + " s\n";
    for (const auto& [name, c] : stats_.streams())
        out += "  stream " + name + ": " + std::to_string(c->items.load()) + " items" +
               (c->malformed.load() ? ", " + std::to_string(c->malformed.load()) + " malformed" : "") + "\n";
    for (const auto& [id, h] : stats_.handlers()) {
        const HandlerInfo& info = plan_.handlers[static_cast<std::size_t>(id)];
        std::string title = info.kind == "start" ? "flow " + info.flow + " start"
                            : info.kind == "end" ? "on end of " + info.stream
                                                 : "on new data of type " + info.type + " in " + info.stream;
        out += "  " + title + ": " + std::to_string(h->firings.load()) + " firings" +
               (h->failed.load() ? ", " + std::to_string(h->failed.load()) + " failed" : "") + "\n";
    }
    out += "  tasks: " + std::to_string(stats_.tasksRun.load()) + " run, " + std::to_string(stats_.tasksFailed.load()) +
           " failed, " + std::to_string(stats_.retries.load()) + " retries\n";
    out += "  data: " + std::to_string(stats_.movedBytes.load()) + " bytes moved between sites, " +
           std::to_string(stats_.writtenBytes.load()) + " bytes written\n";
    if (stats_.deadlineMisses.load() || stats_.startMisses.load())
        out += "  warning: " + std::to_string(stats_.deadlineMisses.load()) + " deadline misses, " +
               std::to_string(stats_.startMisses.load()) + " late starts\n";
    {
        std::lock_guard lock(const_cast<std::mutex&>(reportMutex_));
        for (const auto& [kind, first] : repeated_)
            if (first.second > 3)
                out += "  " + std::to_string(first.second - 3) + " more like: " + first.first + "\n";
    }
    if (store_) out += "  provenance: " + store_->file().string() + "\n";
    return out;
}

}  // namespace xdml::runtime
