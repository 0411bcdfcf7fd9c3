// FramingTestSupport.h — language-server messages for the framing tests: a body framed as the
// protocol frames it, and every message a reader yields.
#pragma once

#include "lsp/Framing.h"

#include <string>
#include <vector>

namespace xdml::lsp {

inline std::string framed(const std::string& body) {
    return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

inline std::vector<Incoming> readAll(MessageReader& reader) {
    std::vector<Incoming> out;
    while (auto in = reader.next()) out.push_back(std::move(*in));
    return out;
}

}  // namespace xdml::lsp
