// KernelBuilder.h — what every part of the lowering shares while it emits one kernel: the
// IRBuilder, the function, its fault exit, and allocas in the entry block (SROA turns them
// into SSA values at O2, so loops can keep their counters and accumulators in memory).
#pragma once

#include "runtime/values/Tensor.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <stdexcept>
#include <string>

namespace xdml::jit {

/// What the JIT does not compile (a string, a list, a task call, ...): the kernel is left to
/// the interpreter. Not an error of the program.
class Unsupported : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Elements in one step of a vectorized loop: eight, the lanes of the reductions' fixed
/// association (LANGUAGE.md §6), so a reduction's vector accumulator is exactly its lanes.
constexpr unsigned kLanes = 8;

struct KernelBuilder {
    llvm::LLVMContext& context;
    llvm::Module& module;
    llvm::IRBuilder<> ir;
    llvm::Function* function = nullptr;
    llvm::BasicBlock* faultBlock = nullptr;
    llvm::Value* call = nullptr;  // the KernelCall*, for result tensors
    int emitted = 0;              // element operations emitted, to refuse runaway inlining

    /// Counts an element operation about to be emitted; past kMaxElementOps the kernel is left
    /// to the interpreter rather than compiled for seconds.
    void countOperation() {
        if (++emitted > kMaxElementOps) throw Unsupported("an expression whose code grows too large once its fns are inlined");
    }
    static constexpr int kMaxElementOps = 4000;

    KernelBuilder(llvm::LLVMContext& c, llvm::Module& m) : context(c), module(m), ir(c) {}

    llvm::Type* i64() { return ir.getInt64Ty(); }
    llvm::Value* i64(int64_t v) { return ir.getInt64(static_cast<uint64_t>(v)); }

    /// A stack slot in the entry block.
    llvm::AllocaInst* local(llvm::Type* type, const char* name) {
        llvm::IRBuilder<> entry(&function->getEntryBlock(), function->getEntryBlock().begin());
        return entry.CreateAlloca(type, nullptr, name);
    }
    /// While a branch of a tensor `?:` is set up (both are, before the loops): whether that
    /// branch is the one taken. Checks and work for a branch not taken are skipped, as the
    /// interpreter never evaluates it. nullptr: unconditional.
    llvm::Value* guard = nullptr;

    /// Continues when `ok` holds (or the guarded branch is not taken); otherwise the kernel
    /// returns kKernelFault.
    void check(llvm::Value* ok, const char* name) {
        if (guard) ok = ir.CreateOr(ok, ir.CreateNot(guard));
        llvm::BasicBlock* next = llvm::BasicBlock::Create(context, name, function);
        ir.CreateCondBr(ok, next, faultBlock);
        ir.SetInsertPoint(next);
    }
    /// The value `compute()` emits, computed only when the guarded branch is taken (else zero):
    /// for what reads a tensor's elements before the loops (a reduction, one element), which
    /// in a branch not taken may be out of bounds or an unfilled temporary.
    template <typename F>
    llvm::Value* whenTakenValue(llvm::Type* type, F compute) {
        if (!guard) return compute();
        llvm::AllocaInst* slot = local(type, "taken.value");
        ir.CreateStore(llvm::Constant::getNullValue(type), slot);
        whenTaken([&] { ir.CreateStore(compute(), slot); });
        return ir.CreateLoad(type, slot);
    }
    /// Emits `work` so that it runs only when the guarded branch is taken (always without a guard).
    template <typename F>
    void whenTaken(F work) {
        if (!guard) return work();
        llvm::BasicBlock* taken = llvm::BasicBlock::Create(context, "taken", function);
        llvm::BasicBlock* after = llvm::BasicBlock::Create(context, "taken.done", function);
        ir.CreateCondBr(guard, taken, after);
        ir.SetInsertPoint(taken);
        work();
        ir.CreateBr(after);
        ir.SetInsertPoint(after);
    }
    llvm::BasicBlock* block(const char* name) { return llvm::BasicBlock::Create(context, name, function); }

    /// The LLVM type of one element: i1 for bool, iN, float, double; a vector of `width`.
    llvm::Type* elemType(runtime::ElemType e, unsigned width = 1);
    /// The type of an element in memory (bool is a byte).
    llvm::Type* storedType(runtime::ElemType e, unsigned width = 1);
    /// `v` (a scalar) repeated over `width` lanes; unchanged when width is 1.
    llvm::Value* splat(llvm::Value* v, unsigned width) { return width == 1 ? v : ir.CreateVectorSplat(width, v); }
    /// Applies a one-argument C library function (exp, logf, ...) lane by lane.
    llvm::Value* callLibm(const char* name, llvm::Value* x);
};

}  // namespace xdml::jit
