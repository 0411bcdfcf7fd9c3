// Signature.h — how a kernel's arguments and result are laid out in slots (KernelAbi.h), and
// the conversion between runtime Values and slots. No LLVM here: the runtime's side of a call.
#pragma once

#include "jit/KernelAbi.h"
#include "runtime/interp/Program.h"
#include "runtime/values/Value.h"

#include <string>
#include <utility>
#include <vector>

namespace xdml::jit {

/// A value's slots: a scalar (elem Bool, I64 for int, F64 for float, F32) or a tensor in one
/// slot; a record as its fields.
struct SlotTree {
    enum class Kind { Scalar, Tensor, Record };
    Kind kind = Kind::Scalar;
    runtime::ElemType elem = runtime::ElemType::I64;
    int rank = 0;   // Tensor
    int slot = -1;  // Scalar, Tensor
    std::vector<std::pair<std::string, SlotTree>> fields;  // Record
};

struct KernelSignature {
    std::vector<SlotTree> params;
    SlotTree result;
    int paramSlots = 0, resultSlots = 0;
};

/// The slots of a parameter of type `type`, numbered from `next`; false when the JIT does not
/// pass such values (strings, lists, quantities, ...).
bool slotsOf(const runtime::TypeDesc& type, const runtime::Program& program, int& next, SlotTree& out);

/// Writes `v` into its slots. False when `v` is not of the kinds the kernel was compiled for
/// (then the caller interprets). `v` must outlive the call: slots point into its tensors.
bool toSlots(const runtime::Value& v, const SlotTree& tree, KernelSlot* slots);
/// The value a kernel left in its result slots.
runtime::Value fromSlots(const SlotTree& tree, const KernelSlot* slots, KernelCall& call);

}  // namespace xdml::jit
