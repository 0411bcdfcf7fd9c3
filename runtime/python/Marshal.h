// Marshal.h — the bytes a run and its Python workers exchange (worker.py): Python's own
// `marshal` format, which CPython reads and writes in C, so a call costs the worker two C
// calls instead of a Python-level decoder. The writer emits the version-2 codes every
// CPython reads; the reader takes everything `marshal.dumps` (version 4) makes of plain data,
// back-references included, and refuses the rest (code objects, sets, complex numbers) with
// the place where it stopped.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xdml::runtime::python {

/// Bytes that are not the marshal data a worker sends.
class MarshalError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class MarshalWriter {
public:
    void none() { out_ += 'N'; }
    void boolean(bool b) { out_ += b ? 'T' : 'F'; }
    void integer(int64_t i);
    void real(double d);
    /// A str: `text` must be UTF-8 (Python refuses anything else when it reads it).
    void text(std::string_view text);
    void beginList(std::size_t n) { sized('[', n); }
    void beginTuple(std::size_t n) { sized('(', n); }
    /// A dict's entries follow as key (text) and value pairs, then endDict.
    void beginDict() { out_ += '{'; }
    void endDict() { out_ += '0'; }

    std::string& bytes() { return out_; }

private:
    void sized(char code, std::size_t n);
    void u32(uint32_t v);
    std::string out_;
};

/// A Python value as marshal carried it.
struct PyValue {
    enum class Kind { None, Bool, Int, Float, Str, Bytes, List, Dict };
    Kind kind = Kind::None;
    bool boolean = false;
    int64_t integer = 0;
    bool tooBig = false;  // Int: outside int64
    double real = 0;
    std::string text;     // Str (UTF-8), Bytes
    std::vector<std::shared_ptr<const PyValue>> items;                          // List (and tuples)
    std::vector<std::pair<std::string, std::shared_ptr<const PyValue>>> entries;  // Dict, str keys

    /// Python's name of its type, for messages: "int", "str", "list", ...
    const char* typeName() const;
};
using PyValuePtr = std::shared_ptr<const PyValue>;

/// Reads one marshalled value that fills `bytes`. Throws MarshalError naming the offset.
PyValuePtr readMarshal(std::string_view bytes);

}  // namespace xdml::runtime::python
