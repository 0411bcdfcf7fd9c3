// Uri.cpp — only the `file` scheme: the compiler reads files; other schemes have no path.
#include "lsp/Uri.h"

#include <cctype>

namespace xdml::lsp {

namespace {

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string uriToPath(std::string_view uri) {
    constexpr std::string_view scheme = "file://";
    if (uri.size() < scheme.size()) return "";
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(uri[i])) != scheme[i]) return "";
    uri.remove_prefix(scheme.size());
    // `file://host/path`: the authority is dropped (`localhost` or empty in practice).
    std::size_t slash = uri.find('/');
    if (slash == std::string_view::npos) return "";
    uri.remove_prefix(slash);
    uri = uri.substr(0, uri.find_first_of("?#"));
    std::string path;
    for (std::size_t i = 0; i < uri.size(); ++i) {
        if (uri[i] == '%') {
            int hi = i + 2 < uri.size() ? hexValue(uri[i + 1]) : -1;
            int lo = i + 2 < uri.size() ? hexValue(uri[i + 2]) : -1;
            if (hi < 0 || lo < 0) return "";
            path += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            path += uri[i];
        }
    }
    return path;
}

std::string pathToUri(std::string_view path) {
    static const char* hex = "0123456789ABCDEF";
    std::string uri = "file://";
    if (path.empty() || path.front() != '/') uri += '/';
    for (char c : path) {
        auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            uri += c;
        } else {
            uri += '%';
            uri += hex[u >> 4];
            uri += hex[u & 15];
        }
    }
    return uri;
}

}  // namespace xdml::lsp
