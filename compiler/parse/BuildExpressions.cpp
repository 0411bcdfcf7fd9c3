// BuildExpressions.cpp — expressions by precedence level, and literals: numbers, quantities
// with their units, strings with escapes and interpolations. Malformed numbers and bad
// escapes are reported here, where the literal tokens are decoded.
#include "parse/AstBuilder.h"
#include "parse/LiteralText.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace xdml::parse {

using namespace ast;

namespace {

std::string withoutUnderscores(std::string s) {
    s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
    return s;
}

}  // namespace

ExprPtr AstBuilder::makeExpr(ExprKind kind, SourceRange r) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->range = r;
    return e;
}

ExprPtr AstBuilder::invalid(antlr4::ParserRuleContext* ctx) {
    return makeExpr(ExprKind::Invalid, range(ctx));
}

template <typename Operand, typename Build>
ExprPtr AstBuilder::leftAssoc(antlr4::ParserRuleContext* ctx, const std::vector<Operand*>& operands,
                              Build build) {
    if (operands.empty()) return invalid(ctx);
    if (operands.size() > kMaxChain) {
        diags_.error(range(ctx), "an expression of more than " + std::to_string(kMaxChain) +
                                     " operands: split it with let");
        return invalid(ctx);
    }
    ExprPtr left = build(operands[0]);
    std::size_t next = 1;
    for (auto* child : ctx->children) {
        auto* term = dynamic_cast<antlr4::tree::TerminalNode*>(child);
        if (!term || next >= operands.size()) continue;
        auto op = binaryOp(term->getSymbol()->getType());
        if (!op) continue;
        ExprPtr right = build(operands[next++]);
        SourceRange r = left->range;
        r.endOffset = std::max(r.endOffset, right->range.endOffset);
        ExprPtr bin = makeExpr(ExprKind::Binary, r);
        bin->binaryOp = *op;
        bin->operands.push_back(std::move(left));
        bin->operands.push_back(std::move(right));
        left = std::move(bin);
    }
    return left;
}

std::optional<BinaryOp> AstBuilder::binaryOp(std::size_t token) {
    switch (token) {
    case P::PLUS: return BinaryOp::Add;
    case P::MINUS: return BinaryOp::Sub;
    case P::STAR: return BinaryOp::Mul;
    case P::SLASH: return BinaryOp::Div;
    case P::PERCENT: return BinaryOp::Mod;
    case P::AND: return BinaryOp::And;
    case P::OR: return BinaryOp::Or;
    default: return std::nullopt;
    }
}

template <typename T>
T* AstBuilder::only(antlr4::ParserRuleContext* ctx) {
    return ctx->children.size() == 1 ? dynamic_cast<T*>(ctx->children[0]) : nullptr;
}

ExprPtr AstBuilder::expr(P::ExprContext* ctx) {
    if (!ctx) return invalid(ctx);
    if (auto* c = only<P::OrExprContext>(ctx)) return orExpr(c);
    if (!ctx->orExpr()) return invalid(ctx);
    ExprPtr cond = orExpr(ctx->orExpr());
    if (!ctx->QUESTION()) return cond;
    auto arms = ctx->expr();
    ExprPtr t = makeExpr(ExprKind::Ternary, range(ctx));
    t->operands.push_back(std::move(cond));
    t->operands.push_back(arms.size() > 0 ? expr(arms[0]) : invalid(ctx));
    t->operands.push_back(arms.size() > 1 ? expr(arms[1]) : invalid(ctx));
    return t;
}

ExprPtr AstBuilder::orExpr(P::OrExprContext* ctx) {
    if (auto* c = only<P::AndExprContext>(ctx)) return andExpr(c);
    return leftAssoc(ctx, ctx->andExpr(), [this](auto* c) { return andExpr(c); });
}

ExprPtr AstBuilder::andExpr(P::AndExprContext* ctx) {
    if (auto* c = only<P::NotExprContext>(ctx)) return notExpr(c);
    return leftAssoc(ctx, ctx->notExpr(), [this](auto* c) { return notExpr(c); });
}

ExprPtr AstBuilder::notExpr(P::NotExprContext* ctx) {
    if (auto* c = only<P::CmpExprContext>(ctx)) return cmpExpr(c);
    if (ctx->NOT()) {
        ExprPtr e = makeExpr(ExprKind::Unary, range(ctx));
        e->unaryOp = UnaryOp::Not;
        e->operands.push_back(ctx->notExpr() ? notExpr(ctx->notExpr()) : invalid(ctx));
        return e;
    }
    return ctx->cmpExpr() ? cmpExpr(ctx->cmpExpr()) : invalid(ctx);
}

ExprPtr AstBuilder::cmpExpr(P::CmpExprContext* ctx) {
    if (auto* c = only<P::AddExprContext>(ctx)) return addExpr(c);
    auto operands = ctx->addExpr();
    auto ops = ctx->cmpOp();
    if (operands.empty()) return invalid(ctx);
    ExprPtr left = addExpr(operands[0]);
    if (ops.size() > 1) {
        // The second comparison's left operand is the first comparison: point there.
        SourceRange chain = range(operands[0]);
        chain.endOffset = range(operands[1]).endOffset;
        diags_.error(chain, "comparisons do not chain: write 'a < b and b < c'");
        return invalid(ctx);
    }
    if (ops.empty() || operands.size() < 2) return left;
    ExprPtr e = makeExpr(ExprKind::Binary, range(ctx));
    switch (ops[0]->getStart()->getType()) {
    case P::EQ: e->binaryOp = BinaryOp::Eq; break;
    case P::NE: e->binaryOp = BinaryOp::Ne; break;
    case P::LT: e->binaryOp = BinaryOp::Lt; break;
    case P::LE: e->binaryOp = BinaryOp::Le; break;
    case P::GT: e->binaryOp = BinaryOp::Gt; break;
    default: e->binaryOp = BinaryOp::Ge; break;
    }
    e->operands.push_back(std::move(left));
    e->operands.push_back(addExpr(operands[1]));
    return e;
}

ExprPtr AstBuilder::addExpr(P::AddExprContext* ctx) {
    if (auto* c = only<P::MulExprContext>(ctx)) return mulExpr(c);
    return leftAssoc(ctx, ctx->mulExpr(), [this](auto* c) { return mulExpr(c); });
}

ExprPtr AstBuilder::mulExpr(P::MulExprContext* ctx) {
    if (auto* c = only<P::UnaryExprContext>(ctx)) return unaryExpr(c);
    return leftAssoc(ctx, ctx->unaryExpr(), [this](auto* c) { return unaryExpr(c); });
}

ExprPtr AstBuilder::unaryExpr(P::UnaryExprContext* ctx) {
    if (auto* c = only<P::PostfixExprContext>(ctx)) return postfixExpr(c);
    if (ctx->MINUS()) {
        if (!ctx->unaryExpr()) return invalid(ctx);
        ExprPtr inner = unaryExpr(ctx->unaryExpr());
        ExprPtr e = makeExpr(ExprKind::Unary, range(ctx));
        e->unaryOp = UnaryOp::Neg;
        e->operands.push_back(std::move(inner));
        return e;
    }
    return ctx->postfixExpr() ? postfixExpr(ctx->postfixExpr()) : invalid(ctx);
}

ExprPtr AstBuilder::postfixExpr(P::PostfixExprContext* ctx) {
    if (auto* c = only<P::PrimaryContext>(ctx)) return primary(c);
    if (!ctx->primary()) return invalid(ctx);
    ExprPtr e = primary(ctx->primary());
    for (auto* post : ctx->postfix()) {
        SourceRange r = e->range;
        r.endOffset = std::max(r.endOffset, range(post).endOffset);
        if (auto* call = dynamic_cast<P::CallSuffixContext*>(post)) {
            ExprPtr c = makeExpr(ExprKind::Call, r);
            c->callee = std::move(e);
            for (auto* a : call->arg()) {
                Arg arg;
                if (a->ident()) arg.name = name(a->ident());
                arg.value = expr(a->expr());
                c->args.push_back(std::move(arg));
            }
            e = std::move(c);
        } else if (auto* field = dynamic_cast<P::FieldSuffixContext*>(post)) {
            ExprPtr f = makeExpr(ExprKind::Field, r);
            f->callee = std::move(e);
            if (field->word()) {
                f->text = field->word()->getText();
                f->nameRange = range(field->word());
            }
            e = std::move(f);
        } else if (auto* index = dynamic_cast<P::IndexSuffixContext*>(post)) {
            ExprPtr ix = makeExpr(ExprKind::Index, r);
            ix->callee = std::move(e);
            for (auto* s : index->slice()) {
                SliceItem item;
                item.range = range(s);
                item.isRange = s->COLON() != nullptr;
                if (item.isRange) {
                    if (s->lo) item.lo = expr(s->lo);
                    if (s->hi) item.hi = expr(s->hi);
                } else if (!s->expr().empty()) {
                    item.lo = expr(s->expr(0));
                }
                ix->slices.push_back(std::move(item));
            }
            e = std::move(ix);
        }
    }
    return e;
}

int64_t AstBuilder::integer(const antlr4::Token* t) {
    std::string digits = withoutUnderscores(t->getText());
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || ptr != digits.data() + digits.size())
        diags_.error(range(t), "integer literal '" + t->getText() + "' does not fit in 64 bits");
    return value;
}

ExprPtr AstBuilder::literal(const antlr4::Token* t) {
    SourceRange r = range(t);
    switch (t->getType()) {
    case P::INT: {
        ExprPtr e = makeExpr(ExprKind::IntLit, r);
        e->text = t->getText();
        e->intValue = integer(t);
        return e;
    }
    case P::FLOAT: {
        ExprPtr e = makeExpr(ExprKind::FloatLit, r);
        e->text = t->getText();
        e->floatValue = std::strtod(withoutUnderscores(e->text).c_str(), nullptr);
        if (!std::isfinite(e->floatValue))
            diags_.error(r, "number '" + e->text + "' is too large for a float");
        return e;
    }
    case P::QUANTITY: return quantity(t);
    case P::TRUE: case P::FALSE: {
        ExprPtr e = makeExpr(ExprKind::BoolLit, r);
        e->boolValue = t->getType() == P::TRUE;
        return e;
    }
    case P::NONE: return makeExpr(ExprKind::NoneLit, r);
    default: return nullptr;
    }
}

void AstBuilder::appendRun(const antlr4::Token& run, std::vector<ExprPtr>& elements) {
    auto source = std::make_pair(run.getTokenSource(), run.getInputStream());
    for (const RunItem& item : runs_.items(run)) {
        // A stand-in for the element's token: the same type and span, so the same node.
        antlr4::CommonToken token(source, item.type, antlr4::Token::DEFAULT_CHANNEL, item.start, item.stop);
        ExprPtr e = literal(&token);
        if (item.minusStart != RunItem::kUnsigned) {
            uint32_t minus = offsets_.byteOffset(item.minusStart);
            ExprPtr neg = makeExpr(ExprKind::Unary, {sources_.locAt(file_, minus), e->range.endOffset});
            neg->unaryOp = UnaryOp::Neg;
            neg->operands.push_back(std::move(e));
            e = std::move(neg);
        }
        elements.push_back(std::move(e));
    }
}

/// The LITERAL_RUN a list element consists of, if it is one (down its one-child levels).
static const antlr4::Token* wholeRun(antlr4::ParserRuleContext* ctx) {
    while (ctx && ctx->children.size() == 1) {
        if (auto* t = dynamic_cast<antlr4::tree::TerminalNode*>(ctx->children[0]))
            return t->getSymbol()->getType() == P::LITERAL_RUN ? t->getSymbol() : nullptr;
        ctx = dynamic_cast<antlr4::ParserRuleContext*>(ctx->children[0]);
    }
    return nullptr;
}

ExprPtr AstBuilder::primary(P::PrimaryContext* ctx) {
    SourceRange r = range(ctx);
    if (ctx->children.size() == 1)
        if (auto* t = dynamic_cast<antlr4::tree::TerminalNode*>(ctx->children[0]))
            if (ExprPtr e = literal(t->getSymbol())) return e;
    if (auto* t = ctx->BAD_NUMBER()) {
        diags_.error(r, "malformed number '" + t->getText() +
                        "': a unit must be one of " + quantityUnitsText() + ", with nothing after it");
        return makeExpr(ExprKind::Invalid, r);
    }
    if (ctx->stringLit()) return stringLiteral(ctx->stringLit());
    if (ctx->ident()) {
        ExprPtr e = makeExpr(ExprKind::Ident, r);
        e->text = ctx->ident()->getText();
        return e;
    }
    if (ctx->LPAREN()) {
        if (ctx->expr().empty()) return invalid(ctx);
        return expr(ctx->expr(0));
    }
    if (ctx->LBRACK()) {
        ExprPtr e = makeExpr(ExprKind::List, r);
        for (auto* item : ctx->expr()) {
            if (const antlr4::Token* run = wholeRun(item)) appendRun(*run, e->operands);
            else e->operands.push_back(expr(item));
        }
        return e;
    }
    if (ctx->LBRACE()) {
        ExprPtr e = makeExpr(ExprKind::Record, r);
        for (auto* f : ctx->fieldInit()) e->fields.push_back({name(f->word()), expr(f->expr())});
        return e;
    }
    return invalid(ctx);
}

ExprPtr AstBuilder::quantity(const antlr4::Token* t) {
    ExprPtr e = makeExpr(ExprKind::Quantity, range(t));
    e->text = t->getText();
    if (const auto q = quantityOfText(e->text)) {  // the lexer's QUANTITY always reads
        e->quantity = q->kind;
        e->floatValue = q->value;
    }
    return e;
}

ExprPtr AstBuilder::stringLiteral(P::StringLitContext* ctx) {
    ExprPtr e = makeExpr(ExprKind::String, range(ctx));
    if (!ctx) return e;
    if (ctx->STR_NEWLINE())
        diags_.error(range(ctx->DQUOTE()->getSymbol()), "unterminated string: a string ends on the line it starts");
    auto appendText = [&](const std::string& text) {
        if (e->parts.empty() || e->parts.back().expr) e->parts.push_back({});
        e->parts.back().text += text;
    };
    for (auto* part : ctx->stringPart()) {
        if (part->STR_INTERP()) {
            StringPart p;
            p.expr = part->expr() ? expr(part->expr()) : invalid(part);
            if (auto* f = part->textFormat()) {
                // The source text itself, spaces and all: tokens would lose them.
                const std::size_t from = part->COLON()->getSymbol()->getStopIndex() + 1;
                const std::size_t to = part->RBRACE() ? part->RBRACE()->getSymbol()->getStartIndex() : from;
                auto* input = const_cast<antlr4::CharStream*>(part->COLON()->getSymbol()->getInputStream());  // getText is not const
                Name format;
                format.text = to > from ? input->getText(antlr4::misc::Interval(from, to - 1)) : "";
                format.range = f->getStart() && f->getStart()->getType() != P::RBRACE ? range(f) : range(part->COLON()->getSymbol());
                p.format = std::move(format);
            }
            e->parts.push_back(std::move(p));
            continue;
        }
        const antlr4::Token* t = part->getStart();
        std::string text = t->getText();
        switch (t->getType()) {
        case P::STR_TEXT: appendText(text); break;
        case P::STR_LBRACE_LIT: appendText("{"); break;
        case P::STR_RBRACE_LIT: appendText("}"); break;
        case P::STR_LONE_RBRACE:
            diags_.error(range(t), "a lone '}' in a string: write '}}' for a brace");
            break;
        case P::STR_BAD_ESCAPE:
            diags_.error(range(t), "unknown escape '" + text + "' in a string: use \\n \\t \\r \\\\ \\\" or \\u{...}");
            break;
        case P::STR_ESCAPE: appendText(decodeEscape(t)); break;
        default: break;
        }
    }
    return e;
}

std::string AstBuilder::decodeEscape(const antlr4::Token* t) {
    std::string text = t->getText();
    switch (text[1]) {
    case 'n': return "\n";
    case 't': return "\t";
    case 'r': return "\r";
    case '\\': return "\\";
    case '"': return "\"";
    default: break;
    }
    // \u{XXXX}: encode the code point as UTF-8.
    std::string hex = text.substr(3, text.size() - 4);
    unsigned long cp = hex.size() <= 6 ? std::strtoul(hex.c_str(), nullptr, 16) : 0x110000;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        diags_.error(range(t), "'" + text + "' is not a Unicode code point");
        return "";
    }
    std::string out;
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return out;
}

}  // namespace xdml::parse
