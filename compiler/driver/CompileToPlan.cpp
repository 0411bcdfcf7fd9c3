// CompileToPlan.cpp — see CompileToPlan.h.
#include "driver/CompileToPlan.h"

#include "ir/Lower.h"
#include "plan/Plan.h"

namespace xdml::driver {

CompiledFlow compileToPlan(const sema::CheckedProgram& program, const CompileOptions& options, Diagnostics& diags) {
    CompiledFlow out;
    out.ir = ir::lowerToIR(program, diags, options.flow);
    if (!passes::runPipeline(out.ir, diags, options.pipeline)) out.status = CompiledFlow::Status::Malformed;
    else if (diags.hasErrors()) out.status = CompiledFlow::Status::InputErrors;
    else if (options.plan) out.plan = plan::planJson(out.ir);
    return out;
}

}  // namespace xdml::driver
