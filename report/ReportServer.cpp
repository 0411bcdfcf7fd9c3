// ReportServer.cpp — see ReportServer.h. Debian's cpp-httplib is included here alone.
#include "report/ReportServer.h"

#include "report/ReportPage.h"

#include <httplib.h>

#include <chrono>
#include <sys/socket.h>
#include <stdexcept>

namespace xdml::report {

using nlohmann::json;

namespace {

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

ListenAddress ListenAddress::parse(const std::string& text) {
    ListenAddress a;
    std::string port = text;
    if (const std::size_t colon = text.rfind(':'); colon != std::string::npos) {
        if (colon > 0) a.host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
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

ReportServer::ReportServer(std::filesystem::path workdir, bool latestOnly, ReportLimits limits)
    : workdir_(std::move(workdir)), latestOnly_(latestOnly), limits_(limits), server_(std::make_unique<httplib::Server>()) {
    routes();
}

ReportServer::~ReportServer() {
    stop();
}

void ReportServer::routes() {
    httplib::Server& s = *server_;
    // SO_REUSEADDR alone (a restart binds at once); httplib's default adds SO_REUSEPORT, with
    // which a second server would share the port instead of being told it is in use.
    s.set_socket_options([](int sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    // Read-only: whatever is not a GET (or HEAD) is refused before any route sees it.
    s.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
        if (req.method == "GET" || req.method == "HEAD") return httplib::Server::HandlerResponse::Unhandled;
        res.status = 405;
        res.set_header("Allow", "GET, HEAD");
        res.set_content("the run report is read-only: only GET and HEAD are answered\n", "text/plain");
        return httplib::Server::HandlerResponse::Handled;
    });
    auto answer = [this](httplib::Response& res, const std::function<std::pair<std::string, std::string>()>& make) {
        lastRequestMs_.store(nowMs());
        res.set_header("Cache-Control", "no-store");
        try {
            auto [body, type] = make();
            res.set_content(body, type);
        } catch (const query::QueryError& e) {
            // No database yet (a run that has not begun), or no such run.
            res.status = 404;
            res.set_content(std::string(e.what()) + "\n", "text/plain");
        } catch (const std::exception& e) {
            res.status = 500;
            res.set_content(std::string(e.what()) + "\n", "text/plain");
        }
    };
    auto page = [this](int64_t run, const std::string& dataUrl) {
        auto db = query::ProvDb::open(workdir_);
        LiveSource live{dataUrl, 1000};
        return std::pair{htmlPage(reportData(*db, run, limits_), &live), std::string("text/html; charset=utf-8")};
    };
    auto data = [this](int64_t run) {
        auto db = query::ProvDb::open(workdir_);
        return std::pair{scriptSafeJson(reportData(*db, run, limits_)), std::string("application/json")};
    };
    s.Get("/", [=, this](const httplib::Request&, httplib::Response& res) {
        answer(res, [&] {
            if (latestOnly_) return page(0, "/data.json");
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
    s.Get("/data.json", [=](const httplib::Request&, httplib::Response& res) { answer(res, [&] { return data(0); }); });
    s.Get(R"(/run/(\d{1,18}))", [=](const httplib::Request& req, httplib::Response& res) {
        const int64_t run = std::stoll(req.matches[1]);
        answer(res, [&] { return page(run, "/run/" + std::to_string(run) + "/data.json"); });
    });
    s.Get(R"(/run/(\d{1,18})/data.json)", [=](const httplib::Request& req, httplib::Response& res) {
        const int64_t run = std::stoll(req.matches[1]);
        answer(res, [&] { return data(run); });
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
}

std::string ReportServer::url() const {
    return "http://" + (host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) + "/";
}

double ReportServer::secondsSinceLastRequest() const {
    const int64_t last = lastRequestMs_.load();
    return last == 0 ? 1e9 : static_cast<double>(nowMs() - last) / 1e3;
}

void ReportServer::stop() {
    if (thread_.joinable()) {
        server_->stop();
        thread_.join();
    }
}

}  // namespace xdml::report
