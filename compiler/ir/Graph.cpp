// Graph.cpp — names of node kinds and look-ups on the lowered program.
#include "ir/Graph.h"

namespace xdml::ir {

const char* kindName(NodeKind kind) {
    switch (kind) {
    case NodeKind::Source: return "source";
    case NodeKind::Catalog: return "catalog";
    case NodeKind::Model: return "model";
    case NodeKind::Start: return "start";
    case NodeKind::Classify: return "classify";
    case NodeKind::Trigger: return "trigger";
    case NodeKind::EndTrigger: return "end-trigger";
    case NodeKind::Region: return "region";
    case NodeKind::Eval: return "eval";
    case NodeKind::Const: return "const";
    case NodeKind::Call: return "call";
    case NodeKind::Task: return "task";
    case NodeKind::Infer: return "infer";
    case NodeKind::Emit: return "emit";
    case NodeKind::Record: return "record";
    case NodeKind::Train: return "train";
    case NodeKind::Log: return "log";
    case NodeKind::Transfer: return "transfer";
    case NodeKind::Fused: return "fused";
    case NodeKind::Kernel: return "kernel";
    }
    return "?";
}

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
