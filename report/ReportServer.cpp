// ReportServer.cpp — see ReportServer.h. Debian's cpp-httplib is included here alone.
#include "report/ReportServer.h"

#include "report/ReportPage.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <sys/socket.h>
#include <stdexcept>

namespace xdml::report {

using nlohmann::json;

namespace {

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// The host part of a Host header ("127.0.0.1:8080", "[::1]:8080", "localhost").
std::string hostName(const std::string& header) {
    if (!header.empty() && header[0] == '[') return header.substr(0, header.find(']') + 1);
    return header.substr(0, header.rfind(':'));
}

bool isLoopback(const std::string& host) {
    return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]";
}

/// The one-run server's run has not begun yet.
struct NotYet {};

}  // namespace

ListenAddress ListenAddress::parse(const std::string& text) {
    ListenAddress a;
    std::string port = text;
    if (const std::size_t colon = text.rfind(':'); colon != std::string::npos) {
        if (colon > 0) a.host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    // "[::1]:8080": an IPv6 address in brackets, bound without them.
    if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']') a.host = a.host.substr(1, a.host.size() - 2);
    std::size_t used = 0;
    int n = -1;
    try {
        n = std::stoi(port, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (port.empty() || used != port.size() || n < 0 || n > 65535)
        throw std::invalid_argument("'" + text + "' is not [ADDRESS:]PORT with a port from 0 to 65535 (0: any free port)");
    a.port = n;
    return a;
}

ReportServer::ReportServer(std::filesystem::path workdir, bool oneRun, ReportLimits limits)
    : workdir_(std::move(workdir)), oneRun_(oneRun), limits_(limits), server_(std::make_unique<httplib::Server>()) {
    // Each poll of a live page builds the report again: fewer lineage walks than a file's.
    limits_.maxResults = std::min<std::size_t>(limits_.maxResults, 20);
    if (oneRun_) {
        try {
            auto db = query::ProvDb::open(workdir_);
            runsBefore_ = db->sql().queryInt("SELECT COALESCE(MAX(id), 0) FROM runs");
        } catch (const query::QueryError&) {
            runsBefore_ = 0;  // no database yet: the run will make it
        }
    }
    routes();
}

ReportServer::~ReportServer() {
    stop();
}

int64_t ReportServer::servedRun(query::ProvDb& db) {
    if (!oneRun_) return db.runOrLatest(0);
    auto s = db.sql().prepare("SELECT MIN(id) FROM runs WHERE id > ?1");
    s.bindInt(1, runsBefore_);
    if (!s.step() || s.isNull(0)) throw NotYet();
    return s.columnInt(0);
}

nlohmann::json ReportServer::dataOf(query::ProvDb& db, int64_t run) {
    run = db.runOrLatest(run);
    ReportLimits limits = limits_;
    limits.graph = false;
    json data = reportData(db, run, limits);
    std::lock_guard lock(graphsMutex_);
    auto it = graphs_.find(run);
    if (it == graphs_.end()) {
        const json plan = json::parse(db.runPlan(run), nullptr, false);
        it = graphs_.emplace(run, dataflowGraph(plan.is_object() ? plan : json::object())).first;
    }
    data.update(it->second);
    return data;
}

void ReportServer::routes() {
    httplib::Server& s = *server_;
    // SO_REUSEADDR alone (a restart binds at once); httplib's default adds SO_REUSEPORT, with
    // which a second server would share the port instead of being told it is in use.
    s.set_socket_options([](int sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        // Read-only: whatever is not a GET (or HEAD) is refused before any route sees it.
        if (req.method != "GET" && req.method != "HEAD") {
            res.status = 405;
            res.set_header("Allow", "GET, HEAD");
            res.set_content("the run report is read-only: only GET and HEAD are answered\n", "text/plain");
            return httplib::Server::HandlerResponse::Handled;
        }
        // On loopback, only loopback names: a web page elsewhere cannot rebind its own name to
        // 127.0.0.1 (DNS rebinding) and read the run through the user's browser.
        if (isLoopback(host_) && !isLoopback(hostName(req.get_header_value("Host")))) {
            res.status = 421;
            res.set_content("the run report answers only to a loopback host name (127.0.0.1, localhost, [::1])\n", "text/plain");
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    auto answer = [this](httplib::Response& res, const std::function<std::pair<std::string, std::string>()>& make) {
        lastRequestMs_.store(nowMs());
        res.set_header("Cache-Control", "no-store");
        try {
            auto [body, type] = make();
            res.set_content(body, type);
        } catch (const NotYet&) {
            // The run being served has not begun: a page that asks again in a second.
            res.status = 503;
            res.set_header("Retry-After", "1");
            res.set_content("<!DOCTYPE html><html><head><meta charset=utf-8><meta http-equiv=refresh content=1>"
                            "<title>XDML run</title></head><body>The run is starting…</body></html>\n",
                            "text/html; charset=utf-8");
        } catch (const query::QueryError& e) {
            // No database yet, or no such run or entity.
            res.status = 404;
            res.set_content(std::string(e.what()) + "\n", "text/plain");
        } catch (const std::exception& e) {
            res.status = 500;
            res.set_content(std::string(e.what()) + "\n", "text/plain");
        }
    };
    auto page = [this](std::optional<int64_t> run, const std::string& base) {
        auto db = query::ProvDb::open(workdir_);
        LiveSource live{base + "data.json", 500, base + "lineage"};
        return std::pair{htmlPage(dataOf(*db, run ? *run : servedRun(*db)), &live), std::string("text/html; charset=utf-8")};
    };
    auto data = [this](std::optional<int64_t> run) {
        auto db = query::ProvDb::open(workdir_);
        return std::pair{scriptSafeJson(dataOf(*db, run ? *run : servedRun(*db))), std::string("application/json")};
    };
    // Any entity's lineage (the page carries only its run's latest results): ?subject= names it
    // as `xdmlc prov` does (42, stills#3, frames[12], a file's path).
    auto lineage = [this](std::optional<int64_t> run, const httplib::Request& req) {
        auto db = query::ProvDb::open(workdir_);
        const int64_t in = run ? db->runOrLatest(*run) : servedRun(*db);
        const std::string subject = req.get_param_value("subject");
        if (subject.empty()) throw query::QueryError("lineage: say which entity: ?subject=stills#3");
        const query::Subject found = db->resolve(subject, in);
        return std::pair{scriptSafeJson(resultLineage(*db, found.id, limits_.lineageDepth)), std::string("application/json")};
    };
    s.Get("/", [=, this](const httplib::Request&, httplib::Response& res) {
        answer(res, [&] {
            if (oneRun_) return page(std::nullopt, "/");
            auto db = query::ProvDb::open(workdir_);
            auto rows = db->sql().prepare("SELECT id, flow, status, started, ended FROM runs ORDER BY id DESC");
            std::string body =
                "<!DOCTYPE html><html><head><meta charset=utf-8><title>XDML runs</title><style>body{font:14px system-ui,sans-serif;"
                "margin:24px}td,th{padding:4px 10px;text-align:left;border-bottom:1px solid #ddd}</style></head><body><h1>Runs in " +
                htmlEscape(workdir_.string()) + "</h1><table><tr><th>run</th><th>flow</th><th>status</th><th>started (UTC)</th></tr>";
            while (rows.step())
                body += "<tr><td><a href='/run/" + std::to_string(rows.columnInt(0)) + "'>run " + std::to_string(rows.columnInt(0)) +
                        "</a></td><td>" + htmlEscape(rows.isNull(1) ? "" : rows.columnText(1)) + "</td><td>" + htmlEscape(rows.columnText(2)) +
                        "</td><td>" + htmlEscape(query::formatTime(rows.columnDouble(3))) + "</td></tr>";
            body += "</table></body></html>";
            return std::pair{body, std::string("text/html; charset=utf-8")};
        });
    });
    s.Get("/data.json", [=](const httplib::Request&, httplib::Response& res) { answer(res, [&] { return data(std::nullopt); }); });
    s.Get("/lineage", [=](const httplib::Request& req, httplib::Response& res) { answer(res, [&] { return lineage(std::nullopt, req); }); });
    s.Get(R"(/run/(\d{1,18}))", [=](const httplib::Request& req, httplib::Response& res) {
        const int64_t run = std::stoll(req.matches[1]);
        answer(res, [&] { return page(run, "/run/" + std::to_string(run) + "/"); });
    });
    s.Get(R"(/run/(\d{1,18})/data.json)", [=](const httplib::Request& req, httplib::Response& res) {
        const int64_t run = std::stoll(req.matches[1]);
        answer(res, [&] { return data(run); });
    });
    s.Get(R"(/run/(\d{1,18})/lineage)", [=](const httplib::Request& req, httplib::Response& res) {
        const int64_t run = std::stoll(req.matches[1]);
        answer(res, [&] { return lineage(run, req); });
    });
}

void ReportServer::start(const ListenAddress& address) {
    host_ = address.host;
    if (address.port == 0) {
        port_ = server_->bind_to_any_port(address.host);
        if (port_ < 0) port_ = 0;
    } else {
        port_ = server_->bind_to_port(address.host, address.port) ? address.port : 0;
    }
    if (port_ == 0)
        throw std::runtime_error("cannot listen on " + address.host + ":" + std::to_string(address.port) +
                                 " (in use, or not an address of this machine)");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // httplib 0.11's stop() does nothing until the listening loop has begun: wait for it, so a
    // run that ends at once can still stop its server.
    for (int i = 0; i < 5000 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

std::string ReportServer::url() const {
    return "http://" + (host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) + "/";
}

void ReportServer::finish() {
    const int64_t last = lastRequestMs_.load();
    if (last != 0 && nowMs() - last < 3000) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    stop();
}

void ReportServer::stop() {
    if (thread_.joinable()) {
        server_->stop();
        thread_.join();
    }
}

}  // namespace xdml::report
