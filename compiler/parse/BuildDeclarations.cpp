// BuildDeclarations.cpp — top-level declarations and their parts: properties, policies,
// parameters, types and `///` doc comments.
#include "parse/AstBuilder.h"

#include "XdmlLexer.h"

namespace xdml::parse {

using namespace ast;

std::unique_ptr<Module> AstBuilder::start() const {
    auto module = std::make_unique<Module>();
    module->file = file_;
    module->path = sources_.path(file_);
    return module;
}

std::unique_ptr<Module> AstBuilder::build(P::ProgramContext* program) {
    auto module = start();
    if (!program) return module;
    for (auto* item : program->topItem())
        if (auto decl = topItem(item)) module->decls.push_back(std::move(decl));
    return module;
}

std::string AstBuilder::docComment(antlr4::ParserRuleContext* ctx) {
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

bool AstBuilder::oneLineBreak(std::size_t from, std::size_t to) const {
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

DeclPtr AstBuilder::makeDecl(DeclKind kind, antlr4::ParserRuleContext* ctx, P::IdentContext* id) {
    auto d = std::make_unique<Decl>();
    d->kind = kind;
    d->range = range(ctx);
    d->file = file_;
    d->name = name(id);
    d->doc = docComment(ctx);
    return d;
}

DeclPtr AstBuilder::topItem(P::TopItemContext* item) {
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
    if (auto* c = item->paramDecl()) {
        auto d = makeDecl(DeclKind::Const, c, c->ident());
        d->param = true;
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
        if (c->block()) d->body = block(c->block());
        if (auto* s = c->stringLit()) {
            std::string text;
            ExprPtr literal = stringLiteral(s);
            for (auto& part : literal->parts) {
                if (part.expr) diags_.error(part.expr->range, "a Python task names its function with a plain string (\"module:function\"), without interpolations");
                text += part.text;
            }
            d->python = Name{text, range(s)};
        }
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

std::vector<Param> AstBuilder::params(P::ParamsContext* ctx) {
    std::vector<Param> out;
    if (!ctx) return out;
    for (auto* p : ctx->param()) out.push_back({name(p->ident()), typeExpr(p->type())});
    return out;
}

std::optional<PropertyBlock> AstBuilder::properties(P::PropertiesContext* ctx) {
    PropertyBlock block;
    block.range = range(ctx);
    if (!ctx) return block;
    for (auto* p : ctx->property()) block.properties.push_back({name(p->word()), expr(p->expr())});
    return block;
}

PolicyRef AstBuilder::policyRef(P::PolicyRefContext* ctx) {
    PolicyRef ref;
    ref.range = range(ctx);
    if (ctx->ident()) ref.name = name(ctx->ident());
    else ref.inlineClauses = properties(ctx->properties());
    return ref;
}

// ------------------------------------------------------------ types

TypeExprPtr AstBuilder::typeExpr(P::TypeContext* ctx) {
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

TypeExprPtr AstBuilder::typeAtom(P::TypeAtomContext* ctx) {
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

}  // namespace xdml::parse
