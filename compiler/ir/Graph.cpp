// Graph.cpp — look-ups on the lowered program.
#include "ir/Graph.h"

namespace xdml::ir {

const Site* FlowIR::site(const std::string& name) const {
    for (const Site& s : sites)
        if (s.name == name) return &s;
    return nullptr;
}

const Link* FlowIR::link(const std::string& a, const std::string& b) const {
    for (const Link& l : links)
        if ((l.from == a && l.to == b) || (l.bidirectional && l.from == b && l.to == a)) return &l;
    return nullptr;
}

}  // namespace xdml::ir
