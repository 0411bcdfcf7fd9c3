// Conform.h — a value made to fit the type the checker expects where the language widens
// numbers (LANGUAGE.md §2): an int passed for a float becomes a float, f32 and float convert
// into each other, through records, lists and optionals. The checker only lets through values
// that fit after this, so anything else is returned unchanged.
#pragma once

#include "runtime/interp/Program.h"
#include "runtime/values/Value.h"

namespace xdml::runtime {

Value conformTo(const Value& v, const TypeDesc& type, const Program& program);

}  // namespace xdml::runtime
