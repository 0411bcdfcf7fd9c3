// RehearsalBuffer.cpp — selection (reservoir, class-balanced reservoir, ring), storage in memory
// and in the spill file, and sampling without replacement for the rehearsal buffer.
#include "runtime/streams/RehearsalBuffer.h"

#include "runtime/numerics/SplitMix.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <system_error>

#include "runtime/io/DataError.h"

namespace xdml::runtime {

namespace {

using Clock = std::chrono::steady_clock;

// Salts keep the admission and draw streams apart when a caller reuses one seed for both.
constexpr uint64_t kAdmissionSalt = 0x5245484541525345ull;  // "REHEARSE"
constexpr uint64_t kDrawSalt = 0x4452415753414d50ull;       // "DRAWSAMP"

/// Adds the time from construction to destruction to a counter, also when the scope throws.
class ScopedNanos {
public:
    explicit ScopedNanos(std::atomic<uint64_t>& sink) : sink_(sink), start_(Clock::now()) {}
    ~ScopedNanos() {
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_);
        sink_.fetch_add(static_cast<uint64_t>(ns.count()), std::memory_order_relaxed);
    }

private:
    std::atomic<uint64_t>& sink_;
    Clock::time_point start_;
};

/// The positions a partial Fisher–Yates shuffle of [0, n) has moved, in a small open-addressing
/// table: a draw of k items costs O(k) whatever the buffer's size.
class SparseShuffle {
public:
    explicit SparseShuffle(std::size_t k) {
        std::size_t cap = 16;
        while (cap < 2 * k) cap *= 2;
        table_.assign(cap, {kEmpty, 0});
        mask_ = cap - 1;
    }
    /// Swaps positions i and r of the virtual array and returns the value now at i.
    std::size_t swap(std::size_t i, std::size_t r) {
        const std::size_t atR = get(r);
        set(r, get(i));
        return atR;  // position i is never read again: no need to store it
    }

private:
    static constexpr std::size_t kEmpty = std::numeric_limits<std::size_t>::max();
    std::size_t find(std::size_t key) const {
        std::size_t h = static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> 17) & mask_;
        while (table_[h].first != kEmpty && table_[h].first != key) h = (h + 1) & mask_;
        return h;
    }
    std::size_t get(std::size_t key) const {
        const auto& e = table_[find(key)];
        return e.first == kEmpty ? key : e.second;
    }
    void set(std::size_t key, std::size_t value) { table_[find(key)] = {key, value}; }

    std::vector<std::pair<std::size_t, std::size_t>> table_;
    std::size_t mask_ = 0;
};

std::string errnoText(int err) {
    return std::error_code(err, std::generic_category()).message();
}

std::size_t checkedCapacity(const RehearsalConfig& config, std::size_t rowFloats) {
    const std::string who = "rehearsal buffer of stream '" + config.stream + "': ";
    if (config.capacity < 1)
        throw std::invalid_argument(who + "capacity must be at least 1, not " +
                                    std::to_string(config.capacity));
    if (rowFloats == 0) throw std::invalid_argument(who + "rows must have at least one feature");
    const auto capacity = static_cast<uint64_t>(config.capacity);
    if (capacity > std::numeric_limits<std::size_t>::max() / sizeof(float) / rowFloats)
        throw std::invalid_argument(who + "capacity " + std::to_string(capacity) +
                                    " times the row size overflows");
    if (config.memoryBytes > 0 && config.spillDir.empty())
        throw std::invalid_argument(who + "memory is limited to " + std::to_string(config.memoryBytes) +
                                    " bytes, so a spill folder is required");
    return static_cast<std::size_t>(capacity);
}

std::size_t inMemorySlotsOf(const RehearsalConfig& config, std::size_t capacity, std::size_t rowBytes) {
    if (config.memoryBytes == 0) return capacity;
    return static_cast<std::size_t>(std::min<uint64_t>(capacity, config.memoryBytes / rowBytes));
}

}  // namespace

Selection parseSelection(const std::string& word) {
    if (word == "reservoir") return Selection::Reservoir;
    if (word == "balanced") return Selection::Balanced;
    if (word == "recent") return Selection::Recent;
    throw std::invalid_argument("unknown rehearsal selection '" + word +
                                "' (expected reservoir, balanced or recent)");
}

const char* selectionName(Selection select) {
    switch (select) {
        case Selection::Reservoir:
            return "reservoir";
        case Selection::Balanced:
            return "balanced";
        case Selection::Recent:
            return "recent";
    }
    return "?";
}

RehearsalBuffer::RehearsalBuffer(RehearsalConfig config, std::size_t rowFloats)
    : config_(std::move(config)),
      rowFloats_(rowFloats),
      rowBytes_(rowFloats * sizeof(float)),
      capacity_(checkedCapacity(config_, rowFloats)),
      inMemorySlots_(inMemorySlotsOf(config_, capacity_, rowBytes_)),
      spillPath_(config_.spillDir.empty()
                     ? std::filesystem::path()
                     : config_.spillDir /
                           ((config_.stream.empty() ? "stream" : config_.stream) + ".rehearsal")),
      rows_(inMemorySlots_ * rowFloats_),
      labels_(capacity_),
      entities_(capacity_),
      seqs_(capacity_),
      records_(capacity_ - inMemorySlots_),
      spareRecord_(capacity_ - inMemorySlots_),
      rngState_(config_.seed ^ kAdmissionSalt) {
    for (std::size_t i = 0; i < records_.size(); ++i) records_[i] = i;
    if (config_.select == Selection::Balanced) slotPos_.resize(capacity_);
}

RehearsalBuffer::~RehearsalBuffer() {
    if (spillFd_ < 0) return;
    ::close(spillFd_);
    std::error_code ignored;
    std::filesystem::remove(spillPath_, ignored);
}

std::shared_lock<std::shared_mutex> RehearsalBuffer::readLock() const {
    { std::lock_guard pass(turnstile_); }
    return std::shared_lock(mutex_);
}

void RehearsalBuffer::offer(const float* rows, const int64_t* labels, const int64_t* entities,
                            const int64_t* seqs, std::size_t n) {
    ScopedNanos timer(stats_.offerNanos);
    std::lock_guard gate(turnstile_);
    std::unique_lock lock(mutex_);
    for (std::size_t i = 0; i < n; ++i) {
        stats_.offered.fetch_add(1, std::memory_order_relaxed);
        offerOne(Item{rows + i * rowFloats_, labels[i], entities[i], seqs[i]});
    }
}

void RehearsalBuffer::offerOne(const Item& item) {
    auto [it, isNew] = classOf_.try_emplace(item.label, classes_.size());
    if (isNew) {
        ClassState fresh;
        fresh.label = item.label;
        fresh.order = classes_.size();
        classes_.push_back(std::move(fresh));
        if (config_.select == Selection::Balanced) bySize_.emplace(0, item.label);
    }
    ClassState& cls = classes_[it->second];
    ++cls.offered;
    const uint64_t t = offeredTotal_++;

    // Until full every policy admits everything, into the next free slot (never a hole, even
    // after a failed write).
    if (size_ < capacity_) return place(size_, cls, item);
    switch (config_.select) {
        case Selection::Reservoir: {
            const uint64_t j = uniformBelow(rngState_, t + 1);
            if (j < capacity_) place(static_cast<std::size_t>(j), cls, item);
            return;
        }
        case Selection::Recent: {
            place(ringHead_, cls, item);
            ringHead_ = ringHead_ + 1 == capacity_ ? 0 : ringHead_ + 1;
            return;
        }
        case Selection::Balanced: {
            const std::size_t slot = balancedSlot(cls);
            if (slot < capacity_) place(slot, cls, item);
            return;
        }
    }
}

std::size_t RehearsalBuffer::balancedSlot(ClassState& cls) {
    const std::size_t classes = classes_.size();
    const std::size_t quota = capacity_ / classes + (cls.order < capacity_ % classes ? 1 : 0);
    if (cls.stored < quota) {
        // Under quota: take a random slot of the largest class. That is never `cls` itself while
        // it is under quota (the counts sum to the capacity), but checking costs nothing.
        ClassState& victim = classes_[classOf_.at(bySize_.begin()->second)];
        if (&victim != &cls) return victim.slots[uniformBelow(rngState_, victim.slots.size())];
    }
    // At quota: a reservoir within the class, over the items of this class offered so far.
    const uint64_t j = uniformBelow(rngState_, cls.offered);
    return j < cls.stored ? cls.slots[static_cast<std::size_t>(j)] : capacity_;
}

void RehearsalBuffer::place(std::size_t slot, ClassState& cls, const Item& item) {
    writeRow(slot, item.row);  // the only step that can fail: nothing is changed before it
    if (slot < size_) {
        detach(classes_[classOf_.at(labels_[slot])], slot);
        stats_.evicted.fetch_add(1, std::memory_order_relaxed);
    } else {
        assert(slot == size_);
        ++size_;
    }
    labels_[slot] = item.label;
    entities_[slot] = item.entity;
    seqs_[slot] = item.seq;
    attach(cls, slot);
    ++changes_;
    stats_.admitted.fetch_add(1, std::memory_order_relaxed);
}

void RehearsalBuffer::attach(ClassState& cls, std::size_t slot) {
    if (config_.select == Selection::Balanced) {
        bySize_.erase({-static_cast<int64_t>(cls.stored), cls.label});
        slotPos_[slot] = cls.slots.size();
        cls.slots.push_back(slot);
        bySize_.emplace(-static_cast<int64_t>(cls.stored + 1), cls.label);
    }
    ++cls.stored;
}

void RehearsalBuffer::detach(ClassState& cls, std::size_t slot) {
    if (config_.select == Selection::Balanced) {
        bySize_.erase({-static_cast<int64_t>(cls.stored), cls.label});
        const std::size_t pos = slotPos_[slot];
        cls.slots[pos] = cls.slots.back();  // swap-pop keeps removal O(1)
        slotPos_[cls.slots[pos]] = pos;
        cls.slots.pop_back();
        bySize_.emplace(-static_cast<int64_t>(cls.stored - 1), cls.label);
    }
    --cls.stored;
}

void RehearsalBuffer::writeRow(std::size_t slot, const float* row) {
    if (slot < inMemorySlots_) {
        std::memcpy(rows_.data() + slot * rowFloats_, row, rowBytes_);
        return;
    }
    openSpillFile();
    // Into the spare record, then swapped in: a failed or short write damages no stored item.
    const auto* bytes = reinterpret_cast<const char*>(row);
    const off_t at = static_cast<off_t>(spareRecord_ * rowBytes_);
    std::size_t done = 0;
    while (done < rowBytes_) {
        const ssize_t n = ::pwrite(spillFd_, bytes + done, rowBytes_ - done, at + static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            throw DataError(spillPath_.string(),
                            "cannot write a rehearsal record: " + errnoText(n < 0 ? errno : EIO));
        done += static_cast<std::size_t>(n);
    }
    std::swap(records_[slot - inMemorySlots_], spareRecord_);
    stats_.spilledWrites.fetch_add(1, std::memory_order_relaxed);
}

void RehearsalBuffer::readRow(std::size_t slot, float* out) const {
    if (slot < inMemorySlots_) {
        std::memcpy(out, rows_.data() + slot * rowFloats_, rowBytes_);
        return;
    }
    auto* bytes = reinterpret_cast<char*>(out);
    const off_t at = static_cast<off_t>(records_[slot - inMemorySlots_] * rowBytes_);
    std::size_t done = 0;
    while (done < rowBytes_) {
        const ssize_t n = ::pread(spillFd_, bytes + done, rowBytes_ - done, at + static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            throw DataError(spillPath_.string(), "cannot read a rehearsal record: " + errnoText(errno));
        if (n == 0) throw DataError(spillPath_.string(), "a rehearsal record is truncated");
        done += static_cast<std::size_t>(n);
    }
    stats_.spilledReads.fetch_add(1, std::memory_order_relaxed);
}

void RehearsalBuffer::openSpillFile() {
    if (spillFd_ >= 0) return;
    std::error_code ec;
    std::filesystem::create_directories(config_.spillDir, ec);
    if (ec)
        throw DataError(spillPath_.string(),
                        "cannot create the folder of the rehearsal spill file: " + errnoText(ec.value()));
    const int fd = ::open(spillPath_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        throw DataError(spillPath_.string(), "cannot create the rehearsal spill file: " + errnoText(errno));
    spillFd_ = fd;
}

std::size_t RehearsalBuffer::draw(std::size_t k, uint64_t drawSeed, float* out, int64_t* outLabels,
                                  int64_t* outEntities) const {
    ScopedNanos timer(stats_.drawNanos);
    auto lock = readLock();
    const std::size_t n = std::min(k, size_);
    uint64_t rng = drawSeed ^ kDrawSalt;
    SparseShuffle shuffle(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t slot = shuffle.swap(i, i + static_cast<std::size_t>(uniformBelow(rng, size_ - i)));
        readRow(slot, out + i * rowFloats_);
        if (outLabels) outLabels[i] = labels_[slot];
        if (outEntities) outEntities[i] = entities_[slot];
    }
    stats_.drawn.fetch_add(n, std::memory_order_relaxed);
    return n;
}

RehearsalSnapshot RehearsalBuffer::snapshot() const {
    auto lock = readLock();
    RehearsalSnapshot s;
    s.id = changes_;
    s.entities.assign(entities_.begin(), entities_.begin() + static_cast<std::ptrdiff_t>(size_));
    s.size = size_;
    s.bytes = static_cast<uint64_t>(size_) * rowBytes_;
    return s;
}

std::size_t RehearsalBuffer::size() const {
    auto lock = readLock();
    return size_;
}

std::size_t RehearsalBuffer::spilledItems() const {
    auto lock = readLock();
    return size_ > inMemorySlots_ ? size_ - inMemorySlots_ : 0;
}

std::vector<std::pair<int64_t, std::size_t>> RehearsalBuffer::classCounts() const {
    auto lock = readLock();
    std::vector<std::pair<int64_t, std::size_t>> counts;
    for (const ClassState& c : classes_)
        if (c.stored > 0) counts.emplace_back(c.label, c.stored);
    std::sort(counts.begin(), counts.end());
    return counts;
}

RehearsalStats RehearsalBuffer::stats() const {
    const auto load = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    return RehearsalStats{load(stats_.offered),    load(stats_.admitted),     load(stats_.evicted),
                          load(stats_.drawn),      load(stats_.spilledReads), load(stats_.spilledWrites),
                          load(stats_.offerNanos), load(stats_.drawNanos)};
}

}  // namespace xdml::runtime
