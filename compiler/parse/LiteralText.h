// LiteralText.h — the text of a literal read as its value, the same way wherever it comes from:
// the parser's tokens, and the values a run gives its params on the command line
// (`--set deadline=500ms`, LANGUAGE.md §9). Underscores between digits are ignored.
#pragma once

#include "planformat/PlanVocabulary.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace xdml::parse {

struct QuantityValue {
    planformat::QuantityKind kind;
    double value;  // in seconds, bytes or bytes per second
};

/// `500ms`, `10Gbps`, `1.5GiB`: a number and one of the units; nullopt for anything else.
std::optional<QuantityValue> quantityOfText(std::string_view text);
/// An integer literal that fits in 64 bits (an optional '-' first); nullopt otherwise.
std::optional<int64_t> integerOfText(std::string_view text);
/// A finite number (`2.5`, `1e-3`, `-4`); nullopt otherwise.
std::optional<double> numberOfText(std::string_view text);

/// The units a quantity may have, for messages: "ns us ms s min h d, B KB ...".
const char* quantityUnitsText();

}  // namespace xdml::parse
