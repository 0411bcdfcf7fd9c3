// SessionBuild.h — one check of a REPL session (internal to repl/): what Session.cpp and
// Commands.cpp both read.
#pragma once

#include "jit/Kernels.h"
#include "repl/Session.h"
#include "runtime/interp/Program.h"
#include "sema/Sema.h"

namespace xdml::repl {

/// One check of the session: the sources and diagnostics it was checked from, the program, and
/// once adopted, the runtime's program and its compiled fns (declared last: they refer to it).
struct Session::Build {
    std::unique_ptr<SourceManager> sources = std::make_unique<SourceManager>();
    std::unique_ptr<Diagnostics> diags = std::make_unique<Diagnostics>(*sources);
    std::unique_ptr<sema::CheckedProgram> program;
    std::unique_ptr<runtime::Program> code;
    std::string codeProblem;  // why `code` is missing
    std::unique_ptr<jit::Kernels> kernels;
};

}  // namespace xdml::repl
