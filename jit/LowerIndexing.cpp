// LowerIndexing.cpp — `t[i, j]` and `t[lo:hi, :k]` in kernels (runtime/interp/Indexing.h's
// rules): bounds are checked once, before any loop (out of bounds leaves through the fault
// exit), and a slice is a generator that maps its elements onto the base's, so slicing fuses
// into the loop that consumes it.
#include "jit/ElementOps.h"
#include "jit/Lowerer.h"

namespace xdml::jit {

using runtime::Expr;
using Kind = JitValue::Kind;

JitValue Lowerer::index(const Expr& e, const Locals& locals) {
    JitValue base = lower(e.args.at(0), locals);
    if (base.kind != Kind::Tensor) throw Unsupported("indexing something other than a tensor");
    GeneratorPtr g = base.tensor;
    const std::size_t rank = g->dims.size();
    if (e.slices.size() > rank) throw Unsupported("more indexes than dimensions");
    auto bound = [&](int at) -> llvm::Value* {
        if (at < 0) return nullptr;
        JitValue v = lower(e.args.at(static_cast<std::size_t>(at)), locals);
        if (!v.isScalar(ElemType::I64)) throw Unsupported("an index that is not an int");
        return v.scalar;
    };
    auto& ir = b_.ir;
    // Per base dimension: where the selection starts, and whether it is kept (a range).
    std::vector<llvm::Value*> start(rank, b_.i64(0)), kept;
    std::vector<bool> isKept(rank, true);
    llvm::Value* ok = ir.getTrue();
    for (std::size_t d = 0; d < rank; ++d) {
        if (d >= e.slices.size()) {
            kept.push_back(g->dims[d]);
            continue;
        }
        const Expr::Slice& s = e.slices[d];
        llvm::Value* lo = bound(s.lo);
        if (!s.range) {
            ok = ir.CreateAnd(ok, ir.CreateAnd(ir.CreateICmpSGE(lo, b_.i64(0)), ir.CreateICmpSLT(lo, g->dims[d])));
            start[d] = lo;
            isKept[d] = false;
            continue;
        }
        llvm::Value* hi = bound(s.hi);
        if (!lo) lo = b_.i64(0);
        if (!hi) hi = g->dims[d];
        ok = ir.CreateAnd(ok, ir.CreateICmpSGE(lo, b_.i64(0)));
        ok = ir.CreateAnd(ok, ir.CreateICmpSLE(hi, g->dims[d]));
        ok = ir.CreateAnd(ok, ir.CreateICmpSLE(lo, hi));
        start[d] = lo;
        kept.push_back(ir.CreateSub(hi, lo));
    }
    b_.check(ok, "index.ok");

    if (kept.empty() && e.slices.size() == rank) {  // one element: a scalar (elementValue's kinds)
        llvm::Value* x = b_.whenTakenValue(b_.elemType(g->elem), [&] { return g->at(flatIndex(b_, start, g->dims), 1); });
        switch (g->elem) {
        case ElemType::F32: case ElemType::F64: case ElemType::Bool: case ElemType::I64:
            return JitValue::of(g->elem, x);
        default: return JitValue::of(ElemType::I64, convertElem(b_, x, g->elem, ElemType::I64));
        }
    }

    auto out = std::make_shared<Generator>();
    out->elem = g->elem;
    out->dims = kept;
    // The base's flat index of the slice's element at flat `i`.
    auto baseIndex = [this, g, start, isKept, kept](llvm::Value* i) {
        std::vector<llvm::Value*> inSlice = multiIndex(b_, i, kept), inBase;
        std::size_t k = 0;
        for (std::size_t d = 0; d < isKept.size(); ++d)
            inBase.push_back(isKept[d] ? b_.ir.CreateAdd(start[d], inSlice[k++]) : start[d]);
        return flatIndex(b_, inBase, g->dims);
    };
    const bool lastKept = rank > 0 && isKept[rank - 1];
    out->at = [this, g, baseIndex, kept, lastKept](llvm::Value* i, unsigned w) -> llvm::Value* {
        auto& ir = b_.ir;
        if (w == 1) return g->at(baseIndex(i), 1);
        auto gather = [&] {
            return laneByLane(b_, b_.elemType(g->elem), w, [&](llvm::Value* k) { return g->at(baseIndex(ir.CreateAdd(i, k)), 1); });
        };
        if (!lastKept) return gather();
        // Lanes within one row of the slice are consecutive in the base too: one vector read.
        llvm::Value* row = kept.back();
        llvm::Value* inRow = ir.CreateICmpULE(ir.CreateAdd(ir.CreateURem(i, row), b_.i64(w)), row);
        llvm::BasicBlock* whole = b_.block("slice.row");
        llvm::BasicBlock* split = b_.block("slice.gather");
        llvm::BasicBlock* done = b_.block("slice.done");
        ir.CreateCondBr(inRow, whole, split);
        ir.SetInsertPoint(whole);
        llvm::Value* a = g->at(baseIndex(i), w);
        llvm::BasicBlock* endWhole = ir.GetInsertBlock();
        ir.CreateBr(done);
        ir.SetInsertPoint(split);
        llvm::Value* c = gather();
        llvm::BasicBlock* endSplit = ir.GetInsertBlock();
        ir.CreateBr(done);
        ir.SetInsertPoint(done);
        llvm::PHINode* phi = ir.CreatePHI(a->getType(), 2);
        phi->addIncoming(a, endWhole);
        phi->addIncoming(c, endSplit);
        return phi;
    };
    return JitValue::of(std::move(out));
}

}  // namespace xdml::jit
