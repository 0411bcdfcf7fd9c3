// ValueCodec.cpp — see ValueCodec.h. Layout: a kind byte, then the payload: scalars in 8
// bytes (bool 1), strings as a u64 length and bytes, tensors as element type, rank, dims and
// raw elements, records as a field count and (name, value) pairs, lists as count and values.
#include "runtime/io/ValueCodec.h"

#include "runtime/io/DataError.h"
#include "runtime/values/LargeBuffers.h"

#include <cstring>

namespace xdml::runtime {

namespace {

using K = Value::Kind;
constexpr int kMaxDepth = 256;

class Writer {
public:
    explicit Writer(std::string& out) : out_(out) {}
    void byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }
    template <typename T>
    void pod(T v) {
        char raw[sizeof(T)];
        std::memcpy(raw, &v, sizeof(T));
        out_.append(raw, sizeof(T));
    }
    void text(const std::string& s) {
        pod<uint64_t>(s.size());
        out_ += s;
    }
    void bytes(const std::byte* p, std::size_t n) {
        if (n >= kLargeBufferBytes && out_.capacity() - out_.size() < n) {
            // Room for what a message writes after the value too (its site, label, ...): a
            // string that outgrew this would copy the whole value into fresh pages.
            constexpr std::size_t kAfter = std::size_t{64} << 10;
            const std::size_t from = out_.size();
            std::string larger = takeLargeBuffer(from + n + kAfter);
            std::memcpy(larger.data(), out_.data(), from);
            larger.resize(from);
            out_.swap(larger);
        }
        out_.append(reinterpret_cast<const char*>(p), n);
    }

private:
    std::string& out_;
};

void write(Writer& w, const Value& v) {
    w.byte(static_cast<uint8_t>(v.kind()));
    switch (v.kind()) {
    case K::None: break;
    case K::Bool: w.byte(v.asBool() ? 1 : 0); break;
    case K::Int: w.pod(v.asInt()); break;
    case K::Float: w.pod(v.asFloat()); break;
    case K::F32: w.pod(v.asF32()); break;
    case K::String: w.text(v.asString()); break;
    case K::Quantity:
        w.byte(static_cast<uint8_t>(v.asQuantity().kind));
        w.pod(v.asQuantity().value);
        break;
    case K::Tensor: {
        const Tensor& t = v.asTensor();
        w.byte(static_cast<uint8_t>(t.elem));
        w.pod<uint32_t>(static_cast<uint32_t>(t.dims.size()));
        for (int64_t d : t.dims) w.pod(d);
        w.bytes(t.buffer->data(), t.count() * elemSize(t.elem));
        break;
    }
    case K::Record:
        w.pod<uint32_t>(static_cast<uint32_t>(v.asRecord().fields.size()));
        for (const Field& f : v.asRecord().fields) {
            w.text(f.name);
            write(w, f.value);
        }
        break;
    case K::List:
        w.pod<uint64_t>(v.asList().size());
        for (const Value& item : v.asList()) write(w, item);
        break;
    }
}

class Reader {
public:
    Reader(const std::byte* p, std::size_t n, const std::string& where) : p_(p), n_(n), where_(where) {}
    void need(std::size_t k) {
        if (n_ - at_ < k) throw DataError(where_, "truncated value at byte " + std::to_string(at_));
    }
    uint8_t byte() {
        need(1);
        return static_cast<uint8_t>(p_[at_++]);
    }
    template <typename T>
    T pod() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, p_ + at_, sizeof(T));
        at_ += sizeof(T);
        return v;
    }
    std::string text() {
        const uint64_t len = pod<uint64_t>();
        need(len);
        std::string s(reinterpret_cast<const char*>(p_ + at_), len);
        at_ += len;
        return s;
    }
    const std::byte* take(std::size_t k) {
        need(k);
        const std::byte* p = p_ + at_;
        at_ += k;
        return p;
    }
    bool done() const { return at_ == n_; }
    [[noreturn]] void corrupt(const std::string& what) { throw DataError(where_, "corrupt value: " + what); }

private:
    const std::byte* p_;
    std::size_t n_, at_ = 0;
    const std::string& where_;
};

Value read(Reader& r, int depth) {
    if (depth > kMaxDepth) r.corrupt("nested deeper than " + std::to_string(kMaxDepth));
    const uint8_t kind = r.byte();
    switch (static_cast<K>(kind)) {
    case K::None: return Value::none();
    case K::Bool: return Value::boolean(r.byte() != 0);
    case K::Int: return Value::integer(r.pod<int64_t>());
    case K::Float: return Value::float64(r.pod<double>());
    case K::F32: return Value::float32(r.pod<float>());
    case K::String: return Value::string(r.text());
    case K::Quantity: {
        const uint8_t q = r.byte();
        if (q > static_cast<uint8_t>(QuantityKind::Bandwidth)) r.corrupt("unknown quantity kind");
        return Value::quantity(static_cast<QuantityKind>(q), r.pod<double>());
    }
    case K::Tensor: {
        const uint8_t e = r.byte();
        if (e > static_cast<uint8_t>(ElemType::I16)) r.corrupt("unknown element type");
        const uint32_t rank = r.pod<uint32_t>();
        if (rank > 32) r.corrupt("a tensor of rank " + std::to_string(rank));
        std::vector<int64_t> dims;
        uint64_t count = 1;
        for (uint32_t i = 0; i < rank; ++i) {
            const int64_t d = r.pod<int64_t>();
            if (d < 0 || (d > 0 && count > (uint64_t{1} << 40) / static_cast<uint64_t>(d))) r.corrupt("a bad dimension");
            dims.push_back(d);
            count *= static_cast<uint64_t>(d);
        }
        const std::size_t bytes = count * elemSize(static_cast<ElemType>(e));
        const std::byte* data = r.take(bytes);
        Tensor t = Tensor::uninitialized(static_cast<ElemType>(e), std::move(dims));
        if (bytes) std::memcpy(t.buffer->data(), data, bytes);
        return Value::tensor(std::move(t));
    }
    case K::Record: {
        const uint32_t n = r.pod<uint32_t>();
        RecordValue rec;
        for (uint32_t i = 0; i < n; ++i) {
            std::string name = r.text();
            rec.fields.push_back({std::move(name), read(r, depth + 1)});
        }
        return Value::record(std::move(rec));
    }
    case K::List: {
        const uint64_t n = r.pod<uint64_t>();
        std::vector<Value> items;
        for (uint64_t i = 0; i < n; ++i) items.push_back(read(r, depth + 1));
        return Value::list(std::move(items));
    }
    }
    r.corrupt("unknown kind " + std::to_string(kind));
}

}  // namespace

std::string encodeValue(const Value& v) {
    std::string out;
    encodeValueInto(out, v);
    return out;
}

void encodeValueInto(std::string& out, const Value& v) {
    Writer w(out);
    write(w, v);
}

Value decodeValue(const std::byte* data, std::size_t n, const std::string& where) {
    Reader r(data, n, where);
    Value v = read(r, 0);
    if (!r.done()) r.corrupt("trailing bytes");
    return v;
}

uint64_t payloadBytes(const Value& v) {
    switch (v.kind()) {
    case K::None: return 0;
    case K::Bool: return 1;
    case K::F32: return 4;
    case K::Int:
    case K::Float:
    case K::Quantity: return 8;
    case K::String: return v.asString().size();
    case K::Tensor: return v.asTensor().count() * elemSize(v.asTensor().elem);
    case K::Record: {
        uint64_t sum = 0;
        for (const Field& f : v.asRecord().fields) sum += payloadBytes(f.value);
        return sum;
    }
    case K::List: {
        uint64_t sum = 0;
        for (const Value& item : v.asList()) sum += payloadBytes(item);
        return sum;
    }
    }
    return 0;
}

}  // namespace xdml::runtime
