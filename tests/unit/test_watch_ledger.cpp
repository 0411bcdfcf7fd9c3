// test_watch_ledger.cpp — what watch() delivers after it lost track of its folder: the ledger's
// once-each, name-ordered rescans, and a watched folder removed and made again.
#include "StreamTestSupport.h"
#include "runtime/io/Npy.h"
#include "runtime/streams/Source.h"
#include "runtime/streams/WatchLedger.h"

#include <catch2/catch.hpp>

#include <thread>

using namespace xdml;
using namespace std::chrono_literals;
using runtime::FileStamp;
using runtime::ListedFile;
using runtime::WatchLedger;

namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kNow = 1000 * kSecond;

/// A file version: inode `inode`, written `age` seconds before kNow.
ListedFile file(const std::string& name, uint64_t inode, int64_t age = 10) {
    return {name, FileStamp{1, inode, 100, kNow - age * kSecond}};
}

}  // namespace

TEST_CASE("a rescan delivers what no event delivered, once, in name order", "[streams][watch]") {
    WatchLedger ledger(kSecond);
    ledger.markPresent({file("old.npy", 1)});  // there when the watch started: never a rescan's item
    CHECK(ledger.takeEvent("b.npy", file("b.npy", 2).stamp));
    CHECK_FALSE(ledger.takeEvent("b.npy", file("b.npy", 2).stamp));  // a second event of one version
    CHECK_FALSE(ledger.takeEventOfGone("b.npy"));  // delivered, then moved away by a handler
    CHECK(ledger.takeEventOfGone("never.npy"));    // gone before it was read: reading it says so

    auto found = ledger.takeRescan({file("d.npy", 4), file("old.npy", 1), file("b.npy", 2), file("a.npy", 5),
                                    file("C.npy", 6)},
                                   kNow);
    CHECK(found.deliver == std::vector<std::string>{"C.npy", "a.npy", "d.npy"});  // bytes: 'C' < 'a'
    CHECK(found.unsettled == 0);
    // The events that come after the rescan, and another rescan, deliver none of them again.
    CHECK_FALSE(ledger.takeEvent("a.npy", file("a.npy", 5).stamp));
    CHECK(ledger.takeRescan({file("d.npy", 4), file("old.npy", 1), file("b.npy", 2), file("a.npy", 5)}, kNow)
              .deliver.empty());
}

TEST_CASE("a file written again, or there at the start and written since, counts again", "[streams][watch]") {
    WatchLedger ledger(kSecond);
    ledger.markPresent({file("old.npy", 1, 50)});
    CHECK(ledger.takeEvent("old.npy", file("old.npy", 1, 5).stamp));  // its event: written since the start
    CHECK(ledger.takeEvent("f.npy", file("f.npy", 2, 9).stamp));
    // Rewritten in place (newer) and replaced by a rename (another inode) while events were lost.
    auto found = ledger.takeRescan({file("f.npy", 2, 3), file("old.npy", 7, 5)}, kNow);
    CHECK(found.deliver == std::vector<std::string>{"f.npy", "old.npy"});
}

TEST_CASE("a rescan leaves a file written too recently for its close event or a later rescan",
          "[streams][watch]") {
    WatchLedger ledger(kSecond);
    auto found = ledger.takeRescan({file("done.npy", 1, 2), file("busy.npy", 2, 0)}, kNow);
    CHECK(found.deliver == std::vector<std::string>{"done.npy"});
    CHECK(found.unsettled == 1);
    // Its close event comes: delivered then, and not again by the next rescan.
    const FileStamp closed = file("busy.npy", 2, 0).stamp;
    CHECK(ledger.takeEvent("busy.npy", closed));
    CHECK(ledger.takeRescan({file("done.npy", 1, 2), {"busy.npy", closed}}, kNow + 5 * kSecond).deliver.empty());
    // Without an event, a rescan once it has settled delivers it.
    auto later = ledger.takeRescan({file("quiet.npy", 3, 0)}, kNow);
    CHECK(later.deliver.empty());
    CHECK(ledger.takeRescan({file("quiet.npy", 3, 0)}, kNow + 2 * kSecond).deliver ==
          std::vector<std::string>{"quiet.npy"});
}

TEST_CASE("the ledger forgets files that left the folder, so its memory follows the folder", "[streams][watch]") {
    WatchLedger ledger(kSecond);
    std::vector<ListedFile> many;
    for (uint64_t i = 0; i < 5000; ++i) {
        many.push_back(file("f" + std::to_string(i), i));
        CHECK(ledger.takeEvent(many.back().name, many.back().stamp));
    }
    CHECK(ledger.pruneDue());  // grew from nothing past the minimum
    ledger.prune({many[7], many[9]});
    CHECK(ledger.size() == 2);
    CHECK_FALSE(ledger.pruneDue());
    // A file that left and came back under its old name is new.
    CHECK(ledger.takeRescan({many[7], many[9], many[3]}, kNow).deliver == std::vector<std::string>{"f3"});
}

TEST_CASE("listFolder lists the matching regular files with their stamps", "[streams][watch]") {
    test::ScratchDir base;
    test::writeFile(base.path() / "a.npy", "12345");
    test::writeFile(base.path() / ".hidden.npy", "x");
    test::writeFile(base.path() / "notes.txt", "x");
    std::filesystem::create_directories(base.path() / "dir.npy");
    std::vector<ListedFile> listing;
    std::string error;
    bool missing = true;
    REQUIRE(runtime::listFolder(base.path(), "*.npy", listing, error, missing));
    REQUIRE(listing.size() == 1);
    CHECK(listing[0].name == "a.npy");
    CHECK(listing[0].stamp.size == 5);
    FileStamp direct;
    REQUIRE(runtime::stampOf(base.path() / "a.npy", direct));
    CHECK(direct == listing[0].stamp);
    CHECK_FALSE(runtime::listFolder(base.path() / "gone", "*.npy", listing, error, missing));
    CHECK(missing);
}

namespace {

const runtime::TypeDesc kFrame = test::tensorType(runtime::ElemType::F32, {2, 3});

std::string frameNpy(float start) {
    return runtime::encodeNpy(test::f32Counting({2, 3}, start));
}

}  // namespace

TEST_CASE("watch() watches its folder again when it is removed and made again", "[streams][watch]") {
    test::ScratchDir base;
    const auto dir = base.path() / "incoming";
    auto source = runtime::makeWatchSource("incoming", "*.npy", base.path(), kFrame);
    test::writeFile(dir / "before.npy", frameNpy(0));
    std::thread writer([&] {
        std::this_thread::sleep_for(100ms);
        std::filesystem::remove_all(dir);
        std::this_thread::sleep_for(300ms);  // longer than the path is polled: it is seen gone
        std::filesystem::create_directories(dir);
        // Landed before the watch is back (its rescan finds them, in name order) or after it.
        test::writeFile(dir / "z.npy", frameNpy(2));
        test::writeFile(dir / "y.npy", frameNpy(1));
        // After the rescan that takes y and z once they are a second old (kSettle).
        std::this_thread::sleep_for(1500ms);
        test::writeFile(dir / "after.npy", frameNpy(3));
    });
    auto items = test::collect(*source, 6, 15s);
    writer.join();
    REQUIRE(items.size() == 6);
    CHECK(items[0].origin == (dir / "before.npy").string());
    CHECK_THAT(items[1].notice, Catch::Contains("removed or moved away"));
    CHECK(items[1].gap);
    CHECK_FALSE(items[1].mayHaveMissed);
    CHECK_THAT(items[2].notice, Catch::Contains("the folder is back"));
    std::vector<std::string> files;
    for (std::size_t i = 3; i < items.size(); ++i) files.push_back(std::filesystem::path(items[i].origin).filename());
    // y and z come in name order unless their events beat the rescan; after.npy always last.
    CHECK((files == std::vector<std::string>{"y.npy", "z.npy", "after.npy"} ||
           files == std::vector<std::string>{"z.npy", "y.npy", "after.npy"}));
    for (std::size_t i = 3; i < items.size(); ++i) CHECK(items[i].error.empty());
    source->stop();
}

TEST_CASE("watch() ends with a may-have-missed notice when its path is no longer a folder", "[streams][watch]") {
    test::ScratchDir base;
    const auto dir = base.path() / "incoming";
    auto source = runtime::makeWatchSource("incoming", "*.npy", base.path(), kFrame);
    std::filesystem::remove_all(dir);
    test::writeFile(dir, "a file where the folder was");
    auto items = test::collect(*source, 5, 5s);
    REQUIRE(items.size() == 2);
    CHECK_FALSE(items[0].mayHaveMissed);
    CHECK(items[1].mayHaveMissed);
    CHECK_THAT(items[1].notice, Catch::Contains("no longer a folder") && Catch::Contains("the stream ends"));
    runtime::SourceItem after;
    CHECK_FALSE(source->next(after));  // ended by itself, not by stop()
}

TEST_CASE("a file stamped ahead of this clock (a skewed file server) is delivered, not held forever",
          "[streams][watch]") {
    WatchLedger ledger(kSecond);
    auto found = ledger.takeRescan({file("ahead.npy", 4, -3600)}, kNow);
    CHECK(found.deliver == std::vector<std::string>{"ahead.npy"});
    CHECK(found.unsettled == 0);
}
