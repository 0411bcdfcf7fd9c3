// Uri.h — `file://` URIs to paths and back, with percent-encoding (RFC 3986), as editors send them.
#pragma once

#include <string>
#include <string_view>

namespace xdml::lsp {

/// The path of a `file://` URI, percent-decoded ("" when it is not a file URI or malformed).
std::string uriToPath(std::string_view uri);
/// `file:///abs/path`, with every byte outside the unreserved set and '/' percent-encoded.
std::string pathToUri(std::string_view path);

}  // namespace xdml::lsp
