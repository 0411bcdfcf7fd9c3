// Kernels.h — the compiled code of one program: every pure fn, every refinement predicate
// (`where`) and every kernel expression of the plan (Expr::kernel), lowered (Lower.h) and
// compiled by the process's JIT (Jit.h). The evaluator asks it first (runtime::CompiledCode)
// and interprets whatever is not ready, not compiled, or faults.
//
// Compilation runs off the critical path: start() compiles on a background thread while the
// flow already runs interpreted; each kernel switches to compiled code the moment it is ready.
// Compiled code is cached for the process by the content hash of its IR, so equal kernels
// (and the same program run twice) compile once.
#pragma once

#include "jit/Lower.h"
#include "runtime/interp/CompiledCode.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace xdml::jit {

/// What became of one kernel.
struct KernelStatus {
    std::string what;      // "fn hit_score", "type Hit", "kernel at line 40"
    int line = 0;
    bool compiled = false;
    bool cached = false;   // its code was compiled before in this process
    std::string reason;    // why it runs interpreted: unsupported, or the JIT's failure
    bool failed = false;   // the JIT failed (a bug to report), as opposed to unsupported
    double compileMs = 0;  // lowering, optimization and code generation
    std::string entry;
};

class Kernels : public runtime::CompiledCode {
public:
    explicit Kernels(const runtime::Program& program);
    ~Kernels() override;
    Kernels(const Kernels&) = delete;
    Kernels& operator=(const Kernels&) = delete;

    /// Hears of a JIT failure: the source line of the kernel and what happened.
    using Report = std::function<void(int line, const std::string& message)>;
    /// Compiles every kernel on a background thread; `report` is called from that thread.
    void start(Report report = {});
    /// Compiles every kernel now (the tests, `xdmlc run --jit-wait`).
    void compileAll(Report report = {});
    /// Waits for start()'s thread to finish.
    void wait();
    std::vector<KernelStatus> status() const;

    /// Frees the compiled code that no live Kernels uses, through its ORC resource tracker (the
    /// REPL calls it after a redefinition replaced a program); returns how many were freed.
    static std::size_t releaseUnusedCode();
    /// How many compiled kernels the process holds.
    static std::size_t cachedCodeCount();

    std::optional<runtime::Value> callFn(const runtime::FnDecl& fn, const std::vector<runtime::Value>& args) const override;
    std::optional<bool> where(const runtime::TypeDecl& type, const runtime::Value& item) const override;
    std::optional<runtime::Value> evaluate(const runtime::Expr& e, const runtime::Scope& scope) const override;

    /// Every kernel of `program` as LLVM IR (as lowered, or after the JIT's O2 pipeline), with a
    /// comment naming its source; kernels the JIT does not compile are listed with the reason.
    static std::string emitLlvm(const runtime::Program& program, bool optimized);

private:
    struct Kernel;
    void compile(Kernel& k, const Report& report);
    /// The kernel of a declaration (FnDecl, TypeDecl or Expr), or nullptr.
    const Kernel* kernelOf(const void* decl) const;
    /// Calls `k`'s code `fn` (loaded by the caller, before it reads the signature) with `args`:
    /// its result slots in `results` (sized for it), or false when the arguments do not fit or
    /// it faulted.
    bool run(const Kernel& k, KernelFn fn, const runtime::Value* const* args, KernelSlot* results, KernelCall& call) const;
    std::optional<runtime::Value> invoke(const Kernel& k, const runtime::Value* const* args) const;

    const runtime::Program& program_;
    std::vector<std::unique_ptr<Kernel>> kernels_;
    // (declaration, kernel) sorted by address: a few comparisons per lookup, no hashing (a
    // predicate's dispatch is a handful of nanoseconds in all).
    std::vector<std::pair<const void*, Kernel*>> byDecl_;
    std::thread compiler_;
    std::atomic<bool> cancel_{false};
    std::atomic<bool> startFailed_{false};  // reported once
};

}  // namespace xdml::jit
