// PythonValues.h — XDML values as the Python values a task's function gets, and its result
// back as a value of the task's declared type (LANGUAGE.md §9): tensors as NumPy arrays in the
// shared arena (read-only inputs), records as dicts, lists as lists, string and path as str,
// int, float and bool as themselves, quantities as numbers in base units. A result is never
// converted silently but for what cannot lose anything (an int for a float, a NumPy safe cast,
// a nested list of numbers for a tensor): anything else is a ResultMismatch naming its place.
#pragma once

#include "runtime/interp/Program.h"
#include "runtime/python/Marshal.h"
#include "runtime/values/SharedBlocks.h"
#include "runtime/values/Value.h"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace xdml::runtime::python {

/// A call's arguments laid out for a worker: the marshal of (0, task, args, tensors, arena
/// size, spin reads, blocks to map, blocks to forget). A tensor in a shared block
/// (SharedBlocks.h) is passed as its place in the block, without a copy; any other has its
/// bytes copied to its offset in the worker's arena.
class CallMessage {
public:
    /// `args` must outlive the message: it refers to their tensors.
    CallMessage(int task, const std::vector<Value>& args);
    /// The arena bytes the call's tensors take.
    std::size_t arenaBytes() const { return arenaBytes_; }
    /// The shared blocks the call's tensors are in (each once).
    const std::vector<const SharedBlock*>& blocks() const { return blocks_; }
    /// The message body, for an arena of `arenaSize` bytes. `spinReads`: how many reads the
    /// worker tries without blocking when it waits for its next call (worker.py); `mapped`:
    /// the blocks whose descriptors go with the message, in order; `forget`: blocks the
    /// worker unmaps.
    std::string body(std::size_t arenaSize, int spinReads = 0, const std::vector<const SharedBlock*>& mapped = {},
                     const std::vector<uint64_t>& forget = {}) const;
    /// Copies the tensors not in shared blocks into the arena (at least arenaBytes() long).
    void copyTensors(std::byte* arena) const;
    /// Passes the tensors in `block` through the arena instead (a call with more new blocks
    /// than one message can carry descriptors for).
    void copyInstead(const SharedBlock* block);

private:
    struct Placed {
        std::string path;  // marshal of the tuple of indexes and keys
        const Tensor* tensor;
        std::size_t offset;                  // in the arena, or in the block
        const SharedBlock* block = nullptr;  // the shared block it is in, or null: the arena
    };
    std::vector<const SharedBlock*> blocks_;
    void value(const Value& v, std::vector<std::string>& path, MarshalWriter& out);
    void items(const std::vector<Value>& list, std::vector<std::string>& path, MarshalWriter& out);

    int task_;
    std::string args_;
    std::vector<Placed> tensors_;
    std::size_t arenaBytes_ = 0;
};

/// A result that is not a value of the declared type: `where` is its place ("result",
/// "result['peaks'][2]"), `what` the problem.
class ResultMismatch : public std::runtime_error {
public:
    ResultMismatch(std::string where, const std::string& what)
        : std::runtime_error(where + ": " + what), where_(std::move(where)) {}
    const std::string& where() const { return where_; }

private:
    std::string where_;
};

/// An array the worker left in the arena.
struct ArenaTensor {
    ElemType elem = ElemType::F32;
    std::vector<int64_t> dims;
    std::size_t offset = 0;
};

/// The bytes that stand for tensor `i` of a result (worker.py's TENSOR_MARK).
bool isTensorMark(const PyValue& v, std::size_t& index);

/// `result` as a value of `declared`; tensors are copied out of `arena` (`arenaSize` bytes).
/// Throws ResultMismatch.
Value resultValue(const PyValue& result, const TypeDesc& declared, const Program& program,
                  const std::vector<ArenaTensor>& tensors, const std::byte* arena, std::size_t arenaSize);

/// An element type from its NumPy dtype name ("float32"); false for one XDML lacks.
bool elemTypeOfDtype(const std::string& dtype, ElemType& elem);

}  // namespace xdml::runtime::python
