// Indexing.cpp — see Indexing.h. A slice is gathered by copying its innermost rows whole.
#include "runtime/interp/Indexing.h"

#include "runtime/interp/EvalError.h"

#include <cstring>

namespace xdml::runtime {

Value elementValue(const Tensor& t, std::size_t i) {
    switch (t.elem) {
    case ElemType::F32: return Value::float32(t.data<float>()[i]);
    case ElemType::F64: return Value::float64(t.data<double>()[i]);
    case ElemType::Bool: return Value::boolean(t.data<bool>()[i]);
    case ElemType::I64: return Value::integer(t.data<int64_t>()[i]);
    default: return Value::integer(static_cast<int64_t>(t.at(i)));
    }
}

namespace {

Value indexList(const std::vector<Value>& items, const std::vector<IndexItem>& index) {
    if (index.size() != 1 || index[0].range) throw EvalError("a list takes one index, not a slice");
    const int64_t i = *index[0].lo;
    if (i < 0 || i >= static_cast<int64_t>(items.size()))
        throw EvalError("index " + std::to_string(i) + " is out of bounds for a list of " +
                        std::to_string(items.size()));
    return items[static_cast<std::size_t>(i)];
}

}  // namespace

Value indexValue(const Value& base, const std::vector<IndexItem>& index) {
    if (base.is(Value::Kind::List)) return indexList(base.asList(), index);
    if (!base.is(Value::Kind::Tensor)) throw EvalError("only tensors and lists can be indexed, not " + describe(base));
    const Tensor& t = base.asTensor();
    const std::size_t rank = t.dims.size();
    if (index.size() > rank)
        throw EvalError(std::to_string(index.size()) + " indexes for " + describe(base));

    std::vector<int64_t> start(rank, 0), size(t.dims), kept;
    for (std::size_t d = 0; d < rank; ++d) {
        if (d >= index.size()) {
            kept.push_back(t.dims[d]);
            continue;
        }
        const IndexItem& item = index[d];
        const std::string where = " for dimension " + std::to_string(d) + " of size " + std::to_string(t.dims[d]);
        if (!item.range) {
            const int64_t i = *item.lo;
            if (i < 0 || i >= t.dims[d]) throw EvalError("index " + std::to_string(i) + " is out of bounds" + where);
            start[d] = i;
            size[d] = 1;
            continue;
        }
        const int64_t lo = item.lo.value_or(0), hi = item.hi.value_or(t.dims[d]);
        if (lo < 0 || hi > t.dims[d] || lo > hi)
            throw EvalError("slice " + std::to_string(lo) + ":" + std::to_string(hi) + " is out of bounds" + where);
        start[d] = lo;
        size[d] = hi - lo;
        kept.push_back(hi - lo);
    }

    std::vector<std::size_t> stride(rank, 1);
    for (std::size_t d = rank; d-- > 1;) stride[d - 1] = stride[d] * static_cast<std::size_t>(t.dims[d]);
    if (kept.empty() && index.size() == rank) {  // every dimension indexed: one element
        std::size_t at = 0;
        for (std::size_t d = 0; d < rank; ++d) at += static_cast<std::size_t>(start[d]) * stride[d];
        return elementValue(t, at);
    }

    Tensor out = Tensor::zeros(t.elem, kept);
    if (out.count() == 0) return Value::tensor(out);
    const std::size_t width = elemSize(t.elem);
    const std::size_t row = rank ? static_cast<std::size_t>(size[rank - 1]) * width : width;
    std::vector<int64_t> at(rank, 0);  // position within the selection, all but the last dimension
    std::byte* dst = out.buffer->data();
    const std::byte* src = t.buffer->data();
    for (;;) {
        std::size_t offset = 0;
        for (std::size_t d = 0; d < rank; ++d) offset += static_cast<std::size_t>(start[d] + at[d]) * stride[d];
        std::memcpy(dst, src + offset * width, row);
        dst += row;
        // The next row: count up the outer dimensions like an odometer.
        std::size_t d = rank ? rank - 1 : 0;
        while (d > 0) {
            --d;
            if (++at[d] < size[d]) break;
            at[d] = 0;
            if (d == 0) return Value::tensor(out);
        }
        if (rank <= 1) return Value::tensor(out);
    }
}

}  // namespace xdml::runtime
