// EveryN.h — `on new data ... every N`: a handler's items gathered into groups of N, each
// delivered as one list (the item of its last member); what is left when the stream ends is
// delivered as a last, shorter group.
#pragma once

#include "runtime/engine/Datum.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xdml::runtime {

/// A group as a handler receives it: the list of its items' values at the stream's site, the
/// position of its last item, and the items' provenance entities.
struct ItemGroup {
    DatumPtr list;
    int64_t seq = -1;
    std::vector<int64_t> items;
};

class EveryN {
public:
    EveryN(int64_t n, std::string site) : n_(n), site_(std::move(site)) {}
    /// Adds an item; the group when this item completes one.
    std::optional<ItemGroup> add(const DatumPtr& item);
    /// The group so far, if it has any item (at the end of the stream).
    std::optional<ItemGroup> rest();

private:
    ItemGroup take();

    int64_t n_;
    std::string site_;
    std::vector<DatumPtr> group_;
};

}  // namespace xdml::runtime
