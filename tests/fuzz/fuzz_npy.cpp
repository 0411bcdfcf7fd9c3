// fuzz_npy.cpp — libFuzzer target: the .npy decoder (runtime/io/Npy.h) on arbitrary bytes.
// Whatever lands in a watched folder or arrives in a message reaches it, so every input must
// decode or be a DataError; and what decodes must encode to bytes that decode to the same.
#include "runtime/io/DataError.h"
#include "runtime/io/Npy.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace xdml::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const auto* bytes = reinterpret_cast<const std::byte*>(data);
    (void)isNpy(bytes, size);
    try {
        Tensor tensor = decodeNpy(bytes, size, "fuzz.npy");
        // Re-encoding is canonical (np.save's layout), so one more round trip changes nothing.
        std::string encoded = encodeNpy(tensor);
        Tensor again = decodeNpy(reinterpret_cast<const std::byte*>(encoded.data()), encoded.size(), "re-encoded");
        if (encodeNpy(again) != encoded) __builtin_trap();
    } catch (const DataError&) {
        // the decoder's answer to a malformed file
    }
    return 0;
}
