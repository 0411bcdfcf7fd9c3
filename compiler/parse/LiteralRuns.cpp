// LiteralRuns.cpp — see LiteralRuns.h. Conservative by construction: a run is folded only
// where it can be nothing but whole elements of a list literal (after `[` or `,` inside a
// bracket that opened a list, each element followed by `,` or `]`); anything else is handed
// to the parser exactly as the lexer made it.
#include "parse/LiteralRuns.h"

#include "XdmlLexer.h"

namespace xdml::parse {

namespace {

using L = XdmlLexer;

/// Whether a `[` after a token of this type opens a list literal. Listed, not inferred: after
/// a name, `)`, `]` or `>` it may be an index or tensor dimensions, which are never folded.
bool opensList(std::size_t previous) {
    switch (previous) {
    case L::ASSIGN: case L::COMMA: case L::LPAREN: case L::LBRACK: case L::LBRACE: case L::COLON:
    case L::STR_INTERP: case L::PLUS: case L::MINUS: case L::STAR: case L::SLASH: case L::PERCENT:
    case L::EQ: case L::NE: case L::LT: case L::LE: case L::GE: case L::AND: case L::OR: case L::NOT:
    case L::QUESTION: case L::RETURN:
        return true;
    default:
        return false;
    }
}

bool isLiteral(std::size_t type) {
    return type == L::INT || type == L::FLOAT || type == L::QUANTITY || type == L::TRUE || type == L::FALSE ||
           type == L::NONE;
}

bool isNumber(std::size_t type) { return type == L::INT || type == L::FLOAT || type == L::QUANTITY; }

bool onDefaultChannel(const antlr4::Token& t) { return t.getChannel() == antlr4::Token::DEFAULT_CHANNEL; }

}  // namespace

LiteralRuns::TokenPtr LiteralRuns::handOut(TokenPtr t) {
    if (!onDefaultChannel(*t)) return t;
    switch (t->getType()) {
    case L::LBRACK: listBrackets_.push_back(opensList(previous_)); break;
    case L::LPAREN: case L::LBRACE: case L::STR_INTERP: listBrackets_.push_back(false); break;
    case L::RPAREN: case L::RBRACK: case L::RBRACE:
        if (!listBrackets_.empty()) listBrackets_.pop_back();
        break;
    default: break;
    }
    previous_ = t->getType();
    return t;
}

bool LiteralRuns::atListElement() const {
    return !listBrackets_.empty() && listBrackets_.back() && (previous_ == L::LBRACK || previous_ == L::COMMA);
}

bool LiteralRuns::readElement(std::vector<TokenPtr>& read, RunItem& item) {
    auto next = [&]() -> const antlr4::Token& {
        read.push_back(lexer_.nextToken());
        return *read.back();
    };
    const antlr4::Token* t = &next();
    if (onDefaultChannel(*t) && t->getType() == L::MINUS) {
        item.minusStart = static_cast<uint32_t>(t->getStartIndex());
        t = &next();
        if (!isNumber(t->getType())) return false;
    }
    if (!onDefaultChannel(*t) || !isLiteral(t->getType())) return false;
    item.type = static_cast<uint32_t>(t->getType());
    item.start = static_cast<uint32_t>(t->getStartIndex());
    item.stop = static_cast<uint32_t>(t->getStopIndex());
    const antlr4::Token& after = next();
    return onDefaultChannel(after) && (after.getType() == L::COMMA || after.getType() == L::RBRACK);
}

LiteralRuns::TokenPtr LiteralRuns::fold(std::vector<RunItem> items, const antlr4::Token& first) {
    std::size_t start = items.front().minusStart != RunItem::kUnsigned ? items.front().minusStart : items.front().start;
    auto run = std::make_unique<antlr4::CommonToken>(
        std::make_pair<antlr4::TokenSource*, antlr4::CharStream*>(this, lexer_.getInputStream()), L::LITERAL_RUN,
        antlr4::Token::DEFAULT_CHANNEL, start, items.back().stop);
    run->setLine(first.getLine());
    run->setCharPositionInLine(first.getCharPositionInLine());
    runs_[start] = std::move(items);
    return run;
}

std::unique_ptr<antlr4::Token> LiteralRuns::nextToken() {
    if (pending_.empty() && atListElement()) {
        std::vector<RunItem> items;
        std::vector<TokenPtr> first;  // the first element's tokens: handed out as they are if it stays alone
        TokenPtr separator;           // the `,` after the last element, dropped if another follows
        std::vector<TokenPtr> rest;   // what ended the run
        for (;;) {
            std::vector<TokenPtr> read;
            RunItem item;
            if (!readElement(read, item)) {
                if (separator) rest.push_back(std::move(separator));
                for (TokenPtr& t : read) rest.push_back(std::move(t));
                break;
            }
            TokenPtr end = std::move(read.back());
            read.pop_back();
            items.push_back(item);
            if (items.size() == 1) first = std::move(read);
            separator.reset();
            if (end->getType() == L::RBRACK) {
                rest.push_back(std::move(end));
                break;
            }
            separator = std::move(end);
        }
        if (items.size() >= 2) {
            pending_.push_back(fold(std::move(items), *first.front()));
        } else {
            for (TokenPtr& t : first) pending_.push_back(std::move(t));
        }
        for (TokenPtr& t : rest) pending_.push_back(std::move(t));
    }
    if (pending_.empty()) return handOut(lexer_.nextToken());
    TokenPtr t = std::move(pending_.front());
    pending_.pop_front();
    return handOut(std::move(t));
}

}  // namespace xdml::parse
