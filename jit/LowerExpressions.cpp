// LowerExpressions.cpp — the walk over a kernel's expression tree (Lowerer.h): names, consts,
// fn calls (inlined), `?:`, `and`/`or`, indexing and slicing, records.
#include "jit/ElementOps.h"
#include "jit/Lowerer.h"

#include "runtime/interp/Arguments.h"
#include "runtime/interp/Builtins.h"

#include <algorithm>

namespace xdml::jit {

using runtime::Expr;
using Kind = JitValue::Kind;
using TK = runtime::TypeDesc::Kind;

namespace {
constexpr std::size_t kMaxInlineDepth = 32;
constexpr int kMaxDepth = 512;

/// How often the local `name` is read in `e`.
int uses(const Expr& e, const std::string& name) {
    int n = e.op == Expr::Op::Name && e.binding == runtime::NameBinding::Local && e.name == name;
    for (const Expr& a : e.args) n += uses(a, name);
    return n;
}

}  // namespace

GeneratorPtr Lowerer::inMemory(ElemType elem, llvm::Value* data, std::vector<llvm::Value*> dims) {
    auto g = std::make_shared<Generator>();
    g->elem = elem;
    g->inMemory = true;
    g->dims = std::move(dims);
    g->at = [this, elem, data](llvm::Value* i, unsigned w) { return loadElems(b_, elem, data, i, w); };
    return g;
}

GeneratorPtr Lowerer::materialize(const GeneratorPtr& g) {
    if (g->inMemory) return g;
    llvm::Value* dims = b_.local(llvm::ArrayType::get(b_.i64(), std::max<std::size_t>(1, g->dims.size())), "temporary.dims");
    for (std::size_t d = 0; d < g->dims.size(); ++d) b_.ir.CreateStore(g->dims[d], b_.ir.CreateConstGEP1_64(b_.i64(), dims, d));
    llvm::Type* ptr = b_.ir.getPtrTy();
    llvm::FunctionCallee temporary = b_.module.getOrInsertFunction(
        "xdml_jit_temporary", llvm::FunctionType::get(ptr, {ptr, b_.ir.getInt32Ty(), b_.i64(), ptr}, false));
    // In a branch not taken the buffer stays null: nothing reads it.
    llvm::AllocaInst* buffer = b_.local(ptr, "temporary");
    b_.ir.CreateStore(llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(b_.context)), buffer);
    b_.whenTaken([&] {
        llvm::Value* data = b_.ir.CreateCall(temporary, {b_.call, b_.ir.getInt32(static_cast<uint32_t>(g->elem)),
                                                        b_.i64(static_cast<int64_t>(g->dims.size())), dims});
        b_.check(b_.ir.CreateIsNotNull(data), "temporary.ok");
        emitStore(b_, *g, data);
        b_.ir.CreateStore(data, buffer);
    });
    return inMemory(g->elem, b_.ir.CreateLoad(ptr, buffer), g->dims);
}

JitValue Lowerer::lower(const Expr& e, const Locals& locals) {
    // The lowering and the code it emits recurse once per level: bound the depth (with fns
    // inlined), so a deep expression is interpreted rather than overflowing the compile thread.
    struct Depth {
        int& depth;
        explicit Depth(int& d) : depth(d) {
            if (++depth > kMaxDepth) {
                --depth;
                throw Unsupported("an expression nested too deep once its fns are inlined");
            }
        }
        ~Depth() { --depth; }
    } guard(depth_);
    switch (e.op) {
    case Expr::Op::Literal: return constant(e.literal);
    case Expr::Op::Name: return name(e, locals);
    case Expr::Op::Negate: return negate(lower(e.args.at(0), locals));
    case Expr::Op::Not: return logicalNot(lower(e.args.at(0), locals));
    case Expr::Op::Binary: {
        if (isLogical(e.binary)) return shortCircuit(e, locals);
        // In source order (function arguments have none): the IR, and its hash, must not depend
        // on the C++ compiler that built xdmlc.
        JitValue left = lower(e.args.at(0), locals);
        JitValue right = lower(e.args.at(1), locals);
        return binary(e.binary, left, right);
    }
    case Expr::Op::Ternary: return ternary(e, locals);
    case Expr::Op::Call: return call(e, locals);
    case Expr::Op::Field: {
        JitValue base = lower(e.args.at(0), locals);
        if (base.kind == Kind::Record)
            for (const auto& [field, v] : base.fields)
                if (field == e.name) return v;
        throw Unsupported("the field '" + e.name + "' of this value");
    }
    case Expr::Op::Index: return index(e, locals);
    case Expr::Op::Record: {
        JitValue r;
        r.kind = Kind::Record;
        for (std::size_t i = 0; i < e.args.size(); ++i) r.fields.emplace_back(e.names.at(i), lower(e.args[i], locals));
        return r;
    }
    case Expr::Op::String: throw Unsupported("strings");
    case Expr::Op::List: throw Unsupported("lists");
    }
    throw Unsupported("this expression");
}

JitValue Lowerer::constant(const runtime::Value& v) {
    using VK = runtime::Value::Kind;
    switch (v.kind()) {
    case VK::Bool: return JitValue::of(ElemType::Bool, b_.ir.getInt1(v.asBool()));
    case VK::Int: return JitValue::of(ElemType::I64, b_.i64(v.asInt()));
    case VK::Float: return JitValue::of(ElemType::F64, llvm::ConstantFP::get(b_.ir.getDoubleTy(), v.asFloat()));
    case VK::F32: return JitValue::of(ElemType::F32, llvm::ConstantFP::get(b_.ir.getFloatTy(), v.asF32()));
    case VK::Tensor: {  // read in place: the kernel keeps the value alive
        pinned_.push_back(v);
        const runtime::Tensor& t = v.asTensor();
        llvm::Value* data = b_.ir.CreateIntToPtr(b_.i64(static_cast<int64_t>(reinterpret_cast<uintptr_t>(t.buffer->data()))),
                                                 b_.ir.getPtrTy());
        std::vector<llvm::Value*> dims;
        for (int64_t d : t.dims) dims.push_back(b_.i64(d));
        return JitValue::of(inMemory(t.elem, data, std::move(dims)));
    }
    case VK::Record: {
        JitValue r;
        r.kind = Kind::Record;
        for (const runtime::Field& f : v.asRecord().fields) r.fields.emplace_back(f.name, constant(f.value));
        return r;
    }
    default: throw Unsupported(std::string("a ") + runtime::kindName(v.kind()) + " value");
    }
}

JitValue Lowerer::name(const Expr& e, const Locals& locals) {
    using runtime::NameBinding;
    switch (e.binding) {
    case NameBinding::Local:
    case NameBinding::It: {
        const std::string key = e.binding == NameBinding::It ? "it" : e.name;
        for (auto it = locals.rbegin(); it != locals.rend(); ++it)
            if (it->first == key) return it->second;
        throw Unsupported("'" + e.name + "', which has no value here");
    }
    case NameBinding::Const:
        try {
            return constant(consts_.constant(e.name));
        } catch (const runtime::EvalError&) {
            throw Unsupported("the const '" + e.name + "', which cannot be evaluated");
        }
    default: throw Unsupported("the name '" + e.name + "'");
    }
}

JitValue Lowerer::call(const Expr& e, const Locals& locals) {
    using runtime::NameBinding;
    if (e.binding == NameBinding::Fn) return inlineFn(e, locals);
    if (e.binding != NameBinding::Builtin) throw Unsupported("calling '" + e.name + "'");
    if (e.name == "zeros" || e.name == "noise") return tensorOfType(e, locals);
    if (e.name == "count" && e.args.size() == 1 && e.args[0].binding == NameBinding::OtherGlobal)
        throw Unsupported("'count' of a catalog");
    std::vector<JitValue> args;
    for (const Expr& a : e.args) args.push_back(lower(a, locals));
    return builtin(e.name, args);
}

JitValue Lowerer::inlineFn(const Expr& e, const Locals& locals) {
    const runtime::FnDecl* fn = program_.fn(e.name);
    if (!fn) throw Unsupported("the unknown fn '" + e.name + "'");
    if (std::find(inlining_.begin(), inlining_.end(), e.name) != inlining_.end())
        throw Unsupported("the recursive fn '" + e.name + "'");
    if (inlining_.size() >= kMaxInlineDepth) throw Unsupported("fn calls nested too deep to inline");
    runtime::BoundArguments bound;
    try {
        bound = runtime::bindArguments(e, fn->params);
    } catch (const runtime::EvalError& error) {
        throw Unsupported(error.message());  // the interpreter reports it
    }
    std::vector<JitValue> values(fn->params.size());  // evaluated in the order they are written
    for (std::size_t slot : bound.order) values[slot] = conform(lower(*bound.byParam[slot], locals), fn->params[slot].type);
    Locals inner;
    for (std::size_t p = 0; p < fn->params.size(); ++p) {
        if (values[p].kind == Kind::Tensor && uses(fn->body, fn->params[p].name) > 1)
            values[p] = JitValue::of(materialize(values[p].tensor));
        inner.emplace_back(fn->params[p].name, values[p]);
    }
    inlining_.push_back(e.name);
    JitValue result = conform(lower(fn->body, inner), fn->result);
    inlining_.pop_back();
    return result;
}

JitValue Lowerer::tensorOfType(const Expr& e, const Locals& locals) {
    const bool noise = e.name == "noise";
    if (e.args.size() != (noise ? 2u : 1u) || e.args[0].op != Expr::Op::Name || e.args[0].binding != runtime::NameBinding::Type)
        throw Unsupported("'" + e.name + "' without a tensor type");
    runtime::TypeDesc named;
    named.kind = TK::Named;
    named.name = e.args[0].name;
    const runtime::TypeDesc& t = program_.structure(named);
    if (t.kind != TK::Tensor) throw Unsupported("'" + e.name + "' of a type that is not a tensor");
    auto g = std::make_shared<Generator>();
    g->elem = t.elem;
    for (int64_t d : t.dims) {
        if (d < 0) throw Unsupported("'" + e.name + "' of a type with a '?' dimension");
        g->dims.push_back(b_.i64(d));
    }
    if (!noise) {
        const ElemType elem = t.elem;
        g->at = [this, elem](llvm::Value*, unsigned w) { return llvm::Constant::getNullValue(b_.elemType(elem, w)); };
        return JitValue::of(std::move(g));
    }
    if (!runtime::isFloatElem(t.elem)) throw Unsupported("noise of integer elements");
    JitValue seed = lower(e.args[1], locals);
    if (!seed.isScalar(ElemType::I64)) throw Unsupported("noise with a seed that is not an int");
    const ElemType elem = t.elem;
    llvm::Value* s = seed.scalar;
    g->at = [this, elem, s](llvm::Value* i, unsigned w) -> llvm::Value* {
        llvm::FunctionCallee normal = b_.module.getOrInsertFunction(
            "xdml_jit_normal", llvm::FunctionType::get(b_.ir.getDoubleTy(), {b_.i64(), b_.i64()}, false));
        auto element = [&](llvm::Value* index) {
            b_.countOperation();
            llvm::Value* d = b_.ir.CreateCall(normal, {s, index});
            return elem == ElemType::F32 ? b_.ir.CreateFPTrunc(d, b_.ir.getFloatTy()) : d;
        };
        return laneByLane(b_, b_.elemType(elem), w, [&](llvm::Value* k) { return element(b_.ir.CreateAdd(i, k)); });
    };
    return JitValue::of(std::move(g));
}

JitValue Lowerer::shortCircuit(const Expr& e, const Locals& locals) {
    JitValue a = lower(e.args.at(0), locals);
    if (!a.isScalar(ElemType::Bool)) {
        JitValue b = lower(e.args.at(1), locals);
        return binary(e.binary, a, b);
    }
    // `false and x` and `true or x` do not evaluate x.
    const bool isAnd = e.binary == runtime::BinaryOperator::And;
    llvm::BasicBlock* from = b_.ir.GetInsertBlock();
    llvm::BasicBlock* rhs = b_.block(isAnd ? "and.rhs" : "or.rhs");
    llvm::BasicBlock* done = b_.block(isAnd ? "and.done" : "or.done");
    b_.ir.CreateCondBr(a.scalar, isAnd ? rhs : done, isAnd ? done : rhs);
    b_.ir.SetInsertPoint(rhs);
    JitValue b = lower(e.args.at(1), locals);
    if (!b.isScalar(ElemType::Bool)) throw Unsupported("'and'/'or' of a bool and something else");
    llvm::BasicBlock* rhsEnd = b_.ir.GetInsertBlock();
    b_.ir.CreateBr(done);
    b_.ir.SetInsertPoint(done);
    llvm::PHINode* phi = b_.ir.CreatePHI(b_.ir.getInt1Ty(), 2);
    phi->addIncoming(a.scalar, from);
    phi->addIncoming(b.scalar, rhsEnd);
    return JitValue::of(ElemType::Bool, phi);
}

JitValue Lowerer::ternary(const Expr& e, const Locals& locals) {
    JitValue c = lower(e.args.at(0), locals);
    if (!c.isScalar(ElemType::Bool)) throw Unsupported("a '?:' whose condition is not a bool");
    llvm::BasicBlock* yes = b_.block("then");
    llvm::BasicBlock* no = b_.block("else");
    llvm::BasicBlock* done = b_.block("endif");
    // Tensor branches: both are set up, and each element is taken from the chosen one.
    const bool tensors = e.type.kind != TK::Unknown && program_.structure(e.type).kind == TK::Tensor;
    if (tensors) {
        // Both branches are set up before the loops; each under the guard that it is taken, so
        // the checks and work of the other (a zero divisor, a slice out of bounds) do not fault.
        llvm::Value* outer = b_.guard;
        b_.guard = outer ? b_.ir.CreateAnd(outer, c.scalar) : c.scalar;
        JitValue x = lower(e.args.at(1), locals);
        llvm::Value* notTaken = b_.ir.CreateNot(c.scalar);
        b_.guard = outer ? b_.ir.CreateAnd(outer, notTaken) : notTaken;
        JitValue y = lower(e.args.at(2), locals);
        b_.guard = outer;
        if (x.kind != Kind::Tensor || y.kind != Kind::Tensor || x.elem != y.elem || x.tensor->dims.size() != y.tensor->dims.size())
            throw Unsupported("a '?:' whose branches are different tensors");
        yes->eraseFromParent();
        no->eraseFromParent();
        done->eraseFromParent();
        auto g = std::make_shared<Generator>();
        g->elem = x.elem;
        for (std::size_t d = 0; d < x.tensor->dims.size(); ++d)
            g->dims.push_back(b_.ir.CreateSelect(c.scalar, x.tensor->dims[d], y.tensor->dims[d]));
        GeneratorPtr gx = x.tensor, gy = y.tensor;
        llvm::Value* cond = c.scalar;
        g->at = [this, gx, gy, cond](llvm::Value* i, unsigned w) {
            llvm::BasicBlock* pickX = b_.block("pick.then");
            llvm::BasicBlock* pickY = b_.block("pick.else");
            llvm::BasicBlock* picked = b_.block("pick.done");
            b_.ir.CreateCondBr(cond, pickX, pickY);
            b_.ir.SetInsertPoint(pickX);
            llvm::Value* vx = gx->at(i, w);
            llvm::BasicBlock* endX = b_.ir.GetInsertBlock();
            b_.ir.CreateBr(picked);
            b_.ir.SetInsertPoint(pickY);
            llvm::Value* vy = gy->at(i, w);
            llvm::BasicBlock* endY = b_.ir.GetInsertBlock();
            b_.ir.CreateBr(picked);
            b_.ir.SetInsertPoint(picked);
            llvm::PHINode* phi = b_.ir.CreatePHI(vx->getType(), 2);
            phi->addIncoming(vx, endX);
            phi->addIncoming(vy, endY);
            return phi;
        };
        return JitValue::of(std::move(g));
    }
    // Scalars: only the chosen branch is evaluated, then widened to the `?:`'s type.
    b_.ir.CreateCondBr(c.scalar, yes, no);
    b_.ir.SetInsertPoint(yes);
    JitValue x = conform(lower(e.args.at(1), locals), e.type);
    llvm::BasicBlock* endYes = b_.ir.GetInsertBlock();
    b_.ir.CreateBr(done);
    b_.ir.SetInsertPoint(no);
    JitValue y = conform(lower(e.args.at(2), locals), e.type);
    llvm::BasicBlock* endNo = b_.ir.GetInsertBlock();
    b_.ir.CreateBr(done);
    b_.ir.SetInsertPoint(done);
    if (x.kind != Kind::Scalar || y.kind != Kind::Scalar || x.elem != y.elem)
        throw Unsupported("a '?:' whose branches are of different kinds");
    llvm::PHINode* phi = b_.ir.CreatePHI(x.scalar->getType(), 2);
    phi->addIncoming(x.scalar, endYes);
    phi->addIncoming(y.scalar, endNo);
    return JitValue::of(x.elem, phi);
}

JitValue Lowerer::conform(const JitValue& v, const runtime::TypeDesc& type) {
    if (type.kind == TK::Unknown) return v;
    const runtime::TypeDesc& t = program_.structure(type);
    switch (t.kind) {
    case TK::Float:
        if (v.isNumber() && v.elem != ElemType::F64) return JitValue::of(ElemType::F64, convertElem(b_, v.scalar, v.elem, ElemType::F64));
        return v;
    case TK::F32:
        if (v.isNumber() && v.elem != ElemType::F32) return JitValue::of(ElemType::F32, convertElem(b_, v.scalar, v.elem, ElemType::F32));
        return v;
    case TK::Optional: return t.element ? conform(v, *t.element) : v;
    case TK::Record: {
        if (v.kind != Kind::Record) return v;
        JitValue r = v;
        for (auto& [name, field] : r.fields)
            for (const runtime::FieldType& ft : t.fields)
                if (ft.name == name) field = conform(field, ft.type);
        return r;
    }
    default: return v;
    }
}

}  // namespace xdml::jit
