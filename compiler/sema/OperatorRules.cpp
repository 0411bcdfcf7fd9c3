// OperatorRules.cpp — see OperatorRules.h.
#include "sema/OperatorRules.h"

#include "ast/Ast.h"
#include "planformat/OperatorTypes.h"

namespace xdml::sema {

using namespace ast;

const Type* elementScalar(TypeContext& types, ElemType e) {
    switch (e) {
    case ElemType::F32: return types.float32();
    case ElemType::F64: return types.float64();
    case ElemType::Bool: return types.boolean();
    default: return types.integer();
    }
}

namespace {
/// A scalar type (int, float, f32, bool) as the element type operators treat it as.
ElemType scalarElem(const Type* scalar) {
    switch (scalar->kind) {
    case TypeKind::Float: return ElemType::F64;
    case TypeKind::F32: return ElemType::F32;
    case TypeKind::Bool: return ElemType::Bool;
    default: return ElemType::I64;
    }
}
}  // namespace

const Type* mathResult(TypeContext& types, planformat::MathBuiltin fn, const Type* arg) {
    const Type* s = structure(arg);
    if (s->kind == TypeKind::Tensor) {
        const planformat::MathTypes m = planformat::mathOperand(fn, s->elem);
        if (!m.defined) return nullptr;
        return m.result == s->elem ? s : types.tensor(m.result, s->dims);
    }
    if (isNumeric(s)) {
        const ElemType r = planformat::mathOperand(fn, scalarElem(s)).result;
        return r == scalarElem(s) ? s : elementScalar(types, r);
    }
    if (isQuantity(s) && planformat::takesQuantity(fn)) return s;
    return nullptr;
}

const Type* binaryResult(TypeContext& types, BinaryOp op, const Type* l, const Type* r, std::string& problem) {
    const Type* ls = structure(l);
    const Type* rs = structure(r);
    const bool cmp = planformat::isComparison(op);
    const bool logical = planformat::isLogical(op);
    const bool tensorL = ls->kind == TypeKind::Tensor, tensorR = rs->kind == TypeKind::Tensor;

    if (tensorL || tensorR) {
        const Type* tensor = tensorL ? ls : rs;
        const Type* other = tensorL ? rs : ls;
        std::vector<int64_t> dims = tensor->dims;
        planformat::ElementwiseTypes elems;  // the one rule the interpreter and the JIT follow too
        if (tensorL && tensorR) {
            if (ls->dims.size() != rs->dims.size()) {
                problem = "shape mismatch: " + toString(ls) + " and " + toString(rs);
                return nullptr;
            }
            for (std::size_t i = 0; i < dims.size(); ++i) {
                if (ls->dims[i] != kUnknownDim && rs->dims[i] != kUnknownDim && ls->dims[i] != rs->dims[i]) {
                    problem = "shape mismatch: " + toString(ls) + " and " + toString(rs);
                    return nullptr;
                }
                if (dims[i] == kUnknownDim) dims[i] = rs->dims[i];
            }
            elems = planformat::tensorOperands(op, ls->elem, rs->elem);
        } else if (logical ? other->kind != TypeKind::Bool : !isNumeric(other) && other->kind != TypeKind::Bool) {
            problem = "";
            return nullptr;
        } else {
            elems = planformat::tensorScalarOperands(op, tensor->elem, scalarElem(other));
        }
        if (!elems.defined()) return nullptr;
        return types.tensor(elems.result, dims);
    }

    if (logical) return ls->kind == TypeKind::Bool && rs->kind == TypeKind::Bool ? types.boolean() : nullptr;

    if (isNumeric(ls) && isNumeric(rs)) {
        if (cmp) return types.boolean();
        return elementScalar(types, planformat::scalarJoin(scalarElem(ls), scalarElem(rs)));
    }
    if (isQuantity(ls) || isQuantity(rs)) {
        if (ls == rs) {
            if (cmp || op == BinaryOp::Add || op == BinaryOp::Sub) return cmp ? types.boolean() : ls;
            if (op == BinaryOp::Div) return types.float64();
            if (op == BinaryOp::Mod) return ls;
            return nullptr;  // duration * duration has no kind in 0.1
        }
        if (op == BinaryOp::Mul && (isNumeric(ls) || isNumeric(rs))) return isQuantity(ls) ? ls : rs;
        if (op == BinaryOp::Div && isQuantity(ls) && isNumeric(rs)) return ls;
        if (op == BinaryOp::Div && isQuantity(ls) && isQuantity(rs)) {
            problem = "'/' is not defined for " + toString(ls) + " and " + toString(rs) + " in XDML 0.1";
            return nullptr;
        }
        return nullptr;
    }
    if (op == BinaryOp::Eq || op == BinaryOp::Ne) {
        if (ls == rs && isScalar(ls)) return types.boolean();
        if ((ls->kind == TypeKind::String || ls->kind == TypeKind::Path) &&
            (rs->kind == TypeKind::String || rs->kind == TypeKind::Path))
            return types.boolean();
        if (ls->kind == TypeKind::None || rs->kind == TypeKind::None) {
            const Type* o = ls->kind == TypeKind::None ? rs : ls;
            if (o->kind == TypeKind::Optional || o->kind == TypeKind::None) return types.boolean();
        }
        if (ls->kind == TypeKind::Optional || rs->kind == TypeKind::Optional) {
            const Type* a = ls->kind == TypeKind::Optional ? ls->element : ls;
            const Type* b = rs->kind == TypeKind::Optional ? rs->element : rs;
            if (structure(a) == structure(b)) return types.boolean();
        }
        return nullptr;
    }
    if (cmp && ls->kind == TypeKind::String && rs->kind == TypeKind::String) return types.boolean();
    return nullptr;
}

const Type* commonType(TypeContext& types, const Type* a, const Type* b) {
    if (a == b) return a;
    if (a->kind == TypeKind::Error) return b;
    if (b->kind == TypeKind::Error) return a;
    if (a->kind == TypeKind::None) return types.optional(b);
    if (b->kind == TypeKind::None) return types.optional(a);
    if (assignable(a, b) == Mismatch::None && !(a->kind == TypeKind::Nominal && b->kind != TypeKind::Nominal))
        return b;
    if (assignable(b, a) == Mismatch::None && !(b->kind == TypeKind::Nominal && a->kind != TypeKind::Nominal))
        return a;
    const Type* sa = structure(a);
    const Type* sb = structure(b);
    if (isNumeric(sa) && isNumeric(sb)) {
        std::string ignored;
        return binaryResult(types, BinaryOp::Add, sa, sb, ignored);
    }
    if (sa->kind == TypeKind::Tensor && sb->kind == TypeKind::Tensor && sa->elem == sb->elem &&
        sa->dims.size() == sb->dims.size()) {
        std::vector<int64_t> dims = sa->dims;
        for (std::size_t i = 0; i < dims.size(); ++i) {
            if (sa->dims[i] == kUnknownDim || sb->dims[i] == kUnknownDim) dims[i] = kUnknownDim;
            else if (sa->dims[i] != sb->dims[i]) return nullptr;
        }
        return types.tensor(sa->elem, dims);
    }
    if (sa == sb) return sa;
    return nullptr;
}

}  // namespace xdml::sema
