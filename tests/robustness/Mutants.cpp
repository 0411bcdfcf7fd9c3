// Mutants.cpp — the mutant generators. Labels say exactly how each mutant was made, so a
// failure can be rebuilt by hand.
#include "Mutants.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#ifndef XDML_SOURCE_DIR
#error "XDML_SOURCE_DIR must name the source tree"
#endif

namespace xdml::robustness {

namespace fs = std::filesystem;

namespace {

std::string readFile(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<SourceFile> filesIn(const std::string& folder, bool onlyFlows) {
    std::vector<SourceFile> out;
    fs::path dir = fs::path(XDML_SOURCE_DIR) / folder;
    if (!fs::is_directory(dir)) return out;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        std::string name = entry.path().filename().string();
        if (onlyFlows ? entry.path().extension() != ".xdml" : (name == "README.md" || name[0] == '.')) continue;
        out.push_back({folder + "/" + name, readFile(entry.path())});
    }
    std::sort(out.begin(), out.end(), [](const SourceFile& a, const SourceFile& b) { return a.name < b.name; });
    return out;
}

/// A short printable rendering of a piece of source for labels.
std::string shown(const std::string& s) {
    std::string out;
    for (unsigned char c : s.substr(0, 24)) {
        if (c >= 0x20 && c < 0x7f && c != '\'') {
            out += char(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    if (s.size() > 24) out += "...";
    return "'" + out + "'";
}

std::string at(const SourceFile& f, const std::string& what, std::size_t index, std::size_t offset) {
    return f.name + ": " + what + " #" + std::to_string(index) + " at byte " + std::to_string(offset);
}

bool isWord(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

bool isOperator2(const std::string& t, std::size_t i) {
    for (const char* op : {"->", "==", "!=", "<=", ">="})
        if (t.compare(i, 2, op) == 0) return true;
    return false;
}

}  // namespace

std::vector<SourceFile> corpus() {
    std::vector<SourceFile> all = filesIn("examples", true);
    for (auto& f : filesIn("tests/golden/contract", true)) all.push_back(std::move(f));
    return all;
}

std::vector<SourceFile> fuzzRegressions() { return filesIn("tests/fuzz/crashes", false); }

uint64_t Random::next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::vector<std::pair<std::size_t, std::size_t>> roughTokens(const std::string& t) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    std::size_t i = 0, n = t.size();
    while (i < n) {
        unsigned char c = t[i];
        std::size_t start = i;
        if (std::isspace(c)) {
            ++i;
            continue;
        }
        if (t.compare(i, 2, "//") == 0) {
            while (i < n && t[i] != '\n') ++i;
        } else if (t.compare(i, 2, "/*") == 0) {
            std::size_t end = t.find("*/", i + 2);
            i = end == std::string::npos ? n : end + 2;
        } else if (c == '"') {
            ++i;
            while (i < n && t[i] != '"' && t[i] != '\n') i += t[i] == '\\' ? 2 : 1;
            i = std::min(n, i + 1);
        } else if (isWord(c)) {
            while (i < n && (isWord(t[i]) || (t[i] == '.' && std::isdigit((unsigned char)t[start])))) ++i;
        } else if (t.compare(i, 3, "<->") == 0) {
            i += 3;
        } else if (isOperator2(t, i)) {
            i += 2;
        } else {
            ++i;
        }
        out.emplace_back(start, i - start);
    }
    return out;
}

std::size_t strideFor(double fraction) {
    double f = fraction * scale();
    if (f >= 1.0) return 1;
    return std::size_t(std::lround(1.0 / std::max(f, 1e-6)));
}

void deleteTokens(const SourceFile& f, std::size_t stride, std::vector<Mutant>& out) {
    auto toks = roughTokens(f.text);
    for (std::size_t i = 0; i < toks.size(); i += stride) {
        auto [off, len] = toks[i];
        std::string t = f.text;
        t.erase(off, len);
        out.push_back({at(f, "delete token", i, off) + " " + shown(f.text.substr(off, len)), std::move(t)});
    }
}

void duplicateTokens(const SourceFile& f, std::size_t stride, std::vector<Mutant>& out) {
    auto toks = roughTokens(f.text);
    for (std::size_t i = 0; i < toks.size(); i += stride) {
        auto [off, len] = toks[i];
        std::string tok = f.text.substr(off, len);
        std::string t = f.text;
        t.insert(off + len, " " + tok);
        out.push_back({at(f, "duplicate token", i, off) + " " + shown(tok), std::move(t)});
    }
}

void swapTokens(const SourceFile& f, std::size_t stride, std::vector<Mutant>& out) {
    auto toks = roughTokens(f.text);
    for (std::size_t i = 0; i + 1 < toks.size(); i += stride) {
        auto [a, alen] = toks[i];
        auto [b, blen] = toks[i + 1];
        std::string t = f.text.substr(0, a) + f.text.substr(b, blen) + f.text.substr(a + alen, b - a - alen) +
                        f.text.substr(a, alen) + f.text.substr(b + blen);
        out.push_back({at(f, "swap token", i, a) + " " + shown(f.text.substr(a, alen)) + " with next " +
                           shown(f.text.substr(b, blen)),
                       std::move(t)});
    }
}

void truncations(const SourceFile& f, std::size_t every, std::vector<Mutant>& out) {
    for (std::size_t n = 0; n < f.text.size(); n += every)
        out.push_back({f.name + ": truncated to " + std::to_string(n) + " bytes", f.text.substr(0, n)});
}

void randomBytes(const SourceFile& f, std::size_t count, uint64_t seed, std::vector<Mutant>& out) {
    Random rng(seed);
    for (std::size_t k = 0; k < count; ++k) {
        std::string t = f.text;
        std::string how;
        std::size_t edits = 1 + rng.below(4);
        for (std::size_t e = 0; e < edits; ++e) {
            std::size_t pos = rng.below(t.size() + 1);
            // Half the bytes are "interesting" punctuation, the rest anything at all.
            static const std::string punct = "{}()[]<>\"\\/*:;,.?@=+-!#$%&|^~'`{}{\n";
            char c = rng.below(2) ? punct[rng.below(punct.size())] : char(rng.below(256));
            int op = int(rng.below(3));
            if (op == 0 || t.empty() || pos == t.size()) {
                t.insert(t.begin() + std::ptrdiff_t(pos), c);
                how += " insert";
            } else if (op == 1) {
                t[pos] = c;
                how += " overwrite";
            } else {
                t.erase(pos, 1);
                how += " erase";
            }
            how += "@" + std::to_string(pos) + (op == 2 ? "" : "=" + shown(std::string(1, c)));
        }
        out.push_back({f.name + ": random bytes seed " + std::to_string(seed) + " #" + std::to_string(k) + ":" + how,
                       std::move(t)});
    }
}

void splices(const SourceFile& f, const std::vector<SourceFile>& all, std::size_t count, uint64_t seed,
             std::vector<Mutant>& out) {
    Random rng(seed);
    for (std::size_t k = 0; k < count && !all.empty(); ++k) {
        const SourceFile& other = all[rng.below(all.size())];
        std::size_t head = rng.below(f.text.size() + 1);
        std::size_t tail = rng.below(other.text.size() + 1);
        out.push_back({f.name + ": first " + std::to_string(head) + " bytes + " + other.name + " from byte " +
                           std::to_string(tail),
                       f.text.substr(0, head) + other.text.substr(tail)});
    }
}

void badBytes(const SourceFile& f, std::size_t stride, std::vector<Mutant>& out) {
    static const std::vector<std::pair<std::string, std::string>> bad = {
        {std::string(1, '\0'), "NUL"},
        {"\xff", "0xff"},
        {"\xc0\x80", "overlong NUL"},
        {"\xed\xa0\x80", "UTF-16 surrogate"},
        {"\xe2\x82", "truncated 3-byte sequence"},
        {"\xf4\x90\x80\x80", "code point above U+10FFFF"},
        {"\x80\x80\x80", "stray continuation bytes"},
        {"\xc3\xa9", "valid 'e-acute'"},
    };
    auto toks = roughTokens(f.text);
    std::size_t variant = 0;
    for (std::size_t i = 0; i < toks.size(); i += stride) {
        auto [off, len] = toks[i];
        const auto& [bytes, name] = bad[variant++ % bad.size()];
        // Alternate between before the token and in its middle (inside a string or a word).
        std::size_t pos = (i / stride) % 2 ? off + len / 2 : off;
        std::string t = f.text;
        t.insert(pos, bytes);
        out.push_back({at(f, std::string(name) + " in token", i, pos), std::move(t)});
    }
    out.push_back({f.name + ": all bytes NUL", std::string(f.text.size(), '\0')});
    out.push_back({f.name + ": UTF-8 BOM first", "\xef\xbb\xbf" + f.text});
    std::string cr = f.text;
    std::replace(cr.begin(), cr.end(), '\n', '\r');
    out.push_back({f.name + ": CR-only line ends", cr});
    std::string high = f.text;
    for (char& c : high) c = char((unsigned char)c | 0x80);
    out.push_back({f.name + ": every byte with its high bit set", high});
}

}  // namespace xdml::robustness
