// KernelAbi.h — how compiled code and the runtime call each other. Every kernel is
//   int32_t kernel(const KernelSlot* args, KernelSlot* results, KernelCall* call)
// Arguments and results are flattened into slots, one per scalar or tensor (a record is its
// fields, in order). A tensor result is allocated through xdml_jit_tensor, which keeps it in
// the KernelCall. The return is kKernelOk, or kKernelFault: the kernel met something the
// interpreter reports (an integer division by zero, an index out of bounds, a shape mismatch)
// or evaluated a branch the interpreter would not have taken; the caller then interprets the
// same call, which gives the interpreter's value or its error. Compiled code never throws.
#pragma once

#include "runtime/values/Tensor.h"

#include <cstdint>
#include <vector>

namespace xdml::jit {

struct KernelSlot {
    union {
        int64_t i;
        double f64;
        float f32;
        uint8_t b;
    } scalar;
    void* data;           // a tensor's elements
    const int64_t* dims;  // a tensor's dims (its rank is fixed by the kernel's signature)
};
static_assert(sizeof(KernelSlot) == 24, "the lowering assumes 24-byte slots");

constexpr int32_t kKernelOk = 0;
constexpr int32_t kKernelFault = 1;

/// The tensors a call allocated: for its results, by result slot, and temporaries.
struct KernelCall {
    std::vector<runtime::Tensor> tensors;
    std::vector<runtime::Tensor> temporaries;
};

using KernelFn = int32_t (*)(const KernelSlot*, KernelSlot*, KernelCall*);

struct HelperSymbol {
    const char* name;
    void* address;
};
/// The runtime functions compiled code calls, for the JIT to define.
const std::vector<HelperSymbol>& helperSymbols();

}  // namespace xdml::jit

extern "C" {
/// A new tensor for result slot `slot`: its elements (nullptr when it cannot be allocated).
void* xdml_jit_tensor(xdml::jit::KernelCall* call, int32_t slot, int32_t elem, int64_t rank, const int64_t* dims);
/// A temporary tensor, freed with the call: its elements (nullptr when it cannot be allocated).
void* xdml_jit_temporary(xdml::jit::KernelCall* call, int32_t elem, int64_t rank, const int64_t* dims);
/// Element `index` of noise(T, seed), as runtime::normalAt gives it.
double xdml_jit_normal(int64_t seed, uint64_t index);
}
