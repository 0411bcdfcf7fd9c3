// Params.cpp — a dotted path walked one key at a time, so an error names the first field that
// is wrong.
#include "lsp/Params.h"

#include <limits>

namespace xdml::lsp {

namespace {

std::string join(std::string_view prefix, std::string_view path) {
    if (prefix.empty()) return std::string(path);
    return std::string(prefix) + "." + std::string(path);
}

[[noreturn]] void fail(std::string_view prefix, std::string_view path, const std::string& what) {
    throw ParamsError("'" + join(prefix, path) + "' " + what);
}

/// The field or nullptr when absent; throws when an object on the way is not an object.
const Json* lookup(const Json& object, std::string_view path, std::string_view prefix) {
    const Json* at = &object;
    std::size_t start = 0;
    while (true) {
        if (!at->is_object()) {
            if (start == 0 && prefix.empty()) throw ParamsError("params must be an object");
            if (start == 0) throw ParamsError("'" + std::string(prefix) + "' must be an object");
            fail(prefix, path.substr(0, start - 1), "must be an object");
        }
        std::size_t dot = path.find('.', start);
        std::size_t end = dot == std::string_view::npos ? path.size() : dot;
        auto it = at->find(std::string(path.substr(start, end - start)));
        if (it == at->end()) return nullptr;
        at = &*it;
        if (dot == std::string_view::npos) return at;
        start = dot + 1;
    }
}

}  // namespace

const Json& requiredField(const Json& object, std::string_view path, std::string_view prefix) {
    const Json* field = lookup(object, path, prefix);
    if (!field) {
        // Name the first missing step: `'textDocument' is missing`, not `'textDocument.uri'`.
        std::size_t dot = 0;
        while ((dot = path.find('.', dot)) != std::string_view::npos) {
            if (!lookup(object, path.substr(0, dot), prefix)) fail(prefix, path.substr(0, dot), "is missing");
            ++dot;
        }
        fail(prefix, path, "is missing");
    }
    return *field;
}

const std::string& requiredString(const Json& object, std::string_view path, std::string_view prefix) {
    const Json& field = requiredField(object, path, prefix);
    if (!field.is_string()) fail(prefix, path, "must be a string");
    return field.get_ref<const std::string&>();
}

uint32_t requiredIndex(const Json& object, std::string_view path, std::string_view prefix) {
    const Json& field = requiredField(object, path, prefix);
    bool ok = field.is_number_unsigned() ||
              (field.is_number_integer() && field.get<int64_t>() >= 0);
    if (!ok || field.get<uint64_t>() > std::numeric_limits<uint32_t>::max())
        fail(prefix, path, "must be a non-negative integer");
    return static_cast<uint32_t>(field.get<uint64_t>());
}

const Json& requiredArray(const Json& object, std::string_view path, std::string_view prefix) {
    const Json& field = requiredField(object, path, prefix);
    if (!field.is_array()) fail(prefix, path, "must be an array");
    return field;
}

int64_t optionalInteger(const Json& object, std::string_view path, int64_t fallback, std::string_view prefix) {
    const Json* field = lookup(object, path, prefix);
    if (!field || field->is_null()) return fallback;
    if (!field->is_number_integer()) fail(prefix, path, "must be an integer");
    if (field->is_number_unsigned() && field->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
        fail(prefix, path, "must be an integer");
    return field->get<int64_t>();
}

}  // namespace xdml::lsp
