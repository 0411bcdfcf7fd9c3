// AtomicWrite.h — the one way the tool writes a file: whole or not at all, and a failure is
// an error with the path and the reason, never a silent success.
#pragma once

#include "runtime/io/DataError.h"
#include "runtime/io/PrintableName.h"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace xdml::runtime {

/// A file that could not be written: `path()` and the reason (strerror); what() is both.
/// A DataError, so a run reports it where it reports any file it could not use.
/// The message shows the path with control characters escaped; `path()` keeps it as it is.
class WriteError : public DataError {
public:
    WriteError(const std::string& path, const std::string& reason) : DataError(printableName(path), reason), path_(path) {}
    const std::string& path() const { return path_; }
    const std::string& reason() const { return problem(); }

private:
    std::string path_;
};

/// How far a write goes before it counts as done.
enum class Durability {
    /// fsync the file before the rename and the folder after it: the new content survives a
    /// crash, and a crash leaves the old content, never a mix.
    Synced,
    /// Every write and the close checked and the rename atomic, without the two fsyncs: for the
    /// run's scratch files (a value read back at once, a transfer), which a crash makes moot.
    Scratch,
};

/// Writes `bytes` to `path`: a temporary file in the same folder (so the rename cannot cross
/// disks), every write and the close checked, then renamed over `path`. On any failure the
/// temporary file is removed, an existing `path` is left as it was, and WriteError is thrown.
/// A symlink is followed (the file it names is replaced, the link stays); a device, FIFO or
/// socket is written through in place, as a shell's `>` would; a folder is an error.
void writeFileAtomically(const std::filesystem::path& path, std::string_view bytes,
                         Durability durability = Durability::Synced);

/// Syncs the file systems that hold `folders` (syncfs, once per file system), making durable
/// the files written there with Durability::Scratch. A folder that is gone is skipped (nothing
/// there to sync); a file system that fails to write back is a WriteError naming the folder.
void syncFileSystemsOf(const std::vector<std::string>& folders);

/// The target of an `-o` option: "-" is standard output (flushed, every write checked),
/// anything else a file written by writeFileAtomically. Throws WriteError.
void writeOutput(const std::string& target, std::string_view bytes);

}  // namespace xdml::runtime
