// TensorLoops.h — tensors in a kernel are generators: the code for element i, emitted where a
// loop needs it, so a chain of elementwise operations ended by a reduction is one loop with
// no intermediate tensors (the fused kernel of the IR). Loops step over the flat index eight
// lanes at a time, then one at a time for the rest; a reduction's vector accumulator holds
// exactly the eight partial results of LANGUAGE.md §6's fixed association.
#pragma once

#include "jit/KernelBuilder.h"

#include <functional>
#include <memory>
#include <vector>

namespace xdml::jit {

using runtime::ElemType;

struct Generator {
    ElemType elem = ElemType::F32;
    bool inMemory = false;           // elements read from a buffer: cheap to read twice
    std::vector<llvm::Value*> dims;  // i64, computed before any loop that reads the generator
    /// Emits elements `index .. index+width-1` (row-major over dims): a vector of `width` lanes,
    /// or a scalar when width is 1.
    std::function<llvm::Value*(llvm::Value* index, unsigned width)> at;
};
using GeneratorPtr = std::shared_ptr<const Generator>;

/// The number of elements: the product of the dims.
llvm::Value* elementCount(KernelBuilder& b, const Generator& g);

/// Runs body(index, kLanes) for index = 0, 8, ... below the last multiple of 8 of `count`,
/// then body(index, 1) for the rest.
void emitLoop(KernelBuilder& b, llvm::Value* count, const std::function<void(llvm::Value*, unsigned)>& body);

/// A vector of `width` lanes of type `element`, lane k computed by `lane(k)` (k an i64) in a
/// small loop: for what has no vector form (a gather, a call per element), one copy of the
/// code instead of eight. `lane(0)` itself when width is 1.
llvm::Value* laneByLane(KernelBuilder& b, llvm::Type* element, unsigned width, const std::function<llvm::Value*(llvm::Value*)>& lane);

/// The flat index of a multi-index over `dims`.
llvm::Value* flatIndex(KernelBuilder& b, const std::vector<llvm::Value*>& index, const std::vector<llvm::Value*>& dims);
/// The multi-index of flat `index` over `dims`.
std::vector<llvm::Value*> multiIndex(KernelBuilder& b, llvm::Value* index, const std::vector<llvm::Value*>& dims);

/// sum, mean, max, min (f64), count, argmax (i64) of the elements, as runtime/numerics/Reductions.h.
llvm::Value* emitReduction(KernelBuilder& b, const std::string& name, const Generator& g);

/// Writes every element into `data` (a buffer of g's element type and dims).
void emitStore(KernelBuilder& b, const Generator& g, llvm::Value* data);

}  // namespace xdml::jit
