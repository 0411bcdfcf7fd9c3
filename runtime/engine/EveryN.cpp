// EveryN.cpp — see EveryN.h.
#include "runtime/engine/EveryN.h"

namespace xdml::runtime {

std::optional<ItemGroup> EveryN::add(const DatumPtr& item) {
    group_.push_back(item);
    if (static_cast<int64_t>(group_.size()) < n_) return std::nullopt;
    return take();
}

std::optional<ItemGroup> EveryN::rest() {
    if (group_.empty()) return std::nullopt;
    return take();
}

ItemGroup EveryN::take() {
    ItemGroup out;
    std::vector<Value> values;
    values.reserve(group_.size());
    out.items.reserve(group_.size());
    for (const DatumPtr& d : group_) {
        values.push_back(d->value);
        out.items.push_back(d->entity);
    }
    out.seq = group_.back()->seq;
    out.list = Datum::make(Value::list(std::move(values)), site_, out.seq);
    group_.clear();
    return out;
}

}  // namespace xdml::runtime
