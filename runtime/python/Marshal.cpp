// Marshal.cpp — see Marshal.h. The codes are CPython's Python/marshal.c.
#include "runtime/python/Marshal.h"

#include <cstring>
#include <limits>

namespace xdml::runtime::python {

namespace {

constexpr unsigned char kFlagRef = 0x80;
constexpr std::size_t kMaxDepth = 2000;  // CPython's own MAX_MARSHAL_STACK_DEPTH

class Reader {
public:
    explicit Reader(std::string_view bytes) : bytes_(bytes) {}

    PyValuePtr value(std::size_t depth) {
        if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth));
        const std::size_t at = pos_;
        const unsigned char code = byte();
        const bool flagged = code & kFlagRef;
        const char type = static_cast<char>(code & ~kFlagRef);
        if (type == 'r') {
            const uint32_t index = u32();
            if (index >= refs_.size() || !refs_[index]) fail("a back-reference to object " + std::to_string(index) + ", which is not there", at);
            // A container holding itself would make a cycle: plain data has none.
            if (!complete_[index]) fail("a back-reference to a list or dict from inside itself", at);
            return refs_[index];
        }
        auto v = std::make_shared<PyValue>();
        // A container is registered before its contents, as CPython does, so indexes agree.
        const std::size_t slot = refs_.size();
        if (flagged) {
            refs_.push_back(v);
            complete_.push_back(false);
        }
        switch (type) {
        case 'N': break;
        case 'T': case 'F': v->kind = PyValue::Kind::Bool; v->boolean = type == 'T'; break;
        case 'i': v->kind = PyValue::Kind::Int; v->integer = static_cast<int32_t>(u32()); break;
        case 'l': readLong(*v); break;
        case 'g': {
            v->kind = PyValue::Kind::Float;
            const uint64_t bits = u64();
            std::memcpy(&v->real, &bits, sizeof bits);
            break;
        }
        case 'u': case 't': case 'a': case 'A':
            v->kind = PyValue::Kind::Str;
            v->text = std::string(take(u32()));
            break;
        case 'z': case 'Z':
            v->kind = PyValue::Kind::Str;
            v->text = std::string(take(byte()));
            break;
        case 's':
            v->kind = PyValue::Kind::Bytes;
            v->text = std::string(take(u32()));
            break;
        case '(': case '[': case ')': {
            v->kind = PyValue::Kind::List;
            const std::size_t n = type == ')' ? byte() : u32();
            if (n > bytes_.size() - pos_) fail("a list of " + std::to_string(n) + " items in " + std::to_string(bytes_.size() - pos_) + " bytes", at);
            v->items.reserve(n);
            for (std::size_t i = 0; i < n; ++i) v->items.push_back(value(depth + 1));
            break;
        }
        case '{':
            v->kind = PyValue::Kind::Dict;
            for (;;) {
                if (peek() == '0') {
                    ++pos_;
                    break;
                }
                const std::size_t keyAt = pos_;
                PyValuePtr key = value(depth + 1);
                if (key->kind != PyValue::Kind::Str) fail(std::string("a dict key of type ") + key->typeName() + "; only str keys are read", keyAt);
                v->entries.emplace_back(key->text, value(depth + 1));
            }
            break;
        default:
            fail(std::string("a value of marshal type '") + (type >= 32 && type < 127 ? std::string(1, type) : "\\x" + std::to_string(static_cast<int>(code))) +
                     "', which a value for XDML cannot be (a set, complex number, code object or the like)",
                 at);
        }
        if (flagged) complete_[slot] = true;
        return v;
    }

    bool atEnd() const { return pos_ == bytes_.size(); }
    std::size_t pos() const { return pos_; }

private:
    [[noreturn]] void fail(const std::string& what, std::size_t at = std::numeric_limits<std::size_t>::max()) const {
        throw MarshalError("marshal data at byte " + std::to_string(at == std::numeric_limits<std::size_t>::max() ? pos_ : at) + ": " + what);
    }
    unsigned char peek() {
        if (pos_ >= bytes_.size()) fail("ends too early");
        return static_cast<unsigned char>(bytes_[pos_]);
    }
    unsigned char byte() {
        const unsigned char b = peek();
        ++pos_;
        return b;
    }
    std::string_view take(std::size_t n) {
        if (n > bytes_.size() - pos_) fail("ends too early (" + std::to_string(n) + " bytes wanted)");
        std::string_view s = bytes_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    uint32_t u32() {
        std::string_view s = take(4);
        uint32_t v = 0;
        for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[static_cast<std::size_t>(i)]);
        return v;
    }
    uint64_t u64() {
        const uint64_t lo = u32();
        return static_cast<uint64_t>(u32()) << 32 | lo;
    }
    /// A long: a signed count of 15-bit digits, least significant first.
    void readLong(PyValue& v) {
        v.kind = PyValue::Kind::Int;
        const auto count = static_cast<int32_t>(u32());
        const bool negative = count < 0;
        const uint64_t n = negative ? static_cast<uint64_t>(-static_cast<int64_t>(count)) : static_cast<uint64_t>(count);
        if (n > (bytes_.size() - pos_) / 2) fail("a long of " + std::to_string(n) + " digits in " + std::to_string(bytes_.size() - pos_) + " bytes");
        unsigned __int128 magnitude = 0;
        for (uint64_t i = 0; i < n; ++i) {
            std::string_view d = take(2);
            const unsigned digit = static_cast<unsigned char>(d[0]) | static_cast<unsigned>(static_cast<unsigned char>(d[1])) << 8;
            if (digit >= (1u << 15)) fail("a long digit out of range");
            if (i < 5) magnitude |= static_cast<unsigned __int128>(digit) << (15 * i);
            else if (digit != 0) v.tooBig = true;  // 5 digits hold 75 bits: any more is past int64
        }
        const unsigned __int128 limit = negative ? (static_cast<unsigned __int128>(1) << 63) : (static_cast<unsigned __int128>(1) << 63) - 1;
        if (v.tooBig || magnitude > limit) {
            v.tooBig = true;
            return;
        }
        v.integer = negative ? static_cast<int64_t>(-static_cast<__int128>(magnitude)) : static_cast<int64_t>(magnitude);
    }

    std::string_view bytes_;
    std::size_t pos_ = 0;
    std::vector<PyValuePtr> refs_;
    std::vector<bool> complete_;  // refs_[i] has been read whole
};

}  // namespace

void MarshalWriter::u32(uint32_t v) {
    char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
    out_.append(b, 4);
}

void MarshalWriter::sized(char code, std::size_t n) {
    if (n > std::numeric_limits<int32_t>::max()) throw MarshalError("a list of " + std::to_string(n) + " items is more than Python's marshal takes");
    out_ += code;
    u32(static_cast<uint32_t>(n));
}

void MarshalWriter::integer(int64_t i) {
    if (i >= std::numeric_limits<int32_t>::min() && i <= std::numeric_limits<int32_t>::max()) {
        out_ += 'i';
        u32(static_cast<uint32_t>(static_cast<int32_t>(i)));
        return;
    }
    // A long: 15-bit digits of the magnitude, least significant first, the sign on the count.
    uint64_t magnitude = i < 0 ? static_cast<uint64_t>(0) - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
    std::vector<uint16_t> digits;
    for (; magnitude; magnitude >>= 15) digits.push_back(static_cast<uint16_t>(magnitude & 0x7FFF));
    out_ += 'l';
    const auto count = static_cast<int32_t>(digits.size());
    u32(static_cast<uint32_t>(i < 0 ? -count : count));
    for (uint16_t d : digits) {
        out_ += static_cast<char>(d & 0xFF);
        out_ += static_cast<char>(d >> 8);
    }
}

void MarshalWriter::real(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    out_ += 'g';
    u32(static_cast<uint32_t>(bits));
    u32(static_cast<uint32_t>(bits >> 32));
}

void MarshalWriter::text(std::string_view text) {
    if (text.size() > std::numeric_limits<int32_t>::max()) throw MarshalError("a string of " + std::to_string(text.size()) + " bytes is more than Python's marshal takes");
    out_ += 'u';
    u32(static_cast<uint32_t>(text.size()));
    out_.append(text);
}

const char* PyValue::typeName() const {
    switch (kind) {
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    }
    return "object";
}

PyValuePtr readMarshal(std::string_view bytes) {
    Reader reader(bytes);
    PyValuePtr v = reader.value(0);
    if (!reader.atEnd()) throw MarshalError("marshal data at byte " + std::to_string(reader.pos()) + ": " + std::to_string(bytes.size() - reader.pos()) + " bytes after the value");
    return v;
}

}  // namespace xdml::runtime::python
