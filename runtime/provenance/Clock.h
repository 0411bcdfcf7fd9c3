// Clock.h — the one clock of the provenance store: wall-clock seconds since the Unix epoch as
// a double, which holds microseconds exactly for the next few centuries and sorts and
// subtracts in plain SQL.
#pragma once

#include <chrono>

namespace xdml::runtime::prov {

inline double secondsNow() {
    auto since = std::chrono::system_clock::now().time_since_epoch();
    return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(since).count()) / 1e6;
}

}  // namespace xdml::runtime::prov
