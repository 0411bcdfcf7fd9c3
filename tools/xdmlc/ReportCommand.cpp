// ReportCommand.cpp — see ReportCommand.h.
#include "tools/xdmlc/ReportCommand.h"

#include "report/ReportData.h"
#include "report/ReportPage.h"
#include "report/ReportServer.h"
#include "runtime/io/AtomicWrite.h"

#include <csignal>
#include <iostream>
#include <pthread.h>

namespace xdml::tools {

ReportCommand::ReportCommand(CLI::App& app) {
    report_ = app.add_subcommand("report", "Write a run's report: one HTML file that opens with no network (or --text)");
    report_->add_option("--workdir", workdir_, "The work directory (holds provenance.db; default: the current directory)");
    report_->add_option("--run", run_, "The run (its id in provenance.db; default: the latest)")->check(CLI::PositiveNumber);
    report_->add_option("-o,--output", output_, "Where to write it (default: report.html in the work directory; - for stdout)");
    report_->add_flag("--text", text_, "Print a plain-text summary of the same sections instead");
    report_->add_flag("--no-graph", noGraph_, "Leave out the dataflow graph (drawn by Graphviz's dot)");
    report_->footer("Examples:\n"
                    "  xdmlc report --workdir ssx.run                 writes ssx.run/report.html\n"
                    "  xdmlc report --workdir ssx.run --run 2 -o run2.html\n"
                    "  xdmlc report --workdir ssx.run --text\n"
                    "A run in progress is served live by `xdmlc run F --serve PORT`.");
    serve_ = app.add_subcommand("serve", "Serve a work directory's runs as report pages (read-only) until Ctrl-C");
    serve_->add_option("--workdir", workdir_, "The work directory (holds provenance.db; default: the current directory)");
    serve_->add_option("--listen", listen_, "[ADDRESS:]PORT to listen on (default 127.0.0.1:8080; port 0: any free port)");
}

bool ReportCommand::chosen() const {
    return report_->parsed() || serve_->parsed();
}

int ReportCommand::run() {
    try {
        return report_->parsed() ? report() : serve();
    } catch (const std::exception& e) {  // a QueryError names the database, run or entity
        std::cerr << "xdmlc: error: " << e.what() << "\n";
        return 1;
    }
}

int ReportCommand::report() {
    auto db = query::ProvDb::open(workdir_);
    report::ReportLimits limits;
    limits.graph = !noGraph_ && !text_;
    const nlohmann::json data = report::reportData(*db, run_, limits);
    if (data.value("graph_error", nlohmann::json()).is_string())
        std::cerr << "xdmlc: warning: " << data["graph_error"].get<std::string>() << "; the page says so in its place\n";
    const std::string out = text_ ? report::textReport(data) : report::htmlPage(data);
    const std::string target = !output_.empty() ? output_ : text_ ? "-" : (db->workdir() / "report.html").string();
    try {
        runtime::writeOutput(target, out);
    } catch (const runtime::WriteError& e) {
        std::cerr << "xdmlc: error: cannot write '" << e.path() << "': " << e.reason() << "\n";
        return 2;
    }
    if (target != "-")
        std::cerr << "wrote the report of run " << data["run"]["id"] << " to " << target << " (" << out.size() / 1024 << " KiB)\n";
    return 0;
}

int ReportCommand::serve() {
    report::ListenAddress address;
    try {
        address = report::ListenAddress::parse(listen_);
    } catch (const std::invalid_argument& e) {
        std::cerr << "xdmlc: error: --listen " << e.what() << "\n";
        return 2;
    }
    query::ProvDb::open(workdir_);  // a clear error now rather than a 404 later
    // Ctrl-C and SIGTERM are waited for here; the server's threads never see them.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    report::ReportServer server(workdir_, false);
    server.start(address);
    std::cout << "serving the runs of " << workdir_ << " at " << server.url() << " (read-only; Ctrl-C stops)" << std::endl;
    int signal = 0;
    sigwait(&stop, &signal);
    server.stop();
    std::cout << "stopped serving" << std::endl;
    return 0;
}

}  // namespace xdml::tools
