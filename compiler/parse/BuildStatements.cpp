// BuildStatements.cpp — blocks, statements and flow handlers.
#include "parse/AstBuilder.h"

namespace xdml::parse {

using namespace ast;

Block AstBuilder::block(P::BlockContext* ctx) {
    Block out;
    if (!ctx) return out;
    for (auto* s : ctx->statement())
        if (auto stmt = statement(s)) out.push_back(std::move(stmt));
    return out;
}

StmtPtr AstBuilder::makeStmt(StmtKind kind, antlr4::ParserRuleContext* ctx) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->range = range(ctx);
    return s;
}

StmtPtr AstBuilder::handler(P::HandlerContext* ctx) {
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
    if (auto* c = dynamic_cast<P::OnStopContext*>(ctx)) {
        auto s = makeStmt(StmtKind::OnStop, c);
        s->body = block(c->block());
        return s;
    }
    return nullptr;
}

StmtPtr AstBuilder::statement(P::StatementContext* ctx) {
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

StmtPtr AstBuilder::ifStatement(P::IfStatementContext* c) {
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

}  // namespace xdml::parse
