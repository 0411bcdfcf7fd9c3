// FiringQueue.h — a stream's hand-off of firings to its handler threads: firings go in
// batches through a bounded queue (one wake-up per batch when items come fast, each batch
// about 100 µs of work by the stream's recent firings; a batch of one when they trickle in;
// a full queue holds the dispatcher back, and so the source), strands keep the firings of a
// training handler in item order, a firing that may not start yet (a replay's, waiting for a
// model version) is parked without a thread until it may, and the firings under way (parked
// ones too) are counted so the stream can tell when it is idle. By default as many threads run
// firings at once as the process has cores (at most eight): more would only preempt each
// other, and a thread preempted inside a capture or a site's slot holds up the rest. A firing
// that waits (BlockingWait.h: a task's result, a commit) lends its turn to another thread,
// started when none is free. With a number of threads given (a distributed run's, whose
// firings wait for calls on other ranks) that many may run; beyond eight they start only when a
// batch finds every thread busy. A firing whose body is through but whose calls are still
// under way may hand its rest over (Defer) and give its thread back, up to a set number.
#pragma once

#include "runtime/streams/BoundedQueue.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace xdml::runtime {

class FiringQueue {
public:
    class Defer;
    /// A firing's work. `defer`: how it may hand its rest over rather than wait on this thread
    /// for something under way; null when it may not (a strand's firing, or the queue holds
    /// as many deferred firings as it allows).
    using Job = std::function<void(Defer* defer)>;
    /// Offered to a running firing (above).
    class Defer {
    public:
        /// Hands the rest of the firing over: `rest` runs on a handler thread once the
        /// returned function has been called (on any thread, once; it never blocks). The
        /// firing counts as under way until `rest` has run.
        std::function<void()> later(std::function<void()> rest);
        bool taken() const { return taken_; }

    private:
        friend class FiringQueue;
        explicit Defer(FiringQueue* queue) : queue_(queue) {}
        FiringQueue* queue_;
        bool taken_ = false;
    };
    /// Whether a firing may start now. When not, it has arranged for `wake` to be called (on
    /// any thread, at most once) when it may; it is asked again then. Empty: always.
    using Gate = std::function<bool(std::function<void()> wake)>;
    struct Firing {
        Job run;
        Gate gate;
    };
    /// Firings that run one at a time, in the order they were handed over.
    struct Strand {
        std::mutex mutex;
        std::deque<Firing> jobs;
        bool running = false;  // a drain is under way, or its head is parked
    };

    static constexpr int kDefaultThreads = 8;
    /// Threads that run firings at once by default: the cores this process may run on (its
    /// CPU affinity, which a Slurm job step or taskset narrows), at most kDefaultThreads.
    static int defaultParallelism();
    /// How long a firing stays parked at most: then it runs anyway (and what it waited for
    /// answers as it can: a replay reports the version that did not come).
    static constexpr std::chrono::seconds kLongestPark{60};

    FiringQueue();
    ~FiringQueue() { close(); }

    /// Starts the handler threads. 0: up to kDefaultThreads, of which defaultParallelism()
    /// run firings at once, the others started as firings wait (BlockingWait). Otherwise
    /// `threads` may run at once: kDefaultThreads start (or `threads`, when fewer), the others
    /// one by one as batches find every thread busy.
    void start(int threads = 0);
    /// Before start(0): run `n` firings at once rather than defaultParallelism().
    void setParallelism(int n) { wantedParallelism_ = n; }
    /// Lets up to `most` firings at once hand their rest over (Defer) instead of holding a
    /// thread while they wait (0, the default: none). Before start().
    void allowDeferred(int most) { mostDeferred_ = most; }
    /// Firings handed over and not resumed yet.
    int deferred() const { return deferred_.load(); }
    /// Handler threads started so far.
    int threads() const { return started_.load(); }
    /// How many threads run firings at once, not counting those in a BlockingWait (set by start()).
    int parallelism() const { return parallelism_; }
    /// Threads that hold a turn now: running a batch (and not in a BlockingWait) or waiting for one.
    int turnsHeld() const { return turnsHeld_.load(); }
    /// Hands a firing over (from the dispatcher's thread only). `strand`: its strand, or
    /// nullptr; `urgent`: it never waits in a batch behind others (a deadline or priority).
    void submit(Firing firing, Strand* strand, bool urgent);
    /// Hands over the batch being gathered.
    void flush();
    /// Waits until no firing is under way.
    void waitIdle();
    /// Firings handed over and not finished yet, parked ones included (a strand's drain
    /// counts as one more).
    int underWay() const { return inflight_.load(); }
    /// Firings parked now.
    int parked() const { return parkedCount_.load(); }
    /// Lets the handler threads finish what they hold, and joins them.
    void close();

private:
    /// What the parked firings share with the wakes they gave out, which may come after the
    /// queue is gone (a model version made late): a closed lot wakes nothing.
    struct ParkingLot {
        struct Parked {
            Firing firing;
            Strand* strand = nullptr;
            std::chrono::steady_clock::time_point since;
        };
        std::mutex mutex;
        bool closed = false;
        uint64_t nextTicket = 0;
        std::map<uint64_t, Parked> parked;
    };

    /// Whether `firing` may run now; if not, it is parked (moved from) and false returned.
    bool admit(Firing& firing, Strand* strand);
    /// Hands a parked firing back to the threads (its strand's front, for a strand's). Under
    /// the lot's mutex.
    void requeue(ParkingLot::Parked parked);
    /// Runs the firings parked longer than kLongestPark, their gates set aside.
    void releaseOverdue();
    Firing drainOf(Strand* strand);
    void finished(int firings);
    /// Firings per batch now: about kBatchWork of them, by the recent firings' duration.
    std::size_t batchSize() const;
    /// Counts a batch's run (`took` for `firings` firings) into the recent duration.
    void ranBatch(std::size_t firings, std::chrono::steady_clock::duration took);
    /// Runs a batch on this thread; once it has taken far longer than a batch should, hands
    /// the firings left back to the queue, for the idle threads.
    void runBatch(std::vector<Firing>& batch);
    /// One more handler thread, unless there are `most_` or the queue is closing.
    void addThread();
    /// A batch was just queued: one more thread when every thread is busy.
    void growIfBusy();
    /// A deferred firing's rest, ready to run: queued for the handler threads.
    void resume(std::function<void()> rest);
    void serve();
    /// Waits until fewer than parallelism_ threads run firings, then counts this one in. No
    /// wait once the queue closes: every thread then drains what is left.
    void takeTurn();
    /// Gives this thread's turn back; true when that let a thread waiting for one go.
    bool endTurn();
    /// A thread of this queue starts or ends a BlockingWait.
    friend class BlockingWait;
    void waitStarts();
    void waitEnds();

    std::vector<Firing> batch_;  // the dispatcher's, not yet handed over
    BoundedQueue<std::vector<Firing>> work_;
    std::mutex threadsMutex_;
    std::vector<std::thread> threads_;
    bool closing_ = false;          // under threadsMutex_: no thread starts any more
    int most_ = kDefaultThreads;    // handler threads at most
    std::atomic<int> started_{0};   // threads_.size()
    std::atomic<int> busy_{0};      // threads running a batch
    int parallelism_ = kDefaultThreads;  // threads running firings at once, at most
    int wantedParallelism_ = 0;          // setParallelism's, 0: defaultParallelism()
    std::mutex turnsMutex_;
    std::condition_variable turnFree_;
    std::atomic<int> turnsHeld_{0};  // threads holding a turn: running a batch or waiting for one
    int waitingForTurn_ = 0;         // under turnsMutex_
    bool turnsOpen_ = true;          // under turnsMutex_; false once the queue closes
    std::shared_ptr<ParkingLot> lot_ = std::make_shared<ParkingLot>();
    std::atomic<int> parkedCount_{0};
    std::mutex idleMutex_;
    std::condition_variable idle_;
    // The dispatcher counts each firing in: a line of its own, so the handler threads' reads
    // of the fields around it do not take it from the dispatcher's core.
    alignas(64) std::atomic<int> inflight_{0};
    alignas(64) int mostDeferred_ = 0;
    std::atomic<int> deferred_{0};
    std::atomic<int64_t> firingNanos_;  // a firing's recent duration (a moving average)
};

}  // namespace xdml::runtime
