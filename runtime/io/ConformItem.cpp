// ConformItem.cpp — see ConformItem.h.
#include "runtime/io/ConformItem.h"

#include "runtime/io/DataError.h"
#include "runtime/io/Npy.h"

#include <algorithm>
#include <limits>

namespace xdml::runtime {

namespace {

std::string tensorText(ElemType elem, const std::vector<int64_t>& dims) {
    std::string s = std::string("tensor<") + spelling(elem) + ">[";
    for (std::size_t i = 0; i < dims.size(); ++i)
        s += (i ? ", " : "") + (dims[i] < 0 ? "?" : std::to_string(dims[i]));
    return s + "]";
}

}  // namespace

std::string describeItemType(const TypeDesc& t) {
    using K = TypeDesc::Kind;
    switch (t.kind) {
        case K::Unknown:
            return "an unknown type";
        case K::None:
            return "none";
        case K::Bool:
            return "bool";
        case K::Int:
            return "int";
        case K::Float:
            return "float";
        case K::F32:
            return "f32";
        case K::String:
            return "string";
        case K::Path:
            return "path";
        case K::Quantity:
            return spelling(t.quantity);
        case K::Tensor:
            return tensorText(t.elem, t.dims);
        case K::Record: {
            std::string s = "{ ";
            for (std::size_t i = 0; i < t.fields.size(); ++i)
                s += (i ? ", " : "") + t.fields[i].name + ": " + describeItemType(t.fields[i].type);
            return s + " }";
        }
        case K::List:
            return "list<" + (t.element ? describeItemType(*t.element) : std::string("?")) + ">";
        case K::Optional:
            return (t.element ? describeItemType(*t.element) : std::string("?")) + "?";
        case K::Named:
        case K::Other:
            return t.name;
    }
    return "?";
}

Value conformItem(Tensor t, const TypeDesc& declared, const std::string& where) {
    if (declared.kind != TypeDesc::Kind::Tensor)
        throw DataError(where, "a tensor cannot be an item of type " + describeItemType(declared));
    bool fits = t.elem == declared.elem && t.dims.size() == declared.dims.size();
    for (std::size_t i = 0; fits && i < t.dims.size(); ++i)
        fits = declared.dims[i] < 0 || declared.dims[i] == t.dims[i];
    if (!fits)
        throw DataError(where,
                        "expected " + describeItemType(declared) + ", got " + tensorText(t.elem, t.dims));
    return Value::tensor(std::move(t));
}

ByteLimit npyFileLimit(const TypeDesc& declared) {
    if (declared.kind != TypeDesc::Kind::Tensor) return {};
    std::size_t count = 1;
    for (int64_t d : declared.dims) {
        if (d < 0 || (d > 0 && count > std::numeric_limits<std::size_t>::max() / static_cast<std::size_t>(d))) return {};
        count *= static_cast<std::size_t>(d);
    }
    const std::size_t widest = std::max({elemSize(ElemType::F64), elemSize(ElemType::I64), elemSize(declared.elem)});
    return {maxNpyBytes(count, widest), "an .npy file of " + describeItemType(declared)};
}

}  // namespace xdml::runtime
