// EmitGraph.cpp — see EmitGraph.h.
#include "runtime/engine/EmitGraph.h"

#include "runtime/engine/StreamRuntime.h"

#include <chrono>

namespace xdml::runtime {

namespace {

void collectEmits(const Program& program, const std::vector<Stmt>& body, std::set<std::string>& out,
                  std::set<std::string>& tasksSeen);

void emitsInExpr(const Program& program, const Expr& e, std::set<std::string>& out, std::set<std::string>& tasksSeen) {
    if (e.op == Expr::Op::Call && e.binding == NameBinding::OtherGlobal && e.declares == DeclKind::Task &&
        tasksSeen.insert(e.name).second)
        if (const TaskDecl* t = program.task(e.name)) collectEmits(program, t->body, out, tasksSeen);
    for (const Expr& a : e.args) emitsInExpr(program, a, out, tasksSeen);
}

/// The streams a body may emit into, through the tasks it calls too.
void collectEmits(const Program& program, const std::vector<Stmt>& body, std::set<std::string>& out,
                  std::set<std::string>& tasksSeen) {
    for (const Stmt& s : body) {
        if (s.op == Stmt::Op::Emit) out.insert(s.target);
        if (s.op == Stmt::Op::OnNewData || s.op == Stmt::Op::OnEnd || s.op == Stmt::Op::OnStop) continue;
        if (s.value) emitsInExpr(program, *s.value, out, tasksSeen);
        collectEmits(program, s.body, out, tasksSeen);
        collectEmits(program, s.elseBody, out, tasksSeen);
    }
}

}  // namespace

const Stmt* findHandler(const std::vector<Stmt>& body, const std::string& at) {
    for (const Stmt& s : body)
        if ((s.op == Stmt::Op::OnNewData || s.op == Stmt::Op::OnEnd || s.op == Stmt::Op::OnStop) && s.at == at) return &s;
    return nullptr;
}

EmitGraph::EmitGraph(const Program& program, const PlanModel& plan, const std::set<std::string>& flows) {
    for (const HandlerInfo& h : plan.handlers) {
        if (!flows.empty() && !flows.count(h.flow)) continue;
        if (h.kind == planformat::HandlerKind::Stop) continue;  // every stream has ended when it fires
        if (!h.stream.empty()) producers_[h.stream];
        const FlowDecl* flow = nullptr;
        if (auto f = program.flows().find(h.flow); f != program.flows().end()) flow = &f->second;
        if (!flow) throw PlanError("plan: handler " + std::to_string(h.id) + " of the unknown flow '" + h.flow + "'");
        std::set<std::string> targets, tasksSeen;
        if (h.kind == planformat::HandlerKind::Start) {
            collectEmits(program, flow->body, targets, tasksSeen);
        } else {
            const Stmt* st = findHandler(flow->body, h.at);
            if (!st) throw PlanError("plan: handler " + std::to_string(h.id) + " has no statement at " + h.at);
            collectEmits(program, st->body, targets, tasksSeen);
        }
        for (const std::string& t : targets) producers_[t].insert(h.kind == planformat::HandlerKind::Start ? "" : h.stream);
    }
    // Cycles of emits (a stream that feeds itself, or streams that feed each other): their
    // emits must never block, and they end together, when quiet.
    for (const auto& [name, from] : producers_)
        for (const std::string& other : reachableFrom(name))
            if (reachableFrom(other).count(name)) cycles_[name].insert(other);
    // Reachability is transitive, so each stream's set is its whole cycle, shared by its members.
    std::map<std::set<std::string>, CycleWork*> counterOf;
    for (const auto& [name, cycle] : cycles_) {
        CycleWork*& counter = counterOf[cycle];
        if (!counter) counter = cycleCounters_.emplace_back(std::make_unique<CycleWork>()).get();
        cycleWork_[name] = counter;
    }
}

CycleWork* EmitGraph::cycleWork(const std::string& stream) const {
    auto it = cycleWork_.find(stream);
    return it == cycleWork_.end() ? nullptr : it->second;
}

std::set<std::string> EmitGraph::streams() const {
    std::set<std::string> out;
    for (const auto& [name, from] : producers_) out.insert(name);
    return out;
}

std::set<std::string> EmitGraph::reachableFrom(const std::string& stream) const {
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

const std::set<std::string>& EmitGraph::producersOf(const std::string& stream) const {
    static const std::set<std::string> none;
    auto it = producers_.find(stream);
    return it == producers_.end() ? none : it->second;
}

bool EmitGraph::feedsBack(const std::string& from, const std::string& to) const {
    auto it = cycles_.find(to);
    return it != cycles_.end() && it->second.count(from);
}

void EmitGraph::startHandlersDone() {
    std::lock_guard lock(doneMutex_);
    startDone_ = true;
}

void EmitGraph::streamDone() {
    {
        std::lock_guard lock(doneMutex_);
    }
    doneChanged_.notify_all();
}

void EmitGraph::closeFeds(const std::map<std::string, std::unique_ptr<StreamRuntime>>& streams) {
    std::lock_guard lock(doneMutex_);
    auto done = [&](const std::string& s) { return streams.count(s) && streams.at(s)->done(); };
    for (const auto& [name, s] : streams) {
        if (s->hasSource()) continue;
        // The streams of its cycle (those it feeds that feed it back) end with it, together.
        auto own = cycles_.find(name);
        std::set<std::string> cycle = own != cycles_.end() ? own->second : std::set<std::string>{};
        const bool inCycle = !cycle.empty();
        cycle.insert(name);
        bool ready = startDone_;
        for (const std::string& member : cycle)
            for (const std::string& p : producersOf(member))
                if (!p.empty() && !cycle.count(p) && !done(p)) ready = false;
        if (ready && inCycle) {
            // Its own firings may still feed it: it ends once nothing of the cycle is under
            // way, which is final now that nothing outside feeds it (CycleWork.h).
            for (const std::string& member : cycle)
                if (!streams.count(member) || streams.at(member)->hasSource()) ready = false;
            ready = ready && cycleWork(name)->quiet() && endRoundsDone(cycle, streams);
        }
        if (ready)
            for (const std::string& member : cycle)
                if (streams.count(member)) streams.at(member)->closeInput();
    }
}

bool EmitGraph::endRoundsDone(const std::set<std::string>& cycle,
                               const std::map<std::string, std::unique_ptr<StreamRuntime>>& streams) {
    // What the end of a stream fires (its last groups, its `on end of` handlers) may emit back
    // into the cycle, so it fires while the cycle is still open, in rounds: last groups until a
    // round fires none, then the end handlers once, then last groups again for what they fed
    // in. Each round holds the cycle's count until its firings do, so "quiet" again means the
    // round and all it caused have finished.
    CycleWork* work = cycleWork(*cycle.begin());
    CycleEnd& end = cycleEnds_[work];
    const bool roundFired = work->takeEndRoundFirings() > 0;
    CycleEndStep next = CycleEndStep::None;
    if (!end.roundsStarted || roundFired) next = CycleEndStep::LastGroups;
    else if (!end.endHandlersFired) next = CycleEndStep::EndHandlers;
    if (next == CycleEndStep::None) return true;
    end.roundsStarted = true;
    if (next == CycleEndStep::EndHandlers) end.endHandlersFired = true;
    for (const std::string& member : cycle) streams.at(member)->endStep(next);
    return false;
}

void EmitGraph::waitForEnds(const std::map<std::string, std::unique_ptr<StreamRuntime>>& streams,
                            const std::atomic<bool>& stopRequested) {
    bool stopped = false;
    for (;;) {
        closeFeds(streams);
        bool all = true;
        for (const auto& [name, s] : streams) all = all && s->done();
        if (all) return;
        if (stopRequested.load() && !stopped) {
            stopped = true;
            for (const auto& [name, s] : streams) s->stopSource();
            // A cycle of emits has no source to stop and may never go quiet (a stream that
            // feeds itself): the stop closes it. The items in its queues are still handled;
            // what those firings emit is counted, not handled (RunStats::unhandledAfterStop).
            for (const auto& [name, s] : streams)
                if (!s->hasSource() && cycles_.count(name)) s->closeInput();
        }
        std::unique_lock lock(doneMutex_);
        doneChanged_.wait_for(lock, std::chrono::milliseconds(50));
    }
}

}  // namespace xdml::runtime
