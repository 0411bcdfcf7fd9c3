// LargeBuffers.cpp — see LargeBuffers.h.
#include "runtime/values/LargeBuffers.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <mutex>

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

/// At most this many spares, of at most 1 GiB together (an eighth of the machine's memory on a
/// small one): enough for the buffers a call of the largest values needs on one rank (the
/// value, its message, the answer), small beside the memory of the machines a flow runs on.
constexpr std::size_t kMaxSpares = 16;

std::size_t maxSpareBytes() {
    static const std::size_t bound = [] {
        const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        const std::size_t gib = std::size_t{1} << 30;
        return pages > 0 && page > 0 ? std::min(gib, static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) / 8) : gib;
    }();
    return bound;
}

/// The spares, oldest first, measured by their capacity. A spare keeps the size it had: handing
/// it out for that size or less writes no byte (growing a string's size writes the new bytes,
/// so a spare grown to its capacity on every return would cost a memset of the slack each time).
class Spares {
public:
    std::string take(std::size_t n) {
        std::lock_guard lock(mutex_);
        // The smallest that fits, and not one four times too big (it would hold memory that a
        // later, larger value wants).
        auto best = spares_.end();
        for (auto it = spares_.begin(); it != spares_.end(); ++it)
            if (it->capacity() >= n && it->capacity() / 4 <= n && (best == spares_.end() || it->capacity() < best->capacity()))
                best = it;
        if (best == spares_.end()) return {};
        std::string s = std::move(*best);
        spares_.erase(best);
        bytes_ -= s.capacity();
        s.resize(n);  // writes only bytes past the size it had
        return s;
    }

    void keep(std::string&& s) {
        std::lock_guard lock(mutex_);
        if (s.capacity() > maxSpareBytes()) return;
        while (!spares_.empty() && (spares_.size() >= kMaxSpares || bytes_ + s.capacity() > maxSpareBytes())) {
            bytes_ -= spares_.front().capacity();
            spares_.pop_front();
        }
        bytes_ += s.capacity();
        spares_.push_back(std::move(s));
    }

    std::size_t bytes() {
        std::lock_guard lock(mutex_);
        return bytes_;
    }

private:
    std::mutex mutex_;
    std::deque<std::string> spares_;
    std::size_t bytes_ = 0;
};

Spares& spares() {
    static Spares* s = new Spares;  // never destroyed: buffers may be given back during exit
    return *s;
}

/// A fresh large buffer's capacity: whole huge pages (64 KiB steps below one), so a value's
/// memory and a message a little longer than the value can each reuse the other's.
std::size_t roomFor(std::size_t n) {
    const std::size_t step = n >= (std::size_t{2} << 20) ? std::size_t{2} << 20 : std::size_t{64} << 10;
    return (n + step - 1) / step * step;
}

}  // namespace

void prepareLargeBuffer(void* p, std::size_t n) {
    if (n < kLargeBufferBytes) return;
    const auto from = reinterpret_cast<uintptr_t>(p);
    advise(from, from + n, std::size_t{2} << 20, MADV_HUGEPAGE);
    advise(from, from + n, static_cast<std::size_t>(sysconf(_SC_PAGESIZE)), MADV_POPULATE_WRITE);
}

std::string takeLargeBuffer(std::size_t n) {
    if (n >= kLargeBufferBytes) {
        std::string spare = spares().take(n);
        if (spare.size() == n) return spare;
    }
    std::string s;
    s.reserve(n < kLargeBufferBytes ? n : roomFor(n));
    prepareLargeBuffer(s.data(), s.capacity());
    s.resize(n);
    return s;
}

void giveBackLargeBuffer(std::string&& s) {
    std::string mine = std::move(s);
    s.clear();
    if (mine.capacity() >= kLargeBufferBytes) spares().keep(std::move(mine));
}

std::size_t spareLargeBufferBytes() { return spares().bytes(); }

}  // namespace xdml::runtime
