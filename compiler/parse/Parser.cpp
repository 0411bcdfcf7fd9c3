// Parser.cpp — runs the ANTLR lexer and parser (SLL first, LL on failure) and hands the parse
// tree to AstBuilder. File-level problems (invalid UTF-8, bad characters, unterminated comments,
// nesting too deep) are reported here, where the tokens are.
#include "parse/Parser.h"

#include "XdmlLexer.h"
#include "XdmlParser.h"
#include "parse/AstBuilder.h"
#include "parse/LiteralRuns.h"
#include "parse/SyntaxErrors.h"

#include <antlr4-runtime.h>

#include <cstdio>

#include <algorithm>

namespace xdml::parse {

using namespace ast;

namespace {

/// Lexer errors are reported by the bridge, never by ANTLR's console listener.
std::string hexByte(unsigned char c) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02X", c);
    return hex;
}

/// The length of the well-formed UTF-8 sequence at `i`, or 0.
std::size_t validUtf8Length(const std::string& s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    if (c < 0x80) return 1;
    std::size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    uint32_t cp = c & (0xFF >> (n + 1));
    for (std::size_t k = 1; k < n; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are malformed too.
    static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

/// ANTLR's input, decoded here: the runtime's own UTF-8 conversion peaks at about 20 bytes per
/// source byte (40 MB for a 2 MB file); this keeps only the 4 bytes per code point it needs.
/// `utf8` must be well-formed (TokenizedFile::validText makes it so).
class DecodedInput : public antlr4::ANTLRInputStream {
public:
    explicit DecodedInput(const std::string& utf8) {
        std::size_t codePoints = 0;
        for (char c : utf8) codePoints += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        _data.reserve(codePoints);
        for (std::size_t i = 0; i < utf8.size();) {
            std::size_t n = std::max<std::size_t>(1, validUtf8Length(utf8, i));
            auto byte = [&](std::size_t k) { return static_cast<unsigned char>(utf8[k]); };
            char32_t cp = n == 1 ? byte(i) : byte(i) & (0xFF >> (n + 1));
            for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
            _data.push_back(cp);
            i += n;
        }
    }
};

class SilentLexerErrors : public antlr4::BaseErrorListener {
public:
    void syntaxError(antlr4::Recognizer*, antlr4::Token*, size_t, size_t, const std::string&,
                     std::exception_ptr) override {}
};

/// One file as tokens, with its file-level problems reported: what both entry points parse.
/// Members are in construction order (each refers to the one before).
class TokenizedFile {
public:
    TokenizedFile(const SourceManager& sources, FileId file, Diagnostics& diags)
        : text_(validText(sources, file, diags)), input_(text_), lexer_(&input_),
          runs_(lexer_), tokens_(&runs_), builder_(sources, file, diags, tokens_, runs_, text_) {
        lexer_.removeErrorListeners();
        lexer_.addErrorListener(&silent_);
        tokens_.fill();
        tooDeep_ = !reportTokens(diags);
    }

    antlr4::CommonTokenStream& tokens() { return tokens_; }
    AstBuilder& builder() { return builder_; }
    /// Nesting beyond what the parser and checker may recurse through: reported, not parsed.
    bool tooDeep() const { return tooDeep_; }

private:
    static std::string validText(const SourceManager& sources, FileId file, Diagnostics& diags) {
        // ANTLR decodes UTF-8 and throws on a malformed sequence: report the first one and give
        // ANTLR a copy with each bad byte replaced by '?', so byte offsets stay the same.
        std::string text(sources.text(file));
        for (std::size_t i = 0, reported = 0; i < text.size();) {
            std::size_t length = validUtf8Length(text, i);
            if (length > 0) {
                i += length;
                continue;
            }
            if (!reported++) {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(text[i]));
                uint32_t at = static_cast<uint32_t>(i);
                diags.error({sources.locAt(file, at), at + 1},
                            std::string("invalid UTF-8 (byte ") + hex + "): XDML source files are UTF-8");
            }
            text[i++] = '?';
        }
        return text;
    }

    /// Reports bad characters and unterminated comments; false when nesting is too deep.
    bool reportTokens(Diagnostics& diags) {
        AstBuilder& builder = builder_;
        antlr4::CommonTokenStream& tokens = tokens_;

        // Lexical errors; bad characters are then hidden from the parser so one stray byte is
        // one error.
        for (antlr4::Token* t : tokens.getTokens()) {
            auto* token = dynamic_cast<antlr4::CommonToken*>(t);
            switch (t->getType()) {
            case XdmlLexer::BAD_CHAR: {
                std::string ch = t->getText();
                std::string shown = (ch.size() == 1 && static_cast<unsigned char>(ch[0]) < 0x20)
                                        ? hexByte(static_cast<unsigned char>(ch[0]))
                                        : ch;
                diags.error(builder.range(t), "unexpected character '" + shown + "'");
                if (token) token->setChannel(antlr4::Token::HIDDEN_CHANNEL);
                break;
            }
            case XdmlLexer::UNTERMINATED_COMMENT:
                diags.error(builder.range(t), "unterminated comment: '/*' has no '*/'");
                if (token) token->setChannel(antlr4::Token::HIDDEN_CHANNEL);
                break;
            default: break;
            }
        }

        // The parser and the checker recurse once per nesting level: bound it, so that a
        // pathological file gets an error instead of exhausting the stack.
        constexpr int kMaxNesting = 256;
        int depth = 0, prefixRun = 0;
        for (antlr4::Token* t : tokens.getTokens()) {
            if (t->getChannel() != antlr4::Token::DEFAULT_CHANNEL) continue;
            switch (t->getType()) {
            case XdmlLexer::LPAREN: case XdmlLexer::LBRACK: case XdmlLexer::LBRACE: case XdmlLexer::STR_INTERP:
            case XdmlLexer::DQUOTE:
                ++depth;
                break;
            case XdmlLexer::RPAREN: case XdmlLexer::RBRACK: case XdmlLexer::RBRACE: case XdmlLexer::STR_END:
            case XdmlLexer::STR_NEWLINE:
                depth = std::max(0, depth - 1);
                break;
            default: break;
            }
            bool prefix = t->getType() == XdmlLexer::MINUS || t->getType() == XdmlLexer::NOT ||
                          t->getType() == XdmlLexer::QUESTION;
            prefixRun = prefix ? prefixRun + 1 : 0;
            if (depth > kMaxNesting || prefixRun > kMaxNesting) {
                diags.error(builder.range(t), "nesting deeper than " + std::to_string(kMaxNesting) +
                                                  " levels: split this expression or block");
                return false;
            }
        }

        return true;
    }

    std::string text_;
    DecodedInput input_;
    XdmlLexer lexer_;
    SilentLexerErrors silent_;
    LiteralRuns runs_;
    antlr4::CommonTokenStream tokens_;
    AstBuilder builder_;
    bool tooDeep_ = false;
};

}  // namespace

std::unique_ptr<Module> parseModule(const SourceManager& sources, FileId file, Diagnostics& diags) {
    TokenizedFile tokenized(sources, file, diags);
    antlr4::CommonTokenStream& tokens = tokenized.tokens();
    AstBuilder& builder = tokenized.builder();
    if (tokenized.tooDeep()) return builder.start();

    XdmlParser parser(&tokens);
    parser.removeErrorListeners();
    auto* sim = parser.getInterpreter<antlr4::atn::ParserATNSimulator>();

    // Fast path: SLL prediction, one declaration at a time, each parse tree freed as soon as
    // its AST is built, so memory stays flat however long the file is.
    sim->setPredictionMode(antlr4::atn::PredictionMode::SLL);
    parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
    auto module = builder.start();
    bool clean = true;
    try {
        while (tokens.LA(1) != antlr4::Token::EOF) {
            P::TopItemContext* item = parser.topItem();
            if (auto decl = builder.topItem(item)) module->decls.push_back(std::move(decl));
            parser.getTreeTracker().reset();
        }
    } catch (const antlr4::ParseCancellationException&) {
        clean = false;
    }
    if (clean) return module;

    // SLL could not decide, or the input has errors: reparse the whole file with full LL and
    // error recovery, which reports every syntax error with what was expected.
    parser.reset();
    tokens.seek(0);
    sim->setPredictionMode(antlr4::atn::PredictionMode::LL);
    parser.setErrorHandler(std::make_shared<SyntaxErrorStrategy>(
        [&builder](const antlr4::Token* t) { return builder.range(t); }));
    SyntaxErrorListener listener(diags, [&builder](const antlr4::Token* t) { return builder.range(t); });
    parser.addErrorListener(&listener);
    return builder.build(parser.program());
}

ast::ExprPtr parseExpression(const SourceManager& sources, FileId file, Diagnostics& diags) {
    TokenizedFile tokenized(sources, file, diags);
    if (tokenized.tooDeep()) return nullptr;
    AstBuilder& builder = tokenized.builder();
    // One expression is short: full LL with error recovery from the start.
    XdmlParser parser(&tokenized.tokens());
    parser.removeErrorListeners();
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::LL);
    auto range = [&builder](const antlr4::Token* t) { return builder.range(t); };
    parser.setErrorHandler(std::make_shared<SyntaxErrorStrategy>(range));
    SyntaxErrorListener listener(diags, range);
    parser.addErrorListener(&listener);
    return builder.standaloneExpr(parser.replInput());
}

}  // namespace xdml::parse
