// Params.h — reading the fields of a request's or notification's params, with errors that
// name the field by its path (`'position.line' must be a non-negative integer`), never the
// JSON library's exception text.
#pragma once

#include "lsp/Framing.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace xdml::lsp {

/// A missing or mistyped field; the message is for the client.
struct ParamsError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

/// The field at the dotted `path` under `object` (`"textDocument.uri"`). `prefix` is the path
/// of `object` itself in messages (`"contentChanges[0]"`, or "" for the params). Throws
/// ParamsError when the field or an object on the way is missing or not an object.
const Json& requiredField(const Json& object, std::string_view path, std::string_view prefix = "");
const std::string& requiredString(const Json& object, std::string_view path, std::string_view prefix = "");
/// A non-negative integer that fits 32 bits (LSP's `uinteger`: lines, characters).
uint32_t requiredIndex(const Json& object, std::string_view path, std::string_view prefix = "");
const Json& requiredArray(const Json& object, std::string_view path, std::string_view prefix = "");
/// An integer field that may be absent (or null): `fallback` then.
int64_t optionalInteger(const Json& object, std::string_view path, int64_t fallback, std::string_view prefix = "");

}  // namespace xdml::lsp
