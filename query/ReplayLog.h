// ReplayLog.h — runtime::ReplayLog read from a provenance database: the recorded run's source
// items (their paths, in order), which handler fired on which item, and the inferred types to
// record again. Loaded whole before the replay starts (three indexed queries), so the replayed
// run never waits on the database.
#pragma once

#include "query/ProvDb.h"
#include "runtime/engine/Replay.h"
#include "runtime/interp/Program.h"

#include <map>
#include <memory>
#include <set>
#include <tuple>

namespace xdml::query {

class RecordedLog final : public runtime::ReplayLog {
public:
    /// Reads run `run`. Throws a QueryError when it cannot be replayed: a stream whose items
    /// came from ZeroMQ (messages are not kept), or a source file that is gone.
    static std::shared_ptr<RecordedLog> load(ProvDb& db, int64_t run, const runtime::Program& program);

    int64_t originalRun() const override { return run_; }
    const std::vector<std::string>* sourceItems(const std::string& stream) const override;
    const std::vector<std::string>* itemOrder(const std::string& stream) const override;
    int64_t recordedItems(const std::string& stream) const override;
    bool endFired(int handler) const override;
    bool wrote(const std::string& path) const override;
    int64_t modelVersion(const std::string& model, int handler, int64_t seq) const override;
    /// What the replay cannot restore and the user should know: a catalog that held records
    /// when the recorded run started.
    const std::vector<std::string>& notes() const { return notes_; }
    bool fired(int handler, const std::string& stream, int64_t seq) const override;
    std::vector<runtime::prov::DecisionRecord> itemDecisions(const std::string& stream, int64_t seq) const override;
    std::vector<runtime::prov::DecisionRecord> streamDecisions(const std::string& stream) const override;

private:
    int64_t run_ = 0;
    std::map<std::string, std::vector<std::string>> sources_, orders_;
    std::set<std::tuple<int, std::string, int64_t>> fired_;
    std::map<std::string, int64_t> counts_;
    std::set<int> endsFired_;
    std::set<std::string> written_;
    std::map<std::tuple<std::string, int, int64_t>, int64_t> versions_;
    std::vector<std::string> notes_;
    std::map<std::pair<std::string, int64_t>, std::vector<runtime::prov::DecisionRecord>> decisions_;
    std::map<std::string, std::vector<runtime::prov::DecisionRecord>> streamDecisions_;
};

}  // namespace xdml::query
