// Sizes.cpp — estimated bytes of a value of each type (docs/ir.md, "Sizes").
#include "ir/Lower.h"

#include "sema/Types.h"

namespace xdml::ir {

using sema::Type;
using sema::TypeKind;

uint64_t bytesOf(const Type* t) {
    constexpr uint64_t kUnknownDimEstimate = 64;  // a `?` dimension, until run time tells
    t = sema::structure(t);
    if (!t) return 0;
    switch (t->kind) {
    case TypeKind::Bool: return 1;
    case TypeKind::F32: return 4;
    case TypeKind::Int: case TypeKind::Float: case TypeKind::Duration: case TypeKind::Bytes:
    case TypeKind::Bandwidth:
        return 8;
    case TypeKind::String: return 32;
    case TypeKind::Path: return 64;
    case TypeKind::Tensor: {
        // Saturating: a declared shape may be larger than any machine.
        constexpr uint64_t kMax = UINT64_MAX / 16;
        uint64_t n = 1;
        for (int64_t d : t->dims) {
            uint64_t k = d == sema::kUnknownDim ? kUnknownDimEstimate : static_cast<uint64_t>(d);
            n = k != 0 && n > kMax / k ? kMax : n * k;
        }
        return n * planformat::elemSize(t->elem);
    }
    case TypeKind::Record: {
        uint64_t n = 0;
        for (const sema::Field& f : t->fields) n += bytesOf(f.type);
        return n;
    }
    case TypeKind::List: return 16 * bytesOf(t->element);
    case TypeKind::Optional: return 1 + bytesOf(t->element);
    default: return 0;
    }
}

}  // namespace xdml::ir
