// TensorLoops.cpp — see TensorLoops.h.
#include "jit/TensorLoops.h"

#include "jit/ElementOps.h"

#include <limits>

namespace xdml::jit {

llvm::Value* elementCount(KernelBuilder& b, const Generator& g) {
    llvm::Value* n = b.i64(1);
    for (llvm::Value* d : g.dims) n = b.ir.CreateMul(n, d);
    return n;
}

namespace {

/// Loop metadata: our loops are vectorized by construction, so LLVM's vectorizer need not try
/// (it would only spend compile time); the one-element rest is not worth unrolling either.
llvm::MDNode* loopHints(KernelBuilder& b, bool unroll) {
    llvm::LLVMContext& c = b.context;
    llvm::SmallVector<llvm::Metadata*, 3> hints = {nullptr};
    hints.push_back(llvm::MDNode::get(c, {llvm::MDString::get(c, "llvm.loop.vectorize.enable"),
                                          llvm::ConstantAsMetadata::get(b.ir.getFalse())}));
    if (!unroll) hints.push_back(llvm::MDNode::get(c, {llvm::MDString::get(c, "llvm.loop.unroll.disable")}));
    llvm::MDNode* loop = llvm::MDNode::getDistinct(c, hints);
    loop->replaceOperandWith(0, loop);
    return loop;
}

/// for (i = from; i < to; i += step) body(i)
void countedLoop(KernelBuilder& b, llvm::Value* from, llvm::Value* to, int64_t step,
                 const std::function<void(llvm::Value*)>& body) {
    llvm::AllocaInst* counter = b.local(b.i64(), "i");
    b.ir.CreateStore(from, counter);
    llvm::BasicBlock* test = b.block("loop.test");
    llvm::BasicBlock* loop = b.block("loop.body");
    llvm::BasicBlock* done = b.block("loop.done");
    b.ir.CreateBr(test);
    b.ir.SetInsertPoint(test);
    llvm::Value* i = b.ir.CreateLoad(b.i64(), counter);
    b.ir.CreateCondBr(b.ir.CreateICmpSLT(i, to), loop, done);
    b.ir.SetInsertPoint(loop);
    body(i);
    b.ir.CreateStore(b.ir.CreateAdd(i, b.i64(step)), counter);
    b.ir.CreateBr(test)->setMetadata(llvm::LLVMContext::MD_loop, loopHints(b, step > 1));
    b.ir.SetInsertPoint(done);
}

llvm::Value* asDouble(KernelBuilder& b, llvm::Value* v, ElemType e) { return convertElem(b, v, e, ElemType::F64); }

/// The maximum/minimum rule of Reductions.inl (replacesMax/replacesMin), lane by lane.
llvm::Value* replaces(KernelBuilder& b, bool max, llvm::Value* x, llvm::Value* m) {
    llvm::Value* better = max ? b.ir.CreateFCmpOGT(x, m) : b.ir.CreateFCmpOLT(x, m);
    return b.ir.CreateAnd(b.ir.CreateFCmpORD(m, m), b.ir.CreateOr(better, b.ir.CreateFCmpUNO(x, x)));
}

/// The eight-lane accumulation behind sum, max, min and count: `step` combines an
/// accumulator (vector or one lane) with elements converted by `element`. The vector loop
/// keeps the lanes in registers; the rest (element i to lane i mod 8) updates them in memory.
llvm::Value* laneLoop(KernelBuilder& b, const Generator& g, llvm::Type* lane, llvm::Constant* start,
                      const std::function<llvm::Value*(llvm::Value*, ElemType)>& element,
                      const std::function<llvm::Value*(llvm::Value*, llvm::Value*)>& step) {
    llvm::Type* vector = llvm::FixedVectorType::get(lane, kLanes);
    llvm::AllocaInst* acc = b.local(vector, "lanes");
    b.ir.CreateStore(llvm::ConstantVector::getSplat(llvm::ElementCount::getFixed(kLanes), start), acc);
    llvm::Value* n = elementCount(b, g);
    llvm::Value* whole = b.ir.CreateAnd(n, b.i64(~static_cast<int64_t>(kLanes - 1)));
    countedLoop(b, b.i64(0), whole, kLanes, [&](llvm::Value* i) {
        b.ir.CreateStore(step(b.ir.CreateLoad(vector, acc), element(g.at(i, kLanes), g.elem)), acc);
    });
    llvm::AllocaInst* rest = b.local(llvm::ArrayType::get(lane, kLanes), "lanes.rest");
    rest->setAlignment(llvm::Align(64));  // read and written as a vector too
    b.ir.CreateStore(b.ir.CreateLoad(vector, acc), rest);
    countedLoop(b, whole, n, 1, [&](llvm::Value* i) {
        llvm::Value* at = b.ir.CreateGEP(lane, rest, b.ir.CreateSub(i, whole));
        b.ir.CreateStore(step(b.ir.CreateLoad(lane, at), element(g.at(i, 1), g.elem)), at);
    });
    return b.ir.CreateLoad(vector, rest);
}

}  // namespace

llvm::Value* laneByLane(KernelBuilder& b, llvm::Type* element, unsigned width, const std::function<llvm::Value*(llvm::Value*)>& lane) {
    if (width == 1) return lane(b.i64(0));
    llvm::Type* stored = element->isIntegerTy(1) ? b.ir.getInt8Ty() : element;
    llvm::AllocaInst* lanes = b.local(llvm::ArrayType::get(stored, width), "by.lane");
    lanes->setAlignment(llvm::Align(64));  // read as a vector
    countedLoop(b, b.i64(0), b.i64(width), 1, [&](llvm::Value* k) {
        llvm::Value* v = lane(k);
        if (stored != element) v = b.ir.CreateZExt(v, stored);
        b.ir.CreateStore(v, b.ir.CreateGEP(stored, lanes, k));
    });
    llvm::Value* v = b.ir.CreateLoad(llvm::FixedVectorType::get(stored, width), lanes);
    return stored == element ? v : b.ir.CreateICmpNE(v, llvm::Constant::getNullValue(v->getType()));
}

void emitLoop(KernelBuilder& b, llvm::Value* count, const std::function<void(llvm::Value*, unsigned)>& body) {
    llvm::Value* whole = b.ir.CreateAnd(count, b.i64(~static_cast<int64_t>(kLanes - 1)));
    countedLoop(b, b.i64(0), whole, kLanes, [&](llvm::Value* i) { body(i, kLanes); });
    countedLoop(b, whole, count, 1, [&](llvm::Value* i) { body(i, 1); });
}

llvm::Value* flatIndex(KernelBuilder& b, const std::vector<llvm::Value*>& index, const std::vector<llvm::Value*>& dims) {
    llvm::Value* flat = b.i64(0);
    for (std::size_t d = 0; d < index.size(); ++d) flat = b.ir.CreateAdd(b.ir.CreateMul(flat, dims[d]), index[d]);
    return flat;
}

std::vector<llvm::Value*> multiIndex(KernelBuilder& b, llvm::Value* index, const std::vector<llvm::Value*>& dims) {
    std::vector<llvm::Value*> out(dims.size());
    for (std::size_t d = dims.size(); d-- > 0;) {
        if (d == 0) {
            out[d] = index;
            break;
        }
        out[d] = b.ir.CreateURem(index, dims[d]);
        index = b.ir.CreateUDiv(index, dims[d]);
    }
    return out;
}

llvm::Value* emitReduction(KernelBuilder& b, const std::string& name, const Generator& g) {
    auto& ir = b.ir;
    llvm::Type* f64 = ir.getDoubleTy();
    if (name == "sum" || name == "mean") {
        llvm::Value* lanes = laneLoop(
            b, g, f64, llvm::ConstantFP::get(f64, 0.0), [&](llvm::Value* x, ElemType e) { return asDouble(b, x, e); },
            [&](llvm::Value* acc, llvm::Value* x) { return ir.CreateFAdd(acc, x); });
        llvm::Value* total = ir.CreateExtractElement(lanes, uint64_t{0});
        for (unsigned k = 1; k < kLanes; ++k) total = ir.CreateFAdd(total, ir.CreateExtractElement(lanes, k));
        if (name == "sum") return total;
        llvm::Value* n = elementCount(b, g);
        return ir.CreateSelect(ir.CreateICmpEQ(n, b.i64(0)), llvm::ConstantFP::get(f64, 0.0),
                               ir.CreateFDiv(total, ir.CreateUIToFP(n, f64)));
    }
    if (name == "max" || name == "min") {
        const bool max = name == "max";
        const double start = max ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
        llvm::Value* lanes = laneLoop(
            b, g, f64, llvm::ConstantFP::get(f64, start), [&](llvm::Value* x, ElemType e) { return asDouble(b, x, e); },
            [&](llvm::Value* m, llvm::Value* x) { return ir.CreateSelect(replaces(b, max, x, m), x, m); });
        llvm::Value* t = ir.CreateExtractElement(lanes, uint64_t{0});
        for (unsigned k = 1; k < kLanes; ++k) {
            llvm::Value* x = ir.CreateExtractElement(lanes, k);
            t = ir.CreateSelect(replaces(b, max, x, t), x, t);
        }
        return t;
    }
    if (name == "count") {
        llvm::Type* i64 = b.i64();
        llvm::Value* lanes = laneLoop(
            b, g, i64, llvm::ConstantInt::get(i64, 0),
            [&](llvm::Value* x, ElemType e) {
                llvm::Value* nonzero = e == ElemType::Bool ? x
                                       : runtime::isFloatElem(e) ? ir.CreateFCmpUNE(x, llvm::Constant::getNullValue(x->getType()))
                                                                 : ir.CreateICmpNE(x, llvm::Constant::getNullValue(x->getType()));
                return ir.CreateZExt(nonzero, x->getType()->isVectorTy() ? llvm::FixedVectorType::get(i64, kLanes) : i64);
            },
            [&](llvm::Value* acc, llvm::Value* x) { return ir.CreateAdd(acc, x); });
        return ir.CreateAddReduce(lanes);
    }
    if (name == "argmax") {  // the first largest element, compared in the element type
        llvm::Value* n = elementCount(b, g);
        llvm::AllocaInst* best = b.local(b.i64(), "best");
        llvm::AllocaInst* bestValue = b.local(b.elemType(g.elem), "best.value");
        llvm::BasicBlock* empty = b.block("argmax.empty");
        llvm::BasicBlock* some = b.block("argmax.some");
        llvm::BasicBlock* done = b.block("argmax.done");
        ir.CreateCondBr(ir.CreateICmpEQ(n, b.i64(0)), empty, some);
        ir.SetInsertPoint(empty);
        ir.CreateStore(b.i64(-1), best);
        ir.CreateBr(done);
        ir.SetInsertPoint(some);
        ir.CreateStore(b.i64(0), best);
        ir.CreateStore(g.at(b.i64(0), 1), bestValue);
        countedLoop(b, b.i64(1), n, 1, [&](llvm::Value* i) {
            llvm::Value* x = g.at(i, 1);
            llvm::Value* m = ir.CreateLoad(b.elemType(g.elem), bestValue);
            llvm::Value* larger = runtime::isFloatElem(g.elem) ? ir.CreateFCmpOGT(x, m)
                                  : isSignedElem(g.elem)      ? ir.CreateICmpSGT(x, m)
                                                              : ir.CreateICmpUGT(x, m);
            ir.CreateStore(ir.CreateSelect(larger, x, m), bestValue);
            ir.CreateStore(ir.CreateSelect(larger, i, ir.CreateLoad(b.i64(), best)), best);
        });
        ir.CreateBr(done);
        ir.SetInsertPoint(done);
        return ir.CreateLoad(b.i64(), best);
    }
    throw Unsupported("the reduction '" + name + "'");
}

void emitStore(KernelBuilder& b, const Generator& g, llvm::Value* data) {
    emitLoop(b, elementCount(b, g), [&](llvm::Value* i, unsigned width) { storeElems(b, g.elem, data, i, g.at(i, width)); });
}

}  // namespace xdml::jit
