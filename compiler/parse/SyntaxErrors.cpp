// SyntaxErrors.cpp — messages and recovery for syntax errors.
#include "parse/SyntaxErrors.h"

#include "XdmlLexer.h"
#include "XdmlParser.h"

#include <set>
#include <sstream>

#include <algorithm>

namespace xdml::parse {

using antlr4::Token;
using P = XdmlParser;

namespace {

/// Tokens that can only start a top-level declaration: inside a block they mean the block's
/// closing brace is missing.
bool startsDeclaration(std::size_t type) {
    switch (type) {
    case P::IMPORT: case P::CONST: case P::PARAM: case P::SITE: case P::LINK: case P::TYPE: case P::FN:
    case P::TASK: case P::STREAM: case P::MODEL: case P::CATALOG: case P::POLICY: case P::FLOW:
        return true;
    default:
        return false;
    }
}

/// What a set of expected tokens means, when it is too long to list.
std::string describeRule(std::size_t rule) {
    switch (rule) {
    case P::RuleProgram: case P::RuleTopItem: return "a declaration";
    case P::RuleFlowDecl: case P::RuleFlowItem: return "a statement, a handler or '}'";
    case P::RuleBlock: case P::RuleStatement: return "a statement or '}'";
    case P::RuleType: case P::RuleTypeAtom: case P::RuleFieldType: return "a type";
    case P::RuleProperties: case P::RuleProperty: return "'key: value' or '}'";
    case P::RuleHandler: return "'on new data of type T' or 'on end of S'";
    default: return "an expression";
    }
}

const antlr4::dfa::Vocabulary& vocabulary() {
    static antlr4::ANTLRInputStream empty("");
    static XdmlLexer lexer(&empty);
    static antlr4::CommonTokenStream tokens(&lexer);
    static XdmlParser parser(&tokens);
    return parser.getVocabulary();
}

std::string tokenName(std::size_t type) {
    if (type == Token::EOF) return "end of file";
    switch (type) {
    case P::ID: return "a name";
    case P::INT: return "an integer";
    case P::FLOAT: return "a number";
    case P::QUANTITY: return "a quantity";
    case P::DQUOTE: return "a string";
    case P::STR_END: return "'\"'";
    case P::STR_INTERP: return "'{'";
    case P::STR_NEWLINE: return "'\"'";
    case P::LBRACE: return "'{'";  // braces carry lexer actions, so ANTLR has no literal name
    case P::RBRACE: return "'}'";
    default: break;
    }
    std::string literal = vocabulary().getLiteralName(type);
    if (!literal.empty()) return literal;  // already quoted: 'fn'
    return vocabulary().getSymbolicName(type);
}

std::string describeExpected(antlr4::Parser* recognizer, const antlr4::misc::IntervalSet& set) {
    std::vector<std::string> names;
    bool anyIdent = false;
    for (std::size_t t : set.toList()) {
        // Contextual words are names too; listing them would only confuse.
        if ((t >= P::WHERE && t <= P::IT) || t == P::STOP || t == P::PYTHON) { anyIdent = true; continue; }
        if (t == P::LITERAL_RUN) continue;  // made from literals, never expected by name
        if (t == P::ID) anyIdent = true;
        names.push_back(tokenName(t));
    }
    if (anyIdent && std::find(names.begin(), names.end(), "a name") == names.end())
        names.push_back("a name");
    std::set<std::string> unique(names.begin(), names.end());
    if (unique.empty() || unique.size() > 4) return describeRule(recognizer->getContext()->getRuleIndex());
    std::vector<std::string> ordered(unique.begin(), unique.end());
    std::ostringstream out;
    for (std::size_t i = 0; i < ordered.size(); ++i) {
        if (i > 0) out << (i + 1 == ordered.size() ? " or " : ", ");
        out << ordered[i];
    }
    return out.str();
}

/// The innermost enclosing `{` that the parser is inside, as "L:C".
std::string openBraceOf(antlr4::ParserRuleContext* ctx) {
    for (; ctx; ctx = dynamic_cast<antlr4::ParserRuleContext*>(ctx->parent)) {
        auto rule = ctx->getRuleIndex();
        if (rule == P::RuleBlock || rule == P::RuleFlowDecl || rule == P::RuleProperties) {
            for (auto* child : ctx->children)
                if (auto* term = dynamic_cast<antlr4::tree::TerminalNode*>(child))
                    if (term->getSymbol()->getType() == P::LBRACE)
                        return std::to_string(term->getSymbol()->getLine()) + ":" +
                               std::to_string(term->getSymbol()->getCharPositionInLine() + 1);
        }
    }
    return "";
}

/// An unterminated string ends at the end of its line, taking with it whatever followed the
/// missing quote (often a ';'). The syntax error that causes is a consequence, already
/// reported as the unterminated string.
bool followsUnterminatedString(antlr4::Parser* recognizer) {
    Token* previous = recognizer->getTokenStream()->LT(-1);
    return previous && previous->getType() == P::STR_NEWLINE;
}

/// Statements and handlers: the units that recovery skips whole.
bool isItemRule(std::size_t rule) {
    return rule == P::RuleStatement || rule == P::RuleHandler || rule == P::RuleFlowItem;
}

/// Consumes the rest of a statement or handler: through the next ';' or the end of the next
/// balanced '{...}', whichever comes first. Stops before a '}' that closes the enclosing block,
/// a declaration keyword or the end of the file. Returns whether it consumed anything.
bool skipItem(antlr4::Parser* recognizer) {
    int depth = 0;
    bool consumed = false;
    for (;;) {
        std::size_t type = recognizer->getCurrentToken()->getType();
        if (type == Token::EOF || startsDeclaration(type)) return consumed;
        if (depth == 0 && type == P::RBRACE) return consumed;
        recognizer->consume();
        consumed = true;
        if (type == P::LBRACE || type == P::STR_INTERP) ++depth;
        else if (type == P::RBRACE && --depth == 0) return true;
        else if (type == P::SEMI && depth == 0) return true;
    }
}

/// A fn declaration whose body is a block, where its '= EXPR' should be.
bool fnWithBlockBody(antlr4::Parser* recognizer) {
    return recognizer->getContext()->getRuleIndex() == P::RuleFnDecl &&
           recognizer->getCurrentToken()->getType() == P::LBRACE;
}

}  // namespace

std::string describeToken(const Token* token) {
    if (!token || token->getType() == Token::EOF) return "end of file";
    std::string text = token->getText();
    if (token->getType() == P::STR_NEWLINE) return "the end of the line";
    if (text.size() > 24) text = text.substr(0, 21) + "...";
    return "'" + text + "'";
}

void SyntaxErrorStrategy::sync(antlr4::Parser* recognizer) {
    // Inside a block, a declaration keyword ends the block: let the loop exit so that the
    // missing '}' is reported at that keyword, rather than deleting the keyword.
    if (startsDeclaration(recognizer->getCurrentToken()->getType()) &&
        recognizer->getContext()->getRuleIndex() != P::RuleProgram)
        return;
    // In a block's list of items, a token that cannot start one (a stray 'else') begins a
    // broken item: skip all of it, rather than only the token, whose remains would misparse.
    auto rule = recognizer->getContext()->getRuleIndex();
    if ((rule == P::RuleBlock || rule == P::RuleFlowDecl) && !inErrorRecoveryMode(recognizer)) {
        antlr4::atn::ATNState* state = recognizer->getATN().states[recognizer->getState()];
        std::size_t kind = state->getStateType();
        std::size_t la = recognizer->getCurrentToken()->getType();
        if ((kind == antlr4::atn::ATNState::STAR_LOOP_ENTRY || kind == antlr4::atn::ATNState::STAR_LOOP_BACK) &&
            la != Token::EOF && !recognizer->getATN().nextTokens(state).contains(la)) {
            reportUnwantedToken(recognizer);
            skipItem(recognizer);
            return;
        }
    }
    DefaultErrorStrategy::sync(recognizer);
}

bool SyntaxErrorStrategy::singleTokenInsertion(antlr4::Parser* recognizer) {
    // `fn f() -> T { ... }`: conjuring the '=' would misread the block as a record.
    if (fnWithBlockBody(recognizer)) return false;
    return DefaultErrorStrategy::singleTokenInsertion(recognizer);
}

void SyntaxErrorStrategy::recover(antlr4::Parser* recognizer, std::exception_ptr e) {
    if (isItemRule(recognizer->getContext()->getRuleIndex()) && skipItem(recognizer)) return;
    DefaultErrorStrategy::recover(recognizer, e);
}

void SyntaxErrorStrategy::reportNoViableAlternative(antlr4::Parser* recognizer,
                                                    const antlr4::NoViableAltException& e) {
    if (followsUnterminatedString(recognizer)) return;
    Token* token = e.getOffendingToken();
    std::string msg = "unexpected " + describeToken(token) + "; expected " +
                      describeRule(recognizer->getContext()->getRuleIndex());
    // `log` followed by anything but a string or '(' is a log statement without its text.
    if (e.getStartToken() && e.getStartToken()->getType() == P::LOG && token != e.getStartToken())
        msg = "a 'log' statement needs a string literal: log \"text {value}\";";
    recognizer->notifyErrorListeners(token, msg, std::make_exception_ptr(e));
}

void SyntaxErrorStrategy::reportInputMismatch(antlr4::Parser* recognizer,
                                              const antlr4::InputMismatchException& e) {
    if (followsUnterminatedString(recognizer)) return;
    Token* token = e.getOffendingToken();
    std::string msg = "expected " + describeExpected(recognizer, e.getExpectedTokens()) +
                      ", found " + describeToken(token);
    if (fnWithBlockBody(recognizer))
        msg = "a fn's body is one expression: 'fn f(...) -> T = EXPR;' (a task has a block)";
    recognizer->notifyErrorListeners(token, msg, std::make_exception_ptr(e));
}

void SyntaxErrorStrategy::reportFailedPredicate(antlr4::Parser* recognizer,
                                                const antlr4::FailedPredicateException& e) {
    recognizer->notifyErrorListeners(e.getOffendingToken(), "unexpected " +
                                     describeToken(e.getOffendingToken()), std::make_exception_ptr(e));
}

void SyntaxErrorStrategy::reportUnwantedToken(antlr4::Parser* recognizer) {
    if (inErrorRecoveryMode(recognizer)) return;
    beginErrorCondition(recognizer);
    if (followsUnterminatedString(recognizer)) return;
    Token* token = recognizer->getCurrentToken();
    std::string msg = "unexpected " + describeToken(token) + "; expected " +
                      describeExpected(recognizer, getExpectedTokens(recognizer));
    recognizer->notifyErrorListeners(token, msg, nullptr);
}

void SyntaxErrorStrategy::reportMissingToken(antlr4::Parser* recognizer) {
    if (inErrorRecoveryMode(recognizer)) return;
    beginErrorCondition(recognizer);
    if (followsUnterminatedString(recognizer)) return;
    Token* token = recognizer->getCurrentToken();
    antlr4::misc::IntervalSet expected = getExpectedTokens(recognizer);
    std::string msg;
    if (expected.contains(static_cast<size_t>(P::RBRACE)) && expected.size() == 1) {
        std::string open = openBraceOf(recognizer->getContext());
        msg = "missing '}' before " + describeToken(token);
        if (!open.empty()) msg += " to close the block opened at " + open;
    } else if (expected.contains(static_cast<size_t>(P::STR_END))) {
        msg = "unterminated string: missing '\"' before " + describeToken(token);
    } else {
        msg = "missing " + describeExpected(recognizer, expected) + " before " + describeToken(token);
    }
    recognizer->notifyErrorListeners(token, msg, nullptr);
}

void SyntaxErrorListener::syntaxError(antlr4::Recognizer*, Token* offendingSymbol, size_t,
                                      size_t, const std::string& msg, std::exception_ptr) {
    ++count_;
    diags_.error(range_(offendingSymbol), msg);
}

}  // namespace xdml::parse
