// CaptureQueue.cpp — the writer thread's loop: sleep until a record arrives, let the group
// gather for one interval, swap batches, commit outside the lock, report.
#include "runtime/provenance/CaptureQueue.h"

#include "runtime/provenance/ProvenanceError.h"

#include <algorithm>
#include <cstdio>

namespace xdml::runtime::prov {

CaptureQueue::CaptureQueue(std::unique_ptr<GroupWriter> writer, std::string dbFile, CaptureSettings settings)
    : writer_(std::move(writer)), dbFile_(std::move(dbFile)), settings_(settings) {
    thread_ = std::thread([this] { writeGroups(); });
}

CaptureQueue::~CaptureQueue() {
    std::string loss = close();
    if (!loss.empty()) std::fprintf(stderr, "xdml: %s\n", loss.c_str());
}

void CaptureQueue::waitForRoom(std::unique_lock<std::mutex>& lock) {
    ++counters_.stalls;
    wake_.notify_one();
    roomMade_.wait(lock, [&] { return pending_.records < settings_.maxPending; });
}

void CaptureQueue::writeGroups() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return pending_.records > 0 || stopping_; });
        if (pending_.records == 0) return;  // stopping, and nothing is left
        auto deadline = std::chrono::steady_clock::now() + settings_.interval;
        wake_.wait_until(lock, deadline, [&] {
            return stopping_ || pending_.records >= settings_.groupRecords || flushWanted_ > settled_;
        });
        std::swap(pending_, writing_);
        uint64_t upTo = appended_;
        roomMade_.notify_all();
        lock.unlock();

        std::string error;
        try {
            writer_->write(writing_);
        } catch (const std::exception& e) {
            error = e.what();
        } catch (...) {
            error = dbFile_ + ": unknown failure while committing a group";
        }
        std::size_t records = writing_.records;
        writing_.clear();

        lock.lock();
        settled_ = upTo;
        if (error.empty()) {
            counters_.records += records;
            ++counters_.groups;
        } else {
            counters_.lost += records;
            unreportedRecords_ += records;
            ++unreportedGroups_;
            if (firstError_.empty()) firstError_ = error;
        }
        committed_.notify_all();
    }
}

std::string CaptureQueue::takeLossReport() {
    if (unreportedRecords_ == 0) return "";
    std::string report = dbFile_ + ": " + std::to_string(unreportedRecords_) + " provenance records in " +
                         std::to_string(unreportedGroups_) +
                         " group(s) could not be committed; the first failure: " + firstError_;
    unreportedRecords_ = unreportedGroups_ = 0;
    firstError_.clear();
    return report;
}

void CaptureQueue::flush() {
    std::unique_lock lock(mutex_);
    uint64_t target = appended_;
    if (settled_ < target) {
        flushWanted_ = std::max(flushWanted_, target);
        wake_.notify_one();
        committed_.wait(lock, [&] { return settled_ >= target; });
    }
    std::string loss = takeLossReport();
    if (!loss.empty()) throw ProvenanceError(loss);
}

std::string CaptureQueue::close() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    return takeLossReport();
}

CaptureCounters CaptureQueue::counters() const {
    std::lock_guard lock(mutex_);
    return counters_;
}

}  // namespace xdml::runtime::prov
