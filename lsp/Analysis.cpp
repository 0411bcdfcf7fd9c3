// Analysis.cpp — the same steps as `xdmlc check`, so the editor shows what the command prints.
#include "lsp/Analysis.h"

#include "driver/CompileToPlan.h"
#include "driver/Frontend.h"

namespace xdml::lsp {

std::shared_ptr<Analysis> analyze(const std::string& path, const std::string& text, const OpenText& openText) {
    auto a = std::make_shared<Analysis>();
    a->sources = std::make_unique<SourceManager>();
    a->diags = std::make_unique<Diagnostics>(*a->sources);
    driver::runWithLargeStack([&] {
        try {
            driver::FrontendOptions options;
            options.openText = openText;
            a->program = driver::compile(path, *a->sources, *a->diags, options, &text);
            if (!a->program) return;
            // Checking stops at syntax errors (Frontend.cpp); globals exist only once it ran.
            a->checked = !a->diags->hasErrors() || !a->program->globals.empty();
            if (a->diags->hasErrors()) return;
            driver::CompileOptions compile;  // as `xdmlc check`: placement errors, no plan
            compile.plan = false;
            driver::compileToPlan(*a->program, compile, *a->diags);
        } catch (const std::exception& e) {
            a->diags->error(SourceRange{}, std::string("internal error while compiling: ") + e.what() +
                                               " (please report this with the input file)");
        }
    });
    return a;
}

const LineTable& Analysis::lines(FileId file) const {
    auto it = lineTables_.find(file);
    if (it == lineTables_.end()) it = lineTables_.emplace(file, LineTable(text(file))).first;
    return it->second;
}

Json toRange(const Analysis& analysis, const SourceRange& range, PositionEncoding encoding) {
    const LineTable& lines = analysis.lines(range.begin.file);
    uint32_t end = std::max(range.endOffset, range.begin.offset);
    auto position = [&](uint32_t offset) {
        Position p = lines.position(offset, encoding);
        return Json{{"line", p.line}, {"character", p.character}};
    };
    return Json{{"start", position(range.begin.offset)}, {"end", position(end)}};
}

namespace {

int severityOf(Severity s) {
    switch (s) {
    case Severity::Error: return 1;
    case Severity::Warning: return 2;
    case Severity::Note: return 3;
    }
    return 1;
}

}  // namespace

std::map<std::string, Json> diagnosticsByUri(const Analysis& analysis, PositionEncoding encoding,
                                             const std::function<std::string(FileId)>& uriOf) {
    std::map<std::string, Json> out;
    out[uriOf(analysis.mainFile)] = Json::array();
    Json nowhere{{"start", {{"line", 0}, {"character", 0}}}, {"end", {{"line", 0}, {"character", 0}}}};
    for (const Diagnostic& d : analysis.diags->sorted()) {
        FileId file = d.range.valid() ? d.range.begin.file : analysis.mainFile;
        Json range = d.range.valid() ? toRange(analysis, d.range, encoding) : nowhere;
        Json diagnostic{{"range", range}, {"severity", severityOf(d.severity)}, {"source", "xdmlc"}, {"message", d.message}};
        if (!d.notes.empty()) {
            Json related = Json::array();
            for (const Diagnostic& n : d.notes) {
                bool located = n.range.valid();
                related.push_back({{"location",
                                    {{"uri", uriOf(located ? n.range.begin.file : file)},
                                     {"range", located ? toRange(analysis, n.range, encoding) : range}}},
                                   {"message", n.message}});
            }
            diagnostic["relatedInformation"] = std::move(related);
        }
        std::string uri = uriOf(file);
        if (!out.count(uri)) out[uri] = Json::array();
        out[uri].push_back(std::move(diagnostic));
    }
    return out;
}

}  // namespace xdml::lsp
