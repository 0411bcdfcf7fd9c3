// Lower.h — lowerKernel: one fn, refinement predicate or kernel expression of a plan's code
// into an LLVM module with one function of the kernel ABI (KernelAbi.h).
//
// Requires: a Program read from a plan, and an Evaluator of it for the consts (a const is
// evaluated once by the interpreter and becomes a constant of the code).
// Guarantees: the function computes what runtime::Evaluator computes, with the same
// operation order, so results are bitwise identical: tensors are generators fused into one
// loop per reduction or result (TensorLoops.h), fns are inlined, scalar `and`/`or`/`?:`
// branch. Where the interpreter raises an error the kernel returns kKernelFault, and the
// caller interprets. What the JIT does not compile throws Unsupported, naming it.
//   before:  fn hit_score(f: Frame) -> float = mean(f > 2.0);
//   after:   define i32 @xdml_fn_hit_score_<hash>(ptr %args, ptr %results, ptr %call)
//            one loop, 8 lanes: load <8 x float>, fcmp ogt, uitofp to <8 x double>, fadd
#pragma once

#include "jit/Signature.h"
#include "runtime/interp/Evaluate.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace xdml::jit {

struct KernelSpec {
    enum class Kind { Fn, Predicate, Expression };
    Kind kind = Kind::Fn;
    std::string name;   // the fn, the refinement type, or a few words for an expression ("sum(...)")
    int line = 0;       // where it is declared, for reports
    std::vector<runtime::Param> params;  // a predicate's is `it`; an expression's are its locals
    const runtime::Expr* body = nullptr;
};

/// "fn hit_score", "type Hit", "kernel sum(...) at line 12".
std::string describe(const KernelSpec& spec);

struct LoweredKernel {
    LoweredKernel();
    LoweredKernel(LoweredKernel&&) noexcept;
    ~LoweredKernel();

    std::unique_ptr<llvm::LLVMContext> context;
    std::unique_ptr<llvm::Module> module;
    std::string entry;          // the function's name: xdml_<kind>_<name>_<hash of its IR>
    uint64_t hash = 0;          // of the IR as lowered, before naming
    KernelSignature signature;
    std::vector<runtime::Value> pinned;  // tensor consts the code reads in place
};

/// Throws Unsupported when the kernel uses something the JIT does not compile.
LoweredKernel lowerKernel(const runtime::Program& program, const KernelSpec& spec, runtime::Evaluator& consts);

/// The module as LLVM assembly text.
std::string printModule(const llvm::Module& module);

}  // namespace xdml::jit
