// KernelAbi.cpp — the runtime's side of KernelAbi.h.
#include "jit/KernelAbi.h"

#include "runtime/numerics/Philox.h"

#include <new>

using xdml::runtime::ElemType;
using xdml::runtime::Tensor;

extern "C" void* xdml_jit_tensor(xdml::jit::KernelCall* call, int32_t slot, int32_t elem, int64_t rank,
                                 const int64_t* dims) {
    try {
        if (slot < 0) return nullptr;
        if (call->tensors.size() <= static_cast<std::size_t>(slot)) call->tensors.resize(static_cast<std::size_t>(slot) + 1);
        Tensor& t = call->tensors[static_cast<std::size_t>(slot)];
        t = Tensor::zeros(static_cast<ElemType>(elem), std::vector<int64_t>(dims, dims + rank));
        return t.buffer->data();
    } catch (...) {  // compiled code has no unwind tables: nothing may escape into it
        return nullptr;
    }
}

extern "C" void* xdml_jit_temporary(xdml::jit::KernelCall* call, int32_t elem, int64_t rank, const int64_t* dims) {
    try {
        call->temporaries.push_back(Tensor::zeros(static_cast<ElemType>(elem), std::vector<int64_t>(dims, dims + rank)));
        return call->temporaries.back().buffer->data();
    } catch (...) {
        return nullptr;
    }
}

extern "C" double xdml_jit_normal(int64_t seed, uint64_t index) { return xdml::runtime::normalAt(seed, index); }

namespace xdml::jit {

const std::vector<HelperSymbol>& helperSymbols() {
    static const std::vector<HelperSymbol> symbols = {
        {"xdml_jit_tensor", reinterpret_cast<void*>(&xdml_jit_tensor)},
        {"xdml_jit_temporary", reinterpret_cast<void*>(&xdml_jit_temporary)},
        {"xdml_jit_normal", reinterpret_cast<void*>(&xdml_jit_normal)},
    };
    return symbols;
}

}  // namespace xdml::jit
