// SharedBlocks.cpp — see SharedBlocks.h.
#include "runtime/values/SharedBlocks.h"


#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>

namespace xdml::runtime {

namespace {

/// Blocks at most, live and spare: a file descriptor each, well under the usual limit of 1024.
constexpr std::size_t kMaxBlocks = 256;
/// Spares at most, as LargeBuffers keeps (enough for the frames in flight of a stream).
constexpr std::size_t kMaxSpares = 16;
constexpr std::size_t kPage = 4096;

class Registry {
public:
    const SharedBlock* take(std::size_t n) {
        std::lock_guard lock(mutex_);
        // The smallest spare that fits and is not four times too big.
        auto best = spares_.end();
        for (auto it = spares_.begin(); it != spares_.end(); ++it)
            if ((*it)->size >= n && (*it)->size / 4 <= n && (best == spares_.end() || (*it)->size < (*best)->size)) best = it;
        if (best != spares_.end()) {
            SharedBlock* b = *best;
            spares_.erase(best);
            return b;
        }
        if (blocks_.size() >= kMaxBlocks) {
            if (spares_.empty()) return nullptr;
            drop(spares_.front());  // the oldest spare makes room
            spares_.pop_front();
        }
        const std::size_t size = (n + kPage - 1) / kPage * kPage;
        const int fd = memfd_create("xdml-tensor", MFD_CLOEXEC);
        if (fd < 0) return nullptr;
        if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
            ::close(fd);
            return nullptr;
        }
        void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
        if (p == MAP_FAILED) {
            ::close(fd);
            return nullptr;
        }
        auto block = std::make_unique<SharedBlock>(SharedBlock{++nextId_, fd, static_cast<std::byte*>(p), size});
        SharedBlock* b = block.get();
        blocks_.emplace(b->data, std::move(block));
        ids_.insert(b->id);
        return b;
    }

    void giveBack(std::byte* data) {
        std::lock_guard lock(mutex_);
        auto it = blocks_.find(data);
        if (it == blocks_.end()) return;
        spares_.push_back(it->second.get());
        while (spares_.size() > kMaxSpares) {
            drop(spares_.front());
            spares_.pop_front();
        }
    }

    const SharedBlock* holding(const std::byte* data, std::size_t& offset) {
        std::lock_guard lock(mutex_);
        auto it = blocks_.upper_bound(const_cast<std::byte*>(data));
        if (it == blocks_.begin()) return nullptr;
        --it;
        const SharedBlock* b = it->second.get();
        if (data >= b->data + b->size) return nullptr;
        offset = static_cast<std::size_t>(data - b->data);
        return b;
    }

    bool exists(uint64_t id) {
        std::lock_guard lock(mutex_);
        return ids_.count(id) > 0;
    }

private:
    void drop(SharedBlock* b) {
        munmap(b->data, b->size);
        ::close(b->fd);
        ids_.erase(b->id);
        blocks_.erase(b->data);
    }

    std::mutex mutex_;
    std::map<std::byte*, std::unique_ptr<SharedBlock>> blocks_;  // by address: live and spare
    std::deque<SharedBlock*> spares_;                             // oldest first
    std::set<uint64_t> ids_;                                      // of blocks_
    uint64_t nextId_ = 0;
};

Registry& registry() {
    static Registry* r = new Registry;  // never destroyed: tensors may go during exit
    return *r;
}

std::atomic<bool> sharing{false};

}  // namespace

void shareLargeTensors() { sharing.store(true, std::memory_order_relaxed); }
bool largeTensorsShared() { return sharing.load(std::memory_order_relaxed); }

const SharedBlock* takeSharedBlock(std::size_t n) {
    if (n < kSharedBlockBytes || !largeTensorsShared()) return nullptr;
    return registry().take(n);
}

void giveBackSharedBlock(std::byte* data) { registry().giveBack(data); }

const SharedBlock* sharedBlockHolding(const std::byte* data, std::size_t& offset) {
    if (!largeTensorsShared()) return nullptr;
    return registry().holding(data, offset);
}

bool sharedBlockExists(uint64_t id) { return registry().exists(id); }

}  // namespace xdml::runtime
