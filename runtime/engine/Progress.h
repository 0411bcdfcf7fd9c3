// Progress.h — the live progress line of `xdmlc run` on a terminal: items per stream,
// firings per handler, queue depth, deadline misses, redrawn a few times a second on stderr.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace xdml::runtime {

class Run;

class Progress {
public:
    explicit Progress(Run& run) : run_(run) {}
    ~Progress() { stop(); }
    void start();
    void stop();
    /// The line as it would be drawn now.
    std::string line() const;

private:
    Run& run_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
};

}  // namespace xdml::runtime
