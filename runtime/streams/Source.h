// Source.h — where a stream's items come from (LANGUAGE.md §3): files(glob), watch(dir, glob)
// and zmq(endpoint). A source only delivers decoded items in arrival order; numbering them,
// typing them at run time and dispatching handlers happen downstream.
#pragma once

#include "runtime/interp/Program.h"
#include "runtime/values/Value.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace xdml::runtime {

/// How `files` and `watch` read each file (their options, LANGUAGE.md §9).
struct FileOptions {
    /// Set: the frames of this HDF5 dataset ("/entry/data/data"), whatever the extension.
    std::string dataset;
    /// `format: raw` or `format: npy`; else the extension decides (.raw and .bin are raw).
    enum class Format { ByExtension, Npy, Raw } format = Format::ByExtension;
    /// Take each tensor item's content hash where it is decoded (SourceItem::hash): with
    /// provenance on, so that frames decoded on several threads are hashed there too.
    bool hashItems = false;
};

struct SourceItem {
    Value value;
    /// Where the item came from: the file's path, or the endpoint and message number
    /// ("tcp://127.0.0.1:5555#17", counting every message received from 0).
    std::string origin;
    /// The size of the file or message payload as received.
    uint64_t bytes = 0;
    /// The value's content hash (runtime::contentHashOf's), when the source took it
    /// (FileOptions::hashItems); else empty, and the run takes it.
    std::string hash;
    /// Non-empty for a malformed item (value is none): the whole message, starting with the origin.
    std::string error;
    /// Found by a rescan after the source lost track of its events, not by an event of its own.
    bool recovered = false;
    /// Non-empty: not an item but news of the source itself (it lost events and rescanned, its
    /// folder went away or came back), for the run's report; never counted as an item.
    std::string notice;
    /// With a notice: the source lost track of its input for a while (the run counts these).
    bool gap = false;
    /// With a notice: items may be lost for good, so the run cannot report success.
    bool mayHaveMissed = false;
};

/// One stream's source. next() is called from one thread at a time; stop() from any thread.
/// Destroy a source only after its next() has returned.
class Source {
public:
    virtual ~Source() = default;
    /// Blocks until the next item (true), the end of a finite source (false), or stop() (false).
    /// Never throws for bad data: a malformed item comes back with `error` set, news of the
    /// source itself with `notice` set.
    virtual bool next(SourceItem& out) = 0;
    /// Makes a blocked next() return false soon (within ~50 ms); thread-safe; idempotent.
    virtual void stop() = 0;
    virtual bool finite() const = 0;
};

// The factories start the source at once (the files are listed, the folder watched, the socket
// bound or connected) and throw DataError if it cannot start. `itemType` is the stream's item
// type followed to its structure. A relative glob, folder or ipc:// path is relative to baseDir.
// Tensor items are decoded from .npy (and, for messages, raw elements); for an item type of
// `path` or `string`, files and watch deliver the file's path instead of its contents.

/// files(glob): the regular files matching the glob when the source is made (`*`, `?`, `[...]`,
/// folder parts such as "data/run*/*.npy"; a leading `.` is matched only explicitly), in byte
/// order of their paths. Finite.
std::unique_ptr<Source> makeFilesSource(const std::string& glob, const std::filesystem::path& baseDir,
                                        TypeDesc itemType, FileOptions options = {});

/// Exactly these files, in this order (a replay's recorded items; with a dataset,
/// "file.h5:/dataset[i]" is that frame alone). Finite.
std::unique_ptr<Source> makeListedFilesSource(std::vector<std::filesystem::path> files, TypeDesc itemType,
                                              FileOptions options = {});
/// watch(dir, glob): each file that lands in `dir` from now on — closed after writing, or renamed
/// into it — whose name matches the glob. Endless. See WatchSource.cpp for the rules.
std::unique_ptr<Source> makeWatchSource(const std::string& dir, const std::string& glob,
                                        const std::filesystem::path& baseDir, TypeDesc itemType,
                                        FileOptions options = {});

/// zmq(endpoint): each ZeroMQ message is one item. Endless. The endpoint convention is in
/// ZmqSource.cpp: "tcp://*:5555" binds a PULL socket, "tcp://host:5555" connects one,
/// "sub+tcp://host:5556#topic" connects a SUB socket.
std::unique_ptr<Source> makeZmqSource(const std::string& endpoint, TypeDesc itemType,
                                      const std::filesystem::path& baseDir);

}  // namespace xdml::runtime
