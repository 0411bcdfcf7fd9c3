// SyntaxErrors.h — turns ANTLR's recognition errors into XDML diagnostics that say what was
// expected in words a user knows, and recovers so that one missing brace is one error.
#pragma once

#include "diag/Diagnostics.h"

#include <antlr4-runtime.h>

#include <functional>
#include <memory>

namespace xdml::parse {

/// Maps an ANTLR token (code-point offsets) to our byte-offset source range.
using TokenRange = std::function<SourceRange(const antlr4::Token*)>;

class SyntaxErrorStrategy : public antlr4::DefaultErrorStrategy {
public:
    explicit SyntaxErrorStrategy(TokenRange range) : range_(std::move(range)) {}

    void sync(antlr4::Parser* recognizer) override;
    /// A broken statement or handler is skipped whole (through its ';' or its block), so that
    /// its remaining words are not misread as further statements.
    void recover(antlr4::Parser* recognizer, std::exception_ptr e) override;

protected:
    void reportNoViableAlternative(antlr4::Parser* recognizer,
                                   const antlr4::NoViableAltException& e) override;
    void reportInputMismatch(antlr4::Parser* recognizer,
                             const antlr4::InputMismatchException& e) override;
    void reportFailedPredicate(antlr4::Parser* recognizer,
                               const antlr4::FailedPredicateException& e) override;
    void reportUnwantedToken(antlr4::Parser* recognizer) override;
    void reportMissingToken(antlr4::Parser* recognizer) override;
    bool singleTokenInsertion(antlr4::Parser* recognizer) override;

private:
    TokenRange range_;
};

/// Collects what SyntaxErrorStrategy reports (through notifyErrorListeners) as diagnostics.
class SyntaxErrorListener : public antlr4::BaseErrorListener {
public:
    SyntaxErrorListener(Diagnostics& diags, TokenRange range)
        : diags_(diags), range_(std::move(range)) {}
    void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offendingSymbol,
                     size_t line, size_t charPositionInLine, const std::string& msg,
                     std::exception_ptr e) override;
    std::size_t count() const { return count_; }

private:
    Diagnostics& diags_;
    TokenRange range_;
    std::size_t count_ = 0;
};

/// How a token reads in a message: 'fn', a name, a number, end of file.
std::string describeToken(const antlr4::Token* token);

}  // namespace xdml::parse
