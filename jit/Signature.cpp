// Signature.cpp — see Signature.h.
#include "jit/Signature.h"

namespace xdml::jit {

using runtime::ElemType;
using runtime::Value;
using TK = runtime::TypeDesc::Kind;
using VK = Value::Kind;

bool slotsOf(const runtime::TypeDesc& type, const runtime::Program& program, int& next, SlotTree& out) {
    const runtime::TypeDesc& t = program.structure(type);
    out = SlotTree();
    switch (t.kind) {
    case TK::Bool: out.elem = ElemType::Bool; break;
    case TK::Int: out.elem = ElemType::I64; break;
    case TK::Float: out.elem = ElemType::F64; break;
    case TK::F32: out.elem = ElemType::F32; break;
    case TK::Tensor:
        out.kind = SlotTree::Kind::Tensor;
        out.elem = t.elem;
        out.rank = static_cast<int>(t.dims.size());
        break;
    case TK::Record:
        out.kind = SlotTree::Kind::Record;
        for (const runtime::FieldType& f : t.fields) {
            SlotTree field;
            if (!slotsOf(f.type, program, next, field)) return false;
            out.fields.emplace_back(f.name, std::move(field));
        }
        return true;
    default: return false;
    }
    out.slot = next++;
    return true;
}

bool toSlots(const Value& v, const SlotTree& tree, KernelSlot* slots) {
    switch (tree.kind) {
    case SlotTree::Kind::Record: {
        if (!v.is(VK::Record)) return false;
        const runtime::RecordValue& r = v.asRecord();
        for (std::size_t i = 0; i < tree.fields.size(); ++i) {
            const auto& [name, field] = tree.fields[i];
            // Records usually hold their fields in the declared order: look there first.
            const Value* f = i < r.fields.size() && r.fields[i].name == name ? &r.fields[i].value : r.find(name);
            if (!f || !toSlots(*f, field, slots)) return false;
        }
        return true;
    }
    case SlotTree::Kind::Tensor: {
        if (!v.is(VK::Tensor)) return false;
        const runtime::Tensor& t = v.asTensor();
        if (t.elem != tree.elem || static_cast<int>(t.dims.size()) != tree.rank || !t.buffer) return false;
        slots[tree.slot].data = const_cast<std::byte*>(t.buffer->data());  // kernels only read arguments
        slots[tree.slot].dims = t.dims.data();
        return true;
    }
    case SlotTree::Kind::Scalar: break;
    }
    KernelSlot& s = slots[tree.slot];
    switch (tree.elem) {
    case ElemType::Bool:
        if (!v.is(VK::Bool)) return false;
        s.scalar.i = 0;
        s.scalar.b = v.asBool();
        return true;
    case ElemType::I64:
        if (!v.is(VK::Int)) return false;
        s.scalar.i = v.asInt();
        return true;
    case ElemType::F64:
        if (!v.is(VK::Float)) return false;
        s.scalar.f64 = v.asFloat();
        return true;
    case ElemType::F32:
        if (!v.is(VK::F32)) return false;
        s.scalar.i = 0;
        s.scalar.f32 = v.asF32();
        return true;
    default: return false;
    }
}

Value fromSlots(const SlotTree& tree, const KernelSlot* slots, KernelCall& call) {
    switch (tree.kind) {
    case SlotTree::Kind::Record: {
        runtime::RecordValue r;
        for (const auto& [name, field] : tree.fields) r.fields.push_back({name, fromSlots(field, slots, call)});
        return Value::record(std::move(r));
    }
    case SlotTree::Kind::Tensor: return Value::tensor(std::move(call.tensors.at(static_cast<std::size_t>(tree.slot))));
    case SlotTree::Kind::Scalar: break;
    }
    const KernelSlot& s = slots[tree.slot];
    switch (tree.elem) {
    case ElemType::Bool: return Value::boolean(s.scalar.b != 0);
    case ElemType::F64: return Value::float64(s.scalar.f64);
    case ElemType::F32: return Value::float32(s.scalar.f32);
    default: return Value::integer(s.scalar.i);
    }
}

}  // namespace xdml::jit
