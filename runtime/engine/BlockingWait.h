// BlockingWait.h — a wait on a handler thread that the thread's firing queue is told of: a
// task's result, a catalog's commit, a command or a retry's pause. For as long as it lasts the
// thread does not count among the threads running firings, so the queue lets another run
// instead (starting one if none is free), as Java's ForkJoinPool.managedBlock compensates a
// blocked worker. On any other thread it does nothing.
#pragma once

namespace xdml::runtime {

class FiringQueue;

class BlockingWait {
public:
    BlockingWait();
    ~BlockingWait();
    BlockingWait(const BlockingWait&) = delete;
    BlockingWait& operator=(const BlockingWait&) = delete;

private:
    FiringQueue* queue_ = nullptr;  // the queue told, or nullptr (not a handler thread, or a wait inside another)
};

}  // namespace xdml::runtime
