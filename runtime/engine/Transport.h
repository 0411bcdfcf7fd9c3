// Transport.h — how a value's bytes get from one site to another. Run::moveTo serializes the
// value, counts and records the move, and hands the bytes to its transport; what comes out at
// the receiving site is decoded there. FolderTransport is this machine's: the sites' folders.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

namespace xdml::runtime {

class Transport {
public:
    virtual ~Transport() = default;
    /// Carries `bytes` from site `from` to site `to`; the bytes as they arrived. Throws
    /// DataError when they cannot be carried.
    virtual std::string carry(const std::string& bytes, const std::string& from, const std::string& to) = 0;
};

/// The bytes are written to the sender's `sites/<from>/outbox`, copied into the receiver's
/// `sites/<to>/inbox` and read back there: the bytes moved are bytes really copied.
class FolderTransport : public Transport {
public:
    explicit FolderTransport(std::filesystem::path workdir) : workdir_(std::move(workdir)) {}
    std::string carry(const std::string& bytes, const std::string& from, const std::string& to) override;

private:
    std::filesystem::path workdir_;
    std::atomic<uint64_t> counter_{0};
};

}  // namespace xdml::runtime
