// TestSupport.h — compiling XDML text in unit tests.
#pragma once

#include "driver/Frontend.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace xdml::test {

/// A compiled snippet with its diagnostics.
struct Compiled {
    SourceManager sources;
    std::unique_ptr<Diagnostics> diags;
    std::unique_ptr<sema::CheckedProgram> program;

    std::vector<std::string> errors() const {
        std::vector<std::string> out;
        for (const Diagnostic& d : diags->sorted())
            if (d.severity == Severity::Error) out.push_back(d.message);
        return out;
    }
    std::vector<std::string> warnings() const {
        std::vector<std::string> out;
        for (const Diagnostic& d : diags->sorted())
            if (d.severity == Severity::Warning) out.push_back(d.message);
        return out;
    }
    /// "line:col" of each error, in order.
    std::vector<std::string> errorPlaces() const {
        std::vector<std::string> out;
        for (const Diagnostic& d : diags->sorted())
            if (d.severity == Severity::Error)
                out.push_back(std::to_string(d.range.begin.line) + ":" + std::to_string(d.range.begin.col));
        return out;
    }
};

/// The text of examples/NAME.
inline std::string readExample(const std::string& name) {
    std::ifstream in(std::string(XDML_SOURCE_DIR) + "/examples/" + name);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

inline std::unique_ptr<Compiled> compileText(const std::string& text, bool check = true) {
    auto c = std::make_unique<Compiled>();
    c->diags = std::make_unique<Diagnostics>(c->sources);
    driver::FrontendOptions options;
    options.check = check;
    c->program = driver::compile("test.xdml", c->sources, *c->diags, options, &text);
    return c;
}

}  // namespace xdml::test
