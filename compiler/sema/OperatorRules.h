// OperatorRules.h — the types XDML's operators and math built-ins give on checked types
// (LANGUAGE.md §2): numbers, quantities, strings, optionals and tensors (whose element types
// follow the rule the runtime and the JIT share, planformat/OperatorTypes.h), and the common
// type of two branches.
#pragma once

#include "sema/Types.h"

#include <string>

namespace xdml::sema {

/// The type of `l op r`, or null when the operator is not defined for them; `problem` is then
/// a message that says more than "not defined" (a shape mismatch, say), or left empty.
const Type* binaryResult(TypeContext& types, planformat::BinaryOperator op, const Type* l, const Type* r,
                         std::string& problem);
/// The common type of two branches of `?:` or two list items, or null.
const Type* commonType(TypeContext& types, const Type* a, const Type* b);
/// The type of `fn(arg)` for a math built-in (abs sqrt exp log: planformat/OperatorTypes.h's
/// rule), or null when it is not defined for `arg`.
const Type* mathResult(TypeContext& types, planformat::MathBuiltin fn, const Type* arg);
/// The scalar type of one element of a tensor: f32 → f32, f64 → float, integers → int.
const Type* elementScalar(TypeContext& types, ElemType e);

}  // namespace xdml::sema
