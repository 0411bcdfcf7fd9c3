// Jit.h — the LLVM ORC JIT behind XDML's compiled code, in the size of LLVM's "Building a JIT"
// chapter 1: create, add a module under a resource tracker, look a symbol up. Modules are
// optimized at O2 for the host CPU (no fast-math: results match the interpreter's to the bit).
// The REPL redefines fns by removing a tracker and adding the new module under a fresh one.
//
// One instance serves the process (instance()): LLJIT is thread-safe, so the kernels of every
// run compile through it, and the runtime helpers compiled code calls are defined once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace llvm {
class Module;
class LLVMContext;
}  // namespace llvm

namespace xdml::jit {

class Jit {
public:
    /// A handle to the code of one added module; removing it frees the code.
    class Tracker;

    /// The process's JIT, created on first use. Throws std::runtime_error when LLVM cannot
    /// target this machine.
    static Jit& instance();

    ~Jit();

    /// Optimizes `module` at O2 and adds it under a new tracker. The module's functions are
    /// compiled on their first lookup.
    std::shared_ptr<Tracker> addModule(std::unique_ptr<llvm::Module> module, std::unique_ptr<llvm::LLVMContext> context);
    /// The address of `name` (compiling it if needed). Throws std::runtime_error with LLVM's
    /// message when the symbol cannot be found or compiled.
    uint64_t lookup(const std::string& name);
    /// Removes the code added under `tracker`.
    void remove(const std::shared_ptr<Tracker>& tracker);

    /// Runs the same O2 pipeline addModule uses (for `--emit=llvm-opt` and the tests).
    void optimize(llvm::Module& module);
    /// The target's data layout and triple, for modules built outside the JIT.
    void configure(llvm::Module& module) const;
    /// The host CPU the code is compiled for ("znver3", "skylake-avx512", ...).
    std::string cpu() const;

private:
    Jit();
    void warmUp();
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace xdml::jit
