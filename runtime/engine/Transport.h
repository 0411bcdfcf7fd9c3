// Transport.h — how a value gets from one site to another. Run::moveTo counts and records the
// move and asks SiteTransports which transport carries it: the sites' folders on this machine
// (FolderTransport), or, when either site runs on other ranks, the executor's own messages
// (MessageTransport: the `go` message carries a call's arguments to the site's rank and its
// `done` carries the result back, docs/distributed.md), so the move copies nothing itself.
#pragma once

#include "runtime/values/Value.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>

namespace xdml::runtime {

class Transport {
public:
    virtual ~Transport() = default;
    /// Carries `value` from site `from` to site `to`; the value as it arrived. Throws
    /// DataError when it cannot be carried.
    virtual Value carry(const Value& value, const std::string& from, const std::string& to) = 0;
    /// Whether what arrives is a new copy of the bytes (hashed again for provenance: the hash
    /// then proves the copy) rather than the value itself, which a later message carries.
    virtual bool copies() const = 0;
};

/// The value is serialized, written to the sender's `sites/<from>/outbox`, copied into the
/// receiver's `sites/<to>/inbox`, read back there and decoded: the bytes moved are bytes
/// really copied.
class FolderTransport : public Transport {
public:
    explicit FolderTransport(std::filesystem::path workdir) : workdir_(std::move(workdir)) {}
    Value carry(const Value& value, const std::string& from, const std::string& to) override;
    bool copies() const override { return true; }

private:
    std::filesystem::path workdir_;
    std::atomic<uint64_t> counter_{0};
};

/// For a site that runs elsewhere: the value stays as it is (a tensor's buffer is shared, never
/// copied) and crosses in the executor's messages to the rank that uses it. Nothing touches
/// the sites' folders.
class MessageTransport : public Transport {
public:
    Value carry(const Value& value, const std::string&, const std::string&) override { return value; }
    bool copies() const override { return false; }
};

/// The transport of each move: messages when either end runs elsewhere, the folders otherwise.
class SiteTransports {
public:
    explicit SiteTransports(std::filesystem::path workdir) : folders_(std::move(workdir)) {}
    /// Called while the run is set up, before any move.
    void runsElsewhere(const std::string& site) { elsewhere_.insert(site); }
    Transport& between(const std::string& from, const std::string& to) {
        if (elsewhere_.count(from) || elsewhere_.count(to)) return messages_;
        return folders_;
    }

private:
    FolderTransport folders_;
    MessageTransport messages_;
    std::set<std::string> elsewhere_;
};

}  // namespace xdml::runtime
