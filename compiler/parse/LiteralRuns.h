// LiteralRuns.h — a token source between the lexer and the parser that folds a list literal's
// runs of plain literals (`1, 2.5, -3, true, 4s, none`) into one LITERAL_RUN token: a data
// list of a million numbers then costs the parser one token and one parse-tree path instead
// of two tokens and ten rule contexts per element (gigabytes for a few megabytes of source).
// The AST is the same: AstBuilder expands a run into one literal node per element.
#pragma once

#include <antlr4-runtime.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <vector>

namespace xdml::parse {

/// One element of a run: a literal token's type and code-point span, and its `-` if signed.
struct RunItem {
    static constexpr uint32_t kUnsigned = UINT32_MAX;
    uint32_t type = 0;
    uint32_t minusStart = kUnsigned;  // where the `-` before a number starts
    uint32_t start = 0, stop = 0;     // inclusive, as ANTLR's tokens count
};

class LiteralRuns : public antlr4::TokenSource {
public:
    explicit LiteralRuns(antlr4::TokenSource& lexer) : lexer_(lexer) {}

    std::unique_ptr<antlr4::Token> nextToken() override;
    size_t getLine() const override { return lexer_.getLine(); }
    size_t getCharPositionInLine() override { return lexer_.getCharPositionInLine(); }
    antlr4::CharStream* getInputStream() override { return lexer_.getInputStream(); }
    std::string getSourceName() override { return lexer_.getSourceName(); }
    antlr4::TokenFactory<antlr4::CommonToken>* getTokenFactory() override { return lexer_.getTokenFactory(); }

    /// The elements a LITERAL_RUN token stands for, in source order.
    const std::vector<RunItem>& items(const antlr4::Token& run) const { return runs_.at(run.getStartIndex()); }

private:
    using TokenPtr = std::unique_ptr<antlr4::Token>;

    antlr4::TokenSource& lexer_;
    std::deque<TokenPtr> pending_;  // read ahead, not folded: handed out as they are
    std::map<std::size_t, std::vector<RunItem>> runs_;  // by the run token's start index
    std::vector<bool> listBrackets_;  // per open bracket: whether it opened a list literal
    std::size_t previous_ = 0;        // the last default-channel token handed out

    /// Tracks brackets and the previous token for the token about to be handed out.
    TokenPtr handOut(TokenPtr t);
    /// Whether the next token from the lexer starts an element of a list literal.
    bool atListElement() const;
    /// Reads one element (`-`? literal) followed by `,` or `]`; false, with what it read
    /// appended to `read`, when the next tokens are something else.
    bool readElement(std::vector<TokenPtr>& read, RunItem& item);
    TokenPtr fold(std::vector<RunItem> items, const antlr4::Token& first);
};

}  // namespace xdml::parse
