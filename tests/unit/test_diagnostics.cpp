// test_diagnostics.cpp — rendering, ordering and "did you mean".
#include "diag/Diagnostics.h"

#include <catch2/catch.hpp>

#include <sstream>

using namespace xdml;

TEST_CASE("a diagnostic renders as file:line:col, the source line and a caret under the range") {
    SourceManager sources;
    FileId f = sources.addFile("a.xdml", "let x = 1;\nlet y = foo + 2;\n");
    Diagnostics diags(sources);
    diags.error({sources.locAt(f, 19), 22}, "unknown name 'foo'");
    std::ostringstream out;
    diags.render(out, false);
    CHECK(out.str() == "a.xdml:2:9: error: unknown name 'foo'\n  let y = foo + 2;\n          ^~~\n");
    CHECK(diags.errorCount() == 1);
}

TEST_CASE("diagnostics are sorted by position and duplicates dropped") {
    SourceManager sources;
    FileId f = sources.addFile("a.xdml", "aaaa\nbbbb\n");
    Diagnostics diags(sources);
    diags.error({sources.locAt(f, 5), 6}, "second");
    diags.warning({sources.locAt(f, 0), 1}, "first");
    diags.error({sources.locAt(f, 5), 6}, "second");
    auto sorted = diags.sorted();
    REQUIRE(sorted.size() == 2);
    CHECK(sorted[0].message == "first");
    CHECK(sorted[1].message == "second");
}

TEST_CASE("line and column come from byte offsets, also on the last line without a newline") {
    SourceManager sources;
    FileId f = sources.addFile("a.xdml", "ab\ncd");
    SourceLoc loc = sources.locAt(f, 4);
    CHECK(loc.line == 2);
    CHECK(loc.col == 2);
    CHECK(sources.lineText(loc) == "cd");
}

TEST_CASE("did you mean suggests only close names") {
    CHECK(editDistance("Frme", "Frame") == 1);
    CHECK(editDistance("ab", "ba") == 1);
    CHECK(closestMatch("Frme", {"Frame", "Hit", "Labeled"}) == "Frame");
    CHECK(closestMatch("zzzz", {"Frame", "Hit"}).empty());
    CHECK(didYouMean("dedline", {"deadline", "priority"}) == " (did you mean 'deadline'?)");
}
