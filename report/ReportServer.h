// ReportServer.h — the live view of the run report: a read-only HTTP server on loopback (by
// default) that serves a work directory's runs as the report page, whose data the page fetches
// again every half second (`xdmlc run --serve`, `xdmlc serve`). Every request reads provenance
// afresh through its own read-only connection, so it sees what the run has committed and
// cannot change anything: only GET and HEAD are answered, anything else is 405.
#pragma once

#include "report/ReportData.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace xdml::report {

/// "8080", ":8080", "127.0.0.1:8080", "0.0.0.0:0": the address and port to listen on (port 0:
/// any free one). Throws std::invalid_argument naming what is wrong.
struct ListenAddress {
    std::string host = "127.0.0.1";
    int port = 0;
    static ListenAddress parse(const std::string& text);
};

class ReportServer {
public:
    /// Serves the runs recorded in `workdir`'s provenance.db. `oneRun` (a run being served as it
    /// goes, `xdmlc run --serve`): "/" is the page of the first run recorded after the server
    /// started (503 until it begins); else "/" lists the runs.
    ReportServer(std::filesystem::path workdir, bool oneRun, ReportLimits limits = {});
    ~ReportServer();
    ReportServer(const ReportServer&) = delete;
    ReportServer& operator=(const ReportServer&) = delete;

    /// Binds and starts answering on a thread of its own; throws std::runtime_error naming the
    /// address when it cannot bind.
    void start(const ListenAddress& address);
    /// The URL of its front page.
    std::string url() const;
    /// The run it serves has ended: a page that polled in the last seconds gets time to fetch
    /// the final state (it polls every 500 ms), then the server stops.
    void finish();
    /// Stops answering and joins its threads.
    void stop();

private:
    void routes();
    /// The run "/" shows: the one-run server's run, found once it has begun.
    int64_t servedRun(query::ProvDb& db);
    /// Run `run`'s data, its dataflow graph drawn once per run.
    nlohmann::json dataOf(query::ProvDb& db, int64_t run);

    std::filesystem::path workdir_;
    bool oneRun_;
    int64_t runsBefore_ = 0;  // the latest run when a one-run server started
    ReportLimits limits_;
    std::mutex graphsMutex_;
    std::map<int64_t, nlohmann::json> graphs_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    std::string host_;
    int port_ = 0;
    std::atomic<int64_t> lastRequestMs_{0};
};

}  // namespace xdml::report
