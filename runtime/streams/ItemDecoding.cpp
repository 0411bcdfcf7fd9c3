// ItemDecoding.cpp — see ItemDecoding.h.
#include "runtime/streams/ItemDecoding.h"

#include "runtime/io/ConformItem.h"
#include "runtime/io/DataError.h"
#include "runtime/io/DataFile.h"
#include "runtime/io/Hdf5.h"
#include "runtime/io/Npy.h"
#include "runtime/io/PrintableName.h"
#include "runtime/io/RawElements.h"
#include "runtime/provenance/ContentHash.h"

#include "planformat/FileTargets.h"

#include <cstdint>

namespace xdml::runtime {

SourceItem readFileItem(const std::filesystem::path& file, const TypeDesc& itemType, const FileOptions& options) {
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
    const std::string shown = printableName(item.origin);
    try {
        const bool raw = options.format == FileOptions::Format::Raw ||
                         (options.format == FileOptions::Format::ByExtension &&
                          planformat::fileTarget(file.string()).format == planformat::FileFormat::Raw);
        if (raw) {
            item.value = Value::tensor(readRawFile(file, itemType));
        } else {
            item.value = conformItem(readNpyFile(file, npyFileLimit(itemType)), itemType, shown);
        }
    } catch (const DataError& e) {
        item.error = e.what();
    }
    return item;
}

FileItems::FileItems(std::filesystem::path file, const TypeDesc& itemType, const FileOptions& options)
    : file_(std::move(file)), itemType_(itemType), options_(options) {
    if (options_.dataset.empty() || itemType_.kind != TypeDesc::Kind::Tensor) return;
    try {
        frames_ = std::make_unique<Hdf5Items>(file_, options_.dataset, itemType_);
    } catch (const DataError& e) {
        openError_ = e.what();
    }
}

FileItems::~FileItems() = default;

std::size_t FileItems::size() const { return frames_ ? frames_->size() : 1; }

namespace {

/// A tensor item's content hash, as the run would take it (contentHashOf): its elements' bytes.
void hashItem(SourceItem& item) {
    if (!item.value.is(Value::Kind::Tensor)) return;
    const Tensor& t = item.value.asTensor();
    item.hash = prov::contentHash(t.buffer->data(), t.count() * elemSize(t.elem));
}

}  // namespace

SourceItem FileItems::item(std::size_t i) const {
    SourceItem item = decode(i);
    if (options_.hashItems && item.error.empty() && item.hash.empty()) hashItem(item);
    return item;
}

SourceItem FileItems::decode(std::size_t i) const {
    if (!frames_ && openError_.empty()) return readFileItem(file_, itemType_, options_);
    SourceItem item;
    if (!frames_) {
        item.origin = file_.string();
        item.error = openError_;
        return item;
    }
    item.origin = frames_->origin(i);
    item.bytes = frames_->itemBytes();
    try {
        item.value = Value::tensor(frames_->read(i, options_.hashItems ? &item.hash : nullptr));
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
