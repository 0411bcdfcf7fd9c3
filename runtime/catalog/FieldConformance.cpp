// FieldConformance.cpp — see FieldConformance.h.
#include "runtime/catalog/FieldConformance.h"

#include "runtime/catalog/CatalogError.h"
#include "runtime/catalog/ColumnTypes.h"

namespace xdml::runtime::catalog {

using VK = Value::Kind;

void wrongValue(const std::string& where, const TypeDesc& expected, const Value& got) {
    throw CatalogError(where + ": expected " + typeText(expected) + ", got " + describe(got));
}

bool boolOf(const Value& v, const TypeDesc& t, const std::string& where) {
    if (!v.is(VK::Bool)) wrongValue(where, t, v);
    return v.asBool();
}

int64_t intOf(const Value& v, const TypeDesc& t, const std::string& where) {
    if (!v.is(VK::Int)) wrongValue(where, t, v);
    return v.asInt();
}

double floatOf(const Value& v, const TypeDesc& t, const std::string& where) {
    if (!v.isNumber()) wrongValue(where, t, v);
    // An f32 field keeps f32 precision even when handed a float.
    return t.kind == TypeDesc::Kind::F32 ? static_cast<double>(static_cast<float>(v.number())) : v.number();
}

const std::string& textOf(const Value& v, const TypeDesc& t, const std::string& where) {
    if (!v.is(VK::String)) wrongValue(where, t, v);
    return v.asString();
}

double quantityOf(const Value& v, const TypeDesc& t, const std::string& where) {
    if (!v.is(VK::Quantity) || v.asQuantity().kind != t.quantity) wrongValue(where, t, v);
    return v.asQuantity().value;
}

const Tensor& tensorOf(const Value& v, const TypeDesc& t, const std::string& where) {
    if (!v.is(VK::Tensor)) wrongValue(where, t, v);
    const Tensor& tensor = v.asTensor();
    if (tensor.elem != t.elem || tensor.dims.size() != t.dims.size()) wrongValue(where, t, v);
    for (std::size_t i = 0; i < t.dims.size(); ++i)
        if (t.dims[i] >= 0 && tensor.dims[i] != t.dims[i]) wrongValue(where, t, v);
    std::size_t bytes = tensor.count() * elemSize(tensor.elem);
    if (bytes && (!tensor.buffer || tensor.buffer->bytes() < bytes))
        throw CatalogError(where + ": a " + describe(v) + " without its elements");
    return tensor;
}

}  // namespace xdml::runtime::catalog
