// Arguments.cpp — see Arguments.h.
#include "runtime/interp/Arguments.h"

#include "runtime/interp/EvalError.h"

namespace xdml::runtime {

BoundArguments bindArguments(const Expr& call, const std::vector<Param>& params) {
    BoundArguments out;
    out.byParam.assign(params.size(), nullptr);
    std::size_t next = 0;
    for (std::size_t i = 0; i < call.args.size(); ++i) {
        std::size_t slot = next;
        if (i < call.names.size() && !call.names[i].empty()) {
            slot = params.size();
            for (std::size_t p = 0; p < params.size(); ++p)
                if (params[p].name == call.names[i]) slot = p;
        } else {
            while (slot < out.byParam.size() && out.byParam[slot]) ++slot;
            next = slot + 1;
        }
        if (slot >= out.byParam.size())
            throw EvalError("too many arguments, or an unknown one, for '" + call.name + "'", call.line);
        out.byParam[slot] = &call.args[i];
        out.order.push_back(slot);
    }
    for (std::size_t p = 0; p < params.size(); ++p)
        if (!out.byParam[p]) throw EvalError("no argument for '" + params[p].name + "' of '" + call.name + "'", call.line);
    return out;
}

}  // namespace xdml::runtime
