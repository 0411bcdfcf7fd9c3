// ContentHash.h — the content hash of every entity (planformat/ContentHash.h: XXH64, shared
// with the compiler, which hashes Python modules into the plan), and of files the store reads.
#pragma once

#include "planformat/ContentHash.h"

namespace xdml::runtime::prov {

using planformat::ContentHasher;
using planformat::contentHash;
using planformat::hashHex;
using planformat::xxh64;

/// The content hash of a file's bytes. A file that cannot be read is a ProvenanceError
/// naming it.
std::string contentHashOfFile(const std::filesystem::path& file);

}  // namespace xdml::runtime::prov
