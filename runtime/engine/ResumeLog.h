// ResumeLog.h — the durable part of resume: one append-only file per run,
// <workdir>/resume/run-<id>.log, holding what a later `xdmlc run --resume` may reuse: each
// task call's outcome under its key (CallKey.h), and each source item once it was fully handled,
// with the catalog rows its firings wrote. A record is a length, a kind, the payload and its
// XXH64. Records are written in groups, like provenance's: the caller appends to a buffer under
// a short lock, and a writer thread writes what has gathered with one write(2) every
// `interval` (a large record is written by its caller at once). A group in the page cache
// survives kill -9 of the run; a kill loses at most the last interval's records, whose work a
// resume does again (the run's catalog rows that no kept item holds are removed then). A write
// that fails is an error, never silent: it is reported through `failed`, and every later append
// throws. Reading tolerates a torn last record and counts, and skips, a record whose checksum is
// wrong.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>
#include <unordered_map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xdml::runtime {

class MessageWriter;

/// The resume log cannot be written or read as a whole: its message names the file.
class ResumeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A file a task's body read, with its content hash then.
using FileRead = std::pair<std::string, std::string>;
/// A catalog row: the catalog's name and the row's id.
using CatalogRow = std::pair<std::string, int64_t>;

/// A task call's outcome, kept under its key.
struct TaskEntry {
    std::string key, outputHash, outcome;  // outcome: encodeOutcome's bytes
    std::vector<FileRead> reads;
};

/// A source item whose every firing (and every firing of what they emitted) ended well.
struct HandledItem {
    std::string stream, origin, hash;
    std::vector<CatalogRow> rows;  // the rows those firings recorded
};

/// What a run's log holds.
struct ResumeLogContents {
    bool header = false;  // its header was read (else the records below cannot be trusted to match the code)
    int64_t resumed = 0;  // the run it resumed itself, 0: none
    std::string flowsHash;  // the code it ran (flowCodeHash, CallKey.h)
    std::unordered_map<std::string, TaskEntry> tasks;
    std::vector<HandledItem> items;
    std::size_t headerEnd = 0, readEnd = 0;  // byte offsets: after the header, after the last whole record
    int corrupt = 0;         // records whose checksum or layout was wrong (skipped)
    bool tornTail = false;   // the last record was cut short (the run was killed as it wrote)
};

/// <workdir>/resume/run-<id>.log
std::filesystem::path resumeLogPath(const std::filesystem::path& workdir, int64_t run);

/// Reads a run's log. A missing file is an empty log; one that cannot be read is a ResumeError.
ResumeLogContents readResumeLog(const std::filesystem::path& file);

class ResumeLogWriter {
public:
    /// Told of a group the writer thread could not write (its message counts the records lost).
    using Failed = std::function<void(const ResumeError& error)>;
    /// The longest a record waits in the buffer before its group is written.
    static constexpr std::chrono::milliseconds kInterval{20};
    /// A record (with what waits before it) this large is written by its caller at once.
    static constexpr std::size_t kWriteAtOnce = 256 * 1024;

    /// Creates the file (and its folder) and writes its header; a ResumeError when it cannot.
    /// `failed`: told of a group the writer thread could not write (none: stderr is); every
    /// later append throws.
    ResumeLogWriter(std::filesystem::path file, int64_t resumed, const std::string& flowsHash, Failed failed = {});
    /// Writes what is buffered; a failure goes to `failed` (a destructor cannot throw).
    ~ResumeLogWriter();
    ResumeLogWriter(const ResumeLogWriter&) = delete;
    ResumeLogWriter& operator=(const ResumeLogWriter&) = delete;

    /// Each appends one record (thread-safe), written within kInterval; a ResumeError when the
    /// log could not be written before, or a record written at once is not all written.
    void task(const TaskEntry& entry);
    void item(const HandledItem& item);
    /// Writes everything appended so far now; a ResumeError when it cannot.
    void flush();
    /// Everything a resumed run's log kept, in one write: a resume of this run (killed in turn)
    /// then finds it too, whether or not this run came to use it.
    void carry(const std::unordered_map<std::string, TaskEntry>& tasks, const std::vector<HandledItem>& items);
    /// The same, when all of it is carried: the records of `previous` (its log's file) as they
    /// are, copied byte for byte between `contents`' header and its last whole record.
    void carryAll(const std::filesystem::path& previous, const ResumeLogContents& contents);
    const std::filesystem::path& file() const { return file_; }

private:
    /// Appends one record whose payload `write` encodes.
    void append(char kind, const std::function<void(MessageWriter&)>& write);
    /// Writes what is buffered, then `more` (under writing_). Throws a ResumeError.
    void writeBuffered(std::string_view more = {});
    void writeAll(std::string_view bytes);
    void writeGroups();

    std::filesystem::path file_;
    Failed failed_;
    int fd_ = -1;
    std::mutex writing_;   // held while bytes go to the file, so groups reach it in append order
    std::string spare_;    // the group being written (under writing_)
    std::mutex mutex_;     // guards what follows; never held across a write(2)
    std::condition_variable wake_;
    std::string buffer_;   // framed records not written yet
    std::size_t buffered_ = 0;  // how many
    bool broken_ = false;  // a write failed part-way: nothing after it could be read back
    std::string brokenBy_; // that write's error
    bool stopping_ = false;
    std::thread thread_;   // last: it starts once everything above exists
};

}  // namespace xdml::runtime
