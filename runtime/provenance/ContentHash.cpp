// ContentHash.cpp — see ContentHash.h.
#include "runtime/provenance/ContentHash.h"

#include "runtime/provenance/ProvenanceError.h"

namespace xdml::runtime::prov {

std::string contentHashOfFile(const std::filesystem::path& file) {
    std::string hash, error;
    if (!planformat::hashFile(file, hash, error))
        throw ProvenanceError(file.string() + ": cannot read for its content hash (" + error + ")");
    return hash;
}

}  // namespace xdml::runtime::prov
