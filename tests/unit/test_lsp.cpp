// test_lsp.cpp — the language server: framing, positions, edits, and the server in-process.
#include "lsp/Documents.h"
#include "FramingTestSupport.h"
#include "lsp/Framing.h"
#include "lsp/Server.h"
#include "lsp/TextPositions.h"
#include "lsp/Uri.h"
#include "TempDir.h"

#include <catch2/catch.hpp>

#include <fstream>

using namespace xdml;
using namespace xdml::lsp;

namespace Catch {
template <>
struct StringMaker<Position> {
    static std::string convert(const Position& p) { return std::to_string(p.line) + ":" + std::to_string(p.character); }
};
}  // namespace Catch

namespace {

/// The server driven in-process, recording what it sends.
struct TestClient {
    std::vector<Json> sent;
    Server server{[this](const Json& m) { sent.push_back(m); }, "test"};
    int nextId = 1;

    Json request(const std::string& method, Json params) {
        int id = nextId++;
        server.handle({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
        for (const Json& m : sent)
            if (m.contains("id") && m["id"] == id) return m;
        FAIL("no response to " << method);
        return {};
    }
    void notify(const std::string& method, Json params) {
        server.handle({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
    }
    /// The diagnostics last published for `uri`.
    Json diagnostics(const std::string& uri) const {
        for (auto it = sent.rbegin(); it != sent.rend(); ++it)
            if (it->value("method", "") == "textDocument/publishDiagnostics" && (*it)["params"]["uri"] == uri)
                return (*it)["params"]["diagnostics"];
        return nullptr;
    }
    void initialize() { REQUIRE(request("initialize", {{"capabilities", Json::object()}}).contains("result")); }
    void open(const std::string& uri, const std::string& text) {
        notify("textDocument/didOpen", {{"textDocument", {{"uri", uri}, {"languageId", "xdml"}, {"version", 1}, {"text", text}}}});
        server.flush();
    }
    Json at(const std::string& method, const std::string& uri, uint32_t line, uint32_t character) {
        return request(method, {{"textDocument", {{"uri", uri}}}, {"position", {{"line", line}, {"character", character}}}});
    }
};

const char* kProgram =
    "/// A detector frame.\n"
    "type Frame = tensor<f32>[8, 8];\n"
    "stream frames: Frame from generate(make, 4);\n"
    "policy base { deadline: 2s, priority: 3 }\n"
    "policy quick = base with { priority: 10 }\n"
    "/// Mean brightness.\n"
    "fn score(f: Frame) -> float = mean(f);\n"
    "fn make(i: int) -> Frame = noise(Frame, i);\n"
    "flow main @ quick {\n"
    "    on new data of type Frame in frames as f {\n"
    "        let s = score(f);\n"
    "        log \"{s}\";\n"
    "    }\n"
    "}\n";

}  // namespace

TEST_CASE("framing: a message split into single bytes is read once complete", "[lsp]") {
    MessageReader reader;
    std::string bytes = framed(R"({"jsonrpc":"2.0","method":"x"})");
    for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
        reader.feed(bytes.substr(i, 1));
        CHECK_FALSE(reader.next());
    }
    reader.feed(bytes.substr(bytes.size() - 1));
    auto in = reader.next();
    REQUIRE(in);
    REQUIRE(in->message);
    CHECK((*in->message)["method"] == "x");
}

TEST_CASE("framing: two messages in one read, with Content-Type and any header case", "[lsp]") {
    MessageReader reader;
    std::string body = R"({"method":"b"})";
    reader.feed(framed(R"({"method":"a"})") + "content-length: " + std::to_string(body.size()) +
                "\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + body);
    auto all = readAll(reader);
    REQUIRE(all.size() == 2);
    CHECK((*all[0].message)["method"] == "a");
    CHECK((*all[1].message)["method"] == "b");
    CHECK_FALSE(reader.hasPartial());
}

TEST_CASE("framing: a bad header or body costs one error, and the next message still reads", "[lsp]") {
    // Each bad input is followed by a good message: after the error the reader skips to it.
    std::vector<std::pair<std::string, std::string>> cases = {
        {"garbage\r\n\r\n", "malformed header"},
        {"Content-Type: x\r\n\r\n", "missing Content-Length"},
        {"Content-Length: 12x\r\n\r\n", "invalid Content-Length"},
        {framed("{not json"), "not valid JSON"},
    };
    for (const auto& [bad, error] : cases) {
        MessageReader reader;
        reader.feed(bad);
        reader.feed(framed(R"({"method":"ok"})"));
        auto all = readAll(reader);
        REQUIRE(all.size() == 2);
        CHECK(all[0].errorCode == kParseError);
        CHECK_THAT(all[0].error, Catch::Contains(error));
        REQUIRE(all[1].message);
        CHECK((*all[1].message)["method"] == "ok");
    }
    MessageReader reader;
    reader.feed(framed("[1, 2]"));
    reader.feed(framed(R"({"method":"ok"})"));
    auto all = readAll(reader);
    REQUIRE(all.size() == 2);
    CHECK(all[0].errorCode == kInvalidRequest);
    CHECK((*all[1].message)["method"] == "ok");
}

TEST_CASE("framing: an oversized Content-Length is refused without waiting for its body", "[lsp]") {
    MessageReader reader;
    reader.feed("Content-Length: 99999999999\r\n\r\n{\"method\":\"huge\"...");
    reader.feed(framed(R"({"method":"after"})"));
    auto all = readAll(reader);
    REQUIRE(all.size() == 2);
    CHECK(all[0].errorCode == kInvalidRequest);
    CHECK_THAT(all[0].error, Catch::Contains("exceeds the limit"));
    CHECK((*all[1].message)["method"] == "after");
}

TEST_CASE("framing: the oversized-length error quotes the header's value, whatever follows it", "[lsp]") {
    // Bytes after the header in the same read once moved under the error's view of the value.
    for (std::string after : {std::string("xxxx"), framed(R"({"method":"next"})")}) {
        MessageReader reader;
        reader.feed("Content-Length: 99999999999\r\n\r\n" + after);
        auto all = readAll(reader);
        REQUIRE_FALSE(all.empty());
        CHECK(all[0].errorCode == kInvalidRequest);
        CHECK_THAT(all[0].error, Catch::StartsWith("Content-Length 99999999999 exceeds the limit of "));
        if (after != "xxxx") {
            REQUIRE(all.size() == 2);
            REQUIRE(all[1].message);
            CHECK((*all[1].message)["method"] == "next");
        }
    }
}

TEST_CASE("framing: a Content-Length a few bytes off costs only its own message", "[lsp]") {
    std::string first = R"({"method":"first"})", second = R"({"method":"second"})";
    SECTION("too large: the body runs into the next header") {
        MessageReader reader;
        reader.feed("Content-Length: " + std::to_string(first.size() + 3) + "\r\n\r\n" + first + framed(second));
        auto all = readAll(reader);
        REQUIRE(all.size() == 2);
        CHECK(all[0].errorCode == kParseError);
        REQUIRE(all[1].message);
        CHECK((*all[1].message)["method"] == "second");
        CHECK_FALSE(reader.hasPartial());
    }
    SECTION("too large, the next message arriving in pieces") {
        MessageReader reader;
        std::string bytes = "Content-Length: " + std::to_string(first.size() + 2) + "\r\n\r\n" + first + framed(second);
        std::vector<Incoming> all;
        for (char c : bytes) {
            reader.feed(std::string(1, c));
            for (Incoming& in : readAll(reader)) all.push_back(std::move(in));
        }
        REQUIRE(all.size() == 2);
        CHECK(all[0].errorCode == kParseError);
        REQUIRE(all[1].message);
        CHECK((*all[1].message)["method"] == "second");
    }
    SECTION("too small: the rest of the body is not taken for headers") {
        MessageReader reader;
        reader.feed("Content-Length: " + std::to_string(first.size() - 4) + "\r\n\r\n" + first + framed(second));
        auto all = readAll(reader);
        REQUIRE(all.size() == 2);
        CHECK(all[0].errorCode == kParseError);
        REQUIRE(all[1].message);
        CHECK((*all[1].message)["method"] == "second");
    }
}

TEST_CASE("framing: endless headers are refused", "[lsp]") {
    MessageReader reader;
    reader.feed(std::string(MessageReader::kMaxHeaderBytes + 10, 'x'));
    auto all = readAll(reader);
    REQUIRE(all.size() == 1);
    CHECK(all[0].errorCode == kParseError);
}

TEST_CASE("positions: UTF-16 code units over UTF-8 bytes, both ways", "[lsp]") {
    // é is 2 bytes and 1 unit; 😀 is 4 bytes and 2 units (a surrogate pair); 中 3 bytes, 1 unit.
    std::string text = "ab\nlet s = \"é😀中\"; x\r\nlast";
    LineTable lines(text);
    uint32_t x = static_cast<uint32_t>(text.find("; x") + 2);
    CHECK(lines.position(x, PositionEncoding::Utf16) == Position{1, 16});
    CHECK(lines.offset({1, 16}, PositionEncoding::Utf16) == x);
    CHECK(lines.position(x, PositionEncoding::Utf8) == Position{1, 21});
    CHECK(lines.position(x, PositionEncoding::Utf32) == Position{1, 15});
    uint32_t emoji = static_cast<uint32_t>(text.find("😀"));
    CHECK(lines.position(emoji + 4, PositionEncoding::Utf16) == Position{1, 12});
    CHECK(lines.offset({1, 11}, PositionEncoding::Utf16) == emoji);  // half a pair rounds down
    CHECK(lines.position(emoji + 2, PositionEncoding::Utf16) == Position{1, 10});  // mid-character
    // Past the end of a line: the line's end (before \r\n); past the last line: the end.
    CHECK(lines.offset({1, 200}, PositionEncoding::Utf16) == text.find("\r\n"));
    CHECK(lines.offset({9, 0}, PositionEncoding::Utf16) == text.size());
    CHECK(lines.position(static_cast<uint32_t>(text.size()), PositionEncoding::Utf16) == Position{2, 4});
}

TEST_CASE("edits: incremental changes with UTF-16 ranges, then a whole-text change", "[lsp]") {
    std::string text = "log \"😀 x\";\nlet y = 1;\n";
    // Replace `x` (after the emoji: UTF-16 column 8) with `zz`.
    applyChange(text, {{"range", {{"start", {{"line", 0}, {"character", 8}}}, {"end", {{"line", 0}, {"character", 9}}}}},
                       {"text", "zz"}},
                PositionEncoding::Utf16);
    CHECK(text == "log \"😀 zz\";\nlet y = 1;\n");
    // An insertion spanning lines, and a deletion across a line break.
    applyChange(text, {{"range", {{"start", {{"line", 1}, {"character", 8}}}, {"end", {{"line", 1}, {"character", 9}}}}},
                       {"text", "2\nlet w = 3"}},
                PositionEncoding::Utf16);
    CHECK(text == "log \"😀 zz\";\nlet y = 2\nlet w = 3;\n");
    applyChange(text, {{"range", {{"start", {{"line", 1}, {"character", 9}}}, {"end", {{"line", 2}, {"character", 0}}}}},
                       {"text", "; "}},
                PositionEncoding::Utf16);
    CHECK(text == "log \"😀 zz\";\nlet y = 2; let w = 3;\n");
    applyChange(text, {{"text", "new"}}, PositionEncoding::Utf16);
    CHECK(text == "new");
}

TEST_CASE("server: invalid params name the field, not the JSON library's exception", "[lsp]") {
    TestClient c;
    c.initialize();
    const std::string uri = "file:///nonexistent/p.xdml";
    c.open(uri, "flow main { }\n");
    auto message = [&](const std::string& method, Json params) {
        Json r = c.request(method, std::move(params));
        CHECK(r["error"]["code"] == kInvalidParams);
        return r["error"]["message"].get<std::string>();
    };
    Json doc{{"uri", uri}};
    CHECK(message("textDocument/hover", Json::object()) == "invalid params for 'textDocument/hover': 'textDocument' is missing");
    CHECK(message("textDocument/hover", {{"textDocument", 3}}) ==
          "invalid params for 'textDocument/hover': 'textDocument' must be an object");
    CHECK(message("textDocument/definition", {{"textDocument", {{"uri", 7}}}}) ==
          "invalid params for 'textDocument/definition': 'textDocument.uri' must be a string");
    CHECK(message("textDocument/hover", {{"textDocument", doc}}) ==
          "invalid params for 'textDocument/hover': 'position' is missing");
    CHECK(message("textDocument/hover", {{"textDocument", doc}, {"position", {{"line", -1}, {"character", 0}}}}) ==
          "invalid params for 'textDocument/hover': 'position.line' must be a non-negative integer");
    CHECK(message("textDocument/completion", {{"textDocument", doc}, {"position", {{"line", 0}, {"character", "a"}}}}) ==
          "invalid params for 'textDocument/completion': 'position.character' must be a non-negative integer");
    CHECK(message("textDocument/hover", {{"textDocument", doc}, {"position", {{"line", 1.5}, {"character", 0}}}}) ==
          "invalid params for 'textDocument/hover': 'position.line' must be a non-negative integer");
    for (const Json& m : c.sent)
        if (m.contains("error")) CHECK_THAT(m["error"]["message"].get<std::string>(), !Catch::Contains("json.exception"));

    // Malformed notifications are logged, in the same words.
    c.notify("textDocument/didOpen", {{"textDocument", {{"uri", "file:///x.xdml"}, {"version", "one"}, {"text", ""}}}});
    REQUIRE(c.sent.back()["method"] == "window/logMessage");
    CHECK(c.sent.back()["params"]["message"] ==
          "xdmlc lsp: ignored a malformed 'textDocument/didOpen': 'textDocument.version' must be an integer");
    c.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 2}}}, {"contentChanges", Json::array({{{"text", 5}}})}});
    CHECK(c.sent.back()["params"]["message"] ==
          "xdmlc lsp: ignored a malformed 'textDocument/didChange': 'contentChanges[0].text' must be a string");
}

TEST_CASE("server: didChange for a document not open, or with a backwards range, is refused with a warning", "[lsp]") {
    TestClient c;
    c.initialize();
    std::size_t before = c.sent.size();
    c.notify("textDocument/didChange", {{"textDocument", {{"uri", "file:///never/opened.xdml"}, {"version", 2}}},
                                        {"contentChanges", {{{"text", "flow main { }\n"}}}}});
    REQUIRE(c.sent.size() == before + 1);
    CHECK(c.sent.back()["method"] == "window/logMessage");
    CHECK(c.sent.back()["params"]["type"] == 2);
    CHECK_THAT(c.sent.back()["params"]["message"].get<std::string>(), Catch::Contains("'file:///never/opened.xdml'"));
    CHECK_THAT(c.sent.back()["params"]["message"].get<std::string>(), Catch::Contains("not open"));

    const std::string uri = "file:///nonexistent/b.xdml";
    const std::string text = "let a = 1;\nlet b = 2;\nlet c = 3;\n";
    c.open(uri, text);
    before = c.sent.size();
    // start (2:0) after end (1:0): once flipped and applied, it deleted line 1.
    c.notify("textDocument/didChange",
             {{"textDocument", {{"uri", uri}, {"version", 2}}},
              {"contentChanges",
               {{{"range", {{"start", {{"line", 0}, {"character", 0}}}, {"end", {{"line", 0}, {"character", 0}}}}}, {"text", "// x\n"}},
                {{"range", {{"start", {{"line", 2}, {"character", 0}}}, {"end", {{"line", 1}, {"character", 0}}}}}, {"text", ""}}}}});
    REQUIRE(c.sent.size() == before + 1);
    CHECK(c.sent.back()["method"] == "window/logMessage");
    CHECK(c.sent.back()["params"]["type"] == 2);
    CHECK_THAT(c.sent.back()["params"]["message"].get<std::string>(), Catch::Contains("2:0-1:0"));
    // The whole notification is refused: its later changes assume the earlier ones.
    REQUIRE(c.server.documentText(uri));
    CHECK(*c.server.documentText(uri) == text);

    std::string edited = text;
    CHECK_THROWS_AS(applyChange(edited,
                                {{"range", {{"start", {{"line", 0}, {"character", 5}}}, {"end", {{"line", 0}, {"character", 2}}}}},
                                 {"text", ""}},
                                PositionEncoding::Utf16),
                    RejectedChange);
    CHECK(edited == text);
}

TEST_CASE("uris: file URIs decode percent escapes and round-trip", "[lsp]") {
    CHECK(uriToPath("file:///home/a%20b/fl%C3%BCsse.xdml") == "/home/a b/flüsse.xdml");
    CHECK(uriToPath("file://localhost/tmp/x.xdml") == "/tmp/x.xdml");
    CHECK(uriToPath("untitled:Untitled-1").empty());
    CHECK(uriToPath("file:///bad%2") .empty());
    CHECK(pathToUri("/home/a b/x#1.xdml") == "file:///home/a%20b/x%231.xdml");
    CHECK(uriToPath(pathToUri("/tmp/ü ä/x.xdml")) == "/tmp/ü ä/x.xdml");
}

TEST_CASE("server: lifecycle, unknown methods and requests before initialize", "[lsp]") {
    TestClient c;
    Json early = c.request("textDocument/hover", Json::object());
    CHECK(early["error"]["code"] == kServerNotInitialized);
    Json init = c.request("initialize", {{"capabilities", {{"general", {{"positionEncodings", {"utf-32", "utf-16"}}}}}}});
    CHECK(init["result"]["capabilities"]["positionEncoding"] == "utf-32");
    CHECK(init["result"]["capabilities"]["textDocumentSync"]["change"] == 2);
    CHECK(c.request("workspace/frobnicate", Json::object())["error"]["code"] == kMethodNotFound);
    c.notify("$/cancelRequest", {{"id", 1}});
    c.server.handle({{"jsonrpc", "2.0"}, {"id", 99}});
    CHECK(c.sent.back()["error"]["code"] == kInvalidRequest);
    CHECK_FALSE(c.server.exitRequested());
    CHECK(c.request("shutdown", nullptr)["result"].is_null());
    CHECK(c.request("textDocument/hover", Json::object())["error"]["code"] == kInvalidRequest);
    c.notify("exit", nullptr);
    CHECK(c.server.exitRequested());
    CHECK(c.server.exitCode() == 0);

    TestClient abrupt;
    abrupt.initialize();
    abrupt.notify("exit", nullptr);
    CHECK(abrupt.server.exitCode() == 1);
}

TEST_CASE("server: diagnostics at the right range, cleared by a fix, and changes compile once", "[lsp]") {
    TestClient c;
    c.initialize();
    const std::string uri = "file:///nonexistent/dir/e.xdml";
    c.open(uri, "// ünïcödé\nflow main { log \"é😀 {framez}\"; }\n");
    Json diags = c.diagnostics(uri);
    REQUIRE(diags.size() == 1);
    CHECK(diags[0]["message"] == "unknown name 'framez'");
    CHECK(diags[0]["severity"] == 1);
    CHECK(diags[0]["source"] == "xdmlc");
    CHECK(diags[0]["range"] == Json{{"start", {{"line", 1}, {"character", 22}}}, {"end", {{"line", 1}, {"character", 28}}}});

    std::size_t before = c.server.compileCount();
    auto edit = [&](int version, int endCharacter, const std::string& text) {
        c.notify("textDocument/didChange",
                 {{"textDocument", {{"uri", uri}, {"version", version}}},
                  {"contentChanges", {{{"range", {{"start", {{"line", 1}, {"character", 22}}}, {"end", {{"line", 1}, {"character", endCharacter}}}}},
                                       {"text", text}}}}});
    };
    edit(2, 28, "seq");  // back to back: only the last text is compiled
    edit(3, 25, "1");
    c.server.flush();
    CHECK(c.server.compileCount() == before + 1);
    CHECK(c.diagnostics(uri).empty());

    c.notify("textDocument/didClose", {{"textDocument", {{"uri", uri}}}});
    CHECK(c.diagnostics(uri).empty());
}

TEST_CASE("server: hover, definition, completion and symbols", "[lsp]") {
    test::TempDir dir("xdml_lsp");
    {
        std::ofstream lib(dir / "lib.xdml");
        lib << "/// Shared by every flow.\npolicy slow { deadline: 1h }\n";
    }
    TestClient c;
    c.initialize();
    const std::string uri = pathToUri((dir / "main.xdml").string());
    c.open(uri, std::string("import \"lib.xdml\";\n") + kProgram + "task t() @ slow { }\n");
    for (const Json& d : c.diagnostics(uri)) CHECK(d["severity"] != 1);  // `t` is unused: a warning
    // Lines below are kProgram's, shifted by the import line.

    Json fnHover = c.at("textDocument/hover", uri, 11, 17)["result"];  // `score` in `let s = score(f)`
    std::string fnText = fnHover["contents"]["value"];
    CHECK_THAT(fnText, Catch::Contains("fn score(f: Frame) -> float"));
    CHECK_THAT(fnText, Catch::Contains("Mean brightness."));
    CHECK(fnHover["range"]["start"] == Json{{"line", 11}, {"character", 16}});

    std::string policyText = c.at("textDocument/hover", uri, 9, 13)["result"]["contents"]["value"];  // `@ quick`
    CHECK_THAT(policyText, Catch::Contains("deadline: 2s  // from base"));
    CHECK_THAT(policyText, Catch::Contains("priority: 10"));

    std::string localText = c.at("textDocument/hover", uri, 11, 23)["result"]["contents"]["value"];  // `f` in score(f)
    CHECK_THAT(localText, Catch::Contains("f: Frame"));

    std::string builtinText = c.at("textDocument/hover", uri, 7, 31)["result"]["contents"]["value"];  // `mean`
    CHECK_THAT(builtinText, Catch::Contains("mean(t: tensor) -> float"));

    Json typeDef = c.at("textDocument/definition", uri, 10, 26)["result"];  // `Frame` in the handler
    CHECK(typeDef["uri"] == uri);
    CHECK(typeDef["range"]["start"] == Json{{"line", 2}, {"character", 5}});
    Json streamDef = c.at("textDocument/definition", uri, 10, 36)["result"];  // `frames`
    CHECK(streamDef["range"]["start"] == Json{{"line", 3}, {"character", 7}});
    Json localDef = c.at("textDocument/definition", uri, 11, 23)["result"];  // `f` → `as f`
    CHECK(localDef["range"]["start"] == Json{{"line", 10}, {"character", 43}});
    Json baseDef = c.at("textDocument/definition", uri, 5, 16)["result"];  // `base` after `=`
    CHECK(baseDef["range"]["start"] == Json{{"line", 4}, {"character", 7}});
    Json importedDef = c.at("textDocument/definition", uri, 15, 13)["result"];  // `@ slow`
    CHECK(importedDef["uri"] == pathToUri((dir / "lib.xdml").string()));
    CHECK(importedDef["range"]["start"] == Json{{"line", 1}, {"character", 7}});
    Json importDef = c.at("textDocument/definition", uri, 0, 10)["result"];  // on `import "lib.xdml"`
    CHECK(importDef["uri"] == pathToUri((dir / "lib.xdml").string()));

    // Completion after `of type ` offers types only; in a body, locals too.
    c.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 2}}},
                                        {"contentChanges", {{{"range", {{"start", {{"line", 12}, {"character", 0}}},
                                                                        {"end", {{"line", 12}, {"character", 0}}}}},
                                                             {"text", "        let g = s\n"}}}}});
    Json items = c.at("textDocument/completion", uri, 12, 17)["result"]["items"];
    bool hasLocal = false;
    for (const Json& item : items) hasLocal |= item["label"] == "s" || item["label"] == "score";
    CHECK(hasLocal);
    bool foundS = false;
    for (const Json& item : items)
        if (item["label"] == "s") foundS = item["kind"] == 6 && item["detail"] == "float";
    CHECK(foundS);
    if (!foundS) WARN(items.dump());
    c.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 3}}},
                                        {"contentChanges", {{{"text", std::string(kProgram) + "flow g { on new data of type "}}}}});
    items = c.at("textDocument/completion", uri, 14, 29)["result"]["items"];
    REQUIRE_FALSE(items.empty());
    bool frame = false;
    for (const Json& item : items) {
        CHECK(item["kind"] == 22);
        frame |= item["label"] == "Frame";
    }
    CHECK(frame);

    // Symbols: the declarations, the flow's handler as a child.
    Json symbols = c.request("textDocument/documentSymbol", {{"textDocument", {{"uri", uri}}}})["result"];
    REQUIRE(symbols.is_array());
    bool handler = false;
    for (const Json& s : symbols)
        if (s["name"] == "main")
            for (const Json& child : s["children"]) handler |= child["name"] == "on new data of type Frame in frames";
    CHECK(handler);
}

TEST_CASE("server: an imported file open in the editor is read from its buffer, and editing it checks its importers", "[lsp]") {
    test::TempDir dir("xdml_lsp");
    {
        std::ofstream lib(dir / "lib.xdml");
        lib << "policy slow { deadline: 1h }\n";  // on disk: no `fast`
    }
    TestClient c;
    c.initialize();
    const std::string libUri = pathToUri((dir / "lib.xdml").string());
    const std::string mainUri = pathToUri((dir / "main.xdml").string());
    c.open(libUri, "policy slow { deadline: 1h }\npolicy fast { deadline: 1s }\n");
    c.open(mainUri, "import \"lib.xdml\";\nflow main @ fast { log \"x\"; }\n");
    CHECK(c.diagnostics(mainUri).empty());
    Json def = c.at("textDocument/definition", mainUri, 1, 13)["result"];  // `fast`: in the buffer only
    CHECK(def["uri"] == libUri);
    CHECK(def["range"]["start"] == Json{{"line", 1}, {"character", 7}});

    c.notify("textDocument/didChange", {{"textDocument", {{"uri", libUri}, {"version", 2}}},
                                        {"contentChanges", {{{"text", "policy slow { deadline: 1h }\n"}}}}});
    c.server.flush();
    Json diags = c.diagnostics(mainUri);
    REQUIRE(diags.size() == 1);
    CHECK_THAT(diags[0]["message"].get<std::string>(), Catch::Contains("fast"));
}

TEST_CASE("server: completion after a dot offers the record's fields", "[lsp]") {
    TestClient c;
    c.initialize();
    const std::string uri = "file:///nonexistent/fields.xdml";
    const std::string text = "type P = { x: int, yy: float };\nfn g(p: P) -> int = p.x;\nflow main { log \"{g({ x: 1, yy: 2.0 })}\"; }\n";
    c.open(uri, text);
    REQUIRE(c.diagnostics(uri).empty());
    Json field = c.at("textDocument/definition", uri, 1, 22)["result"];  // `x` in `p.x`
    CHECK(field["range"]["start"] == Json{{"line", 0}, {"character", 11}});
    // `p.` with the cursor after the dot, then after `p.y`.
    Json items = c.at("textDocument/completion", uri, 1, 22)["result"]["items"];
    REQUIRE(items.size() == 2);
    CHECK(items[0]["label"] == "x");
    CHECK(items[0]["kind"] == 5);
    CHECK(items[1]["label"] == "yy");
    CHECK(items[1]["detail"] == "float");
    c.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 2}}},
                                        {"contentChanges", {{{"range", {{"start", {{"line", 1}, {"character", 22}}},
                                                                        {"end", {{"line", 1}, {"character", 23}}}}},
                                                             {"text", "y"}}}}});
    items = c.at("textDocument/completion", uri, 1, 23)["result"]["items"];
    REQUIRE(items.size() == 1);
    CHECK(items[0]["label"] == "yy");
}

TEST_CASE("server: completion after 'tensor<' offers the element types", "[lsp]") {
    TestClient c;
    c.initialize();
    const std::string uri = "file:///nonexistent/elements.xdml";
    c.open(uri, "type Frame = tensor<u>[4, 4];\n");
    // After `tensor<` (all nine), then after `tensor<u` (the unsigned ones).
    Json items = c.at("textDocument/completion", uri, 0, 20)["result"]["items"];
    REQUIRE(items.size() == 9);
    std::vector<std::string> unsignedOnes;
    const Json afterU = c.at("textDocument/completion", uri, 0, 21);
    INFO(afterU.dump());
    for (const Json& i : afterU["result"]["items"])
        unsignedOnes.push_back(i["label"].get<std::string>());
    CHECK(unsignedOnes == std::vector<std::string>{"u8", "u16", "u32"});
    bool described = false;
    for (const Json& i : items)
        if (i["label"] == "i16") described = i["detail"] == "element type: signed 16-bit integer";
    CHECK(described);
}

TEST_CASE("server: completion after a file source's 'format:' offers raw and npy", "[lsp]") {
    TestClient c;
    c.initialize();
    const std::string uri = "file:///nonexistent/format.xdml";
    const std::string line = "stream s: tensor<f32>[4] from files(\"*.f32\", format: ";
    c.open(uri, line + "\n");
    Json items = c.at("textDocument/completion", uri, 0, static_cast<uint32_t>(line.size()))["result"]["items"];
    REQUIRE(items.size() == 2);
    CHECK(items[0]["label"] == "raw");
    CHECK(items[1]["label"] == "npy");
}
