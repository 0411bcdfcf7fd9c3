// ItemDecoding.cpp — see ItemDecoding.h.
#include "runtime/streams/ItemDecoding.h"

#include "runtime/io/ConformItem.h"
#include "runtime/io/DataError.h"
#include "runtime/io/Npy.h"
#include "runtime/io/PrintableName.h"
#include "runtime/io/RawElements.h"

namespace xdml::runtime {

SourceItem readFileItem(const std::filesystem::path& file, const TypeDesc& itemType) {
    SourceItem item;
    item.origin = file.string();
    std::error_code ec;
    auto size = std::filesystem::file_size(file, ec);
    item.bytes = ec ? 0 : size;
    using K = TypeDesc::Kind;
    // A `string` stream of files also gets the path: reading text files whole is std.io's read().
    if (itemType.kind == K::Path || itemType.kind == K::String) {
        item.value = Value::string(file.string());
        return item;
    }
    if (itemType.kind != K::Tensor) {
        item.error = printableName(item.origin) + ": cannot decode a file into " + describeItemType(itemType);
        return item;
    }
    try {
        item.value = conformItem(readNpyFile(file, npyFileLimit(itemType)), itemType, printableName(item.origin));
    } catch (const DataError& e) {
        item.error = e.what();
    }
    return item;
}

SourceItem decodeMessageItem(const std::byte* data, std::size_t n, const TypeDesc& itemType,
                             std::string origin) {
    SourceItem item;
    item.origin = std::move(origin);
    item.bytes = n;
    using K = TypeDesc::Kind;
    if (itemType.kind == K::String) {
        item.value = Value::string(std::string(reinterpret_cast<const char*>(data), n));
        return item;
    }
    const std::string shown = printableName(item.origin);
    if (itemType.kind != K::Tensor) {
        item.error = shown + ": cannot decode a message into " + describeItemType(itemType);
        return item;
    }
    try {
        Tensor t;
        if (isNpy(data, n)) {
            t = decodeNpy(data, n, shown);
        } else {
            try {
                t = decodeRaw(data, n, itemType, shown);
            } catch (const DataError& e) {
                throw DataError(shown,
                                "neither .npy (no \\x93NUMPY magic) nor raw elements: " + e.problem());
            }
        }
        item.value = conformItem(std::move(t), itemType, shown);
    } catch (const DataError& e) {
        item.error = e.what();
    }
    return item;
}

}  // namespace xdml::runtime
