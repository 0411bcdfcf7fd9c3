// Rows.cpp — see Rows.h.
#include "ml/Rows.h"

#include "runtime/values/Text.h"

namespace xdml::ml {

using runtime::ModelError;
using runtime::Value;

namespace {

std::string shapeText(const std::vector<int64_t>& dims) {
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
}

}  // namespace

void appendRow(const Value& x, const ModelSpec& spec, std::vector<float>& out) {
    if (!x.is(Value::Kind::Tensor))
        throw ModelError("model " + spec.name + " takes a tensor" + shapeText(spec.inputDims) + ", not " + runtime::describe(x));
    const runtime::Tensor& t = x.asTensor();
    if (t.dims != spec.inputDims)
        throw ModelError("model " + spec.name + " takes a tensor of shape " + shapeText(spec.inputDims) + ", not " +
                         shapeText(t.dims));
    const std::size_t at = out.size();
    out.resize(at + static_cast<std::size_t>(spec.inputSize));
    if (t.elem == runtime::ElemType::F32) {
        std::memcpy(out.data() + at, t.data<float>(), static_cast<std::size_t>(spec.inputSize) * sizeof(float));
    } else {
        const runtime::Tensor f = runtime::convertTensor(t, runtime::ElemType::F32);
        std::memcpy(out.data() + at, f.data<float>(), static_cast<std::size_t>(spec.inputSize) * sizeof(float));
    }
}

int64_t classOf(const Value& y, const ModelSpec& spec) {
    const int64_t k = static_cast<int64_t>(spec.classes.size());
    if (y.is(Value::Kind::Int)) {
        if (y.asInt() < 0 || y.asInt() >= k)
            throw ModelError("label " + std::to_string(y.asInt()) + " is not one of model " + spec.name + "'s " +
                             std::to_string(k) + " classes (0 to " + std::to_string(k - 1) + ")");
        return y.asInt();
    }
    if (y.is(Value::Kind::String)) {
        if (auto i = spec.classIndex(y.asString())) return *i;
        std::string names;
        for (const std::string& c : spec.classes) names += (names.empty() ? "\"" : ", \"") + c + "\"";
        throw ModelError("label \"" + y.asString() + "\" is not a class of model " + spec.name + " (" + names + ")");
    }
    throw ModelError("a label must be an int or a class name, not " + runtime::describe(y));
}

LabeledRows labeledRows(const std::vector<runtime::LabeledItem>& items, const ModelSpec& spec,
                        const std::string& stream, const std::function<void(const std::string&)>& report) {
    LabeledRows out;
    out.rows.reserve(items.size() * static_cast<std::size_t>(spec.inputSize));
    for (const runtime::LabeledItem& item : items) {
        try {
            const int64_t label = classOf(item.y, spec);
            appendRow(item.x, spec, out.rows);
            out.labels.push_back(label);
            out.entities.push_back(item.entity);
            out.seqs.push_back(item.seq);
        } catch (const ModelError& e) {
            if (report)
                report((stream.empty() ? "" : "stream " + stream + " ") + "item " + std::to_string(item.seq) + ": " + e.what() +
                       "; it is left out");
        }
    }
    return out;
}

}  // namespace xdml::ml
