// ConstValue.h — a compile-time value (a const, a policy clause, a tensor dimension, a folded
// expression), apart from the checker so that the IR can hold one without it.
#pragma once

#include "planformat/PlanVocabulary.h"

#include <cstdint>
#include <string>

namespace xdml::sema {

/// A compile-time value: a const, a policy clause, a tensor dimension.
struct ConstValue {
    enum class Kind { Unknown, Int, Float, Bool, String, Quantity } kind = Kind::Unknown;
    int64_t i = 0;
    double f = 0;  // Float; Quantity: in base units
    bool b = false;
    std::string s;
    planformat::QuantityKind quantity = planformat::QuantityKind::Duration;
    bool known() const { return kind != Kind::Unknown; }
    double number() const { return kind == Kind::Int ? static_cast<double>(i) : f; }
};

/// How the IR's printers and the plan show a value: the shortest text that reads back as it.
std::string constantText(const ConstValue& v);

}  // namespace xdml::sema
