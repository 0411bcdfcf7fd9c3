// Text.h — how values print in string interpolation and `log` (LANGUAGE.md §6).
//
// - floats (and f32) in the shortest form that reads back exactly as their own type, with no
//   exponent when 1e-6 <= |x| < 1e15 (`0.1`, `2.5`, `1e20`, `1e-7`); an integral float keeps
//   `.0` (`3.0`) so it reads back as a float, not an int; `nan`, `inf`, `-inf`;
// - ints plainly, bools `true`/`false`, `none`, strings as they are (quoted inside lists,
//   records and tensors);
// - quantities with a unit of their kind (`3.8s`, `64MiB`, `25Gbps`), chosen so: among the
//   units in which the magnitude is at least 1, the one that needs the fewest significant
//   digits, the larger unit on a tie (`1500ms` prints `1.5s`, `90s` stays `90s`, 64*2^20 bytes
//   is `64MiB`, 64e6 bytes `64MB`); the number is rounded to 12 significant digits first, so
//   float noise (`0.1s + 0.2s`) does not pick a strange unit; below the smallest unit, the
//   smallest unit (`0.5ns`); zero is `0s`, `0B`, `0Gbps`;
// - lists `[1, 2]`, records `{ x: 1, y: "a" }`, tensors `tensor<f32>[2, 2] [[1.0, 2.0], [3.0, 4.0]]`
//   with at most six entries shown per dimension (`...` after them).
#pragma once

#include "planformat/TextFormat.h"
#include "runtime/values/Value.h"

#include <string>

namespace xdml::runtime {

std::string toText(const Value& v);
/// `v` as an interpolation with a format shows it (LANGUAGE.md §9): a float with `precision`
/// digits after the point, `,` between thousands, zero padding after the sign, then aligned in
/// `width` (numbers right, the rest left, unless the format says). The checker allows only the
/// parts that fit the value's type; here any other part is ignored.
std::string formatText(const Value& v, const planformat::TextFormat& f);
/// `s` in double quotes, with `"`, `\` and newlines escaped (as XDML and PROV-N write strings).
std::string quoted(const std::string& s);
std::string formatFloat(double x);
std::string formatF32(float x);
std::string formatQuantity(const Quantity& q);

}  // namespace xdml::runtime
