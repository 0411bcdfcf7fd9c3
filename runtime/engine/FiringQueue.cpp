// FiringQueue.cpp — see FiringQueue.h; BlockingWait (BlockingWait.h) is kept here too.
#include "runtime/engine/FiringQueue.h"

#include "runtime/engine/BlockingWait.h"

#include <sched.h>

#include <algorithm>
#include <iterator>
#include <system_error>

namespace xdml::runtime {

namespace {
constexpr std::size_t kFiringBatches = 8;  // batches waiting for handler threads
// A batch holds about this much work (by the stream's recent firings): enough that waking a
// handler thread (several µs on a VM) is shared by many short firings, little enough that a
// firing waits behind the others of its batch at most about this long while threads idle.
constexpr std::chrono::nanoseconds kBatchWork = std::chrono::microseconds(100);
constexpr std::size_t kMostPerBatch = 64;
// A batch still running after this long is split up (runBatch): its firings are slow. Twenty
// batches' work: a batch of short firings merely preempted on a busy machine seldom takes it
// (at 0.4 ms, such splits cost the no-op flow 7%).
constexpr std::chrono::nanoseconds kSplitAfter = std::chrono::milliseconds(2);
// An idle handler thread looks for overdue parked firings this often.
constexpr std::chrono::seconds kSweepEvery{1};

thread_local FiringQueue* queueOfThisThread = nullptr;  // set on a queue's handler threads
thread_local bool inBlockingWait = false;               // a wait inside another is told once
}  // namespace

BlockingWait::BlockingWait() {
    if (!queueOfThisThread || inBlockingWait) return;
    inBlockingWait = true;
    queue_ = queueOfThisThread;
    queue_->waitStarts();
}

BlockingWait::~BlockingWait() {
    if (!queue_) return;
    queue_->waitEnds();
    inBlockingWait = false;
}

int FiringQueue::defaultParallelism() {
    int cores = 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) cores = CPU_COUNT(&set);
    if (cores <= 0) cores = static_cast<int>(std::thread::hardware_concurrency());
    return std::clamp(cores, 1, kDefaultThreads);
}

FiringQueue::FiringQueue() : work_(kFiringBatches), firingNanos_(kBatchWork.count() / 8) {}

std::size_t FiringQueue::batchSize() const {
    const int64_t firing = std::max<int64_t>(1, firingNanos_.load(std::memory_order_relaxed));
    return static_cast<std::size_t>(std::clamp<int64_t>(kBatchWork.count() / firing, 1, kMostPerBatch));
}

void FiringQueue::ranBatch(std::size_t firings, std::chrono::steady_clock::duration took) {
    // A moving average over the last batches; threads racing here lose an update, no more.
    const int64_t each = std::chrono::duration_cast<std::chrono::nanoseconds>(took).count() / static_cast<int64_t>(firings);
    const int64_t mean = firingNanos_.load(std::memory_order_relaxed);
    firingNanos_.store(mean + (each - mean) / 8, std::memory_order_relaxed);
}

void FiringQueue::start(int threads) {
    most_ = threads > 0 ? threads : kDefaultThreads;
    parallelism_ = threads > 0 ? most_ : wantedParallelism_ > 0 ? std::min(wantedParallelism_, most_) : defaultParallelism();
    for (int i = 0; i < std::min({most_, kDefaultThreads, parallelism_}); ++i) addThread();
}

void FiringQueue::addThread() {
    std::lock_guard lock(threadsMutex_);
    if (closing_ || static_cast<int>(threads_.size()) >= most_) return;
    threads_.emplace_back([this] { serve(); });
    started_.store(static_cast<int>(threads_.size()));
}

void FiringQueue::growIfBusy() {
    // Racy by design: a thread finishing just now may take the batch, and one thread too many
    // starts; never more than most_. Every thread is in a batch, and a turn is free: some of
    // them wait (BlockingWait), or fewer threads run than may.
    if (started_.load() < most_ && busy_.load() >= started_.load() && turnsHeld_.load() < parallelism_) addThread();
}

void FiringQueue::serve() {
    queueOfThisThread = this;
    for (;;) {
        takeTurn();
        bool closed = false;
        for (;;) {
            auto batch = work_.tryPop(kSweepEvery);
            if (!batch && work_.closed()) {
                closed = true;
                break;
            }
            if (batch && !batch->empty()) {
                ++busy_;
                // More batches wait behind this one: the flush that queued them may have come
                // before any thread was busy, so it is seen here too.
                if (started_.load() < most_ && work_.size() > 0) growIfBusy();
                runBatch(*batch);
                --busy_;
            }
            releaseOverdue();
            // A wait that ended while another thread ran in its stead leaves one thread too
            // many running. It goes back to waiting for a turn once no batch waits: while
            // firings keep waiting (a catalog's commits), handing turns back and forth would
            // cost two wake-ups a wait (a record per firing: 1.04x the wall time).
            if (turnsHeld_.load(std::memory_order_relaxed) > parallelism_ && work_.size() == 0) break;
        }
        endTurn();
        if (closed) return;
    }
}

void FiringQueue::takeTurn() {
    std::unique_lock lock(turnsMutex_);
    ++waitingForTurn_;
    turnFree_.wait(lock, [&] { return !turnsOpen_ || turnsHeld_.load() < parallelism_; });
    --waitingForTurn_;
    ++turnsHeld_;
}

bool FiringQueue::endTurn() {
    {
        std::lock_guard lock(turnsMutex_);
        --turnsHeld_;
        if (turnsHeld_.load() >= parallelism_ || waitingForTurn_ == 0) return false;
    }
    turnFree_.notify_one();
    return true;
}

void FiringQueue::waitStarts() {
    if (endTurn()) return;
    // No thread waits for the turn: one more, if batches wait and every thread is in one.
    try {
        if (work_.size() > 0) growIfBusy();
    } catch (const std::system_error&) {
        // No thread could start: the batches wait for the threads there are, as before.
    }
}

void FiringQueue::waitEnds() {
    // Back at once, one thread over the limit for a while (serve() sheds it): making a firing
    // that has its result wait again for a turn would cost it a second wake-up.
    ++turnsHeld_;
}

void FiringQueue::runBatch(std::vector<Firing>& batch) {
    const auto started = std::chrono::steady_clock::now();
    // The firings that ended here are counted finished once, as the batch ends: inflight_ is
    // the dispatcher's line too, and a count per firing passed it between the cores each time.
    int ended = 0;
    struct CountEnded {
        FiringQueue* queue;
        int& ended;
        ~CountEnded() {
            if (ended > 0) queue->finished(ended);
        }
    } countEnded{this, ended};
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (admit(batch[i], nullptr)) {
            Defer defer(this);
            batch[i].run(deferred_.load(std::memory_order_relaxed) < mostDeferred_ ? &defer : nullptr);
            if (!defer.taken()) ++ended;
        }
        // The clock is read after the 1st, 2nd, 4th, 8th... firing, not after each (27 ns a
        // read here, 1% of a no-op firing): a split comes late by at most as long again.
        if (i + 1 == batch.size() || ((i + 1) & i) != 0) continue;
        const auto took = std::chrono::steady_clock::now() - started;
        if (took < kSplitAfter) continue;
        // Its firings are slower than the average said (a stream's first firings, or firings
        // that wait for a task elsewhere): the ones behind would wait for them in vain while
        // threads idle. They go back in batches of the size the average, taught by these
        // at once, now gives (one each, for firings far slower than a batch's work).
        ranBatch(i + 1, took);
        const std::size_t size = batchSize();
        for (std::size_t j = i + 1; j < batch.size(); j += size) {
            const std::size_t end = std::min(batch.size(), j + size);
            std::vector<Firing> part(std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(j)),
                                     std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(end)));
            if (!work_.pushPastCapacity(std::move(part))) finished(static_cast<int>(end - j));  // closed: dropped, as flush() drops
            growIfBusy();
        }
        return;
    }
    ranBatch(batch.size(), std::chrono::steady_clock::now() - started);
}

std::function<void()> FiringQueue::Defer::later(std::function<void()> rest) {
    taken_ = true;
    queue_->deferred_.fetch_add(1, std::memory_order_relaxed);
    FiringQueue* queue = queue_;
    return [queue, rest = std::move(rest)]() mutable { queue->resume(std::move(rest)); };
}

void FiringQueue::resume(std::function<void()> rest) {
    // The rest ends the firing: runBatch counts it finished once it has run.
    std::vector<Firing> batch;
    batch.push_back({[this, rest](Defer*) {
                         deferred_.fetch_sub(1, std::memory_order_relaxed);
                         rest();
                     },
                     nullptr});
    // Past the capacity: the caller (a rank's communication thread, a site's worker) must
    // never wait for this stream. Closed: run here, so the firing still ends.
    if (work_.pushPastCapacity(std::move(batch))) return;
    deferred_.fetch_sub(1, std::memory_order_relaxed);
    rest();
    finished(1);
}

void FiringQueue::submit(Firing firing, Strand* strand, bool urgent) {
    ++inflight_;
    if (strand) {
        // One drain job at a time runs the strand's firings in order; it counts as a firing
        // of its own, so the stream is idle only once the strand is empty.
        bool start = false;
        {
            std::lock_guard lock(strand->mutex);
            strand->jobs.push_back(std::move(firing));
            start = !strand->running;
            strand->running = true;
        }
        if (!start) return;
        ++inflight_;
        batch_.push_back(drainOf(strand));
        flush();
        return;
    }
    batch_.push_back(std::move(firing));
    if (batch_.size() >= batchSize() || urgent) flush();
}

FiringQueue::Firing FiringQueue::drainOf(Strand* strand) {
    return {[this, strand](Defer*) {
                for (;;) {
                    Firing next;
                    {
                        std::lock_guard lock(strand->mutex);
                        if (strand->jobs.empty()) {
                            strand->running = false;
                            return;
                        }
                        next = std::move(strand->jobs.front());
                        strand->jobs.pop_front();
                    }
                    // Parked: the strand stays `running` and waits with its head, in order.
                    if (!admit(next, strand)) return;
                    next.run(nullptr);  // the next must wait for it to end
                    finished(1);
                }
            },
            nullptr};
}

bool FiringQueue::admit(Firing& firing, Strand* strand) {
    if (!firing.gate) return true;
    const Gate gate = firing.gate;
    uint64_t ticket = 0;
    {
        // Parked before the gate is asked: a wake may come on another thread before it answers.
        std::lock_guard lock(lot_->mutex);
        if (lot_->closed) return true;
        ticket = lot_->nextTicket++;
        lot_->parked.emplace(ticket, ParkingLot::Parked{std::move(firing), strand, std::chrono::steady_clock::now()});
        ++parkedCount_;
    }
    std::weak_ptr<ParkingLot> weakLot = lot_;
    const bool ready = gate([this, weakLot, ticket] {
        const std::shared_ptr<ParkingLot> lot = weakLot.lock();
        if (!lot) return;
        std::lock_guard lock(lot->mutex);
        auto it = lot->parked.find(ticket);
        if (lot->closed || it == lot->parked.end()) return;  // the queue is gone, or it ran overdue
        ParkingLot::Parked parked = std::move(it->second);
        lot->parked.erase(it);
        --parkedCount_;
        requeue(std::move(parked));
    });
    if (!ready) return false;
    // It may start: take it back, unless the sweep has queued it meanwhile.
    std::lock_guard lock(lot_->mutex);
    auto it = lot_->parked.find(ticket);
    if (it == lot_->parked.end()) return false;
    firing = std::move(it->second.firing);
    lot_->parked.erase(it);
    --parkedCount_;
    return true;
}

void FiringQueue::requeue(ParkingLot::Parked parked) {
    std::vector<Firing> batch;
    if (parked.strand) {
        {
            std::lock_guard lock(parked.strand->mutex);
            parked.strand->jobs.push_front(std::move(parked.firing));
        }
        ++inflight_;  // the new drain; the strand's firing is still counted
        batch.push_back(drainOf(parked.strand));
    } else {
        batch.push_back(std::move(parked.firing));
    }
    // Past the capacity: the waker (a training's thread) must never wait for this stream.
    if (!work_.pushPastCapacity(std::move(batch))) finished(1);
}

void FiringQueue::releaseOverdue() {
    if (parkedCount_.load() == 0) return;
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(lot_->mutex);
    for (auto it = lot_->parked.begin(); it != lot_->parked.end();) {
        if (now - it->second.since < kLongestPark) {
            ++it;
            continue;
        }
        ParkingLot::Parked parked = std::move(it->second);
        it = lot_->parked.erase(it);
        --parkedCount_;
        parked.firing.gate = nullptr;
        requeue(std::move(parked));
    }
}

void FiringQueue::flush() {
    if (batch_.empty()) return;
    const int n = static_cast<int>(batch_.size());
    std::vector<Firing> batch;
    batch.swap(batch_);
    if (!work_.push(std::move(batch))) finished(n);
    else growIfBusy();
}

void FiringQueue::finished(int firings) {
    if (inflight_.fetch_sub(firings) == firings) {
        std::lock_guard lock(idleMutex_);
        idle_.notify_all();
    }
}

void FiringQueue::waitIdle() {
    std::unique_lock lock(idleMutex_);
    idle_.wait(lock, [&] { return inflight_.load() == 0; });
}

void FiringQueue::close() {
    {
        std::lock_guard lock(lot_->mutex);
        lot_->closed = true;
    }
    {
        std::lock_guard lock(turnsMutex_);
        turnsOpen_ = false;
    }
    turnFree_.notify_all();
    work_.close();
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(threadsMutex_);
        closing_ = true;
        threads.swap(threads_);
    }
    for (std::thread& t : threads)
        if (t.joinable()) t.join();
}

}  // namespace xdml::runtime
