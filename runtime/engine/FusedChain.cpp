// FusedChain.cpp — a fused task chain run as one job (docs/plan.md, "The code is the optimized
// program"): the plan's `fused` blocks and chains nested in one expression go to the chain's
// site as one queue entry, and the child firing that runs them calls the chain's tasks inline,
// one after another on that worker, with their intermediates in memory.
#include "runtime/engine/Firing.h"

namespace xdml::runtime {

bool callsChain(const Expr& e, int64_t chain) {
    for (const Expr& a : e.args)
        if ((isTaskCall(a) && a.chain == chain) || callsChain(a, chain)) return true;
    return false;
}

Job Firing::jobFor(const EffectivePolicy& policy, const NodeInfo* node, double submitted) const {
    Job job;
    job.priority = policy.priority;
    job.deadline = policy.deadline > 0 ? submitted + policy.deadline : std::numeric_limits<double>::infinity();
    job.limitKey = policy.limitKey;
    job.maxConcurrent = policy.maxConcurrent;
    job.memoryCap = policy.memoryCap;
    job.memory = node ? node->bytes : 0;
    return job;
}

void Firing::startChainJob(int64_t nodeId, const std::vector<std::string>& reads, ChainWork work,
                           std::vector<Pending> outputs, bool needNow) {
    const NodeInfo* node = run_.plan().node(nodeId);
    if (!node) throw PlanError("plan code: a fused chain of node " + std::to_string(nodeId) + ", which the plan lacks");
    const EffectivePolicy& policy = run_.policy(node->policy);
    const std::string site = run_.metaController().chooseSite(*node, policy, node->label);
    // What the job reads is ready before it is queued: a worker never waits for a task.
    auto child = std::make_shared<Firing>(run_, handler_, site, seq_, activity_);
    child->chain_ = nodeId;
    for (const std::string& name : reads) child->locals_.emplace_back(name, PendingDatum::ready(local(name)));
    Pending done = std::make_shared<PendingDatum>();
    Job job = jobFor(policy, node, run_.elapsed());
    job.run = [child, work = std::move(work), outputs, done] {
        try {
            std::vector<DatumPtr> values = work(*child);
            child->settle();
            for (std::size_t i = 0; i < outputs.size(); ++i) outputs[i]->set(values.at(i));
            done->set(nullptr);
        } catch (...) {
            for (const Pending& p : outputs) p->fail(std::current_exception());
            done->fail(std::current_exception());
        }
    };
    if (needNow) run_.site(site).runOrSubmit(std::move(job));
    else run_.site(site).submit(std::move(job));
    started_.push_back(done);
}

void Firing::startFusedBlock(const Stmt& s) {
    // The locals the block reads from before it, and the names it binds for after it.
    std::vector<std::string> reads, binds;
    for (const Stmt& inner : s.body) {
        std::vector<std::string> read;
        localsIn(*inner.value, read, false);
        for (const std::string& name : read)
            if (std::find(binds.begin(), binds.end(), name) == binds.end() &&
                std::find(reads.begin(), reads.end(), name) == reads.end())
                reads.push_back(name);
        if (inner.op == Stmt::Op::Let) binds.push_back(inner.name);
    }
    std::vector<Pending> outputs;
    for (const std::string& name : binds) {
        outputs.push_back(std::make_shared<PendingDatum>());
        locals_.emplace_back(name, outputs.back());
    }
    startChainJob(s.node, reads, [&s, binds](Firing& f) {
        for (const Stmt& inner : s.body) f.statement(inner);
        std::vector<DatumPtr> values;
        for (const std::string& name : binds) values.push_back(f.local(name));
        return values;
    }, std::move(outputs), false);
}

}  // namespace xdml::runtime
