// StreamTestSupport.h — what the stream and .npy tests share: scratch folders, declared tensor
// types, small tensors to send, and reading a source with a deadline so a bug cannot hang ctest.
#pragma once

#include "runtime/interp/Program.h"
#include "runtime/streams/Source.h"
#include "runtime/values/Tensor.h"

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "TempDir.h"

namespace xdml::test {

/// A scratch folder for one test.
struct ScratchDir : TempDir {
    ScratchDir() : TempDir("xdml_streams") {}
};

/// The declared type `tensor<elem>[dims]`, -1 for `?`.
inline runtime::TypeDesc tensorType(runtime::ElemType elem, std::vector<int64_t> dims) {
    runtime::TypeDesc t;
    t.kind = runtime::TypeDesc::Kind::Tensor;
    t.elem = elem;
    t.dims = std::move(dims);
    return t;
}

inline runtime::TypeDesc scalarType(runtime::TypeDesc::Kind kind) {
    runtime::TypeDesc t;
    t.kind = kind;
    return t;
}

/// An f32 tensor whose elements are start, start+1, ...
inline runtime::Tensor f32Counting(std::vector<int64_t> dims, float start) {
    runtime::Tensor t = runtime::Tensor::zeros(runtime::ElemType::F32, std::move(dims));
    for (std::size_t i = 0; i < t.count(); ++i) t.data<float>()[i] = start + static_cast<float>(i);
    return t;
}

inline bool sameTensor(const runtime::Tensor& a, const runtime::Tensor& b) {
    return a.elem == b.elem && a.dims == b.dims &&
           std::memcmp(a.buffer->data(), b.buffer->data(), a.count() * runtime::elemSize(a.elem)) == 0;
}

inline void writeFile(const std::filesystem::path& file, const std::string& bytes) {
    std::ofstream out(file, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Reads up to `n` items; stops the source (so next() returns false) if they take longer than
/// `limit`, which turns a hang into a failed count.
inline std::vector<runtime::SourceItem> collect(runtime::Source& source, std::size_t n,
                                                std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::atomic<bool> done{false};
    std::thread watchdog([&] {
        auto end = std::chrono::steady_clock::now() + limit;
        while (!done.load() && std::chrono::steady_clock::now() < end)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (!done.load()) source.stop();
    });
    std::vector<runtime::SourceItem> items;
    runtime::SourceItem item;
    while (items.size() < n && source.next(item)) items.push_back(std::move(item));
    done.store(true);
    watchdog.join();
    return items;
}

}  // namespace xdml::test
