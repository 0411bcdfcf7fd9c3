// CatalogError.h — a catalog that cannot be opened or written: not a database, a table whose
// columns differ from the declared record, a record that does not fit. The message names the
// database file and the table.
#pragma once

#include <stdexcept>
#include <string>

namespace xdml::runtime {

class CatalogError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace xdml::runtime
