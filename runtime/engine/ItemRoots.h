// ItemRoots.h — the source items a firing or an emitted item works for (ResumeLedger.h), as
// the headers that only pass them along need them.
#pragma once

#include <memory>
#include <vector>

namespace xdml::runtime {

class RootItem;
/// None outside any source item: a flow's start and `on end of` handlers, whose work a resume
/// always does again.
using ItemRoots = std::vector<std::shared_ptr<RootItem>>;

}  // namespace xdml::runtime
