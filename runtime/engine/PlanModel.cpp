// PlanModel.cpp — see PlanModel.h.
#include "runtime/engine/PlanModel.h"

#include "runtime/interp/PlanJson.h"

namespace xdml::runtime {

using nlohmann::json;
using namespace plan_json;

namespace {

double number(const json& j, const char* key, const std::string& where) {
    const json& v = member(j, key, where);
    if (!v.is_number()) fail(where + "." + key, "expected a number");
    return v.get<double>();
}

ClauseMap readClauses(const json& j, const std::string& where) {
    ClauseMap out;
    if (!j.is_object()) fail(where, "expected an object");
    for (const auto& [key, c] : j.items()) {
        const std::string at = where + "." + key;
        ClauseInfo info{text(c, "value", at), text(c, "from", at), std::nullopt};
        if (auto e = c.find("expr"); e != c.end() && !e->is_null()) info.expr = readExpr(*e, at + ".expr");
        out.emplace(key, std::move(info));
    }
    return out;
}

std::string optionalText(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

PlanModel PlanModel::fromPlan(const json& plan) {
    PlanModel p;
    if (!plan.is_object()) fail("plan", "expected an object");
    checkNesting(plan, "plan");
    if (auto v = plan.find("xdml_plan"); v == plan.end() || *v != 1) fail("plan.xdml_plan", "expected version 1");
    p.optLevel = static_cast<int>(number(plan, "opt_level", "plan"));
    p.file = text(plan, "file", "plan");
    p.homeSite = text(plan, "home_site", "plan");
    const json& sites = array(plan, "sites", "plan");
    for (std::size_t i = 0; i < sites.size(); ++i) {
        const std::string at = "plan.sites[" + std::to_string(i) + "]";
        p.sites.push_back({text(sites[i], "name", at), static_cast<int64_t>(number(sites[i], "cores", at)),
                           static_cast<int64_t>(number(sites[i], "gpus", at)), number(sites[i], "memory", at),
                           number(sites[i], "storage", at)});
    }
    const json& links = array(plan, "links", "plan");
    for (std::size_t i = 0; i < links.size(); ++i) {
        const std::string at = "plan.links[" + std::to_string(i) + "]";
        p.links.push_back({text(links[i], "from", at), text(links[i], "to", at), number(links[i], "bandwidth", at),
                           number(links[i], "latency", at)});
    }
    const json& streams = array(plan, "streams", "plan");
    for (std::size_t i = 0; i < streams.size(); ++i) {
        const std::string at = "plan.streams[" + std::to_string(i) + "]";
        StreamInfo s{text(streams[i], "name", at), text(streams[i], "site", at),
                     static_cast<uint64_t>(number(streams[i], "bytes_per_item", at))};
        p.streams.emplace(s.name, s);
    }
    const json& handlers = array(plan, "handlers", "plan");
    for (std::size_t i = 0; i < handlers.size(); ++i) {
        const json& h = handlers[i];
        const std::string at = "plan.handlers[" + std::to_string(i) + "]";
        HandlerInfo info;
        info.id = static_cast<int>(number(h, "id", at));
        const std::string kind = text(h, "kind", at);
        if (!planformat::parseHandlerKind(kind, info.kind)) fail(at + ".kind", "unknown handler kind \"" + kind + "\"");
        info.flow = text(h, "flow", at);
        info.stream = optionalText(h, "stream");
        info.type = optionalText(h, "type");
        info.site = optionalText(h, "site");
        info.at = optionalText(h, "at");
        if (h.contains("every")) info.every = static_cast<int64_t>(number(h, "every", at));
        info.policy = readClauses(member(h, "policy", at), at + ".policy");
        if (info.id != static_cast<int>(i)) fail(at + ".id", "handlers must be listed by id");
        p.handlers.push_back(std::move(info));
    }
    const json& nodes = array(plan, "nodes", "plan");
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const json& n = nodes[i];
        const std::string at = "plan.nodes[" + std::to_string(i) + "]";
        NodeInfo info;
        info.id = static_cast<int64_t>(number(n, "id", at));
        const std::string kind = text(n, "kind", at);
        if (!planformat::parseNodeKind(kind, info.kind)) fail(at + ".kind", "unknown node kind \"" + kind + "\"");
        info.label = text(n, "label", at);
        info.site = text(n, "site", at);
        info.handler = static_cast<int>(number(n, "handler", at));
        info.rate = number(n, "rate", at);
        info.bytes = static_cast<uint64_t>(number(n, "bytes", at));
        if (auto v = n.find("persist"); v != n.end() && v->is_boolean()) info.persist = v->get<bool>();
        if (auto v = n.find("line"); v != n.end() && v->is_number_integer()) info.line = v->get<int>();
        if (auto pl = n.find("placement"); pl != n.end() && pl->is_object())
        {
            if (auto f = pl->find("fixed"); f != pl->end() && f->is_boolean()) info.fixed = f->get<bool>();
            if (auto r = pl->find("reason"); r != pl->end() && r->is_string()) info.reason = r->get<std::string>();
        }
        info.policy = readClauses(member(n, "policy", at), at + ".policy");
        if (info.kind != planformat::NodeKind::Transfer)
            if (auto pos = n.find("at"); pos != n.end() && pos->is_array())
                for (const json& a : *pos)
                    if (a.is_string()) p.byPosition_.emplace(std::pair{info.handler, a.get<std::string>()}, info.id);
        p.nodes_.emplace(info.id, std::move(info));
    }
    if (auto stats = plan.find("stats"); stats != plan.end() && stats->is_object()) {
        p.plannedMovedPerItem = stats->value("moved_bytes_per_item", 0.0);
        p.plannedWrittenPerItem = stats->value("written_bytes_per_item", 0.0);
    }
    if (p.sites.empty()) fail("plan.sites", "no sites");
    return p;
}

const NodeInfo* PlanModel::nodeAt(int handler, const std::string& at) const {
    auto it = byPosition_.find({handler, at});
    return it == byPosition_.end() ? nullptr : node(it->second);
}

const NodeInfo* PlanModel::node(int64_t id) const {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : &it->second;
}

const SiteInfo* PlanModel::site(const std::string& name) const {
    for (const SiteInfo& s : sites)
        if (s.name == name) return &s;
    return nullptr;
}

const LinkInfo* PlanModel::link(const std::string& a, const std::string& b) const {
    for (const LinkInfo& l : links)
        if ((l.from == a && l.to == b) || (l.from == b && l.to == a)) return &l;
    return nullptr;
}

}  // namespace xdml::runtime
