// Value.cpp — see Value.h.
#include "runtime/values/Value.h"

namespace xdml::runtime {

ElemType elemTypeOf(const Value& scalar) {
    switch (scalar.kind()) {
    case Value::Kind::Float: return ElemType::F64;
    case Value::Kind::F32: return ElemType::F32;
    case Value::Kind::Bool: return ElemType::Bool;
    default: return ElemType::I64;
    }
}

Value Value::record(RecordValue r) { return Value(Payload(std::make_shared<const RecordValue>(std::move(r)))); }

Value Value::list(std::vector<Value> items) {
    return Value(Payload(std::make_shared<const ListValue>(ListValue{std::move(items)})));
}

const std::vector<Value>& Value::asList() const { return std::get<std::shared_ptr<const ListValue>>(payload_)->items; }

double Value::number() const {
    switch (kind()) {
    case Kind::Int: return static_cast<double>(asInt());
    case Kind::Float: return asFloat();
    case Kind::F32: return asF32();
    default: throw std::bad_variant_access();
    }
}

const char* kindName(Value::Kind k) {
    switch (k) {
    case Value::Kind::None: return "none";
    case Value::Kind::Bool: return "bool";
    case Value::Kind::Int: return "int";
    case Value::Kind::Float: return "float";
    case Value::Kind::F32: return "f32";
    case Value::Kind::String: return "string";
    case Value::Kind::Quantity: return "quantity";
    case Value::Kind::Tensor: return "tensor";
    case Value::Kind::Record: return "record";
    case Value::Kind::List: return "list";
    }
    return "?";
}

std::string describe(const Value& v) {
    if (v.is(Value::Kind::Quantity)) return spelling(v.asQuantity().kind);
    if (!v.is(Value::Kind::Tensor)) return kindName(v.kind());
    const Tensor& t = v.asTensor();
    std::string out = std::string("tensor<") + spelling(t.elem) + ">[";
    for (std::size_t i = 0; i < t.dims.size(); ++i) out += (i ? ", " : "") + std::to_string(t.dims[i]);
    return out + "]";
}

const Value* RecordValue::find(const std::string& name) const {
    for (const Field& f : fields)
        if (f.name == name) return &f.value;
    return nullptr;
}

}  // namespace xdml::runtime
