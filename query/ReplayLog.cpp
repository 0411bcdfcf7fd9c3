// ReplayLog.cpp — see ReplayLog.h.
#include "query/ReplayLog.h"

#include <filesystem>

namespace xdml::query {

std::shared_ptr<RecordedLog> RecordedLog::load(ProvDb& db, int64_t run, const runtime::Program& program) {
    ReadSnapshot snapshot(db);
    auto log = std::make_shared<RecordedLog>();
    log->run_ = run;
    const std::string runText = "run " + std::to_string(run);

    // Source items: the items of streams with a files, watch or zmq source, by position.
    auto items = db.sql().prepare(
        "SELECT seq, path FROM entities WHERE stream = ?1 AND run = ?2 AND kind = 'item' ORDER BY seq");
    auto hashes = db.sql().prepare(
        "SELECT hash FROM entities WHERE stream = ?1 AND run = ?2 AND kind = 'item' ORDER BY seq");
    for (const auto& [name, decl] : program.streams()) {
        if (!decl.source) {  // emit-fed: the order its items came in
            hashes.reset();
            hashes.bindText(1, name);
            hashes.bindInt(2, run);
            std::vector<std::string>& order = log->orders_[name];
            while (hashes.step()) order.push_back(hashes.isNull(0) ? "" : hashes.columnText(0));
            continue;
        }
        if (decl.source->name == "generate") continue;
        items.reset();
        items.bindText(1, name);
        items.bindInt(2, run);
        std::vector<std::string>& paths = log->sources_[name];
        while (items.step()) {
            const std::string path = items.isNull(1) ? "" : db.here(items.columnText(1), run);
            if (decl.source->name == "zmq")
                throw QueryError(runText + " cannot be replayed: the items of stream " + name +
                                 " came from zmq(...), and messages are not kept (item " +
                                 std::to_string(items.columnInt(0)) + " was " + path + ")");
            std::error_code ec;
            if (path.empty() || !std::filesystem::is_regular_file(path, ec))
                throw QueryError(runText + " cannot be replayed: item " + std::to_string(items.columnInt(0)) +
                                 " of stream " + name + " was read from " + (path.empty() ? "an unrecorded file" : path) +
                                 ", which is no longer there");
            paths.push_back(path);
        }
    }

    auto counts = db.sql().prepare(
        "SELECT stream, count(*) FROM entities WHERE run = ?1 AND kind = 'item' AND stream IS NOT NULL GROUP BY stream");
    counts.bindInt(1, run);
    while (counts.step()) log->counts_[counts.columnText(0)] = counts.columnInt(1);
    auto ends = db.sql().prepare(
        "SELECT DISTINCT a.handler FROM activities a WHERE a.run = ?1 AND a.kind = 'handler' AND a.handler IS NOT NULL"
        " AND a.name LIKE 'on end of %'");
    ends.bindInt(1, run);
    while (ends.step()) log->endsFired_.insert(static_cast<int>(ends.columnInt(0)));
    auto written = db.sql().prepare(
        "SELECT e.path FROM entities e JOIN generated g ON g.entity = e.id WHERE e.run = ?1 AND e.kind = 'file'"
        " AND e.path IS NOT NULL");
    written.bindInt(1, run);
    while (written.step())
        log->written_.insert(std::filesystem::path(db.here(written.columnText(0), run)).lexically_normal().string());
    auto catalogs = db.sql().prepare(
        "SELECT reason FROM decisions WHERE run = ?1 AND kind = 'catalog_state' ORDER BY id");
    catalogs.bindInt(1, run);
    while (catalogs.step())
        log->notes_.push_back(catalogs.columnText(0) + "; the replay starts it empty, so what the flow reads of it may differ");

    // Which model version answered each firing: the weights its activity (or a task it called)
    // used, keyed by the firing's handler and item (the last item used: a group's firing item).
    std::map<int64_t, std::pair<std::string, int64_t>> versionOf;  // weights entity -> (model, version)
    auto models = db.sql().prepare("SELECT entity, model, version FROM models WHERE entity IS NOT NULL AND run <= ?1");
    models.bindInt(1, run);
    while (models.step()) versionOf[models.columnInt(0)] = {models.columnText(1), models.columnInt(2)};
    auto uses = db.sql().prepare(
        "SELECT a.id, a.handler, u.entity, (SELECT MAX(e.seq) FROM entities e"
        " WHERE e.kind = 'item' AND e.id IN (SELECT entity FROM used WHERE activity = a.id))"
        " FROM activities a JOIN used u ON u.activity = a.id"
        " WHERE a.run = ?1 AND u.role = 'model' AND a.handler IS NOT NULL ORDER BY a.id, u.entity");
    uses.bindInt(1, run);
    while (uses.step()) {
        auto it = versionOf.find(uses.columnInt(2));
        if (it == versionOf.end() || uses.isNull(3)) continue;
        log->versions_.emplace(std::tuple{it->second.first, static_cast<int>(uses.columnInt(1)), uses.columnInt(3)},
                               it->second.second);  // the first use of a firing stands
    }

    // Which handler fired on which item: the items each handler activity used.
    auto fired = db.sql().prepare(
        "SELECT a.handler, e.stream, e.seq FROM activities a JOIN used u ON u.activity = a.id"
        " JOIN entities e ON e.id = u.entity"
        " WHERE a.run = ?1 AND a.kind = 'handler' AND a.handler IS NOT NULL AND u.role = 'item' AND e.kind = 'item'");
    fired.bindInt(1, run);
    while (fired.step())
        log->fired_.emplace(static_cast<int>(fired.columnInt(0)), fired.columnText(1), fired.columnInt(2));

    // The types decided per item (models' inferences, predicates' answers), by the item they are
    // about: a replay records them again rather than asking the models and predicates.
    auto inferred = db.sql().prepare(
        "SELECT d.id, d.subject, d.choice, d.reason, d.inputs, d.model_version, e.stream, e.seq, d.kind FROM decisions d"
        " JOIN entities e ON e.id = CAST(substr(d.subject, 8) AS INTEGER)"
        " WHERE d.run = ?1 AND d.kind IN ('inferred_type', 'type_test') AND d.subject LIKE 'entity:%' ORDER BY d.id");
    inferred.bindInt(1, run);
    while (inferred.step()) {
        if (inferred.isNull(6)) continue;
        runtime::prov::DecisionRecord d;
        d.kind = inferred.columnText(8);
        d.choice = inferred.isNull(2) ? "" : inferred.columnText(2);
        d.reason = inferred.isNull(3) ? "" : inferred.columnText(3);
        nlohmann::json inputs = nlohmann::json::parse(inferred.isNull(4) ? "{}" : inferred.columnText(4), nullptr, false);
        if (!inputs.is_object()) inputs = nlohmann::json::object();
        inputs["replayed_from"] = inferred.columnInt(0);
        d.inputsJson = inputs.dump();
        d.modelVersion = inferred.isNull(5) ? -1 : inferred.columnInt(5);
        log->decisions_[{inferred.columnText(6), inferred.columnInt(7)}].push_back(std::move(d));
    }
    // The counted type tests, by stream.
    auto counted = db.sql().prepare(
        "SELECT subject, choice, reason, inputs FROM decisions WHERE run = ?1 AND kind = 'type_test' AND subject LIKE 'stream:%'"
        " ORDER BY id");
    counted.bindInt(1, run);
    while (counted.step()) {
        runtime::prov::DecisionRecord d;
        d.kind = "type_test";
        d.subject = counted.columnText(0);
        d.choice = counted.isNull(1) ? "" : counted.columnText(1);
        d.reason = counted.isNull(2) ? "" : counted.columnText(2);
        d.inputsJson = counted.isNull(3) ? "{}" : counted.columnText(3);
        log->streamDecisions_[d.subject.substr(7)].push_back(std::move(d));
    }
    return log;
}

std::vector<runtime::prov::DecisionRecord> RecordedLog::streamDecisions(const std::string& stream) const {
    auto it = streamDecisions_.find(stream);
    return it == streamDecisions_.end() ? std::vector<runtime::prov::DecisionRecord>{} : it->second;
}

const std::vector<std::string>* RecordedLog::sourceItems(const std::string& stream) const {
    auto it = sources_.find(stream);
    return it == sources_.end() ? nullptr : &it->second;
}

int64_t RecordedLog::recordedItems(const std::string& stream) const {
    auto it = counts_.find(stream);
    return it == counts_.end() ? 0 : it->second;
}

bool RecordedLog::endFired(int handler) const {
    return endsFired_.count(handler) > 0;
}

int64_t RecordedLog::modelVersion(const std::string& model, int handler, int64_t seq) const {
    auto it = versions_.find({model, handler, seq});
    return it == versions_.end() ? -1 : it->second;
}

bool RecordedLog::wrote(const std::string& path) const {
    return written_.count(std::filesystem::path(path).lexically_normal().string()) > 0;
}

const std::vector<std::string>* RecordedLog::itemOrder(const std::string& stream) const {
    auto it = orders_.find(stream);
    return it == orders_.end() ? nullptr : &it->second;
}

bool RecordedLog::fired(int handler, const std::string& stream, int64_t seq) const {
    return fired_.count({handler, stream, seq}) > 0;
}

std::vector<runtime::prov::DecisionRecord> RecordedLog::itemDecisions(const std::string& stream, int64_t seq) const {
    auto it = decisions_.find({stream, seq});
    return it == decisions_.end() ? std::vector<runtime::prov::DecisionRecord>{} : it->second;
}

}  // namespace xdml::query
