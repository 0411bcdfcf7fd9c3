// StreamSource.h — where a stream's items come from when it has a source: `files`, `watch`,
// `zmq` or `generate`, read on a thread of its own into the stream's bounded queue (so
// backpressure reaches the source); in a replay, the recorded run's items instead.
#pragma once

#include "runtime/engine/ItemRoots.h"
#include "runtime/engine/CycleWork.h"
#include "runtime/engine/Datum.h"
#include "runtime/engine/Replay.h"
#include "runtime/interp/CompiledCode.h"
#include "runtime/interp/Program.h"
#include "runtime/streams/BoundedQueue.h"
#include "runtime/streams/Source.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <chrono>
#include <thread>

namespace xdml::runtime {

/// An item on its way into a stream, from its source or an emit.
struct IncomingItem {
    DatumPtr datum;  // null for a malformed item
    std::string origin, error;
    uint64_t bytes = 0;
    std::string hash;  // the value's content hash when the source took it (SourceItem::hash), else ""
    bool recovered = false;  // found by a rescan after the source lost events (SourceItem::recovered)
    int64_t activity = -1;  // the activity that emitted it
    double arrival = 0;     // the run's clock when it came
    /// Counts it as work of its stream's cycle of emits until it has been dispatched.
    CycleWork::Hold work;
    /// Not an item but a round of its cycle's end (StreamRuntime::endStep).
    CycleEndStep endStep = CycleEndStep::None;
    /// The source items it works for (an emitted item's: its firing's; ResumeLedger.h).
    ItemRoots roots;
};

/// What the reading thread asks of its run.
struct SourceHooks {
    std::function<bool()> stopping;                    // the run is asked to stop
    std::function<double()> clock;                     // seconds since the run started
    std::function<void(const std::string&)> report;    // a failure of the source as a whole
    std::function<void(const SourceItem&)> notice;     // news of the source itself (SourceItem::notice)
};

class StreamSource {
public:
    /// The source of `stream` (which has one), its items at `site`; relative paths are found
    /// in `baseDir`; `replay`: the log of a replayed run, or nullptr.
    /// `hashItems`: provenance is on, so file items are hashed where they are decoded.
    StreamSource(const StreamDecl& stream, std::string site, const Program& program, const CompiledCode* compiled,
                 std::filesystem::path baseDir, const ReplayLog* replay, bool hashItems = false);
    ~StreamSource();

    /// Opens it (a bad folder, glob or endpoint throws DataError here, before any thread runs);
    /// `files` lists its files later, in start(), after the flow-level statements ran.
    void open();
    /// Starts reading on its own thread into `input`, which it closes at the end.
    void start(BoundedQueue<IncomingItem>& input, SourceHooks hooks);
    /// Stops reading (endless sources end so). Thread-safe.
    void stop();
    void join();
    /// Whether it never ends by itself (watch, zmq), and whether stop() was called.
    bool endless() const { return source_ && !source_->finite(); }
    bool stopped() const { return stopped_.load(); }

private:
    void openNow();
    void read(BoundedQueue<IncomingItem>& input);
    void readGenerated(BoundedQueue<IncomingItem>& input);
    /// Sleeps until `due`, waking every few milliseconds to see whether the run stops;
    /// false when it does.
    bool waitUntil(std::chrono::steady_clock::time_point due) const;

    const StreamDecl& decl_;
    std::string site_;
    const Program& program_;
    const CompiledCode* compiled_;
    std::filesystem::path baseDir_;
    const ReplayLog* replay_;
    const bool hashItems_;
    SourceHooks hooks_;
    std::unique_ptr<Source> source_;
    std::mutex mutex_;  // around source_->stop()
    std::thread reader_;
    std::atomic<bool> stopped_{false};
};

}  // namespace xdml::runtime
