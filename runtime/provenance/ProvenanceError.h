// ProvenanceError.h — a provenance store that cannot be opened or written: not a database, a
// newer schema, an unwritable place, a group the writer could not commit. The message always
// names the database file, so a user can act on it without a debugger.
#pragma once

#include <stdexcept>
#include <string>

namespace xdml::runtime::prov {

class ProvenanceError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace xdml::runtime::prov
