// fuzz_value_codec.cpp — libFuzzer target: the value codec's decoder (runtime/io/ValueCodec.h),
// which reads what another site wrote. A corrupt or truncated buffer must be a DataError; what
// decodes must encode to bytes that decode to the same value, and have a payload size.
#include "runtime/io/DataError.h"
#include "runtime/io/ValueCodec.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace xdml::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    try {
        Value value = decodeValue(reinterpret_cast<const std::byte*>(data), size, "fuzz");
        (void)payloadBytes(value);
        std::string encoded = encodeValue(value);
        Value again = decodeValue(reinterpret_cast<const std::byte*>(encoded.data()), encoded.size(), "re-encoded");
        if (encodeValue(again) != encoded) __builtin_trap();  // bit for bit, as the header promises
    } catch (const DataError&) {
        // the decoder's answer to a corrupt buffer
    }
    return 0;
}
