// Npy.cpp — see Npy.h. The header is a Python dict literal; it is parsed with a small reader
// rather than pattern matching, so spacing, key order, trailing commas and Python 2's `3L`
// integers written by other tools all read.
#include "runtime/io/Npy.h"

#include "runtime/io/DataError.h"
#include "runtime/io/PrintableName.h"
#include "runtime/io/RawElements.h"

#include <bit>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

namespace xdml::runtime {

static_assert(std::endian::native == std::endian::little,
              "the .npy and raw decoders copy little-endian elements as they are");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
constexpr std::size_t kAlign = 64;         // numpy aligns the data to this (ARRAY_ALIGN)
constexpr std::size_t kGrowthDigits = 21;  // numpy's GROWTH_AXIS_MAX_DIGITS
constexpr std::size_t kMaxDims = 64;       // numpy's NPY_MAXDIMS

struct Descr {
    const char* code;  // without the byte order
    ElemType elem;
    const char* written;  // how np.save spells it
};
constexpr Descr kDescrs[] = {
    {"f4", ElemType::F32, "<f4"},  {"f8", ElemType::F64, "<f8"}, {"i4", ElemType::I32, "<i4"},
    {"i8", ElemType::I64, "<i8"},  {"u1", ElemType::U8, "|u1"},  {"u2", ElemType::U16, "<u2"},
    {"b1", ElemType::Bool, "|b1"},  {"u4", ElemType::U32, "<u4"}, {"i2", ElemType::I16, "<i2"},
};

const char* written(ElemType e) {
    for (const Descr& d : kDescrs)
        if (d.elem == e) return d.written;
    return "?";
}

/// The three keys np.save writes; other keys are ignored.
struct Header {
    std::optional<std::string> descr;
    std::optional<bool> fortranOrder;
    std::optional<std::vector<int64_t>> shape;
};

/// Reads the header dict: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
class HeaderReader {
public:
    HeaderReader(const std::string& text, const std::string& where) : s_(text), where_(where) {}

    Header read() {
        Header h;
        expect('{');
        while (!eat('}')) {
            std::string key = readString();
            expect(':');
            if (key == "descr") {
                if (peek() == '[') fail("structured dtypes (a list of fields in 'descr') are not supported");
                h.descr = readString();
            } else if (key == "fortran_order") {
                h.fortranOrder = readBool();
            } else if (key == "shape") {
                h.shape = readShape();
            } else {
                skipValue();
            }
            if (!eat(',')) {
                expect('}');
                break;
            }
        }
        skipSpace();
        if (i_ != s_.size()) fail("text after the closing '}'");
        if (!h.descr || !h.fortranOrder || !h.shape)
            fail("it needs the keys 'descr', 'fortran_order' and 'shape'");
        return h;
    }

private:
    [[noreturn]] void fail(const std::string& why) const {
        // Shown trimmed and escaped: a corrupt header may hold NULs or a megabyte of junk.
        std::string shown;
        std::size_t end = s_.find_last_not_of(" \n");
        for (std::size_t k = 0; k < s_.size() && k <= end && k < 200; ++k) {
            unsigned char c = static_cast<unsigned char>(s_[k]);
            if (std::isprint(c)) {
                shown += static_cast<char>(c);
            } else {
                static const char kHex[] = "0123456789abcdef";
                shown += std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
            }
        }
        if (end != std::string::npos && end >= 200) shown += "...";
        throw DataError(where_, "bad .npy header " + shown + ": " + why);
    }
    void skipSpace() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    char peek() {
        skipSpace();
        return i_ < s_.size() ? s_[i_] : '\0';
    }
    bool eat(char c) {
        if (peek() != c) return false;
        ++i_;
        return true;
    }
    void expect(char c) {
        if (!eat(c)) fail(std::string("expected '") + c + "' at offset " + std::to_string(i_));
    }
    std::string readString() {
        char quote = peek();
        if (quote != '\'' && quote != '"') fail("expected a quoted string at offset " + std::to_string(i_));
        std::string out;
        for (++i_; i_ < s_.size() && s_[i_] != quote; ++i_) {
            if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
            out += s_[i_];
        }
        if (i_ >= s_.size()) fail("unterminated string");
        ++i_;
        return out;
    }
    std::string readWord() {
        skipSpace();
        std::size_t start = i_;
        while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) ++i_;
        return s_.substr(start, i_ - start);
    }
    bool readBool() {
        std::string w = readWord();
        if (w == "True") return true;
        if (w == "False") return false;
        fail("'fortran_order' must be True or False, not '" + w + "'");
    }
    std::vector<int64_t> readShape() {
        char close = eat('(') ? ')' : eat('[') ? ']' : '\0';
        if (!close) fail("'shape' must be a tuple of integers");
        std::vector<int64_t> dims;
        while (!eat(close)) {
            std::string w = readWord();
            if (!w.empty() && (w.back() == 'L' || w.back() == 'l')) w.pop_back();  // Python 2
            if (w.empty() || w.find_first_not_of("0123456789") != std::string::npos || w.size() > 18)
                fail("'shape' must hold non-negative integers, not '" + w + "'");
            dims.push_back(std::stoll(w));
            if (dims.size() > kMaxDims) fail("more than " + std::to_string(kMaxDims) + " dimensions");
            if (!eat(',')) {
                expect(close);
                break;
            }
        }
        return dims;
    }
    /// Skips a value of a key we do not use: a string, a word or number, or a bracketed group.
    void skipValue() {
        char c = peek();
        if (c == '\'' || c == '"') {
            readString();
        } else if (c == '(' || c == '[' || c == '{') {
            int depth = 0;
            do {
                char d = peek();
                if (d == '\'' || d == '"') {
                    readString();
                    continue;
                }
                if (d == '\0') fail("unbalanced brackets");
                if (d == '(' || d == '[' || d == '{') ++depth;
                if (d == ')' || d == ']' || d == '}') --depth;
                ++i_;
            } while (depth > 0);
        } else {
            if (c == '-' || c == '+') ++i_;
            if (readWord().empty()) fail("expected a value at offset " + std::to_string(i_));
            if (eat('.')) readWord();
        }
    }

    const std::string& s_;
    const std::string& where_;
    std::size_t i_ = 0;
};

ElemType elemOf(const std::string& descr, const std::string& where) {
    char order = descr.empty() ? '\0' : descr[0];
    bool hasOrder = order == '<' || order == '>' || order == '|' || order == '=';
    std::string code = hasOrder ? descr.substr(1) : descr;
    for (const Descr& d : kDescrs) {
        if (code != d.code) continue;
        // One-byte elements have no byte order; '=' and '|' mean this machine's, little-endian.
        if (order == '>' && elemSize(d.elem) > 1)
            throw DataError(where, "big-endian data ('" + descr +
                                       "') is not supported; save it little-endian, "
                                       "e.g. np.save(path, a.astype('<" +
                                       code + "'))");
        return d.elem;
    }
    throw DataError(where, "element type '" + descr +
                               "' is not one XDML has (it reads <f4 <f8 <i4 <i8 |u1 <u2 <u4 <i2 |b1: "
                               "f32 f64 i32 i64 u8 u16 u32 i16 bool)");
}

uint32_t readLittle(const std::byte* p, std::size_t n) {
    uint32_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
    return v;
}

std::string shapeRepr(const std::vector<int64_t>& dims) {
    std::string s = "(";
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + (dims.size() == 1 ? ",)" : ")");
}

}  // namespace

bool isNpy(const std::byte* data, std::size_t n) {
    return n >= kMagicLen && std::memcmp(data, kMagic, kMagicLen) == 0;
}

Tensor decodeNpy(const std::byte* data, std::size_t n, const std::string& where) {
    if (!isNpy(data, n)) throw DataError(where, "not an .npy file (it does not start with \\x93NUMPY)");
    if (n < kMagicLen + 4)
        throw DataError(where, "truncated: " + std::to_string(n) + " bytes end inside the .npy preamble");
    const int major = static_cast<int>(data[6]), minor = static_cast<int>(data[7]);
    if (major < 1 || major > 3)
        throw DataError(where, ".npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                                   " is not supported (1.0, 2.0 and 3.0 are)");
    const std::size_t lengthBytes = major == 1 ? 2 : 4;
    if (n < kMagicLen + 2 + lengthBytes)
        throw DataError(where, "truncated: the file ends inside the .npy preamble");
    const std::size_t headerLen = readLittle(data + kMagicLen + 2, lengthBytes);
    const std::size_t dataStart = kMagicLen + 2 + lengthBytes + headerLen;
    if (dataStart > n)
        throw DataError(where, "truncated: the .npy header says it is " + std::to_string(headerLen) +
                                   " bytes, the file has " +
                                   std::to_string(n - (kMagicLen + 2 + lengthBytes)) + " after the preamble");
    // Version 3.0 allows UTF-8 in the header; the keys and values we read are ASCII either way.
    std::string text(reinterpret_cast<const char*>(data) + kMagicLen + 2 + lengthBytes, headerLen);
    Header h = HeaderReader(text, where).read();

    ElemType elem = elemOf(*h.descr, where);
    std::vector<int64_t>& dims = *h.shape;
    if (*h.fortranOrder)
        throw DataError(where,
                        "Fortran-ordered data is not supported; save it in C order, "
                        "e.g. np.save(path, np.ascontiguousarray(a))");
    std::size_t count = 1;
    for (int64_t d : dims) {
        if (d != 0 &&
            count > std::numeric_limits<std::size_t>::max() / elemSize(elem) / static_cast<std::size_t>(d))
            throw DataError(where, "shape " + shapeRepr(dims) + " is too large");
        count *= static_cast<std::size_t>(d);
    }
    const std::size_t expected = count * elemSize(elem), available = n - dataStart;
    if (available < expected)
        throw DataError(where, "truncated: header says " + std::to_string(expected) +
                                   " bytes of data, file has " + std::to_string(available));
    if (available > expected)
        throw DataError(where, "trailing bytes: header says " + std::to_string(expected) +
                                   " bytes of data, file has " + std::to_string(available));
    return tensorFromLittleEndian(elem, std::move(dims), data + dataStart);
}

std::string encodeNpy(const Tensor& t) {
    std::string dict = std::string("{'descr': '") + written(t.elem) +
                       "', 'fortran_order': False, 'shape': " + shapeRepr(t.dims) + ", }";
    // np.save leaves room for the first axis to grow in place (numpy >= 1.24).
    if (!t.dims.empty()) {
        std::size_t digits = std::to_string(t.dims[0]).size();
        if (digits < kGrowthDigits) dict.append(kGrowthDigits - digits, ' ');
    }
    // numpy pads even an already aligned header by a full kAlign; copied for identical bytes.
    auto padFor = [&](std::size_t prefix) { return kAlign - ((prefix + dict.size() + 1) % kAlign); };
    std::size_t lengthBytes = 2;
    std::size_t pad = padFor(kMagicLen + 2 + 2);
    if (dict.size() + 1 + pad > 0xffff) {
        lengthBytes = 4;
        pad = padFor(kMagicLen + 2 + 4);
    }
    const std::size_t headerLen = dict.size() + pad + 1;
    const std::size_t dataBytes = t.count() * elemSize(t.elem);

    std::string out(kMagic, kMagicLen);
    out += static_cast<char>(lengthBytes == 2 ? 1 : 2);
    out += '\0';
    for (std::size_t i = 0; i < lengthBytes; ++i) out += static_cast<char>((headerLen >> (8 * i)) & 0xff);
    out += dict;
    out.append(pad, ' ');
    out += '\n';
    if (dataBytes) out.append(reinterpret_cast<const char*>(t.buffer->data()), dataBytes);
    return out;
}

std::size_t maxNpyBytes(std::size_t count, std::size_t elemBytes) {
    constexpr std::size_t kLongestHeader = kMagicLen + 2 + 2 + 0xffff;
    constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
    if (elemBytes && count > (kMax - kLongestHeader) / elemBytes) return kMax;
    return kLongestHeader + count * elemBytes;
}

Tensor readNpyFile(const std::filesystem::path& file, const ByteLimit& limit) {
    const std::vector<std::byte> bytes = readDataFile(file, limit);
    return decodeNpy(bytes.data(), bytes.size(), printableName(file.string()));
}

}  // namespace xdml::runtime
