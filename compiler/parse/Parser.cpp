// Parser.cpp — runs the ANTLR lexer and parser (SLL first, LL on failure) and builds our AST
// from the parse tree. Lexical problems (bad characters, malformed numbers, bad escapes) are
// reported here, where the tokens are.
#include "parse/Parser.h"

#include "XdmlLexer.h"
#include "XdmlParser.h"
#include "parse/SyntaxErrors.h"

#include <antlr4-runtime.h>

#include <charconv>
#include <cstdio>
#include <cmath>
#include <cstdlib>

#include <algorithm>

namespace xdml::parse {

using namespace ast;
using P = XdmlParser;

namespace {

/// Maps ANTLR's code-point indexes back to byte offsets in the UTF-8 source.
class OffsetMap {
public:
    explicit OffsetMap(std::string_view text) {
        bool ascii = true;
        for (unsigned char c : text)
            if (c >= 0x80) { ascii = false; break; }
        if (ascii) return;
        for (uint32_t i = 0; i < text.size(); ++i)
            if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts_.push_back(i);
        starts_.push_back(static_cast<uint32_t>(text.size()));
    }
    uint32_t byteOffset(std::size_t codePoint) const {
        if (starts_.empty()) return static_cast<uint32_t>(codePoint);
        return starts_[std::min(codePoint, starts_.size() - 1)];
    }

private:
    std::vector<uint32_t> starts_;
};

struct Unit {
    const char* name;
    QuantityKind kind;
    double scale;  // to seconds, bytes, or bytes per second
};
constexpr Unit kUnits[] = {
    {"ns", QuantityKind::Duration, 1e-9}, {"us", QuantityKind::Duration, 1e-6},
    {"ms", QuantityKind::Duration, 1e-3}, {"s", QuantityKind::Duration, 1},
    {"min", QuantityKind::Duration, 60}, {"h", QuantityKind::Duration, 3600},
    {"d", QuantityKind::Duration, 86400},
    {"B", QuantityKind::Bytes, 1}, {"KB", QuantityKind::Bytes, 1e3},
    {"MB", QuantityKind::Bytes, 1e6}, {"GB", QuantityKind::Bytes, 1e9},
    {"TB", QuantityKind::Bytes, 1e12}, {"PB", QuantityKind::Bytes, 1e15},
    {"KiB", QuantityKind::Bytes, 1024.0}, {"MiB", QuantityKind::Bytes, 1048576.0},
    {"GiB", QuantityKind::Bytes, 1073741824.0}, {"TiB", QuantityKind::Bytes, 1099511627776.0},
    {"PiB", QuantityKind::Bytes, 1125899906842624.0},
    {"Kbps", QuantityKind::Bandwidth, 1e3 / 8}, {"Mbps", QuantityKind::Bandwidth, 1e6 / 8},
    {"Gbps", QuantityKind::Bandwidth, 1e9 / 8}, {"Tbps", QuantityKind::Bandwidth, 1e12 / 8},
    {"KB/s", QuantityKind::Bandwidth, 1e3}, {"MB/s", QuantityKind::Bandwidth, 1e6},
    {"GB/s", QuantityKind::Bandwidth, 1e9},
};

std::string withoutUnderscores(std::string s) {
    s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
    return s;
}

class ModuleBuilder {
public:
    /// `text`: what ANTLR read (the file, malformed UTF-8 bytes replaced one for one).
    ModuleBuilder(const SourceManager& sources, FileId file, Diagnostics& diags,
                  antlr4::CommonTokenStream& tokens, std::string_view text)
        : sources_(sources), file_(file), diags_(diags), tokens_(tokens),
          offsets_(text), text_(text) {}

    SourceRange range(const antlr4::Token* t) const {
        if (!t) return {};
        std::size_t start = t->getStartIndex();
        std::size_t stop = t->getType() == antlr4::Token::EOF ? start : t->getStopIndex() + 1;
        if (t->getType() == antlr4::Token::EOF || start == INVALID_INDEX) {
            uint32_t end = static_cast<uint32_t>(sources_.text(file_).size());
            return {sources_.locAt(file_, end), end};
        }
        uint32_t b = offsets_.byteOffset(start), e = offsets_.byteOffset(stop);
        return {sources_.locAt(file_, b), e};
    }
    SourceRange range(antlr4::ParserRuleContext* ctx) const {
        if (!ctx || !ctx->getStart()) return {};
        SourceRange r = range(ctx->getStart());
        const antlr4::Token* stop = ctx->getStop();
        if (stop && stop->getStopIndex() != INVALID_INDEX && stop->getStopIndex() + 1 > stop->getStartIndex() &&
            stop->getTokenIndex() >= ctx->getStart()->getTokenIndex())
            r.endOffset = std::max(r.endOffset, offsets_.byteOffset(stop->getStopIndex() + 1));
        return r;
    }

    std::unique_ptr<Module> start() const {
        auto module = std::make_unique<Module>();
        module->file = file_;
        module->path = sources_.path(file_);
        return module;
    }

    std::unique_ptr<Module> build(P::ProgramContext* program) {
        auto module = start();
        if (!program) return module;
        for (auto* item : program->topItem())
            if (auto decl = topItem(item)) module->decls.push_back(std::move(decl));
        return module;
    }

private:
    static constexpr std::size_t kMaxChain = 10000;  // each operand is a level of recursion later

    Name name(P::IdentContext* ctx) const {
        if (!ctx) return {};
        return {ctx->getText(), range(ctx)};
    }
    Name name(P::WordContext* ctx) const {
        if (!ctx) return {};
        return {ctx->getText(), range(ctx)};
    }

    /// The `///` lines standing right before a declaration's first token.
    std::string docComment(antlr4::ParserRuleContext* ctx) {
        if (!ctx || !ctx->getStart()) return {};
        auto lines = tokens_.getHiddenTokensToLeft(ctx->getStart()->getTokenIndex(), XdmlLexer::DOC);
        std::string doc;
        std::size_t previousEnd = 0;
        for (antlr4::Token* t : lines) {
            // A blank line or a plain comment between doc lines starts the comment afresh.
            if (!doc.empty() && !oneLineBreak(previousEnd, t->getStartIndex())) doc.clear();
            std::string line = t->getText().substr(3);
            if (!line.empty() && line[0] == ' ') line.erase(0, 1);
            doc += doc.empty() ? line : "\n" + line;
            previousEnd = t->getStopIndex() + 1;
        }
        // ... and one between the doc lines and the declaration detaches them.
        if (!doc.empty() && !oneLineBreak(previousEnd, ctx->getStart()->getStartIndex())) doc.clear();
        return doc;
    }

    /// Whether the text between two code-point positions is white space with one line break.
    bool oneLineBreak(std::size_t from, std::size_t to) const {
        uint32_t b = offsets_.byteOffset(from), e = offsets_.byteOffset(to);
        if (e < b || e > text_.size()) return false;
        int breaks = 0;
        for (uint32_t i = b; i < e; ++i) {
            char c = text_[i];
            if (c == '\n') ++breaks;
            else if (c != ' ' && c != '\t' && c != '\r' && c != '\f') return false;
        }
        return breaks == 1;
    }

    DeclPtr makeDecl(DeclKind kind, antlr4::ParserRuleContext* ctx, P::IdentContext* id) {
        auto d = std::make_unique<Decl>();
        d->kind = kind;
        d->range = range(ctx);
        d->file = file_;
        d->name = name(id);
        d->doc = docComment(ctx);
        return d;
    }

public:
    DeclPtr topItem(P::TopItemContext* item) {
        if (!item) return nullptr;
        if (auto* c = item->importDecl()) {
            auto d = makeDecl(DeclKind::Import, c, nullptr);
            if (auto* q = c->qualifiedName()) {
                for (auto* id : q->ident()) d->modulePath.push_back(id->getText());
                d->name = {q->getText(), range(q)};
            } else if (auto* s = c->stringLit()) {
                ExprPtr lit = stringLiteral(s);
                for (auto& part : lit->parts) d->importFile += part.text;
                d->name = {d->importFile, range(s)};
            }
            return d;
        }
        if (auto* c = item->constDecl()) {
            auto d = makeDecl(DeclKind::Const, c, c->ident());
            d->type = typeExpr(c->type());
            d->value = expr(c->expr());
            return d;
        }
        if (auto* c = item->siteDecl()) {
            auto d = makeDecl(DeclKind::Site, c, c->ident());
            d->properties = properties(c->properties());
            return d;
        }
        if (auto* c = item->linkDecl()) {
            auto ids = c->ident();
            auto d = makeDecl(DeclKind::Link, c, ids.empty() ? nullptr : ids[0]);
            if (ids.size() > 1) d->to = name(ids[1]);
            d->bidirectional = c->BIARROW() != nullptr;
            d->properties = properties(c->properties());
            return d;
        }
        if (auto* c = item->typeDecl()) {
            auto d = makeDecl(DeclKind::TypeDecl, c, c->ident());
            d->type = typeExpr(c->type());
            if (auto* w = dynamic_cast<P::WhereRefinementContext*>(c->typeRefinement())) {
                d->where = expr(w->expr());
            } else if (auto* k = dynamic_cast<P::ClassifiedRefinementContext*>(c->typeRefinement())) {
                d->classifier = name(k->ident());
                if (k->stringLit()) {
                    ExprPtr lit = stringLiteral(k->stringLit());
                    std::string text;
                    for (auto& part : lit->parts) text += part.text;
                    d->className = Name{text, range(k->stringLit())};
                }
            }
            return d;
        }
        if (auto* c = item->fnDecl()) {
            auto d = makeDecl(DeclKind::Fn, c, c->ident());
            d->params = params(c->params());
            d->type = typeExpr(c->type());
            d->value = expr(c->expr());
            return d;
        }
        if (auto* c = item->taskDecl()) {
            auto d = makeDecl(DeclKind::Task, c, c->ident());
            d->params = params(c->params());
            if (c->type()) d->type = typeExpr(c->type());
            if (c->policyRef()) d->policy = policyRef(c->policyRef());
            d->body = block(c->block());
            return d;
        }
        if (auto* c = item->streamDecl()) {
            auto ids = c->ident();
            auto d = makeDecl(DeclKind::Stream, c, ids.empty() ? nullptr : ids[0]);
            d->type = typeExpr(c->type());
            if (c->FROM()) d->value = expr(c->expr());
            if (c->AT() && ids.size() > 1) d->site = name(ids[1]);
            if (c->REHEARSE()) d->properties = properties(c->properties());
            return d;
        }
        if (auto* c = item->modelDecl()) {
            auto d = makeDecl(DeclKind::Model, c, c->ident());
            d->properties = properties(c->properties());
            return d;
        }
        if (auto* c = item->catalogDecl()) {
            auto d = makeDecl(DeclKind::Catalog, c, c->ident());
            d->type = typeExpr(c->type());
            d->value = expr(c->expr());
            return d;
        }
        if (auto* c = item->policyDecl()) {
            auto ids = c->ident();
            auto d = makeDecl(DeclKind::Policy, c, ids.empty() ? nullptr : ids[0]);
            if (c->ASSIGN() && ids.size() > 1) d->basePolicy = name(ids[1]);
            if (c->properties()) d->properties = properties(c->properties());
            else d->properties = PropertyBlock{{}, d->range};
            return d;
        }
        if (auto* c = item->flowDecl()) {
            auto d = makeDecl(DeclKind::Flow, c, c->ident());
            if (c->policyRef()) d->policy = policyRef(c->policyRef());
            for (auto* fi : c->flowItem()) {
                if (auto* h = fi->handler()) {
                    if (auto s = handler(h)) d->body.push_back(std::move(s));
                } else if (auto s = statement(fi->statement())) {
                    d->body.push_back(std::move(s));
                }
            }
            return d;
        }
        return nullptr;
    }

private:
    std::vector<Param> params(P::ParamsContext* ctx) {
        std::vector<Param> out;
        if (!ctx) return out;
        for (auto* p : ctx->param()) out.push_back({name(p->ident()), typeExpr(p->type())});
        return out;
    }

    std::optional<PropertyBlock> properties(P::PropertiesContext* ctx) {
        PropertyBlock block;
        block.range = range(ctx);
        if (!ctx) return block;
        for (auto* p : ctx->property()) block.properties.push_back({name(p->word()), expr(p->expr())});
        return block;
    }

    PolicyRef policyRef(P::PolicyRefContext* ctx) {
        PolicyRef ref;
        ref.range = range(ctx);
        if (ctx->ident()) ref.name = name(ctx->ident());
        else ref.inlineClauses = properties(ctx->properties());
        return ref;
    }

    // ------------------------------------------------------------ types

    TypeExprPtr typeExpr(P::TypeContext* ctx) {
        if (!ctx || !ctx->typeAtom()) return nullptr;
        TypeExprPtr t = typeAtom(ctx->typeAtom());
        for (auto* q : ctx->QUESTION()) {
            auto opt = std::make_unique<TypeExpr>();
            opt->kind = TypeExprKind::Optional;
            opt->range = range(ctx->typeAtom());
            opt->range.endOffset = range(q->getSymbol()).endOffset;
            opt->element = std::move(t);
            t = std::move(opt);
        }
        return t;
    }

    TypeExprPtr typeAtom(P::TypeAtomContext* ctx) {
        auto t = std::make_unique<TypeExpr>();
        t->range = range(ctx);
        if (auto* c = dynamic_cast<P::TensorTypeContext*>(ctx)) {
            t->kind = TypeExprKind::Tensor;
            t->name = name(c->ident());
            for (auto* d : c->dim()) {
                Dim dim;
                dim.range = range(d);
                if (d->INT()) {
                    dim.kind = Dim::Kind::Number;
                    dim.number = integer(d->INT()->getSymbol());
                } else if (d->ident()) {
                    dim.kind = Dim::Kind::Name;
                    dim.name = name(d->ident());
                }
                t->dims.push_back(std::move(dim));
            }
        } else if (auto* c = dynamic_cast<P::ListTypeContext*>(ctx)) {
            t->kind = TypeExprKind::List;
            t->element = typeExpr(c->type());
        } else if (auto* c = dynamic_cast<P::StreamTypeContext*>(ctx)) {
            t->kind = TypeExprKind::Stream;
            t->element = typeExpr(c->type());
        } else if (auto* c = dynamic_cast<P::CatalogTypeContext*>(ctx)) {
            t->kind = TypeExprKind::Catalog;
            t->element = typeExpr(c->type());
        } else if (dynamic_cast<P::ModelTypeContext*>(ctx)) {
            t->kind = TypeExprKind::Model;
        } else if (auto* c = dynamic_cast<P::RecordTypeContext*>(ctx)) {
            t->kind = TypeExprKind::Record;
            for (auto* f : c->fieldType()) t->fields.push_back({name(f->word()), typeExpr(f->type())});
        } else if (auto* c = dynamic_cast<P::NamedTypeContext*>(ctx)) {
            t->kind = TypeExprKind::Named;
            t->name = name(c->ident());
        } else {
            return nullptr;
        }
        return t;
    }

    // ------------------------------------------------------------ statements

    Block block(P::BlockContext* ctx) {
        Block out;
        if (!ctx) return out;
        for (auto* s : ctx->statement())
            if (auto stmt = statement(s)) out.push_back(std::move(stmt));
        return out;
    }

    StmtPtr makeStmt(StmtKind kind, antlr4::ParserRuleContext* ctx) {
        auto s = std::make_unique<Stmt>();
        s->kind = kind;
        s->range = range(ctx);
        return s;
    }

    StmtPtr handler(P::HandlerContext* ctx) {
        if (auto* c = dynamic_cast<P::OnNewDataContext*>(ctx)) {
            auto s = makeStmt(StmtKind::OnNewData, c);
            auto ids = c->ident();
            std::size_t next = 0;
            if (ids.size() > next) s->name = name(ids[next++]);
            if (c->IN() && ids.size() > next) {
                s->target = name(ids[next++]);
                s->hasTarget = true;
            }
            if (c->AS() && ids.size() > next) s->as = name(ids[next++]);
            if (c->EVERY()) s->value = expr(c->expr());
            if (c->policyRef()) s->policy = policyRef(c->policyRef());
            s->body = block(c->block());
            return s;
        }
        if (auto* c = dynamic_cast<P::OnEndContext*>(ctx)) {
            auto s = makeStmt(StmtKind::OnEnd, c);
            s->name = name(c->ident());
            s->body = block(c->block());
            return s;
        }
        return nullptr;
    }

    StmtPtr statement(P::StatementContext* ctx) {
        if (!ctx) return nullptr;
        StmtPtr s;
        P::PolicyRefContext* policy = nullptr;
        if (auto* c = dynamic_cast<P::LetStmtContext*>(ctx)) {
            s = makeStmt(StmtKind::Let, c);
            s->name = name(c->ident());
            if (c->type()) s->declaredType = typeExpr(c->type());
            s->value = expr(c->expr());
            policy = c->policyRef();
        } else if (auto* c = dynamic_cast<P::EmitStmtContext*>(ctx)) {
            s = makeStmt(StmtKind::Emit, c);
            s->value = expr(c->expr());
            s->target = name(c->ident());
            policy = c->policyRef();
        } else if (auto* c = dynamic_cast<P::RecordStmtContext*>(ctx)) {
            s = makeStmt(StmtKind::Record, c);
            s->value = expr(c->expr());
            s->target = name(c->ident());
            policy = c->policyRef();
        } else if (auto* c = dynamic_cast<P::TrainStmtContext*>(ctx)) {
            s = makeStmt(StmtKind::Train, c);
            auto ids = c->ident();
            if (ids.size() > 0) s->name = name(ids[0]);
            if (ids.size() > 1) s->target = name(ids[1]);
            policy = c->policyRef();
        } else if (auto* c = dynamic_cast<P::TransferStmtContext*>(ctx)) {
            s = makeStmt(StmtKind::Transfer, c);
            s->value = expr(c->expr());
            s->target = name(c->ident());
            policy = c->policyRef();
        } else if (auto* c = dynamic_cast<P::IfStmtContext*>(ctx)) {
            s = ifStatement(c->ifStatement());
        } else if (auto* c = dynamic_cast<P::ForStmtContext*>(ctx)) {
            s = makeStmt(StmtKind::For, c);
            s->name = name(c->ident());
            s->value = expr(c->expr());
            s->body = block(c->block());
        } else if (auto* c = dynamic_cast<P::UntilStmtContext*>(ctx)) {
            s = makeStmt(StmtKind::Until, c);
            auto exprs = c->expr();
            if (exprs.size() > 0) s->value = expr(exprs[0]);
            if (c->MAX() && exprs.size() > 1) s->bound = expr(exprs[1]);
            s->body = block(c->block());
        } else if (auto* c = dynamic_cast<P::LogStmtContext*>(ctx)) {
            s = makeStmt(StmtKind::Log, c);
            s->value = c->stringLit() ? stringLiteral(c->stringLit()) : invalid(c);
            policy = c->policyRef();
        } else if (auto* c = dynamic_cast<P::ReturnStmtContext*>(ctx)) {
            s = makeStmt(StmtKind::Return, c);
            if (c->expr()) s->value = expr(c->expr());
            policy = c->policyRef();
        } else if (auto* c = dynamic_cast<P::ExprStmtContext*>(ctx)) {
            s = makeStmt(StmtKind::ExprStmt, c);
            s->value = expr(c->expr());
            policy = c->policyRef();
        }
        if (s && policy) s->policy = policyRef(policy);
        return s;
    }

    StmtPtr ifStatement(P::IfStatementContext* c) {
        if (!c) return nullptr;
        auto s = makeStmt(StmtKind::If, c);
        s->value = expr(c->expr());
        auto blocks = c->block();
        if (!blocks.empty()) s->body = block(blocks[0]);
        if (c->ELSE()) {
            s->hasElse = true;
            if (c->ifStatement()) {
                if (auto nested = ifStatement(c->ifStatement())) s->elseBody.push_back(std::move(nested));
            } else if (blocks.size() > 1) {
                s->elseBody = block(blocks[1]);
            }
        }
        return s;
    }

    // ------------------------------------------------------------ expressions

    ExprPtr makeExpr(ExprKind kind, SourceRange r) {
        auto e = std::make_unique<Expr>();
        e->kind = kind;
        e->range = r;
        return e;
    }
    ExprPtr invalid(antlr4::ParserRuleContext* ctx) { return makeExpr(ExprKind::Invalid, range(ctx)); }

    /// `a op b op c`, left-associative, from alternating operands and operator tokens.
    template <typename Operand, typename Build>
    ExprPtr leftAssoc(antlr4::ParserRuleContext* ctx, const std::vector<Operand*>& operands, Build build) {
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

    static std::optional<BinaryOp> binaryOp(std::size_t token) {
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

    ExprPtr expr(P::ExprContext* ctx) {
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
    /// The only child of a one-child context, as T (most expression levels are one-child).
    template <typename T>
    static T* only(antlr4::ParserRuleContext* ctx) {
        return ctx->children.size() == 1 ? dynamic_cast<T*>(ctx->children[0]) : nullptr;
    }

    ExprPtr orExpr(P::OrExprContext* ctx) {
        if (auto* c = only<P::AndExprContext>(ctx)) return andExpr(c);
        return leftAssoc(ctx, ctx->andExpr(), [this](auto* c) { return andExpr(c); });
    }
    ExprPtr andExpr(P::AndExprContext* ctx) {
        if (auto* c = only<P::NotExprContext>(ctx)) return notExpr(c);
        return leftAssoc(ctx, ctx->notExpr(), [this](auto* c) { return notExpr(c); });
    }
    ExprPtr notExpr(P::NotExprContext* ctx) {
        if (auto* c = only<P::CmpExprContext>(ctx)) return cmpExpr(c);
        if (ctx->NOT()) {
            ExprPtr e = makeExpr(ExprKind::Unary, range(ctx));
            e->unaryOp = UnaryOp::Not;
            e->operands.push_back(ctx->notExpr() ? notExpr(ctx->notExpr()) : invalid(ctx));
            return e;
        }
        return ctx->cmpExpr() ? cmpExpr(ctx->cmpExpr()) : invalid(ctx);
    }
    ExprPtr cmpExpr(P::CmpExprContext* ctx) {
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
    ExprPtr addExpr(P::AddExprContext* ctx) {
        if (auto* c = only<P::MulExprContext>(ctx)) return mulExpr(c);
        return leftAssoc(ctx, ctx->mulExpr(), [this](auto* c) { return mulExpr(c); });
    }
    ExprPtr mulExpr(P::MulExprContext* ctx) {
        if (auto* c = only<P::UnaryExprContext>(ctx)) return unaryExpr(c);
        return leftAssoc(ctx, ctx->unaryExpr(), [this](auto* c) { return unaryExpr(c); });
    }
    ExprPtr unaryExpr(P::UnaryExprContext* ctx) {
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

    ExprPtr postfixExpr(P::PostfixExprContext* ctx) {
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

    int64_t integer(const antlr4::Token* t) {
        std::string digits = withoutUnderscores(t->getText());
        int64_t value = 0;
        auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec != std::errc() || ptr != digits.data() + digits.size())
            diags_.error(range(t), "integer literal '" + t->getText() + "' does not fit in 64 bits");
        return value;
    }

    ExprPtr primary(P::PrimaryContext* ctx) {
        SourceRange r = range(ctx);
        if (auto* t = ctx->INT()) {
            ExprPtr e = makeExpr(ExprKind::IntLit, r);
            e->text = t->getText();
            e->intValue = integer(t->getSymbol());
            return e;
        }
        if (auto* t = ctx->FLOAT()) {
            ExprPtr e = makeExpr(ExprKind::FloatLit, r);
            e->text = t->getText();
            e->floatValue = std::strtod(withoutUnderscores(e->text).c_str(), nullptr);
            if (!std::isfinite(e->floatValue))
                diags_.error(r, "number '" + e->text + "' is too large for a float");
            return e;
        }
        if (auto* t = ctx->QUANTITY()) return quantity(t->getSymbol());
        if (auto* t = ctx->BAD_NUMBER()) {
            diags_.error(r, "malformed number '" + t->getText() +
                            "': a unit must be one of ns us ms s min h d, B KB MB GB TB PB KiB MiB "
                            "GiB TiB PiB, Kbps Mbps Gbps Tbps KB/s MB/s GB/s, with nothing after it");
            return makeExpr(ExprKind::Invalid, r);
        }
        if (ctx->TRUE() || ctx->FALSE()) {
            ExprPtr e = makeExpr(ExprKind::BoolLit, r);
            e->boolValue = ctx->TRUE() != nullptr;
            return e;
        }
        if (ctx->NONE()) return makeExpr(ExprKind::NoneLit, r);
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
            for (auto* item : ctx->expr()) e->operands.push_back(expr(item));
            return e;
        }
        if (ctx->LBRACE()) {
            ExprPtr e = makeExpr(ExprKind::Record, r);
            for (auto* f : ctx->fieldInit()) e->fields.push_back({name(f->word()), expr(f->expr())});
            return e;
        }
        return invalid(ctx);
    }

    ExprPtr quantity(const antlr4::Token* t) {
        ExprPtr e = makeExpr(ExprKind::Quantity, range(t));
        e->text = t->getText();
        std::string text = withoutUnderscores(e->text);
        std::size_t split = 0;
        while (split < text.size() && (std::isdigit(static_cast<unsigned char>(text[split])) || text[split] == '.'))
            ++split;
        std::string unit = text.substr(split);
        double number = std::strtod(text.substr(0, split).c_str(), nullptr);
        for (const Unit& u : kUnits)
            if (unit == u.name) {
                e->quantity = u.kind;
                e->floatValue = number * u.scale;
            }
        return e;
    }

    /// Decodes a string literal: escapes, `{{`/`}}`, and interpolations.
    ExprPtr stringLiteral(P::StringLitContext* ctx) {
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

    std::string decodeEscape(const antlr4::Token* t) {
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

    const SourceManager& sources_;
    FileId file_;
    Diagnostics& diags_;
    antlr4::CommonTokenStream& tokens_;
    OffsetMap offsets_;
    std::string_view text_;  // what ANTLR read
};

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

class SilentLexerErrors : public antlr4::BaseErrorListener {
public:
    void syntaxError(antlr4::Recognizer*, antlr4::Token*, size_t, size_t, const std::string&,
                     std::exception_ptr) override {}
};

}  // namespace

std::unique_ptr<Module> parseModule(const SourceManager& sources, FileId file, Diagnostics& diags) {
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
    antlr4::ANTLRInputStream input(text.data(), text.size());
    XdmlLexer lexer(&input);
    SilentLexerErrors silent;
    lexer.removeErrorListeners();
    lexer.addErrorListener(&silent);
    antlr4::CommonTokenStream tokens(&lexer);
    tokens.fill();

    ModuleBuilder builder(sources, file, diags, tokens, text);

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
            auto module = std::make_unique<Module>();
            module->file = file;
            module->path = sources.path(file);
            return module;
        }
    }

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

}  // namespace xdml::parse
