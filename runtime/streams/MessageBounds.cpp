// MessageBounds.cpp — see MessageBounds.h.
#include "runtime/streams/MessageBounds.h"

#include "runtime/values/Tensor.h"

#include <limits>

namespace xdml::runtime {

int64_t largestMessage(const TypeDesc& itemType) {
    if (itemType.kind != TypeDesc::Kind::Tensor) return kUnboundedMessageCap;
    const int64_t limit = std::numeric_limits<int64_t>::max() - kMessageHeaderSlack;
    int64_t bytes = static_cast<int64_t>(elemSize(itemType.elem));
    for (int64_t d : itemType.dims) {
        if (d < 0) return kUnboundedMessageCap;
        if (d != 0 && bytes > limit / d) return limit + kMessageHeaderSlack;  // no overflow: no cap
        bytes *= d;
    }
    return bytes + kMessageHeaderSlack;
}

}  // namespace xdml::runtime
