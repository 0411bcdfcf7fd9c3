// Transport.cpp — see Transport.h.
#include "runtime/engine/Transport.h"

#include "runtime/io/AtomicWrite.h"
#include "runtime/io/DataError.h"
#include "runtime/io/ValueCodec.h"

#include <fstream>

namespace xdml::runtime {

namespace fs = std::filesystem;

Value FolderTransport::carry(const Value& value, const std::string& from, const std::string& to) {
    const std::string raw = encodeValue(value);
    const uint64_t n = ++counter_;
    const fs::path out = workdir_ / "sites" / from / "outbox" / (std::to_string(n) + ".xv");
    const fs::path in = workdir_ / "sites" / to / "inbox" / (std::to_string(n) + ".xv");
    try {
        writeFileAtomically(out, raw, Durability::Scratch);
    } catch (const WriteError& e) {
        throw WriteError(e.path(), "cannot write a value moving to site " + to + ": " + e.reason());
    }
    std::error_code ec;
    fs::copy_file(out, in, fs::copy_options::overwrite_existing, ec);
    if (ec) throw DataError(in.string(), "cannot copy a value to site " + to + ": " + ec.message());
    fs::remove(out, ec);
    std::string back(raw.size(), '\0');
    {
        std::ifstream f(in, std::ios::binary);
        f.read(back.data(), static_cast<std::streamsize>(back.size()));
        if (!f) throw DataError(in.string(), "cannot read back a value moved to site " + to);
    }
    fs::remove(in, ec);  // the value lives on in memory at `to`; the copy was the move
    return decodeValue(reinterpret_cast<const std::byte*>(back.data()), back.size(), "a value moved to site " + to);
}

}  // namespace xdml::runtime
