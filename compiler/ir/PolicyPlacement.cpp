// PolicyPlacement.cpp — see PolicyPlacement.h.
#include "ir/PolicyPlacement.h"

#include "ast/AstPrinter.h"

#include <algorithm>

namespace xdml::ir {

using namespace ast;

PolicyPlacement::PolicyPlacement(const sema::CheckedProgram& program, const std::vector<Site>& sites, Diagnostics& diags)
    : program_(program), sites_(sites), diags_(diags) {}

const Site* PolicyPlacement::siteNamed(const std::string& name) const {
    for (const Site& s : sites_)
        if (s.name == name) return &s;
    return nullptr;
}

void PolicyPlacement::addClauses(ResolvedPolicy& out, const PolicyRef* ref) const {
    if (!ref) return;
    auto put = [&](const Property& prop, const std::string& origin) {
        out[prop.key.text] = Clause{printExpr(*prop.value), prop.value->range, origin, prop.value.get()};
    };
    if (ref->name) {
        auto it = program_.globals.find(ref->name->text);
        if (it == program_.globals.end()) return;
        auto pol = program_.policies.find(it->second);
        if (pol == program_.policies.end()) return;
        for (const auto& [key, prop] : pol->second.clauses) put(*prop, "policy '" + ref->name->text + "'");
    } else if (ref->inlineClauses) {
        for (const Property& prop : ref->inlineClauses->properties) put(prop, "inline policy");
    }
}

/// The limit of `key` in a merged policy, with its expression, or 0.
int64_t PolicyPlacement::limitOf(const ResolvedPolicy& policy, const std::string& key, const Expr** at) {
    auto it = policy.find("limit");
    if (it == policy.end() || !it->second.expr || it->second.expr->kind != ExprKind::Record) return 0;
    for (const FieldInit& f : it->second.expr->fields)
        if (f.name.text == key && f.value->kind == ExprKind::IntLit) {
            *at = f.value.get();
            return f.value->intValue;
        }
    return 0;
}

/// Sets a node's site from its merged policy; reports limits its locality cannot meet
/// when they come from different levels (each level alone was checked by sema).
void PolicyPlacement::place(Node& n, const ResolvedPolicy& policy, const std::string& triggerSite) {
    n.policy = policy;
    n.site = triggerSite;
    n.placement.reason = "its handler's stream's site";
    // The sites the limits allow (all, when there is no limit).
    std::vector<std::string> allowed;
    for (const Site& s : sites_) allowed.push_back(s.name);
    bool limited = false;
    for (const char* key : {"gpus", "cores"}) {
        const Expr* at = nullptr;
        int64_t want = limitOf(policy, key, &at);
        if (want <= 0) continue;
        limited = true;
        std::vector<std::string> ok;
        for (const Site& s : sites_)
            if ((std::string(key) == "gpus" ? s.gpus : s.cores) >= want) ok.push_back(s.name);
        allowed = intersect(allowed, ok);
        if (allowed.empty()) {
            if (reportOnce(at->range, "no site has the " + std::to_string(want) + " " + key + " that this 'limit' asks for"))
                for (const Site& s : sites_)  // the bindings that took a site below the limit
                    sema::noteGrant(diags_, s.grant, s.name, key, std::string(key) == "gpus" ? s.gpus : s.cores);
            return;
        }
    }
    auto loc = policy.find("locality");
    const std::string v = loc == policy.end() ? "" : loc->second.value;
    if (v == "accelerator") {
        std::vector<std::string> gpu;
        for (const Site& s : sites_)
            if (s.gpus > 0) gpu.push_back(s.name);
        allowed = intersect(allowed, gpu);
        limited = true;
        n.placement.reason = "locality: accelerator (" + loc->second.origin + ")";
        if (allowed.empty()) {
            reportOnce(loc->second.where, "no site has the gpus that 'locality: accelerator' asks for");
            return;
        }
    } else if (v == "data") {
        n.placement.reason = "locality: data (" + loc->second.origin + ")";
    } else if (!v.empty()) {
        n.site = v == "source" ? triggerSite : v;
        n.siteFixed = true;
        n.followsStream = v == "source";
        n.placement.reason = "locality: " + v + " (" + loc->second.origin + ")";
    }
    if (limited) n.allowed = allowed;
    if (std::find(allowed.begin(), allowed.end(), n.site) != allowed.end()) return;
    if (!n.siteFixed) {
        n.site = allowed.front();  // the naive site is not allowed: the first that is
        return;
    }
    // A fixed site that its limits rule out: say which limit, and where the site came from.
    const Site* s = siteNamed(n.site);
    for (const char* key : {"gpus", "cores"}) {
        const Expr* at = nullptr;
        int64_t want = limitOf(policy, key, &at);
        int64_t have = s ? (std::string(key) == "gpus" ? s->gpus : s->cores) : 0;
        if (!at || want <= have) continue;
        if (reportOnce(at->range, "the merged policy asks for " + std::to_string(want) + " " + key + " at site '" +
                                      n.site + "', which has " + std::to_string(have))) {
            diags_.note(loc->second.where, "the site comes from 'locality' here (" + loc->second.origin + ")");
            sema::noteGrant(diags_, s ? s->grant : nullptr, n.site, key, have);
        }
        break;
    }
}

/// Reports an error once per place: many nodes can share one policy.
bool PolicyPlacement::reportOnce(const SourceRange& at, const std::string& message) {
    if (!reported_.insert({at.begin.file, at.begin.offset}).second) return false;
    diags_.error(at, message);
    return true;
}

std::vector<std::string> PolicyPlacement::intersect(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    std::vector<std::string> out;
    for (const std::string& s : a)
        if (std::find(b.begin(), b.end(), s) != b.end()) out.push_back(s);
    return out;
}

}  // namespace xdml::ir
