// ElementOps.cpp — see ElementOps.h.
#include "jit/ElementOps.h"

#include "jit/TensorLoops.h"

#include <llvm/IR/Intrinsics.h>

namespace xdml::jit {

using Op = BinaryOperator;

llvm::Type* KernelBuilder::elemType(ElemType e, unsigned width) {
    llvm::Type* t = nullptr;
    switch (e) {
    case ElemType::Bool: t = ir.getInt1Ty(); break;
    case ElemType::U8: t = ir.getInt8Ty(); break;
    case ElemType::U16: case ElemType::I16: t = ir.getInt16Ty(); break;
    case ElemType::U32: t = ir.getInt32Ty(); break;
    case ElemType::I32: t = ir.getInt32Ty(); break;
    case ElemType::I64: t = ir.getInt64Ty(); break;
    case ElemType::F32: t = ir.getFloatTy(); break;
    case ElemType::F64: t = ir.getDoubleTy(); break;
    }
    return width == 1 ? t : llvm::FixedVectorType::get(t, width);
}

llvm::Type* KernelBuilder::storedType(ElemType e, unsigned width) {
    return elemType(e == ElemType::Bool ? ElemType::U8 : e, width);
}

llvm::Value* KernelBuilder::callLibm(const char* name, llvm::Value* x) {
    llvm::Type* scalar = x->getType()->getScalarType();
    llvm::FunctionCallee fn = module.getOrInsertFunction(name, llvm::FunctionType::get(scalar, {scalar}, false));
    auto* vector = llvm::dyn_cast<llvm::FixedVectorType>(x->getType());
    if (!vector) return ir.CreateCall(fn, {x});
    return laneByLane(*this, scalar, vector->getNumElements(),
                      [&](llvm::Value* k) { return ir.CreateCall(fn, {ir.CreateExtractElement(x, k)}); });
}

namespace {

unsigned widthOf(llvm::Value* v) {
    auto* vector = llvm::dyn_cast<llvm::FixedVectorType>(v->getType());
    return vector ? vector->getNumElements() : 1;
}

/// Any element to double, as static_cast<double> does.
llvm::Value* toDouble(KernelBuilder& b, llvm::Value* v, ElemType from) {
    llvm::Type* d = b.elemType(ElemType::F64, widthOf(v));
    switch (from) {
    case ElemType::F64: return v;
    case ElemType::F32: return b.ir.CreateFPExt(v, d);
    case ElemType::Bool: case ElemType::U8: case ElemType::U16: case ElemType::U32: return b.ir.CreateUIToFP(v, d);
    default: return b.ir.CreateSIToFP(v, d);
    }
}

}  // namespace

llvm::Value* convertElem(KernelBuilder& b, llvm::Value* v, ElemType from, ElemType to) {
    if (from == to) return v;
    const unsigned width = widthOf(v);
    llvm::Type* target = b.elemType(to, width);
    const bool intFrom = !runtime::isFloatElem(from), intTo = !runtime::isFloatElem(to);
    if (intFrom && intTo && to != ElemType::Bool) {  // through int64: sign- or zero-extend, then truncate
        llvm::Value* wide = isSignedElem(from) ? b.ir.CreateSExtOrTrunc(v, b.elemType(ElemType::I64, width))
                                           : b.ir.CreateZExtOrTrunc(v, b.elemType(ElemType::I64, width));
        return b.ir.CreateTrunc(wide, target);  // a no-op for i64
    }
    if (to == ElemType::Bool) {
        if (intFrom) return b.ir.CreateICmpNE(v, llvm::Constant::getNullValue(v->getType()));
        return b.ir.CreateFCmpUNE(toDouble(b, v, from), llvm::Constant::getNullValue(b.elemType(ElemType::F64, width)));
    }
    llvm::Value* d = toDouble(b, v, from);
    switch (to) {
    case ElemType::F64: return d;
    case ElemType::F32: return b.ir.CreateFPTrunc(d, target);
    default: {
        // convertElement: NaN is 0, out of range saturates, else truncation toward zero.
        const auto id = isSignedElem(to) ? llvm::Intrinsic::fptosi_sat : llvm::Intrinsic::fptoui_sat;
        return b.ir.CreateIntrinsic(id, {target, d->getType()}, {d});
    }
    }
}

llvm::Value* elemBinary(KernelBuilder& b, BinaryOperator op, ElemType c, llvm::Value* x, llvm::Value* y,
                        bool divisorChecked) {
    b.countOperation();
    auto& ir = b.ir;
    if (runtime::isFloatElem(c)) {
        switch (op) {
        case Op::Add: return ir.CreateFAdd(x, y);
        case Op::Sub: return ir.CreateFSub(x, y);
        case Op::Mul: return ir.CreateFMul(x, y);
        case Op::Div: return ir.CreateFDiv(x, y);
        case Op::Mod: return ir.CreateFRem(x, y);  // fmod, as the interpreter's std::fmod
        case Op::Eq: return ir.CreateFCmpOEQ(x, y);
        case Op::Ne: return ir.CreateFCmpUNE(x, y);
        case Op::Lt: return ir.CreateFCmpOLT(x, y);
        case Op::Le: return ir.CreateFCmpOLE(x, y);
        case Op::Gt: return ir.CreateFCmpOGT(x, y);
        case Op::Ge: return ir.CreateFCmpOGE(x, y);
        default: throw Unsupported("'and'/'or' on numbers");
        }
    }
    if (c == ElemType::Bool) {
        switch (op) {
        case Op::And: return ir.CreateAnd(x, y);
        case Op::Or: return ir.CreateOr(x, y);
        case Op::Eq: return ir.CreateICmpEQ(x, y);
        case Op::Ne: return ir.CreateICmpNE(x, y);
        case Op::Lt: return ir.CreateICmpULT(x, y);
        case Op::Le: return ir.CreateICmpULE(x, y);
        case Op::Gt: return ir.CreateICmpUGT(x, y);
        case Op::Ge: return ir.CreateICmpUGE(x, y);
        default: throw Unsupported("arithmetic on bools");
        }
    }
    // Integers compute in i64 and wrap (no nsw/nuw flags).
    switch (op) {
    case Op::Add: return ir.CreateAdd(x, y);
    case Op::Sub: return ir.CreateSub(x, y);
    case Op::Mul: return ir.CreateMul(x, y);
    case Op::Div: case Op::Mod: {
        llvm::Constant* zero = llvm::Constant::getNullValue(y->getType());
        if (!divisorChecked) {
            llvm::Value* byZero = ir.CreateICmpEQ(y, zero);
            b.check(ir.CreateNot(widthOf(y) == 1 ? byZero : ir.CreateOrReduce(byZero)), "divisor.ok");
        }
        // By -1 the interpreter negates (wrapping) or gives 0; sdiv would trap on INT64_MIN.
        llvm::Value* minusOne = ir.CreateICmpEQ(y, llvm::Constant::getAllOnesValue(y->getType()));
        // A zero divisor may still reach here in a branch not taken (its check is guarded):
        // divide by 1 instead, as sdiv by zero would trap.
        llvm::Value* safe = ir.CreateSelect(ir.CreateOr(minusOne, ir.CreateICmpEQ(y, zero)), llvm::ConstantInt::get(y->getType(), 1), y);
        if (op == Op::Div) return ir.CreateSelect(minusOne, ir.CreateSub(zero, x), ir.CreateSDiv(x, safe));
        return ir.CreateSelect(minusOne, zero, ir.CreateSRem(x, safe));
    }
    case Op::Eq: return ir.CreateICmpEQ(x, y);
    case Op::Ne: return ir.CreateICmpNE(x, y);
    case Op::Lt: return ir.CreateICmpSLT(x, y);
    case Op::Le: return ir.CreateICmpSLE(x, y);
    case Op::Gt: return ir.CreateICmpSGT(x, y);
    case Op::Ge: return ir.CreateICmpSGE(x, y);
    default: throw Unsupported("'and'/'or' on integers");
    }
}

llvm::Value* loadElems(KernelBuilder& b, ElemType e, llvm::Value* base, llvm::Value* index, unsigned width) {
    llvm::Type* stored = b.storedType(e);
    llvm::Value* at = b.ir.CreateGEP(stored, base, index);
    llvm::Value* v = b.ir.CreateAlignedLoad(b.storedType(e, width), at, llvm::Align(runtime::elemSize(e)));
    if (e == ElemType::Bool) return b.ir.CreateICmpNE(v, llvm::Constant::getNullValue(v->getType()));
    return v;
}

void storeElems(KernelBuilder& b, ElemType e, llvm::Value* base, llvm::Value* index, llvm::Value* v) {
    llvm::Value* at = b.ir.CreateGEP(b.storedType(e), base, index);
    if (e == ElemType::Bool) v = b.ir.CreateZExt(v, b.storedType(e, widthOf(v)));
    b.ir.CreateAlignedStore(v, at, llvm::Align(runtime::elemSize(e)));
}

}  // namespace xdml::jit
