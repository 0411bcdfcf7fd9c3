// ResumeLog.cpp — see ResumeLog.h.
#include "runtime/engine/ResumeLog.h"

#include "runtime/engine/MessageCodec.h"
#include "runtime/provenance/ContentHash.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace xdml::runtime {

namespace {

constexpr char kHeader = 'R', kTask = 'T', kItem = 'I';
constexpr std::size_t kFrame = sizeof(uint32_t) + 1;  // length and kind; the checksum follows the payload

uint64_t checksum(char kind, const char* payload, std::size_t n) {
    prov::ContentHasher h(0x7265'7375'6d65ULL);
    h.update(&kind, 1);
    h.update(payload, n);
    return h.digest();
}

/// One record, appended to `out`: length, kind, payload, checksum (the payload's, computed by the caller).
void frameInto(std::string& out, char kind, std::string_view payload, uint64_t sum) {
    const auto n = static_cast<uint32_t>(payload.size());
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out += kind;
    out += payload;
    out.append(reinterpret_cast<const char*>(&sum), sizeof sum);
}

uint64_t checkedSum(char kind, std::string_view payload) {
    if (payload.size() > UINT32_MAX) throw ResumeError("a resume log record of " + std::to_string(payload.size()) + " bytes is too large");
    return checksum(kind, payload.data(), payload.size());
}

std::string framed(char kind, std::string_view payload) {
    const uint64_t sum = checkedSum(kind, payload);
    std::string record;
    record.reserve(kFrame + payload.size() + sizeof sum);
    frameInto(record, kind, payload, sum);
    return record;
}

void writeTask(MessageWriter& w, const TaskEntry& e) {
    w.text(e.key);
    w.text(e.outputHash);
    w.text(e.outcome);
    w.pod<uint64_t>(e.reads.size());
    for (const auto& [path, hash] : e.reads) {
        w.text(path);
        w.text(hash);
    }
}

void writeItem(MessageWriter& w, const HandledItem& item) {
    w.text(item.stream);
    w.text(item.origin);
    w.text(item.hash);
    w.pod<uint64_t>(item.rows.size());
    for (const auto& [catalog, row] : item.rows) {
        w.text(catalog);
        w.pod<int64_t>(row);
    }
}

template <typename Entry>
std::string payloadOf(void (*write)(MessageWriter&, const Entry&), const Entry& entry) {
    MessageWriter w;
    write(w, entry);
    return w.take();
}

void readRecord(char kind, const std::string& payload, ResumeLogContents& out) {
    MessageReader r(payload, "resume log record");
    if (kind == kHeader) {
        out.resumed = r.pod<int64_t>();
        out.flowsHash = r.text();
        out.header = true;
    } else if (kind == kTask) {
        TaskEntry e;
        e.key = r.text();
        e.outputHash = r.text();
        e.outcome = r.text();
        for (uint64_t n = r.count(16); n > 0; --n) {
            std::string path = r.text();
            e.reads.emplace_back(std::move(path), r.text());
        }
        std::string key = e.key;
        out.tasks.insert_or_assign(std::move(key), std::move(e));
    } else if (kind == kItem) {
        HandledItem item;
        item.stream = r.text();
        item.origin = r.text();
        item.hash = r.text();
        for (uint64_t n = r.count(16); n > 0; --n) {
            std::string catalog = r.text();
            item.rows.emplace_back(std::move(catalog), r.pod<int64_t>());
        }
        out.items.push_back(std::move(item));
    } else {
        r.fail(std::string("an unknown kind '") + kind + "'");
    }
    r.end();
}

}  // namespace

std::filesystem::path resumeLogPath(const std::filesystem::path& workdir, int64_t run) {
    return workdir / "resume" / ("run-" + std::to_string(run) + ".log");
}

ResumeLogContents readResumeLog(const std::filesystem::path& file) {
    ResumeLogContents out;
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return out;
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    if (!in && !in.eof()) throw ResumeError("cannot read the resume log " + file.string() + ": " + std::strerror(errno));
    const std::string bytes = s.str();
    std::size_t at = 0;
    while (at < bytes.size()) {
        if (bytes.size() - at < kFrame) {
            out.tornTail = true;
            break;
        }
        uint32_t n = 0;
        std::memcpy(&n, bytes.data() + at, sizeof n);
        const char kind = bytes[at + sizeof n];
        if (bytes.size() - at - kFrame < static_cast<std::size_t>(n) + sizeof(uint64_t)) {
            out.tornTail = true;  // cut short by a kill, or a wrong length: nothing after it can be trusted
            break;
        }
        const char* payload = bytes.data() + at + kFrame;
        uint64_t sum = 0;
        std::memcpy(&sum, payload + n, sizeof sum);
        at += kFrame + n + sizeof sum;
        if (sum != checksum(kind, payload, n)) {
            out.corrupt++;
            out.readEnd = at;
            continue;
        }
        try {
            readRecord(kind, std::string(payload, n), out);
            if (kind == kHeader && out.headerEnd == 0) out.headerEnd = at;
        } catch (const MessageError&) {
            out.corrupt++;
        }
        out.readEnd = at;
    }
    return out;
}

ResumeLogWriter::ResumeLogWriter(std::filesystem::path file, int64_t resumed, const std::string& flowsHash, Failed failed)
    : file_(std::move(file)), failed_(std::move(failed)) {
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    if (ec) throw ResumeError("cannot create the resume folder " + file_.parent_path().string() + ": " + ec.message());
    fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw ResumeError("cannot create the resume log " + file_.string() + ": " + std::strerror(errno));
    MessageWriter w;
    w.pod<int64_t>(resumed);
    w.text(flowsHash);
    try {
        writeAll(framed(kHeader, w.take()));  // at once: a log without its header is not read
    } catch (...) {
        ::close(fd_);
        throw;
    }
    buffer_.reserve(kWriteAtOnce);
    spare_.reserve(kWriteAtOnce);
    thread_ = std::thread([this] { writeGroups(); });
}

ResumeLogWriter::~ResumeLogWriter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();  // it writes what is buffered before it ends
    if (fd_ >= 0) ::close(fd_);
}

void ResumeLogWriter::task(const TaskEntry& e) {
    append(kTask, [&](MessageWriter& w) { writeTask(w, e); });
}

void ResumeLogWriter::item(const HandledItem& item) {
    append(kItem, [&](MessageWriter& w) { writeItem(w, item); });
}

void ResumeLogWriter::carryAll(const std::filesystem::path& previous, const ResumeLogContents& contents) {
    if (contents.readEnd <= contents.headerEnd) return;
    std::ifstream in(previous, std::ios::binary);
    std::string bytes(contents.readEnd - contents.headerEnd, '\0');
    in.seekg(static_cast<std::streamoff>(contents.headerEnd));
    if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
        throw ResumeError("cannot read the resume log " + previous.string() + " again to carry it: " + std::strerror(errno));
    writeBuffered(bytes);
}

void ResumeLogWriter::carry(const std::unordered_map<std::string, TaskEntry>& tasks, const std::vector<HandledItem>& items) {
    std::string bytes;
    for (const auto& [key, e] : tasks) bytes += framed(kTask, payloadOf(writeTask, e));
    for (const HandledItem& item : items) bytes += framed(kItem, payloadOf(writeItem, item));
    writeBuffered(bytes);
}

void ResumeLogWriter::flush() {
    writeBuffered();
}

void ResumeLogWriter::append(char kind, const std::function<void(MessageWriter&)>& write) {
    // A record per task and per item: each thread encodes into its own buffer, which keeps its
    // capacity, and frames it straight into the group. No allocation in the steady state.
    thread_local std::string scratch;
    MessageWriter w(std::move(scratch));
    write(w);
    scratch = w.take();
    const uint64_t sum = checkedSum(kind, scratch);
    {
        std::lock_guard lock(mutex_);
        if (broken_) throw ResumeError("the resume log " + file_.string() + " could not be written before: nothing more is kept (" + brokenBy_ + ")");
        if (buffer_.size() + kFrame + scratch.size() + sizeof sum < kWriteAtOnce) {
            frameInto(buffer_, kind, scratch, sum);
            // The writer sleeps while nothing is buffered: the first record of a group wakes it,
            // every other append costs no system call.
            if (++buffered_ == 1) wake_.notify_one();
            return;
        }
    }
    // A record too large for the group (a task's large result) is framed with the sum already
    // taken, and lets go of the buffer: no thread keeps more than kWriteAtOnce of capacity.
    std::string record;
    record.reserve(kFrame + scratch.size() + sizeof sum);
    frameInto(record, kind, scratch, sum);
    scratch = std::string();
    writeBuffered(record);
}

void ResumeLogWriter::writeBuffered(std::string_view more) {
    std::lock_guard writing(writing_);
    // The two buffers trade places and keep their capacity: appends never grow (and copy) one
    // again in the steady state.
    std::string& group = spare_;
    group.clear();
    std::size_t records = 0;
    {
        std::lock_guard lock(mutex_);
        if (broken_ && buffered_ == 0 && more.empty()) return;  // its failure was told; nothing more was taken
        if (broken_) throw ResumeError("the resume log " + file_.string() + " could not be written before: nothing more is kept (" + brokenBy_ + ")");
        group.swap(buffer_);
        records = buffered_;
        buffered_ = 0;
    }
    try {
        writeAll(group);
        writeAll(more);
    } catch (const ResumeError& e) {
        std::lock_guard lock(mutex_);
        broken_ = true;
        brokenBy_ = e.what();
        throw ResumeError(std::string(e.what()) + " (" + std::to_string(records + (more.empty() ? 0 : 1)) +
                          " records not kept)");
    }
}

void ResumeLogWriter::writeGroups() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || buffered_ > 0; });
        if (buffered_ == 0 || broken_) return;  // stopping, with nothing (more) to write
        // Let the group gather, unless the log is closing.
        wake_.wait_for(lock, kInterval, [&] { return stopping_; });
        lock.unlock();
        try {
            writeBuffered();
        } catch (const std::exception& e) {  // a ResumeError; anything else must not end the process either
            const ResumeError error(e.what());
            if (failed_)
                failed_(error);
            else
                std::fprintf(stderr, "xdmlc: error: resume: %s\n", error.what());
        }
        lock.lock();
    }
}

void ResumeLogWriter::writeAll(std::string_view bytes) {
    // One write per group (or large record), so a kill leaves at most the last one torn; a short
    // write (a full disk part-way) is an error like any other, and nothing is appended after it.
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t w = ::write(fd_, bytes.data() + done, bytes.size() - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = ENOSPC;
            throw ResumeError("cannot write the resume log " + file_.string() + ": " + std::strerror(errno));
        }
        done += static_cast<std::size_t>(w);
    }
}

}  // namespace xdml::runtime
