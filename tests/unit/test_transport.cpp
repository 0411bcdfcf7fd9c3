// test_transport.cpp — which transport carries a move (Transport.h): the sites' folders between
// sites on this machine, really copying the bytes; the executor's messages when either site runs
// on other ranks, copying nothing and touching no folder.
#include "runtime/engine/Transport.h"
#include "runtime/io/ValueCodec.h"

#include "TempDir.h"

#include <catch2/catch.hpp>

using namespace xdml;
using namespace xdml::runtime;
namespace fs = std::filesystem;

namespace {

Value aTensor() {
    Tensor t = Tensor::zeros(ElemType::F32, {1000});
    for (int i = 0; i < 1000; ++i) t.data<float>()[i] = static_cast<float>(i) / 7;
    return Value::tensor(std::move(t));
}

bool empty(const fs::path& folder) { return fs::is_empty(folder); }

}  // namespace

TEST_CASE("a move between local sites is a folder copy and one to or from a site elsewhere copies nothing") {
    test::TempDir work("xdml_transport");
    for (const char* site : {"home", "edge", "far"})
        for (const char* box : {"outbox", "inbox"}) fs::create_directories(work / "sites" / site / box);
    SiteTransports transports(work.path());
    transports.runsElsewhere("far");
    const Value v = aTensor();

    Transport& folders = transports.between("home", "edge");
    CHECK(folders.copies());
    const Value copied = folders.carry(v, "home", "edge");
    CHECK(copied.asTensor().buffer != v.asTensor().buffer);  // new bytes, read back at the receiver
    CHECK(encodeValue(copied) == encodeValue(v));
    CHECK(empty(work / "sites" / "home" / "outbox"));  // the move's files are removed once read
    CHECK(empty(work / "sites" / "edge" / "inbox"));

    // Both directions: the result of a call at `far` coming home is carried by the outcome.
    for (const auto& [from, to] : {std::pair{"home", "far"}, std::pair{"far", "home"}}) {
        Transport& messages = transports.between(from, to);
        CHECK_FALSE(messages.copies());
        CHECK(&messages != &folders);
        const Value carried = messages.carry(v, from, to);
        CHECK(carried.asTensor().buffer == v.asTensor().buffer);  // the value itself: no copy
    }
    // With the sites' folders gone a folder copy fails: a move to `far` still works, so it
    // writes nothing there.
    fs::remove_all(work / "sites" / "far");
    fs::remove_all(work / "sites" / "home");
    CHECK(transports.between("home", "far").carry(v, "home", "far").asTensor().buffer == v.asTensor().buffer);
    CHECK_THROWS(transports.between("edge", "home").carry(v, "edge", "home"));  // the folders are needed locally
}
