// PageAdvice.cpp — see PageAdvice.h.
#include "runtime/values/PageAdvice.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older kernels answer EINVAL, which is fine
#endif

namespace xdml::runtime {

namespace {

void advise(uintptr_t from, uintptr_t to, std::size_t align, int advice) {
    from = (from + align - 1) / align * align;
    to = to / align * align;
    if (to > from) (void)madvise(reinterpret_cast<void*>(from), to - from, advice);
}

}  // namespace

void prepareLargeBuffer(void* p, std::size_t n) {
    if (n < kLargeBufferBytes) return;
    const auto from = reinterpret_cast<uintptr_t>(p);
    advise(from, from + n, std::size_t{2} << 20, MADV_HUGEPAGE);
    advise(from, from + n, static_cast<std::size_t>(sysconf(_SC_PAGESIZE)), MADV_POPULATE_WRITE);
}

}  // namespace xdml::runtime
