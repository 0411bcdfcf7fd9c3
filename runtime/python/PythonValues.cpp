// PythonValues.cpp — see PythonValues.h.
#include "runtime/python/PythonValues.h"

#include "runtime/io/ConformItem.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace xdml::runtime::python {

namespace {

using TK = TypeDesc::Kind;
using VK = Value::Kind;

constexpr std::size_t kAlign = 64;
constexpr std::string_view kTensorMark("\0XDML-tensor", 12);

std::size_t tensorBytes(const Tensor& t) { return t.count() * elemSize(t.elem); }

const char* dtypeOf(ElemType e) {
    switch (e) {
    case ElemType::Bool: return "bool";
    case ElemType::U8: return "uint8";
    case ElemType::U16: return "uint16";
    case ElemType::U32: return "uint32";
    case ElemType::I16: return "int16";
    case ElemType::I32: return "int32";
    case ElemType::I64: return "int64";
    case ElemType::F32: return "float32";
    case ElemType::F64: return "float64";
    }
    return "float64";
}

/// NumPy's "safe" casts (np.can_cast(from, to, "safe")): nothing is lost.
bool castsSafely(ElemType from, ElemType to) {
    using E = ElemType;
    if (from == to || from == E::Bool) return true;
    switch (from) {
    case E::U8: return to != E::Bool;
    case E::U16: return to == E::U32 || to == E::I32 || to == E::I64 || to == E::F32 || to == E::F64;
    case E::U32: return to == E::I64 || to == E::F64;
    case E::I16: return to == E::I32 || to == E::I64 || to == E::F32 || to == E::F64;
    case E::I32: return to == E::I64 || to == E::F64;
    case E::I64: return to == E::F64;
    case E::F32: return to == E::F64;
    default: return false;
    }
}

/// The bytes of a tensor of `dims` and `elem`; false for a negative dimension or an overflow.
bool bytesOf(const std::vector<int64_t>& dims, ElemType elem, std::size_t& bytes) {
    bytes = elemSize(elem);
    for (int64_t d : dims)
        if (d < 0 || __builtin_mul_overflow(bytes, static_cast<std::size_t>(d), &bytes)) return false;
    return true;
}

std::string shapeText(const std::vector<int64_t>& dims) {
    std::string s = "(";
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + (dims.size() == 1 ? ",)" : ")");
}

bool shapeFits(const std::vector<int64_t>& dims, const std::vector<int64_t>& declared) {
    if (dims.size() != declared.size()) return false;
    for (std::size_t i = 0; i < dims.size(); ++i)
        if (declared[i] >= 0 && declared[i] != dims[i]) return false;
    return true;
}

/// Converts a result following the declared type, naming each place as Python would index it.
class ResultReader {
public:
    ResultReader(const Program& program, const std::vector<ArenaTensor>& tensors, const std::byte* arena, std::size_t arenaSize)
        : program_(program), tensors_(tensors), arena_(arena), arenaSize_(arenaSize) {}

    Value read(const PyValue& v, const TypeDesc& declared, const std::string& where) {
        const TypeDesc& t = program_.structure(declared);
        using PK = PyValue::Kind;
        auto mismatch = [&](const std::string& detail = "") -> ResultMismatch {
            return ResultMismatch(where, std::string("a ") + described(v) + " where " + describeItemType(declared) +
                                             " is declared" + detail);
        };
        switch (t.kind) {
        case TK::Unknown: case TK::Other: throw mismatch();
        case TK::None:
            if (v.kind != PK::None) throw mismatch();
            return Value::none();
        case TK::Bool:
            if (v.kind != PK::Bool) throw mismatch();
            return Value::boolean(v.boolean);
        case TK::Int:
            if (v.kind != PK::Int) throw mismatch(v.kind == PK::Float ? " (an int is wanted: round it, int(x))" : "");
            if (v.tooBig) throw ResultMismatch(where, "an int outside the 64-bit range of XDML's int");
            return Value::integer(v.integer);
        case TK::Float: case TK::F32: {
            double x = 0;
            if (v.kind == PK::Float) x = v.real;
            else if (v.kind == PK::Int && !v.tooBig) x = static_cast<double>(v.integer);
            else throw mismatch();
            return t.kind == TK::F32 ? Value::float32(static_cast<float>(x)) : Value::float64(x);
        }
        case TK::String: case TK::Path:
            if (v.kind != PK::Str) throw mismatch();
            return Value::string(v.text);
        case TK::Quantity: {
            if (v.kind == PK::Float) return Value::quantity(t.quantity, v.real);
            if (v.kind == PK::Int && !v.tooBig) return Value::quantity(t.quantity, static_cast<double>(v.integer));
            throw mismatch(std::string(" (a number of ") + baseUnit(t.quantity) + ")");
        }
        case TK::Optional:
            if (v.kind == PK::None) return Value::none();
            return t.element ? read(v, *t.element, where) : throw mismatch();
        case TK::List: {
            if (v.kind != PK::List || !t.element || isTensor(v)) throw mismatch();
            std::vector<Value> items;
            items.reserve(v.items.size());
            for (std::size_t i = 0; i < v.items.size(); ++i) items.push_back(read(*v.items[i], *t.element, where + "[" + std::to_string(i) + "]"));
            return Value::list(std::move(items));
        }
        case TK::Record: {
            if (v.kind != PK::Dict) throw mismatch();
            RecordValue r;
            for (const FieldType& f : t.fields) {
                const PyValue* found = nullptr;
                for (const auto& [key, value] : v.entries)
                    if (key == f.name) found = value.get();
                if (!found) {
                    // A missing optional field is none, as a record literal may leave it out.
                    if (program_.structure(f.type).kind == TK::Optional) {
                        r.fields.push_back({f.name, Value::none()});
                        continue;
                    }
                    throw ResultMismatch(where, "the dict has no key '" + f.name + "', which " + describeItemType(declared) + " needs");
                }
                r.fields.push_back({f.name, read(*found, f.type, where + "['" + f.name + "']")});
            }
            for (const auto& [key, value] : v.entries) {
                bool declaredField = false;
                for (const FieldType& f : t.fields) declaredField = declaredField || f.name == key;
                if (!declaredField) throw ResultMismatch(where, "the dict has a key '" + key + "', which " + describeItemType(declared) + " does not declare");
            }
            return Value::record(std::move(r));
        }
        case TK::Tensor: return tensor(v, t, declared, where);
        case TK::Named: throw mismatch();
        }
        throw mismatch();
    }

private:
    static const char* baseUnit(QuantityKind k) {
        switch (k) {
        case QuantityKind::Duration: return "seconds";
        case QuantityKind::Bytes: return "bytes";
        case QuantityKind::Bandwidth: return "bytes per second";
        }
        return "base units";
    }

    bool isTensor(const PyValue& v) const {
        std::size_t index;
        return isTensorMark(v, index);
    }

    std::string described(const PyValue& v) const {
        std::size_t index;
        if (isTensorMark(v, index) && index < tensors_.size())
            return std::string("NumPy array of dtype ") + dtypeOf(tensors_[index].elem) + " and shape " + shapeText(tensors_[index].dims);
        if (v.kind == PyValue::Kind::Int && v.tooBig) return "int too large for 64 bits";
        return v.typeName();
    }

    Value tensor(const PyValue& v, const TypeDesc& t, const TypeDesc& declared, const std::string& where) {
        std::size_t index = 0;
        if (isTensorMark(v, index)) {
            if (index >= tensors_.size()) throw ResultMismatch(where, "the worker named array " + std::to_string(index) + " of " + std::to_string(tensors_.size()));
            const ArenaTensor& a = tensors_[index];
            if (!castsSafely(a.elem, t.elem))
                throw ResultMismatch(where, std::string("a NumPy array of dtype ") + dtypeOf(a.elem) + " where " + describeItemType(declared) +
                                                " is declared; convert it: .astype(numpy." + dtypeOf(t.elem) + ")");
            if (!shapeFits(a.dims, t.dims))
                throw ResultMismatch(where, "a NumPy array of shape " + shapeText(a.dims) + " where " + describeItemType(declared) + " is declared");
            // Checked before anything is allocated: the description comes from another process.
            std::size_t bytes = 0;
            if (!bytesOf(a.dims, a.elem, bytes) || a.offset > arenaSize_ || bytes > arenaSize_ - a.offset)
                throw ResultMismatch(where, "the worker placed an array past the end of the shared arena");
            Tensor out = Tensor::uninitialized(a.elem, a.dims);
            if (bytes) std::memcpy(out.buffer->data(), arena_ + a.offset, bytes);
            return Value::tensor(a.elem == t.elem ? std::move(out) : convertTensor(out, t.elem));
        }
        if (v.kind == PyValue::Kind::List) return tensorOfLists(v, t, declared, where);
        throw ResultMismatch(where, std::string("a ") + described(v) + " where " + describeItemType(declared) + " is declared");
    }

    /// A nested list of numbers with a regular shape, as numpy.asarray would read it.
    Value tensorOfLists(const PyValue& v, const TypeDesc& t, const TypeDesc& declared, const std::string& where) {
        std::vector<int64_t> dims;
        for (const PyValue* p = &v; p->kind == PyValue::Kind::List && dims.size() <= t.dims.size(); p = p->items[0].get()) {
            dims.push_back(static_cast<int64_t>(p->items.size()));
            if (p->items.empty()) break;
        }
        if (!shapeFits(dims, t.dims))
            throw ResultMismatch(where, "a nested list of shape " + shapeText(dims) + " where " + describeItemType(declared) + " is declared");
        // The whole list is rectangular, and its elements numbers, before memory is taken for it.
        std::size_t bytes = 0;
        fill(v, 0, dims, where, [](double) {});
        if (!bytesOf(dims, t.elem, bytes)) throw ResultMismatch(where, "a nested list too large for a tensor");
        Tensor out = Tensor::uninitialized(t.elem, dims);
        std::size_t next = 0;
        withElemType(t.elem, [&](auto zero) {
            using T = decltype(zero);
            T* data = out.data<T>();
            fill(v, 0, dims, where, [&](double x) { data[next++] = convertElement<T>(x); });
        });
        return Value::tensor(std::move(out));
    }

    template <typename Put>
    void fill(const PyValue& v, std::size_t depth, const std::vector<int64_t>& dims, const std::string& where, Put&& put) {
        if (depth == dims.size()) {
            if (v.kind == PyValue::Kind::Float) return put(v.real);
            if (v.kind == PyValue::Kind::Int && !v.tooBig) return put(static_cast<double>(v.integer));
            if (v.kind == PyValue::Kind::Bool) return put(v.boolean ? 1.0 : 0.0);
            throw ResultMismatch(where, std::string("a nested list holding a ") + described(v) + " where a number is wanted");
        }
        if (v.kind != PyValue::Kind::List || static_cast<int64_t>(v.items.size()) != dims[depth])
            throw ResultMismatch(where, "a nested list that is not rectangular (shape " + shapeText(dims) + " at its start)");
        for (const auto& item : v.items) fill(*item, depth + 1, dims, where, put);
    }

    const Program& program_;
    const std::vector<ArenaTensor>& tensors_;
    const std::byte* arena_;
    std::size_t arenaSize_;
};

}  // namespace

CallMessage::CallMessage(int task, const std::vector<Value>& args) : task_(task) {
    MarshalWriter out;
    std::vector<std::string> path;
    items(args, path, out);
    args_ = std::move(out.bytes());
}

void CallMessage::items(const std::vector<Value>& list, std::vector<std::string>& path, MarshalWriter& out) {
    out.beginList(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
        MarshalWriter step;
        step.integer(static_cast<int64_t>(i));
        path.push_back(std::move(step.bytes()));
        value(list[i], path, out);
        path.pop_back();
    }
}

void CallMessage::value(const Value& v, std::vector<std::string>& path, MarshalWriter& out) {
    switch (v.kind()) {
    case VK::None: out.none(); return;
    case VK::Bool: out.boolean(v.asBool()); return;
    case VK::Int: out.integer(v.asInt()); return;
    case VK::Float: out.real(v.asFloat()); return;
    case VK::F32: out.real(v.asF32()); return;
    case VK::String: out.text(v.asString()); return;
    case VK::Quantity: {
        // A size in bytes is a count: an int when it is one; durations and rates stay floats.
        const Quantity& q = v.asQuantity();
        if (q.kind == QuantityKind::Bytes && q.value == std::floor(q.value) && std::fabs(q.value) < 9.0e15)
            out.integer(static_cast<int64_t>(q.value));
        else
            out.real(q.value);
        return;
    }
    case VK::Tensor: {
        const Tensor& t = v.asTensor();
        // The path as a tuple: '(' count, then each step's marshal.
        MarshalWriter tuple;
        tuple.beginTuple(path.size());
        for (const std::string& step : path) tuple.bytes() += step;
        std::size_t inBlock = 0;
        if (const SharedBlock* block = t.buffer ? sharedBlockHolding(t.buffer->data(), inBlock) : nullptr) {
            tensors_.push_back({std::move(tuple.bytes()), &t, inBlock, block});
            if (std::find(blocks_.begin(), blocks_.end(), block) == blocks_.end()) blocks_.push_back(block);
        } else {
            const std::size_t offset = (arenaBytes_ + kAlign - 1) / kAlign * kAlign;
            tensors_.push_back({std::move(tuple.bytes()), &t, offset, nullptr});
            arenaBytes_ = offset + tensorBytes(t);
        }
        out.none();
        return;
    }
    case VK::Record: {
        out.beginDict();
        for (const Field& f : v.asRecord().fields) {
            out.text(f.name);
            MarshalWriter step;
            step.text(f.name);
            path.push_back(std::move(step.bytes()));
            value(f.value, path, out);
            path.pop_back();
        }
        out.endDict();
        return;
    }
    case VK::List: items(v.asList(), path, out); return;
    }
}

std::string CallMessage::body(std::size_t arenaSize, int spinReads, const std::vector<const SharedBlock*>& mapped,
                              const std::vector<uint64_t>& forget) const {
    MarshalWriter out;
    out.beginTuple(8);
    out.integer(0);
    out.integer(task_);
    out.bytes() += args_;
    out.beginList(tensors_.size());
    for (const Placed& p : tensors_) {
        out.beginTuple(5);
        out.bytes() += p.path;
        out.text(dtypeOf(p.tensor->elem));
        out.beginTuple(p.tensor->dims.size());
        for (int64_t d : p.tensor->dims) out.integer(d);
        out.integer(static_cast<int64_t>(p.offset));
        out.integer(p.block ? static_cast<int64_t>(p.block->id) : -1);
    }
    out.integer(static_cast<int64_t>(arenaSize));
    out.integer(spinReads);
    out.beginList(mapped.size());
    for (const SharedBlock* b : mapped) {
        out.beginTuple(2);
        out.integer(static_cast<int64_t>(b->id));
        out.integer(static_cast<int64_t>(b->size));
    }
    out.beginList(forget.size());
    for (uint64_t id : forget) out.integer(static_cast<int64_t>(id));
    return std::move(out.bytes());
}

void CallMessage::copyInstead(const SharedBlock* block) {
    for (Placed& p : tensors_)
        if (p.block == block) {
            p.block = nullptr;
            p.offset = (arenaBytes_ + kAlign - 1) / kAlign * kAlign;
            arenaBytes_ = p.offset + tensorBytes(*p.tensor);
        }
    blocks_.erase(std::remove(blocks_.begin(), blocks_.end(), block), blocks_.end());
}

void CallMessage::copyTensors(std::byte* arena) const {
    for (const Placed& p : tensors_)
        if (!p.block)
            if (const std::size_t n = tensorBytes(*p.tensor)) std::memcpy(arena + p.offset, p.tensor->buffer->data(), n);
}

bool isTensorMark(const PyValue& v, std::size_t& index) {
    if (v.kind != PyValue::Kind::Bytes || v.text.size() != kTensorMark.size() + 4 || v.text.compare(0, kTensorMark.size(), kTensorMark) != 0)
        return false;
    const auto* b = reinterpret_cast<const unsigned char*>(v.text.data() + kTensorMark.size());
    index = static_cast<std::size_t>(b[0]) | static_cast<std::size_t>(b[1]) << 8 | static_cast<std::size_t>(b[2]) << 16 | static_cast<std::size_t>(b[3]) << 24;
    return true;
}

Value resultValue(const PyValue& result, const TypeDesc& declared, const Program& program,
                  const std::vector<ArenaTensor>& tensors, const std::byte* arena, std::size_t arenaSize) {
    return ResultReader(program, tensors, arena, arenaSize).read(result, declared, "result");
}

bool elemTypeOfDtype(const std::string& dtype, ElemType& elem) {
    for (ElemType e : {ElemType::Bool, ElemType::U8, ElemType::U16, ElemType::U32, ElemType::I16, ElemType::I32,
                       ElemType::I64, ElemType::F32, ElemType::F64})
        if (dtype == dtypeOf(e)) {
            elem = e;
            return true;
        }
    return false;
}

}  // namespace xdml::runtime::python
