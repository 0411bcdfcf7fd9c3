// ProvExport.cpp — one PROV-JSON document per run, PROV-N written from it, and the RO-Crate.
#include "query/ProvExport.h"

#include "planformat/PlanVocabulary.h"
#include "query/Rows.h"
#include "runtime/io/AtomicWrite.h"
#include "runtime/provenance/ContentHash.h"
#include "runtime/values/Text.h"

#include <cmath>
#include <ctime>
#include <map>
#include <set>

namespace xdml::query {
namespace fs = std::filesystem;

namespace {

using nlohmann::json;
using runtime::quoted;

/// A file of the crate, through the tool's one writer; a failure names the file and the reason.
void writeFile(const fs::path& path, const std::string& text) {
    try {
        runtime::writeFileAtomically(path, text);
    } catch (const runtime::WriteError& e) {
        throw QueryError(e.path() + ": cannot write it: " + e.reason());
    }
}

std::string isoTime(double seconds) {
    std::string t = formatTime(seconds);  // "YYYY-MM-DD hh:mm:ss.mmm"
    t[10] = 'T';
    return t + "Z";
}

json qname(const std::string& name) {
    return {{"$", name}, {"type", "prov:QUALIFIED_NAME"}};
}

std::string entityId(int64_t id) {
    return "xdml:e" + std::to_string(id);
}
std::string activityId(int64_t id) {
    return "xdml:a" + std::to_string(id);
}
std::string runId(int64_t run) {
    return "xdml:run" + std::to_string(run);
}

json entityAttributes(const json& e) {
    json a = json::object();
    const std::string kind = e.value("kind", "");
    a["prov:type"] = qname("xdml:" + kind);
    std::string label = e["label"].is_string() ? e["label"].get<std::string>() : kind;
    if (kind == "item" && e["stream"].is_string() && e["seq"].is_number())
        label = e["stream"].get<std::string>() + "[" + std::to_string(e["seq"].get<int64_t>()) + "]";
    a["prov:label"] = label;
    for (const char* k : {"hash", "site", "stream", "path", "type"})
        if (e[k].is_string()) a[std::string("xdml:") + k] = e[k];
    if (e["seq"].is_number()) a["xdml:seq"] = e["seq"];
    a["xdml:bytes"] = e["bytes"];
    a["xdml:run"] = e["run"];
    a["xdml:valid"] = {{"$", e["valid"].get<int64_t>() != 0 ? "true" : "false"}, {"type", "xsd:boolean"}};
    return a;
}

json activityAttributes(const json& r) {
    json a = json::object();
    a["prov:type"] = qname("xdml:" + r.value("kind", std::string("activity")));
    if (r["name"].is_string()) a["prov:label"] = r["name"];
    if (r["started"].is_number()) a["prov:startTime"] = isoTime(r["started"].get<double>());
    if (r["ended"].is_number()) a["prov:endTime"] = isoTime(r["ended"].get<double>());
    for (const char* k : {"site", "status", "error"})
        if (r[k].is_string()) a[std::string("xdml:") + k] = r[k];
    if (r["line"].is_number()) a["xdml:line"] = r["line"];
    return a;
}

/// Appends one value to an attribute that may hold several (PROV-JSON: a list).
void addValue(json& attributes, const std::string& key, json value) {
    if (!attributes.contains(key)) attributes[key] = std::move(value);
    else if (attributes[key].is_array()) attributes[key].push_back(std::move(value));
    else attributes[key] = json::array({attributes[key], std::move(value)});
}

// ---- PROV-N

std::string literal(const json& v) {
    if (v.is_object() && v.contains("$")) {
        const std::string type = v.value("type", "xsd:string");
        const std::string text = v["$"].is_string() ? v["$"].get<std::string>() : v["$"].dump();
        if (type == "prov:QUALIFIED_NAME") return "'" + text + "'";
        return quoted(text) + " %% " + type;
    }
    if (v.is_string()) return quoted(v.get<std::string>());
    if (v.is_number_integer()) return v.dump();
    if (v.is_number()) return quoted(v.dump()) + " %% xsd:double";
    if (v.is_boolean()) return quoted(v.get<bool>() ? "true" : "false") + " %% xsd:boolean";
    return quoted(v.dump());
}

/// "[k=v, ...]" of the attributes not in `positional`; "" when none.
std::string attributeList(const json& record, std::initializer_list<const char*> positional) {
    std::string out;
    for (const auto& [key, value] : record.items()) {
        bool skip = false;
        for (const char* p : positional) skip = skip || key == p;
        if (skip) continue;
        const json values = value.is_array() ? value : json::array({value});
        for (const json& v : values) out += (out.empty() ? "" : ", ") + key + "=" + literal(v);
    }
    return out.empty() ? "" : ", [" + out + "]";
}

std::string field(const json& record, const char* key) {
    if (!record.contains(key)) return "-";
    const json& v = record[key];
    return v.is_string() ? v.get<std::string>() : "-";
}

}  // namespace

json provJson(ProvDb& db, int64_t run) {
    ReadSnapshot snapshot(db);
    const json runRow = db.run(run);
    json doc;
    doc["prefix"] = {{"xdml", "urn:x-xdml:"}, {"xsd", "http://www.w3.org/2001/XMLSchema#"}};
    json entities = json::object(), activities = json::object(), agents = json::object();
    json used = json::object(), generated = json::object(), derived = json::object(), started = json::object(),
         associated = json::object();
    std::set<int64_t> haveEntities, haveActivities;
    std::map<int64_t, std::string> entityKind;

    auto e = db.sql().prepare(
        "SELECT id, run, kind, label, type, hash, bytes, site, stream, seq, path, created, valid FROM entities"
        " WHERE run = ?1 ORDER BY id");
    e.bindInt(1, run);
    while (e.step()) {
        json row = rowJson(e);
        const int64_t id = row["id"].get<int64_t>();
        entityKind[id] = row["kind"].get<std::string>();
        entities[entityId(id)] = entityAttributes(row);
        haveEntities.insert(id);
    }
    // Entities of other runs that this run's activities used (a model version loaded earlier).
    auto needEntity = [&](int64_t id) {
        if (haveEntities.count(id)) return;
        haveEntities.insert(id);
        if (auto row = db.findEntity(id)) {
            json r = *row;
            r["valid"] = r["valid"].get<bool>() ? 1 : 0;
            entityKind[id] = r["kind"].get<std::string>();
            entities[entityId(id)] = entityAttributes(r);
        } else {
            entities[entityId(id)] = {{"prov:label", "entity " + std::to_string(id) + " (not recorded)"}};
        }
    };

    const std::string agent = runId(run), plan = "xdml:script" + std::to_string(run);
    agents[agent] = {{"prov:type", qname("prov:SoftwareAgent")},
                     {"prov:label", "xdmlc run " + std::to_string(run) +
                                        (runRow["flow"].is_string() && !runRow["flow"].get<std::string>().empty()
                                             ? " of flow " + runRow["flow"].get<std::string>() : "")},
                     {"xdml:status", runRow["status"]},
                     {"xdml:seed", runRow["seed"]}};
    if (runRow["arguments"].is_string()) agents[agent]["xdml:arguments"] = runRow["arguments"];
    entities[plan] = {{"prov:type", qname("prov:Plan")}, {"prov:label", "the flow script"}};
    if (runRow["script_path"].is_string()) entities[plan]["xdml:path"] = runRow["script_path"];
    if (runRow["script_hash"].is_string()) entities[plan]["xdml:hash"] = runRow["script_hash"];

    auto a = db.sql().prepare(
        "SELECT id, run, kind, name, handler, site, started, ended, status, error, line FROM activities"
        " WHERE run = ?1 ORDER BY id");
    a.bindInt(1, run);
    int64_t n = 0;
    while (a.step()) {
        json row = rowJson(a);
        const int64_t id = row["id"].get<int64_t>();
        activities[activityId(id)] = activityAttributes(row);
        haveActivities.insert(id);
        associated["_:w" + std::to_string(++n)] = {{"prov:activity", activityId(id)}, {"prov:agent", agent}, {"prov:plan", plan}};
    }

    auto u = db.sql().prepare(
        "SELECT u.activity, u.entity, u.role, a.kind FROM used u JOIN activities a ON a.id = u.activity"
        " WHERE a.run = ?1 ORDER BY u.activity, u.entity, u.role");
    u.bindInt(1, run);
    n = 0;
    while (u.step()) {
        const int64_t act = u.columnInt(0), ent = u.columnInt(1);
        const std::string role = u.columnText(2), kind = u.columnText(3);
        needEntity(ent);
        json rel = {{"prov:activity", activityId(act)}, {"prov:entity", entityId(ent)}};
        if (!role.empty()) rel["prov:role"] = role;
        used["_:u" + std::to_string(++n)] = std::move(rel);
        // A handler is started by the item it fired on (the last of a group).
        if (kind == "handler" && role == "item")
            started["_:s" + std::to_string(act)] = {{"prov:activity", activityId(act)}, {"prov:trigger", entityId(ent)}};
    }
    auto g = db.sql().prepare(
        "SELECT g.entity, g.activity FROM generated g JOIN entities e ON e.id = g.entity WHERE e.run = ?1 ORDER BY g.entity, g.activity");
    g.bindInt(1, run);
    n = 0;
    while (g.step()) {
        if (!haveActivities.count(g.columnInt(1))) continue;  // a dangling link is not exported
        generated["_:g" + std::to_string(++n)] = {{"prov:entity", entityId(g.columnInt(0))},
                                                  {"prov:activity", activityId(g.columnInt(1))}};
    }
    auto d = db.sql().prepare(
        "SELECT d.entity, d.from_entity, d.activity FROM derivations d JOIN entities e ON e.id = d.entity"
        " WHERE e.run = ?1 ORDER BY d.entity");
    d.bindInt(1, run);
    n = 0;
    while (d.step()) {
        const int64_t to = d.columnInt(0), from = d.columnInt(1);
        needEntity(from);
        json rel = {{"prov:generatedEntity", entityId(to)}, {"prov:usedEntity", entityId(from)}};
        if (!d.isNull(2) && haveActivities.count(d.columnInt(2))) rel["prov:activity"] = activityId(d.columnInt(2));
        if (entityKind[to] == "model_version" && entityKind[from] == "model_version") rel["prov:type"] = qname("prov:Revision");
        derived["_:d" + std::to_string(++n)] = std::move(rel);
    }

    // Decisions, as attributes of what they are about (the run agent for placements).
    auto dec = db.sql().prepare("SELECT kind, subject, choice, reason FROM decisions WHERE run = ?1 ORDER BY id");
    dec.bindInt(1, run);
    while (dec.step()) {
        const std::string subject = dec.isNull(1) ? "" : dec.columnText(1);
        const std::string text = dec.columnText(0) + ": " + (dec.isNull(2) ? "" : dec.columnText(2)) +
                                 (dec.isNull(3) ? "" : " (" + dec.columnText(3) + ")");
        json* target = &agents[agent];
        if (subject.rfind("entity:", 0) == 0 && entities.contains("xdml:e" + subject.substr(7)))
            target = &entities["xdml:e" + subject.substr(7)];
        else if (subject.rfind("activity:", 0) == 0 && activities.contains("xdml:a" + subject.substr(9)))
            target = &activities["xdml:a" + subject.substr(9)];
        addValue(*target, "xdml:decision", text);
    }

    doc["entity"] = std::move(entities);
    doc["activity"] = std::move(activities);
    doc["agent"] = std::move(agents);
    for (auto [key, value] : {std::pair{"used", &used}, {"wasGeneratedBy", &generated}, {"wasDerivedFrom", &derived},
                              {"wasStartedBy", &started}, {"wasAssociatedWith", &associated}})
        if (!value->empty()) doc[key] = std::move(*value);
    return doc;
}

void writeProvN(const json& doc, std::ostream& out) {
    out << "document\n";
    for (const auto& [prefix, uri] : doc["prefix"].items())
        if (prefix != "xsd") out << "  prefix " << prefix << " <" << uri.get<std::string>() << ">\n";
    auto each = [&](const char* key, auto write) {
        if (!doc.contains(key)) return;
        for (const auto& [id, record] : doc[key].items()) write(id, record);
    };
    each("entity", [&](const std::string& id, const json& r) { out << "  entity(" << id << attributeList(r, {}) << ")\n"; });
    each("activity", [&](const std::string& id, const json& r) {
        out << "  activity(" << id << ", " << field(r, "prov:startTime") << ", " << field(r, "prov:endTime")
            << attributeList(r, {"prov:startTime", "prov:endTime"}) << ")\n";
    });
    each("agent", [&](const std::string& id, const json& r) { out << "  agent(" << id << attributeList(r, {}) << ")\n"; });
    each("used", [&](const std::string&, const json& r) {
        out << "  used(" << field(r, "prov:activity") << ", " << field(r, "prov:entity") << ", -"
            << attributeList(r, {"prov:activity", "prov:entity"}) << ")\n";
    });
    each("wasGeneratedBy", [&](const std::string&, const json& r) {
        out << "  wasGeneratedBy(" << field(r, "prov:entity") << ", " << field(r, "prov:activity") << ", -"
            << attributeList(r, {"prov:entity", "prov:activity"}) << ")\n";
    });
    each("wasDerivedFrom", [&](const std::string&, const json& r) {
        out << "  wasDerivedFrom(" << field(r, "prov:generatedEntity") << ", " << field(r, "prov:usedEntity") << ", "
            << field(r, "prov:activity") << ", -, -"
            << attributeList(r, {"prov:generatedEntity", "prov:usedEntity", "prov:activity"}) << ")\n";
    });
    each("wasStartedBy", [&](const std::string&, const json& r) {
        out << "  wasStartedBy(" << field(r, "prov:activity") << ", " << field(r, "prov:trigger") << ", -, -"
            << attributeList(r, {"prov:activity", "prov:trigger"}) << ")\n";
    });
    each("wasAssociatedWith", [&](const std::string&, const json& r) {
        out << "  wasAssociatedWith(" << field(r, "prov:activity") << ", " << field(r, "prov:agent") << ", "
            << field(r, "prov:plan") << attributeList(r, {"prov:activity", "prov:agent", "prov:plan"}) << ")\n";
    });
    out << "endDocument\n";
}

json writeRoCrate(ProvDb& db, int64_t run, const fs::path& dir) {
    ReadSnapshot snapshot(db);
    std::error_code ec;
    if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
        throw QueryError(dir.string() + ": the RO-Crate folder must be new or empty");
    fs::create_directories(dir, ec);
    if (ec) throw QueryError(dir.string() + ": cannot create the RO-Crate folder: " + ec.message());
    const json runRow = db.run(run);
    json graph = json::array();
    json parts = json::array(), inputs = json::array(), outputs = json::array(), versions = json::array();
    std::set<std::string> copied, describedInputs;

    // Copies `from` into the crate under `name` (a new name when taken, in the same folder) and
    // describes it. A file that changed since the run is said to have: its recorded hash is kept
    // beside the hash of what the crate holds.
    auto copyIn = [&](const fs::path& from, std::string name, json description) -> std::string {
        if (copied.count(name)) {
            const fs::path original(name);
            const std::string folder = original.parent_path().string(), stem = original.stem().string(),
                              ext = original.extension().string();
            for (int i = 2; copied.count(name); ++i)
                name = (folder.empty() ? "" : folder + "/") + stem + "-" + std::to_string(i) + ext;
        }
        if (description.contains("xxh64") && description["xxh64"].is_string()) {
            const std::string now = runtime::prov::contentHashOfFile(from);
            if (now != description["xxh64"].get<std::string>()) {
                description["description"] = "changed since run " + std::to_string(run) + ", whose copy had XXH64 " +
                                             description["xxh64"].get<std::string>();
                description["xxh64"] = now;
            }
        }
        fs::create_directories((dir / name).parent_path(), ec);
        fs::copy_file(from, dir / name, fs::copy_options::overwrite_existing, ec);
        if (ec) throw QueryError((dir / name).string() + ": cannot copy " + from.string() + " into the crate: " + ec.message());
        copied.insert(name);
        description["@id"] = name;
        description["@type"] = description.contains("@type") ? description["@type"] : json("File");
        description["contentSize"] = std::to_string(fs::file_size(dir / name, ec));
        graph.push_back(std::move(description));
        parts.push_back({{"@id", name}});
        return name;
    };

    const std::string scriptPath = runRow["script_path"].is_string() ? runRow["script_path"].get<std::string>() : "";
    std::string script;
    if (!scriptPath.empty() && fs::is_regular_file(scriptPath, ec)) {
        script = copyIn(scriptPath, fs::path(scriptPath).filename().string(),
                        {{"@type", json::array({"File", "SoftwareSourceCode", "ComputationalWorkflow"})},
                         {"name", fs::path(scriptPath).filename().string()},
                         {"programmingLanguage", {{"@id", "#xdml"}}},
                         {"xxh64", runRow["script_hash"]}});
    } else if (const std::string plan = db.runPlan(run); !plan.empty()) {
        // The script is gone; the plan it was compiled to is what ran.
        writeFile(dir / "plan.json", plan + "\n");
        graph.push_back({{"@id", "plan.json"},
                         {"@type", json::array({"File", "SoftwareSourceCode", "ComputationalWorkflow"})},
                         {"name", "the compiled plan of " + (scriptPath.empty() ? std::string("the flow") : scriptPath)},
                         {"description", "the script is no longer at its recorded path; this is the plan that ran"},
                         {"encodingFormat", "application/json"},
                         {"programmingLanguage", {{"@id", "#xdml"}}}});
        parts.push_back({{"@id", "plan.json"}});
        script = "plan.json";
    }

    // Inputs: files read and source items, by path and hash (not copied: they can be the whole
    // detector output); outputs: written files, catalogs, model versions, copied in.
    auto files = db.sql().prepare(
        "SELECT e.id, e.kind, e.label, e.path, e.hash, e.bytes,"
        " EXISTS (SELECT 1 FROM generated g WHERE g.entity = e.id) AS made"
        " FROM entities e WHERE e.run = ?1 AND e.path IS NOT NULL AND e.kind IN ('file', 'item', 'model_version')"
        " ORDER BY e.id");
    files.bindInt(1, run);
    while (files.step()) {
        const std::string kind = files.columnText(1), path = files.columnText(3);
        const std::string hash = files.isNull(4) ? "" : files.columnText(4);
        const bool made = files.columnInt(6) != 0;
        if (!fs::is_regular_file(path, ec)) continue;  // a generated item's origin, or a file since removed
        if (kind == "model_version") {
            const std::string name = "models/" + fs::path(path).parent_path().parent_path().filename().string() + "/" +
                                     fs::path(path).filename().string();
            versions.push_back({{"@id", copyIn(path, name, {{"name", files.columnText(2) + " " + fs::path(path).stem().string()},
                                                            {"encodingFormat", "application/zip"},
                                                            {"description", "TorchScript weights of a model version"},
                                                            {"xxh64", hash}})}});
        } else if (made) {
            outputs.push_back({{"@id", copyIn(path, "outputs/" + fs::path(path).filename().string(), {{"xxh64", hash}})}});
        } else {
            const std::string uri = "file://" + fs::absolute(path).string();
            if (!describedInputs.insert(uri).second) continue;  // a file read twice, or read and streamed
            json input = {{"@id", uri}, {"@type", "File"}, {"name", fs::path(path).filename().string()},
                          {"contentSize", std::to_string(fs::file_size(path, ec))}};
            // A file's hash is of its bytes; an item's is of its decoded payload, not the file.
            if (kind == "file") input["xxh64"] = hash;
            else input["description"] = "an item of stream " + files.columnText(2);
            graph.push_back(std::move(input));
            inputs.push_back({{"@id", uri}});
        }
    }
    // Catalogs: the databases the plan names (a literal path), as they are now.
    const json plan = json::parse(db.runPlan(run), nullptr, false);
    if (plan.is_object() && plan.contains("code") && plan["code"].contains("catalogs"))
        for (const auto& [name, catalog] : plan["code"]["catalogs"].items()) {
            if (!catalog.is_object() || !catalog.contains("path")) continue;
            const json& path = catalog.at("path");
            if (!path.is_object() || path.value("op", "") != planformat::spelling(planformat::ExprOp::String) || !path.contains("parts")) continue;
            const json& parts = path.at("parts");
            if (!parts.is_array() || parts.size() != 1 || !parts[0].is_string()) continue;
            fs::path file = parts[0].get<std::string>();
            if (file.is_relative()) file = db.workdir() / file;
            if (!fs::is_regular_file(file, ec) || copied.count("outputs/" + file.filename().string())) continue;
            outputs.push_back({{"@id", copyIn(file, "outputs/" + file.filename().string(),
                                              {{"name", "catalog " + name},
                                               {"description", "a catalog (SQLite) as it is now: it holds the records of every run of this work directory"},
                                               {"encodingFormat", "application/vnd.sqlite3"}})}});
        }

    const json prov = provJson(db, run);
    writeFile(dir / "provenance.json", prov.dump(1) + "\n");
    graph.push_back({{"@id", "provenance.json"}, {"@type", "File"}, {"name", "W3C PROV-JSON of the run"},
                     {"encodingFormat", "application/json"}, {"about", {{"@id", "#run-" + std::to_string(run)}}}});
    parts.push_back({{"@id", "provenance.json"}});

    const std::string status = runRow.value("status", "");
    json action = {{"@id", "#run-" + std::to_string(run)},
                   {"@type", "CreateAction"},
                   {"name", "xdmlc run " + std::to_string(run) + " of " + (scriptPath.empty() ? std::string("a flow") : fs::path(scriptPath).filename().string())},
                   {"startTime", isoTime(runRow["started"].get<double>())},
                   {"actionStatus", status == "complete" ? "http://schema.org/CompletedActionStatus" : "http://schema.org/FailedActionStatus"},
                   {"agent", {{"@id", "#xdmlc"}}},
                   {"object", inputs},
                   {"result", outputs}};
    if (!script.empty()) action["instrument"] = {{"@id", script}};
    if (runRow["ended"].is_number()) action["endTime"] = isoTime(runRow["ended"].get<double>());
    if (status != "complete") action["error"] = "the run ended " + status;
    for (const json& v : versions) action["result"].push_back(v);

    json root = {{"@id", "./"},
                 {"@type", "Dataset"},
                 {"name", "XDML run " + std::to_string(run) + (runRow["flow"].is_string() && !runRow["flow"].get<std::string>().empty() ? " of flow " + runRow["flow"].get<std::string>() : "")},
                 {"description", "The script, inputs, outputs, model versions and provenance of one run of an XDML flow."},
                 {"datePublished", isoTime(runRow["started"].get<double>())},
                 {"conformsTo", json::array({{{"@id", "https://w3id.org/ro/wfrun/process/0.5"}},
                                             {{"@id", "https://w3id.org/ro/wfrun/workflow/0.5"}},
                                             {{"@id", "https://w3id.org/workflowhub/workflow-ro-crate/1.0"}}})},
                 {"hasPart", parts},
                 {"mentions", json::array({{{"@id", "#run-" + std::to_string(run)}}})}};
    if (!script.empty()) root["mainEntity"] = {{"@id", script}};
    json metadata = {{"@id", "ro-crate-metadata.json"},
                     {"@type", "CreativeWork"},
                     {"conformsTo", json::array({{{"@id", "https://w3id.org/ro/crate/1.1"}},
                                                 {{"@id", "https://w3id.org/workflowhub/workflow-ro-crate/1.0"}}})},
                     {"about", {{"@id", "./"}}}};
    json all = json::array({metadata, root, action,
                            {{"@id", "#xdml"}, {"@type", "ComputerLanguage"}, {"name", "XDML"}, {"version", "0.1"}},
                            {{"@id", "#xdmlc"}, {"@type", "SoftwareApplication"}, {"name", "xdmlc"}},
                            {{"@id", "https://w3id.org/ro/wfrun/process/0.5"}, {"@type", "CreativeWork"}, {"name", "Process Run Crate"}, {"version", "0.5"}},
                            {{"@id", "https://w3id.org/ro/wfrun/workflow/0.5"}, {"@type", "CreativeWork"}, {"name", "Workflow Run Crate"}, {"version", "0.5"}},
                            {{"@id", "https://w3id.org/workflowhub/workflow-ro-crate/1.0"}, {"@type", "CreativeWork"}, {"name", "Workflow RO-Crate"}, {"version", "1.0"}}});
    for (json& node : graph) all.push_back(std::move(node));
    json crate = {{"@context", "https://w3id.org/ro/crate/1.1/context"}, {"@graph", std::move(all)}};
    writeFile(dir / "ro-crate-metadata.json", crate.dump(2) + "\n");
    return {{"dir", dir.string()}, {"files", copied.size() + 2}, {"inputs", inputs.size()},
            {"outputs", outputs.size()}, {"model_versions", versions.size()}};
}

}  // namespace xdml::query
