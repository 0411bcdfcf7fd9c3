// ElementOps.h — one element (or a vector of lanes) at a time: the conversions and operators
// of runtime/interp/Elementwise.cpp and Tensor.h, emitted as LLVM IR with the same rules, so
// compiled and interpreted results agree to the bit. Scalars use the same code: an int is an
// i64 element, a float an f64, an f32 an f32, a bool a bool.
#pragma once

#include "jit/KernelBuilder.h"
#include "planformat/OperatorTypes.h"
#include "runtime/interp/Program.h"

namespace xdml::jit {

using runtime::BinaryOperator;
using runtime::ElemType;

using planformat::isComparison;
using planformat::isLogical;
using planformat::isSignedElem;

/// convertTensor's rules: integer to integer wraps through int64; everything else goes
/// through double (float to integer truncates toward zero and saturates, NaN becomes 0;
/// anything to bool is "not zero").
llvm::Value* convertElem(KernelBuilder& b, llvm::Value* v, ElemType from, ElemType to);

/// `x op y` with both operands already of the compute type `c` (bool, i64, f32 or f64):
/// comparisons and `and`/`or` give bool, arithmetic gives `c`. Integer `/` and `%` by zero
/// leave through the fault exit (unless `divisorChecked`: the caller checked every divisor
/// before the loop); by -1 they wrap as the interpreter's do.
llvm::Value* elemBinary(KernelBuilder& b, BinaryOperator op, ElemType c, llvm::Value* x, llvm::Value* y,
                        bool divisorChecked = false);

/// Loads `width` elements at `base + index` (bytes of a bool tensor become i1).
llvm::Value* loadElems(KernelBuilder& b, ElemType e, llvm::Value* base, llvm::Value* index, unsigned width);
void storeElems(KernelBuilder& b, ElemType e, llvm::Value* base, llvm::Value* index, llvm::Value* v);

}  // namespace xdml::jit
