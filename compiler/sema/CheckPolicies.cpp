// CheckPolicies.cpp — policy clauses: names, value types and units, ranges, `with`
// inheritance, known sites, and limits a site cannot satisfy (LANGUAGE.md §3, `policy`).
#include "sema/CheckExpressions.h"

#include <functional>
#include <set>

#include <algorithm>

namespace xdml::sema {

using namespace ast;

const std::vector<std::string>& policyClauseNames() {
    static const std::vector<std::string> names = {
        "deadline", "start_within", "priority", "limit", "locality", "until", "max_epochs",
        "max_iterations", "batch", "lr", "optimizer", "validate", "retry"};
    return names;
}

namespace {

/// Checks one clause's value; reports wrong types, units and ranges.
void checkClause(SemaContext& ctx, const Property& p) {
    TypeContext& types = ctx.types();
    const std::string& key = p.key.text;
    Expr* e = p.value.get();
    if (!e) return;
    ExprChecker checker(ctx);
    checker.pureContext = "policy clause '" + key + "'";

    if (key == "until") {
        checker.trainMetrics = true;
        const Type* t = checker.check(e);
        ctx.expectType(e, types.boolean(), key);
        (void)t;
        return;
    }
    if (key == "locality") {
        if (e->kind == ExprKind::Ident) {
            if (e->text == "data" || e->text == "accelerator" || e->text == "source") return;
            const Decl* s = ctx.lookup(e->text);
            if (s && s->kind == DeclKind::Site) {
                e->binding = Binding::Global;
                e->decl = s;
                return;
            }
            if (!s && e->text == "local" && ctx.program.implicitLocalSite) return;
            std::vector<std::string> options = {"data", "accelerator", "source"};
            for (const auto& [n, d] : ctx.program.globals)
                if (d->kind == DeclKind::Site) options.push_back(n);
            ctx.diags.error(e->range, "'locality' takes a site, data, accelerator or source, not '" + e->text + "'" +
                                          didYouMean(e->text, options));
            return;
        }
        checker.check(e);
        ctx.diags.error(e->range, "'locality' takes a site, data, accelerator or source");
        return;
    }
    if (key == "optimizer") {
        if (e->kind == ExprKind::Ident && (e->text == "sgd" || e->text == "adam")) return;
        ctx.diags.error(e->range, "'optimizer' must be sgd or adam" +
                                      (e->kind == ExprKind::Ident ? didYouMean(e->text, {"sgd", "adam"}) : std::string()));
        return;
    }
    if (key == "limit") {
        if (e->kind != ExprKind::Record) {
            checker.check(e);
            ctx.diags.error(e->range, "'limit' takes { cores, memory, gpus, tasks }");
            return;
        }
        std::set<std::string> seen;
        static const std::vector<std::string> limits = {"cores", "memory", "gpus", "tasks"};
        for (FieldInit& f : e->fields) {
            checker.check(f.value.get());
            if (std::find(limits.begin(), limits.end(), f.name.text) == limits.end()) {
                ctx.diags.error(f.name.range, "unknown limit '" + f.name.text + "'" + didYouMean(f.name.text, limits) +
                                                  "; known: cores, memory, gpus, tasks");
                continue;
            }
            if (!seen.insert(f.name.text).second) {
                ctx.diags.error(f.name.range, "'" + f.name.text + "' is given twice");
                continue;
            }
            const Type* want = f.name.text == "memory" ? types.bytes() : types.integer();
            if (!ctx.expectType(f.value.get(), want, f.name.text)) continue;
            ConstValue v = ctx.evaluate(f.value.get());
            if (!v.known()) ctx.diags.error(f.value->range, "'" + f.name.text + "' must be a constant");
            else if (v.number() < (f.name.text == "gpus" ? 0 : 1) && !(f.name.text == "memory" && v.f > 0))
                ctx.diags.error(f.value->range, "'" + f.name.text + "' must be " + (f.name.text == "gpus" ? "0 or more" : "positive"));
        }
        e->type = types.error();
        return;
    }

    struct Rule {
        const Type* type;
        double min;
        bool minExclusive;
        double max;  // inclusive; NaN-free: use a large number for none
        bool maxExclusive;
    };
    const double big = 1e300;
    Rule rule{types.integer(), -big, false, big, false};
    if (key == "deadline") rule = {types.duration(), 0, true, big, false};
    else if (key == "start_within") rule = {types.duration(), 0, false, big, false};
    else if (key == "priority") rule = {types.integer(), -big, false, big, false};
    else if (key == "max_epochs" || key == "max_iterations" || key == "batch") rule = {types.integer(), 1, false, big, false};
    else if (key == "retry") rule = {types.integer(), 0, false, big, false};
    else if (key == "lr") rule = {types.float64(), 0, true, big, false};
    else if (key == "validate") rule = {types.float64(), 0, false, 1, true};
    checker.check(e);
    if (!ctx.expectType(e, rule.type, key)) return;
    ConstValue v = ctx.evaluate(e);
    if (!v.known()) {
        ctx.diags.error(e->range, "'" + key + "' must be a constant");
        return;
    }
    double x = v.number();
    bool low = rule.minExclusive ? x <= rule.min : x < rule.min;
    bool high = rule.maxExclusive ? x >= rule.max : x > rule.max;
    if (low || high) {
        std::string want = key == "validate" ? "a fraction from 0 up to (not including) 1"
                           : rule.minExclusive ? "positive"
                           : rule.min == 0     ? "0 or more"
                                               : "at least 1";
        ctx.diags.error(e->range, "'" + key + "' must be " + want);
    }
}

/// The value of `limit: { key: ... }`, if given.
const Expr* limitValue(const PolicyClauses& clauses, const std::string& key) {
    auto it = clauses.clauses.find("limit");
    if (it == clauses.clauses.end() || !it->second->value || it->second->value->kind != ExprKind::Record) return nullptr;
    for (const FieldInit& f : it->second->value->fields)
        if (f.name.text == key) return f.value.get();
    return nullptr;
}

std::string sourceText(SemaContext& ctx, const Expr* e) {
    if (e->kind == ExprKind::Quantity || e->kind == ExprKind::FloatLit) return e->text;
    ConstValue v = ctx.evaluate(e);
    if (v.kind == ConstValue::Kind::Int) return std::to_string(v.i);
    return e->text;
}

/// Reports limits that the policy's locality site cannot satisfy.
/// (A site's capacity is its deployment grant when checked with one: noteGrant says so.)
void checkSatisfiable(SemaContext& ctx, const PolicyClauses& clauses, const std::string& owner) {
    auto loc = clauses.clauses.find("locality");
    if (loc == clauses.clauses.end() || !loc->second->value) return;
    const Expr* where = loc->second->value.get();
    if (where->kind != ExprKind::Ident) return;
    if (where->text == "accelerator") {
        bool any = false;
        for (const auto& [d, info] : ctx.program.sites) any = any || info.gpus > 0;
        if (!any) ctx.diags.error(where->range, owner + " asks for an accelerator, but no site has gpus");
        return;
    }
    const Decl* site = where->decl;
    if (!site || site->kind != DeclKind::Site) return;
    const SiteInfo& info = ctx.program.sites[site];
    const std::string siteName = site->name.text;
    for (const char* key : {"gpus", "cores"}) {
        const Expr* e = limitValue(clauses, key);
        if (!e) continue;
        ConstValue v = ctx.evaluate(e);
        int64_t have = std::string(key) == "gpus" ? info.gpus : info.cores;
        if (v.kind == ConstValue::Kind::Int && v.i > have) {
            ctx.diags.error(e->range, owner + " asks for " + std::to_string(v.i) + " " + key + " at site '" + siteName +
                                          "', which has " + std::to_string(have));
            noteGrant(ctx.diags, info.grant, siteName, key, have);
        }
    }
    if (const Expr* e = limitValue(clauses, "memory")) {
        ConstValue v = ctx.evaluate(e);
        if (v.kind == ConstValue::Kind::Quantity && info.memory > 0 && v.f > info.memory)
            ctx.diags.error(e->range, owner + " asks for " + sourceText(ctx, e) + " of memory at site '" + siteName +
                                          "', which has less");
    }
}

}  // namespace

PolicyClauses checkPolicyClauses(SemaContext& ctx, const PropertyBlock& block, const std::string& owner,
                                 const PolicyClauses* base) {
    PolicyClauses own;
    for (const Property& p : block.properties) {
        const std::vector<std::string>& names = policyClauseNames();
        if (std::find(names.begin(), names.end(), p.key.text) == names.end()) {
            ctx.diags.error(p.key.range, "unknown policy clause '" + p.key.text + "'" + didYouMean(p.key.text, names));
            continue;
        }
        if (own.clauses.count(p.key.text)) {
            ctx.diags.error(p.key.range, "clause '" + p.key.text + "' is given twice");
            continue;
        }
        checkClause(ctx, p);
        own.clauses[p.key.text] = &p;
    }
    PolicyClauses merged = base ? *base : PolicyClauses{};
    for (const auto& [k, p] : own.clauses) merged.clauses[k] = p;
    checkSatisfiable(ctx, merged, owner);
    return merged;
}

void checkPolicyRef(SemaContext& ctx, const PolicyRef& ref) {
    if (ref.inlineClauses) {
        checkPolicyClauses(ctx, *ref.inlineClauses, "the inline policy", nullptr);
        return;
    }
    if (!ref.name) return;
    const Decl* d = ctx.lookup(ref.name->text);
    if (d && d->kind == DeclKind::Policy) return;
    std::vector<std::string> policies;
    for (const auto& [n, g] : ctx.program.globals)
        if (g->kind == DeclKind::Policy) policies.push_back(n);
    ctx.diags.error(ref.name->range, d ? "'" + ref.name->text + "' is a " + keyword(*d) + ", not a policy"
                                       : "unknown policy '" + ref.name->text + "'" + didYouMean(ref.name->text, policies));
}

void checkPolicies(SemaContext& ctx) {
    std::set<const Decl*> visiting;
    std::function<const PolicyClauses*(const Decl*)> resolve = [&](const Decl* d) -> const PolicyClauses* {
        auto done = ctx.program.policies.find(d);
        if (done != ctx.program.policies.end()) return &done->second;
        if (!visiting.insert(d).second) {
            ctx.diags.error(d->name.range, "policy '" + d->name.text + "' inherits from itself");
            return nullptr;
        }
        const PolicyClauses* base = nullptr;
        if (d->basePolicy) {
            auto it = ctx.program.globals.find(d->basePolicy->text);
            if (it == ctx.program.globals.end() || it->second->kind != DeclKind::Policy) {
                PolicyRef ref;
                ref.name = *d->basePolicy;
                checkPolicyRef(ctx, ref);
            } else {
                ++ctx.uses[it->second];
                base = resolve(it->second);
            }
        }
        PolicyClauses merged = checkPolicyClauses(ctx, *d->properties, "policy '" + d->name.text + "'", base);
        visiting.erase(d);
        return &(ctx.program.policies[d] = std::move(merged));
    };
    for (auto& m : ctx.program.modules)
        for (auto& d : m->decls)
            if (d->kind == DeclKind::Policy && !d->name.text.empty() && d->properties) resolve(d.get());
}

}  // namespace xdml::sema
