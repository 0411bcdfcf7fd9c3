// RehearsalBuffer.h — the rehearsal buffer of a stream (`rehearse { capacity, select, mix,
// memory, spill }`): a fixed number of already-trained items, chosen by a selection policy, from
// which every training mini-batch draws rehearsed items. The trainer owns the mixing; this is
// the storage, the selection and the sampling.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace xdml::runtime {

/// Which offered items stay once the buffer is full.
enum class Selection {
    Reservoir,  ///< a uniform sample of everything ever offered (Vitter's Algorithm R)
    Balanced,   ///< a reservoir per class, the classes seen so far sharing the capacity equally
    Recent,     ///< the last `capacity` items offered
};

/// `reservoir`, `balanced` or `recent`; std::invalid_argument naming any other word.
Selection parseSelection(const std::string& word);
const char* selectionName(Selection select);

struct RehearsalConfig {
    std::string stream;    ///< for messages and the spill file name
    int64_t capacity = 0;  ///< items kept, >= 1
    Selection select = Selection::Reservoir;
    /// 0: every slot in memory; else slots past floor(memoryBytes / rowBytes) live in the spill file.
    uint64_t memoryBytes = 0;
    /// Folder of the spill file (created on first spill); required if memoryBytes > 0.
    std::filesystem::path spillDir;
    uint64_t seed = 0;  ///< the run's seed mixed with the stream name by the caller
};

/// Counters since construction; the nanoseconds include lock waits, since that is the time the
/// caller loses to the buffer.
struct RehearsalStats {
    uint64_t offered = 0;        ///< items passed to offer()
    uint64_t admitted = 0;       ///< of those, stored
    uint64_t evicted = 0;        ///< stored items replaced by an admitted one
    uint64_t drawn = 0;          ///< items copied out by draw()
    uint64_t spilledReads = 0;   ///< records read from the spill file
    uint64_t spilledWrites = 0;  ///< records written to it
    uint64_t offerNanos = 0;
    uint64_t drawNanos = 0;
};

struct RehearsalSnapshot {
    uint64_t id = 0;                ///< number of content changes so far: 0 for the empty buffer
    std::vector<int64_t> entities;  ///< of the stored items, in slot order
    std::size_t size = 0;
    uint64_t bytes = 0;  ///< size * rowBytes
};

/// Slots [0, size()) are always the stored items (no holes). Rows of slots below inMemorySlots()
/// live in one block allocated by the constructor; the others are fixed-size records of the spill
/// file `<spillDir>/<stream>.rehearsal`, read back with pread when drawn.
///
/// Thread-safety: offer() is exclusive; draw(), snapshot() and the queries are shared and may run
/// concurrently with each other. Writers are preferred, so steady drawing cannot starve ingestion.
///
/// Determinism: the same offers and seeds give the same content and draws on every machine
/// (splitmix64 and an exact uniform-integer reduction of our own, no standard distributions).
class RehearsalBuffer {
public:
    /// std::invalid_argument if capacity < 1, rowFloats == 0, or memoryBytes > 0 without a spillDir.
    RehearsalBuffer(RehearsalConfig config, std::size_t rowFloats);
    /// Removes the spill file.
    ~RehearsalBuffer();
    RehearsalBuffer(const RehearsalBuffer&) = delete;
    RehearsalBuffer& operator=(const RehearsalBuffer&) = delete;

    /// Offers n trained items (rows: n*rowFloats floats), in order; the selection policy decides
    /// which stay. A spill-file failure throws DataError naming the file: the items before the
    /// failing one stay offered, the failing one is not admitted (no stored item is damaged:
    /// a spilled slot is rewritten into a spare record, then swapped in), the rest are not offered.
    void offer(const float* rows, const int64_t* labels, const int64_t* entities, const int64_t* seqs,
               std::size_t n);

    /// Draws min(k, size()) distinct stored items uniformly, in uniformly random order, with a
    /// generator seeded by drawSeed; copies their features to out (k*rowFloats) and their
    /// labels/entities to outLabels/outEntities (either may be null). Returns the number drawn.
    /// O(k) per call. DataError if the spill file cannot be read.
    std::size_t draw(std::size_t k, uint64_t drawSeed, float* out, int64_t* outLabels,
                     int64_t* outEntities) const;

    RehearsalSnapshot snapshot() const;
    std::size_t size() const;
    int64_t capacity() const { return static_cast<int64_t>(capacity_); }
    std::size_t rowFloats() const { return rowFloats_; }
    std::size_t inMemorySlots() const { return inMemorySlots_; }
    std::size_t spilledItems() const;
    /// label -> stored count for the classes with at least one stored item, sorted by label.
    std::vector<std::pair<int64_t, std::size_t>> classCounts() const;
    RehearsalStats stats() const;
    const RehearsalConfig& config() const { return config_; }
    const std::filesystem::path& spillPath() const { return spillPath_; }

private:
    struct Item {
        const float* row;
        int64_t label, entity, seq;
    };
    /// Everything known about one label; `slots` is kept for Balanced only.
    struct ClassState {
        int64_t label = 0;
        std::size_t order = 0;  ///< rank of first appearance: who gets the quota's remainder
        uint64_t offered = 0;
        std::size_t stored = 0;
        std::vector<std::size_t> slots;
    };
    struct AtomicStats {
        std::atomic<uint64_t> offered{0}, admitted{0}, evicted{0}, drawn{0}, spilledReads{0},
            spilledWrites{0}, offerNanos{0}, drawNanos{0};
    };

    void offerOne(const Item& item);
    /// Balanced: the slot the item takes, or capacity_ when it is not admitted. O(1) but for the
    /// largest-class lookup, O(log classes) in bySize_.
    std::size_t balancedSlot(ClassState& cls);
    /// Writes the row, then commits the slot's metadata; nothing changes if the write throws.
    void place(std::size_t slot, ClassState& cls, const Item& item);
    void attach(ClassState& cls, std::size_t slot);
    void detach(ClassState& cls, std::size_t slot);
    void writeRow(std::size_t slot, const float* row);
    void readRow(std::size_t slot, float* out) const;
    void openSpillFile();
    std::shared_lock<std::shared_mutex> readLock() const;

    const RehearsalConfig config_;
    const std::size_t rowFloats_, rowBytes_, capacity_, inMemorySlots_;
    const std::filesystem::path spillPath_;

    mutable std::mutex turnstile_;  // held by a writer while it waits: new readers queue behind it
    mutable std::shared_mutex mutex_;

    std::vector<float> rows_;                        // inMemorySlots_ * rowFloats_, never reallocated
    std::vector<int64_t> labels_, entities_, seqs_;  // capacity_ each
    std::vector<std::size_t> records_;  // spilled slot - inMemorySlots_ -> record of the spill file
    std::size_t spareRecord_ = 0;       // the record the next spilled write goes to
    int spillFd_ = -1;

    std::size_t size_ = 0;
    uint64_t offeredTotal_ = 0;  // t of Algorithm R
    std::size_t ringHead_ = 0;   // Recent: the oldest slot once full
    uint64_t changes_ = 0;
    uint64_t rngState_ = 0;

    std::unordered_map<int64_t, std::size_t> classOf_;  // label -> index in classes_
    std::vector<ClassState> classes_;
    std::vector<std::size_t> slotPos_;              // Balanced: position of a slot in its class's `slots`
    std::set<std::pair<int64_t, int64_t>> bySize_;  // Balanced: (-stored, label), largest class first

    mutable AtomicStats stats_;
};

}  // namespace xdml::runtime
