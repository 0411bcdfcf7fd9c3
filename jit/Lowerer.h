// Lowerer.h — the state of lowerKernel (Lower.h) while it walks one kernel's expressions:
// values are scalars (an LLVM value of element type bool, i64, f64 or f32), tensors
// (generators, TensorLoops.h) or records of these. LowerExpressions.cpp walks the tree;
// LowerOperators.cpp holds the operators and built-ins, with the interpreter's rules.
#pragma once

#include "jit/KernelBuilder.h"
#include "jit/TensorLoops.h"
#include "runtime/interp/Evaluate.h"

#include <string>
#include <utility>
#include <vector>

namespace xdml::jit {

struct JitValue {
    enum class Kind { Scalar, Tensor, Record };
    Kind kind = Kind::Scalar;
    ElemType elem = ElemType::I64;  // Scalar: Bool, I64 (int), F64 (float) or F32
    llvm::Value* scalar = nullptr;
    GeneratorPtr tensor;
    std::vector<std::pair<std::string, JitValue>> fields;

    static JitValue of(ElemType e, llvm::Value* v) {
        JitValue j;
        j.elem = e;
        j.scalar = v;
        return j;
    }
    static JitValue of(GeneratorPtr g) {
        JitValue j;
        j.kind = Kind::Tensor;
        j.elem = g->elem;
        j.tensor = std::move(g);
        return j;
    }
    bool isScalar(ElemType e) const { return kind == Kind::Scalar && elem == e; }
    bool isNumber() const { return kind == Kind::Scalar && elem != ElemType::Bool; }
};

using Locals = std::vector<std::pair<std::string, JitValue>>;

class Lowerer {
public:
    Lowerer(const runtime::Program& program, runtime::Evaluator& consts, KernelBuilder& b,
            std::vector<runtime::Value>& pinned)
        : program_(program), consts_(consts), b_(b), pinned_(pinned) {}

    JitValue lower(const runtime::Expr& e, const Locals& locals);
    /// conformTo's widening (int or f32 to float, int or float to f32), through records.
    JitValue conform(const JitValue& v, const runtime::TypeDesc& type);
    /// A tensor whose elements are in memory at `data`.
    GeneratorPtr inMemory(ElemType elem, llvm::Value* data, std::vector<llvm::Value*> dims);
    /// `g` computed once into a temporary buffer (freed with the call), when it is not in
    /// memory already: for a value read more than once, whose code would otherwise be repeated
    /// at every use (and grow exponentially through nested fns).
    GeneratorPtr materialize(const GeneratorPtr& g);

    // LowerOperators.cpp
    JitValue binary(runtime::BinaryOperator op, const JitValue& a, const JitValue& b);
    JitValue negate(const JitValue& v);
    JitValue logicalNot(const JitValue& v);
    JitValue builtin(const std::string& name, const std::vector<JitValue>& args);

private:
    JitValue name(const runtime::Expr& e, const Locals& locals);
    JitValue constant(const runtime::Value& v);
    JitValue call(const runtime::Expr& e, const Locals& locals);
    JitValue inlineFn(const runtime::Expr& e, const Locals& locals);
    JitValue tensorOfType(const runtime::Expr& e, const Locals& locals);
    JitValue ternary(const runtime::Expr& e, const Locals& locals);
    JitValue shortCircuit(const runtime::Expr& e, const Locals& locals);
    JitValue index(const runtime::Expr& e, const Locals& locals);

    JitValue tensorBinary(runtime::BinaryOperator op, const JitValue& a, const JitValue& b);
    JitValue scalarBinary(runtime::BinaryOperator op, const JitValue& a, const JitValue& b);
    JitValue math(planformat::MathBuiltin fn, const JitValue& x);
    JitValue clamp(const JitValue& x, const JitValue& lo, const JitValue& hi);
    JitValue pick(const std::string& name, const JitValue& a, const JitValue& b);
    /// A generator applying `f` to each element of `g`, giving elements of `elem`.
    GeneratorPtr mapped(const GeneratorPtr& g, ElemType elem, std::function<llvm::Value*(llvm::Value*)> f);

    const runtime::Program& program_;
    runtime::Evaluator& consts_;
    KernelBuilder& b_;
    std::vector<runtime::Value>& pinned_;
    std::vector<std::string> inlining_;  // fns being inlined, to refuse recursion
    int depth_ = 0;                      // of lower(), fns inlined
};

}  // namespace xdml::jit
