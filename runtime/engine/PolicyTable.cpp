// PolicyTable.cpp — see PolicyTable.h.
#include "runtime/engine/PolicyTable.h"

#include "runtime/interp/Evaluate.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <optional>

namespace xdml::runtime {

namespace {

/// The clauses as written, for provenance.
std::string jsonOf(const ClauseMap& clauses) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, c] : clauses) j[k] = c.value;
    return j.dump();
}

std::atomic<uint64_t> nextSerial{1};

}  // namespace

PolicyTable::PolicyTable(const Program& program, const CompiledCode* compiled)
    : program_(program), compiled_(compiled), serial_(nextSerial++) {}

const EffectivePolicy& PolicyTable::of(const ClauseMap& clauses) {
    // Every task call asks for its policy, on every handler thread: the few a thread asked
    // this table for last are answered without its lock. A policy is never changed or moved
    // once made (map nodes stay put), and the serial keeps a later table at the same address
    // from being answered from an earlier one's.
    struct Asked {
        uint64_t table = 0;
        const ClauseMap* clauses = nullptr;
        const EffectivePolicy* policy = nullptr;
    };
    thread_local std::array<Asked, 4> recent;
    thread_local std::size_t nextSlot = 0;
    for (const Asked& a : recent)
        if (a.table == serial_ && a.clauses == &clauses) return *a.policy;
    const EffectivePolicy& p = lookup(clauses);
    recent[nextSlot++ % recent.size()] = {serial_, &clauses, &p};
    return p;
}

const EffectivePolicy& PolicyTable::lookup(const ClauseMap& clauses) {
    std::lock_guard lock(mutex_);
    if (auto it = policies_.find(&clauses); it != policies_.end()) return it->second;
    EffectivePolicy p;
    p.json = jsonOf(clauses);
    Evaluator ev(program_, nullptr, compiled_);
    auto value = [&](const std::string& key) -> std::optional<Value> {
        auto it = clauses.find(key);
        if (it == clauses.end() || !it->second.expr) return std::nullopt;
        const Expr& e = *it->second.expr;
        if (e.op == Expr::Op::Name && (e.binding == NameBinding::OtherGlobal || e.binding == NameBinding::Word))
            return Value::string(e.name);
        try {
            return ev.evaluate(e, Scope());
        } catch (const std::exception&) {
            return std::nullopt;  // a clause for the models issue (until: accuracy ...)
        }
    };
    auto seconds = [](const std::optional<Value>& v) {
        return v && v->is(Value::Kind::Quantity) ? v->asQuantity().value : 0.0;
    };
    p.deadline = seconds(value("deadline"));
    p.startWithin = seconds(value("start_within"));
    if (auto v = value("priority"); v && v->is(Value::Kind::Int)) p.priority = static_cast<int>(v->asInt());
    if (auto v = value("retry"); v && v->is(Value::Kind::Int)) p.retry = static_cast<int>(std::clamp<int64_t>(v->asInt(), 0, 100));
    if (auto v = value("locality"); v && v->is(Value::Kind::String)) p.locality = v->asString();
    if (auto v = value("limit"); v && v->is(Value::Kind::Record)) {
        p.limitKey = clauses.at("limit").from;
        for (const Field& f : v->asRecord().fields) {
            if ((f.name == "tasks" || f.name == "cores") && f.value.is(Value::Kind::Int)) {
                const int n = static_cast<int>(std::clamp<int64_t>(f.value.asInt(), 1, 1 << 20));
                p.maxConcurrent = p.maxConcurrent ? std::min(p.maxConcurrent, n) : n;
            }
            if (f.name == "memory" && f.value.is(Value::Kind::Quantity))
                p.memoryCap = static_cast<uint64_t>(f.value.asQuantity().value);
        }
    }
    return policies_.emplace(&clauses, p).first->second;
}

}  // namespace xdml::runtime
