// LowerKernel.cpp — lowerKernel (Lower.h): the kernel function around a lowered expression:
// arguments read from their slots, the result written to its slots (tensors allocated through
// the runtime), the fault exit, and the name that carries the IR's content hash.
#include "jit/ElementOps.h"
#include "jit/Lower.h"
#include "jit/Lowerer.h"

#include "runtime/provenance/ContentHash.h"

#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace xdml::jit {

using Kind = JitValue::Kind;

LoweredKernel::LoweredKernel() = default;
LoweredKernel::LoweredKernel(LoweredKernel&&) noexcept = default;
LoweredKernel::~LoweredKernel() = default;

std::string describe(const KernelSpec& spec) {
    switch (spec.kind) {
    case KernelSpec::Kind::Fn: return "fn " + spec.name;
    case KernelSpec::Kind::Predicate: return "type " + spec.name;
    case KernelSpec::Kind::Expression: break;
    }
    return "kernel " + spec.name + " at line " + std::to_string(spec.line);
}

std::string printModule(const llvm::Module& module) {
    std::string text;
    llvm::raw_string_ostream out(text);
    module.print(out, nullptr);
    return out.str();
}

namespace {

llvm::StructType* slotType(KernelBuilder& b) {
    return llvm::StructType::get(b.context, {b.ir.getInt64Ty(), b.ir.getPtrTy(), b.ir.getPtrTy()});
}

JitValue readSlots(KernelBuilder& b, Lowerer& lowerer, const SlotTree& tree, llvm::Value* args) {
    if (tree.kind == SlotTree::Kind::Record) {
        JitValue r;
        r.kind = Kind::Record;
        for (const auto& [name, field] : tree.fields) r.fields.emplace_back(name, readSlots(b, lowerer, field, args));
        return r;
    }
    llvm::Value* slot = b.ir.CreateConstGEP1_64(slotType(b), args, static_cast<uint64_t>(tree.slot));
    if (tree.kind == SlotTree::Kind::Tensor) {
        llvm::Value* data = b.ir.CreateLoad(b.ir.getPtrTy(), b.ir.CreateStructGEP(slotType(b), slot, 1), "data");
        llvm::Value* dimsAt = b.ir.CreateLoad(b.ir.getPtrTy(), b.ir.CreateStructGEP(slotType(b), slot, 2), "dims");
        std::vector<llvm::Value*> dims;
        for (int d = 0; d < tree.rank; ++d)
            dims.push_back(b.ir.CreateLoad(b.i64(), b.ir.CreateConstGEP1_64(b.i64(), dimsAt, static_cast<uint64_t>(d))));
        return JitValue::of(lowerer.inMemory(tree.elem, data, std::move(dims)));
    }
    llvm::Value* v = b.ir.CreateLoad(b.storedType(tree.elem), slot);
    if (tree.elem == ElemType::Bool) v = b.ir.CreateICmpNE(v, b.ir.getInt8(0));
    return JitValue::of(tree.elem, v);
}

/// Writes `v` into result slots numbered from `next`, and describes them in `tree`.
void writeSlots(KernelBuilder& b, const JitValue& v, llvm::Value* results, int& next, SlotTree& tree) {
    tree = SlotTree();
    if (v.kind == Kind::Record) {
        tree.kind = SlotTree::Kind::Record;
        for (const auto& [name, field] : v.fields) {
            SlotTree sub;
            writeSlots(b, field, results, next, sub);
            tree.fields.emplace_back(name, std::move(sub));
        }
        return;
    }
    tree.elem = v.elem;
    tree.slot = next++;
    llvm::Value* slot = b.ir.CreateConstGEP1_64(slotType(b), results, static_cast<uint64_t>(tree.slot));
    if (v.kind == Kind::Scalar) {
        llvm::Value* x = v.elem == ElemType::Bool ? b.ir.CreateZExt(v.scalar, b.ir.getInt8Ty()) : v.scalar;
        b.ir.CreateStore(x, slot);
        return;
    }
    tree.kind = SlotTree::Kind::Tensor;
    const Generator& g = *v.tensor;
    tree.rank = static_cast<int>(g.dims.size());
    llvm::Value* dims = b.local(llvm::ArrayType::get(b.i64(), std::max<std::size_t>(1, g.dims.size())), "result.dims");
    for (std::size_t d = 0; d < g.dims.size(); ++d) b.ir.CreateStore(g.dims[d], b.ir.CreateConstGEP1_64(b.i64(), dims, d));
    llvm::FunctionCallee allocate = b.module.getOrInsertFunction(
        "xdml_jit_tensor", llvm::FunctionType::get(b.ir.getPtrTy(),
                                                   {b.ir.getPtrTy(), b.ir.getInt32Ty(), b.ir.getInt32Ty(), b.i64(), b.ir.getPtrTy()}, false));
    llvm::Value* data = b.ir.CreateCall(allocate, {b.call, b.ir.getInt32(static_cast<uint32_t>(tree.slot)),
                                                   b.ir.getInt32(static_cast<uint32_t>(g.elem)), b.i64(tree.rank), dims});
    b.check(b.ir.CreateIsNotNull(data), "allocated");
    emitStore(b, g, data);
}

std::string symbolPart(const std::string& name) {
    std::string out;
    for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return out;
}

}  // namespace

LoweredKernel lowerKernel(const runtime::Program& program, const KernelSpec& spec, runtime::Evaluator& consts) {
    if (!spec.body) throw Unsupported("no body");
    LoweredKernel out;
    out.context = std::make_unique<llvm::LLVMContext>();
    out.module = std::make_unique<llvm::Module>("xdml", *out.context);
    KernelBuilder b(*out.context, *out.module);
    llvm::Type* ptr = b.ir.getPtrTy();
    b.function = llvm::Function::Create(llvm::FunctionType::get(b.ir.getInt32Ty(), {ptr, ptr, ptr}, false),
                                        llvm::Function::ExternalLinkage, "kernel", *out.module);
    b.function->addFnAttr(llvm::Attribute::NoUnwind);
    for (unsigned i = 0; i < 3; ++i) b.function->addParamAttr(i, llvm::Attribute::NoAlias);
    llvm::Value* args = b.function->getArg(0);
    llvm::Value* results = b.function->getArg(1);
    b.call = b.function->getArg(2);
    llvm::BasicBlock* entry = b.block("entry");
    b.faultBlock = b.block("fault");
    b.ir.SetInsertPoint(b.faultBlock);
    b.ir.CreateRet(b.ir.getInt32(static_cast<uint32_t>(kKernelFault)));
    b.ir.SetInsertPoint(entry);

    Lowerer lowerer(program, consts, b, out.pinned);
    Locals locals;
    int next = 0;
    try {
        for (const runtime::Param& p : spec.params) {
            SlotTree tree;
            if (!slotsOf(p.type, program, next, tree)) throw Unsupported("the parameter '" + p.name + "' of its type");
            locals.emplace_back(spec.kind == KernelSpec::Kind::Predicate ? "it" : p.name, readSlots(b, lowerer, tree, args));
            out.signature.params.push_back(std::move(tree));
        }
        out.signature.paramSlots = next;
        JitValue value = lowerer.lower(*spec.body, locals);
        if (spec.kind == KernelSpec::Kind::Predicate && !value.isScalar(ElemType::Bool))
            throw Unsupported("a 'where' that is not a bool");
        int resultSlots = 0;
        writeSlots(b, value, results, resultSlots, out.signature.result);
        out.signature.resultSlots = resultSlots;
    } catch (const runtime::PlanError& e) {
        throw Unsupported(e.what());
    }
    b.ir.CreateRet(b.ir.getInt32(static_cast<uint32_t>(kKernelOk)));

    std::string problems;
    llvm::raw_string_ostream problemStream(problems);
    if (llvm::verifyModule(*out.module, &problemStream))
        throw std::logic_error("the JIT lowered invalid LLVM IR for " + describe(spec) + ": " + problemStream.str());

    // The name carries the hash of the IR as lowered, so equal kernels share compiled code.
    const std::string text = printModule(*out.module);
    out.hash = runtime::prov::xxh64(text.data(), text.size());
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(out.hash));
    const char* kind = spec.kind == KernelSpec::Kind::Fn ? "fn" : spec.kind == KernelSpec::Kind::Predicate ? "type" : "kernel";
    out.entry = std::string("xdml_") + kind + "_" + symbolPart(spec.kind == KernelSpec::Kind::Expression ? "line" + std::to_string(spec.line) : spec.name) + "_" + hex;
    b.function->setName(out.entry);
    return out;
}

}  // namespace xdml::jit
