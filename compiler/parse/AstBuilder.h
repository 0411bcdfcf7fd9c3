// AstBuilder.h — builds our AST from ANTLR's parse tree (internal to parse/). Its members are
// defined by concept: BuildDeclarations.cpp, BuildStatements.cpp, BuildExpressions.cpp.
#pragma once

#include "ast/Ast.h"
#include "diag/Diagnostics.h"
#include "parse/LiteralRuns.h"

#include "XdmlParser.h"

#include <antlr4-runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xdml::parse {

using P = XdmlParser;

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

class AstBuilder {
public:
    /// `text`: what ANTLR read (the file, malformed UTF-8 bytes replaced one for one).
    AstBuilder(const SourceManager& sources, FileId file, Diagnostics& diags,
               antlr4::CommonTokenStream& tokens, const LiteralRuns& runs, std::string_view text)
        : sources_(sources), file_(file), diags_(diags), tokens_(tokens), runs_(runs),
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

    std::unique_ptr<ast::Module> start() const;
    std::unique_ptr<ast::Module> build(P::ProgramContext* program);
    ast::DeclPtr topItem(P::TopItemContext* item);
    ast::ExprPtr standaloneExpr(P::ReplInputContext* input) { return input ? expr(input->expr()) : nullptr; }

private:
    static constexpr std::size_t kMaxChain = 10000;  // each operand is a level of recursion later

    ast::Name name(P::IdentContext* ctx) const {
        if (!ctx) return {};
        return {ctx->getText(), range(ctx)};
    }
    ast::Name name(P::WordContext* ctx) const {
        if (!ctx) return {};
        return {ctx->getText(), range(ctx)};
    }

    // ------------------------------------------------------------ declarations (BuildDeclarations.cpp)

    /// The `///` lines standing right before a declaration's first token.
    std::string docComment(antlr4::ParserRuleContext* ctx);
    /// Whether the text between two code-point positions is white space with one line break.
    bool oneLineBreak(std::size_t from, std::size_t to) const;
    ast::DeclPtr makeDecl(ast::DeclKind kind, antlr4::ParserRuleContext* ctx, P::IdentContext* id);
    std::vector<ast::Param> params(P::ParamsContext* ctx);
    std::optional<ast::PropertyBlock> properties(P::PropertiesContext* ctx);
    ast::PolicyRef policyRef(P::PolicyRefContext* ctx);
    ast::TypeExprPtr typeExpr(P::TypeContext* ctx);
    ast::TypeExprPtr typeAtom(P::TypeAtomContext* ctx);

    // ------------------------------------------------------------ statements (BuildStatements.cpp)

    ast::Block block(P::BlockContext* ctx);
    ast::StmtPtr makeStmt(ast::StmtKind kind, antlr4::ParserRuleContext* ctx);
    ast::StmtPtr handler(P::HandlerContext* ctx);
    ast::StmtPtr statement(P::StatementContext* ctx);
    ast::StmtPtr ifStatement(P::IfStatementContext* c);

    // ------------------------------------------------------------ expressions (BuildExpressions.cpp)

    ast::ExprPtr makeExpr(ast::ExprKind kind, SourceRange r);
    ast::ExprPtr invalid(antlr4::ParserRuleContext* ctx);
    /// `a op b op c`, left-associative, from alternating operands and operator tokens.
    template <typename Operand, typename Build>
    ast::ExprPtr leftAssoc(antlr4::ParserRuleContext* ctx, const std::vector<Operand*>& operands,
                           Build build);
    static std::optional<ast::BinaryOp> binaryOp(std::size_t token);
    /// The only child of a one-child context, as T (most expression levels are one-child).
    template <typename T>
    static T* only(antlr4::ParserRuleContext* ctx);
    ast::ExprPtr expr(P::ExprContext* ctx);
    ast::ExprPtr orExpr(P::OrExprContext* ctx);
    ast::ExprPtr andExpr(P::AndExprContext* ctx);
    ast::ExprPtr notExpr(P::NotExprContext* ctx);
    ast::ExprPtr cmpExpr(P::CmpExprContext* ctx);
    ast::ExprPtr addExpr(P::AddExprContext* ctx);
    ast::ExprPtr mulExpr(P::MulExprContext* ctx);
    ast::ExprPtr unaryExpr(P::UnaryExprContext* ctx);
    ast::ExprPtr postfixExpr(P::PostfixExprContext* ctx);
    int64_t integer(const antlr4::Token* t);
    ast::ExprPtr primary(P::PrimaryContext* ctx);
    /// A one-token literal (number, quantity, true, false, none); nullptr for other tokens.
    ast::ExprPtr literal(const antlr4::Token* t);
    /// The elements of a LITERAL_RUN, as the literals (and negations) they would parse to.
    void appendRun(const antlr4::Token& run, std::vector<ast::ExprPtr>& elements);
    ast::ExprPtr quantity(const antlr4::Token* t);
    /// Decodes a string literal: escapes, `{{`/`}}`, and interpolations.
    ast::ExprPtr stringLiteral(P::StringLitContext* ctx);
    std::string decodeEscape(const antlr4::Token* t);

    const SourceManager& sources_;
    FileId file_;
    Diagnostics& diags_;
    antlr4::CommonTokenStream& tokens_;
    const LiteralRuns& runs_;
    OffsetMap offsets_;
    std::string_view text_;  // what ANTLR read
};

}  // namespace xdml::parse
