// fuzz_hdf5.cpp — libFuzzer target: the HDF5 reader (runtime/io/Hdf5.h) on arbitrary bytes as
// a file, as files() or watch() with `dataset:` meets whatever lands in a folder. Every input
// must give frames or a DataError naming the file: the HDF5 library's own parsing runs, then
// XDML's checks and its checked LZ4 and bitshuffle decoders (which stand in for the plugins').
// The declared type is tried for every element type, with both dimensions `?`, and as one item.
#include "runtime/io/DataError.h"
#include "runtime/io/Hdf5.h"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

using namespace xdml::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    static const std::string file = "/tmp/xdml-fuzz-hdf5-" + std::to_string(::getpid()) + ".h5";
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
#define XDML_FUZZ_ELEM(Enumerator, Spelling, Bytes, Doc) ElemType::Enumerator,
    for (ElemType elem : {XDML_ELEM_TYPES(XDML_FUZZ_ELEM)}) {
        TypeDesc frame;
        frame.kind = TypeDesc::Kind::Tensor;
        frame.elem = elem;
        frame.dims = {-1, -1};
        for (const char* dataset : {"/entry/data/data", "/data"}) {
            try {
                Hdf5Items items(file, dataset, frame);
                for (std::size_t i = 0; i < items.size() && i < 16; ++i) {
                    Tensor t = items.read(i);
                    if (t.elem != elem || t.dims.size() != 2) __builtin_trap();
                    (void)items.origin(i);
                }
            } catch (const DataError&) {
                // the reader's answer to a malformed file
            }
        }
    }
#undef XDML_FUZZ_ELEM
    ::unlink(file.c_str());
    return 0;
}
