// CheckStatements.cpp — fn bodies, task bodies and flows: statements, handlers, returns
// (LANGUAGE.md §§3-5).
#include "sema/CheckExpressions.h"

#include <algorithm>

namespace xdml::sema {

using namespace ast;

namespace {

class BodyChecker {
public:
    BodyChecker(SemaContext& ctx, Decl* owner) : ctx_(ctx), exprs_(ctx), owner_(owner) {}

    void checkTask() {
        const Type* fn = owner_->resolved;
        if (owner_->python) {
            if (owner_->policy) checkPolicyRef(ctx_, *owner_->policy);
            checkPythonTask(ctx_, *owner_);
            return;
        }
        exprs_.declareParams(owner_->params, fn);
        if (owner_->policy) checkPolicyRef(ctx_, *owner_->policy);
        returnType_ = fn ? fn->element : ctx_.types().error();
        exprs_.pushScope();
        block(owner_->body);
        exprs_.popScope(true);
        if (returnType_->kind != TypeKind::Void && returnType_->kind != TypeKind::Error && !returns(owner_->body))
            ctx_.diags.error(owner_->name.range, "task '" + owner_->name.text + "' may finish without returning " +
                                                     withArticle(returnType_));
    }

    void checkFlow() {
        if (owner_->policy) checkPolicyRef(ctx_, *owner_->policy);
        inFlow_ = true;
        exprs_.pushScope();
        block(owner_->body);
        exprs_.popScope(true);
    }

private:
    void block(Block& b) {
        for (StmtPtr& s : b)
            if (s) statement(*s);
    }

    void scoped(Block& b) {
        bool wasFlow = inFlow_;
        inFlow_ = false;
        exprs_.pushScope();
        block(b);
        exprs_.popScope(true);
        inFlow_ = wasFlow;
    }

    /// Whether every path through `b` ends in `return`.
    static bool returns(const Block& b) {
        for (const StmtPtr& s : b) {
            if (!s) continue;
            if (s->kind == StmtKind::Return) return true;
            if (s->kind == StmtKind::If && s->hasElse && returns(s->body) && returns(s->elseBody)) return true;
        }
        return false;
    }

    const Decl* global(const Name& name, DeclKind kind, const char* what) {
        const Decl* d = ctx_.lookup(name.text);
        if (d && d->kind == kind) return d;
        std::vector<std::string> candidates;
        for (const auto& [n, g] : ctx_.program.globals)
            if (g->kind == kind) candidates.push_back(n);
        ctx_.diags.error(name.range, d ? "'" + name.text + "' is a " + keyword(*d) + ", not a " + what
                                       : "unknown " + std::string(what) + " '" + name.text + "'" + didYouMean(name.text, candidates));
        return nullptr;
    }

    void statement(Stmt& s) {
        TypeContext& types = ctx_.types();
        if (s.policy) checkPolicyRef(ctx_, *s.policy);
        switch (s.kind) {
        case StmtKind::Let: {
            const Type* t = exprs_.check(s.value.get());
            if (t->kind == TypeKind::Void) {
                ctx_.diags.error(s.value->range, "this gives no value to bind to '" + s.name.text + "'");
                t = types.error();
            }
            if (s.declaredType) {
                const Type* declared = ctx_.resolveType(s.declaredType.get());
                exprs_.reportMismatch(s.value->range, t, declared, "'" + s.name.text + "'");
                t = declared;
            }
            s.boundType = t;
            exprs_.declare(s.name, t, false, true);
            break;
        }
        case StmtKind::Emit: {
            if (inOnStop_)
                ctx_.diags.error(s.range, "'emit' in 'on stop': every stream has ended when it fires, so the item would be lost");
            const Type* t = exprs_.check(s.value.get());
            if (const Decl* d = global(s.target, DeclKind::Stream, "stream")) {
                if (d->value)
                    ctx_.diags.error(s.target.range, "stream '" + d->name.text +
                                                         "' reads from its source; only a stream without 'from' takes 'emit'");
                else
                    exprs_.reportMismatch(s.value->range, t, d->resolved, "emit to stream '" + d->name.text + "'");
            }
            break;
        }
        case StmtKind::Record: {
            const Type* t = exprs_.check(s.value.get());
            if (const Decl* d = global(s.target, DeclKind::Catalog, "catalog"))
                exprs_.reportMismatch(s.value->range, t, d->resolved, "record in catalog '" + d->name.text + "'");
            break;
        }
        case StmtKind::Train: checkTrain(s); break;
        case StmtKind::Transfer:
            exprs_.check(s.value.get());
            if (!(s.target.text == "local" && ctx_.program.implicitLocalSite)) global(s.target, DeclKind::Site, "site");
            break;
        case StmtKind::If: {
            condition(s.value.get(), "'if'");
            scoped(s.body);
            if (s.hasElse) scoped(s.elseBody);
            break;
        }
        case StmtKind::For: {
            const Type* t = exprs_.check(s.value.get());
            const Type* elem = types.error();
            if (structure(t)->kind == TypeKind::List) elem = structure(t)->element;
            else if (t->kind != TypeKind::Error)
                ctx_.diags.error(s.value->range, "'for' goes over a list, not " + toString(t));
            s.boundType = elem;
            bool wasFlow = inFlow_;
            inFlow_ = false;
            exprs_.pushScope();
            exprs_.declare(s.name, elem, isItemList(s.value.get()));
            block(s.body);
            exprs_.popScope(true);
            inFlow_ = wasFlow;
            break;
        }
        case StmtKind::Until: {
            condition(s.value.get(), "'until'");
            if (s.bound) {
                exprs_.checkAssignable(s.bound.get(), types.integer(), "'max' of 'until'");
                ConstValue v = ctx_.evaluate(s.bound.get());
                if (v.kind == ConstValue::Kind::Int && v.i < 0)
                    ctx_.diags.error(s.bound->range, "'max' must be 0 or more");
            }
            scoped(s.body);
            break;
        }
        case StmtKind::Log: exprs_.check(s.value.get()); break;
        case StmtKind::Return: {
            if (owner_->kind != DeclKind::Task) {
                ctx_.diags.error(s.range, "'return' belongs in a task");
                if (s.value) exprs_.check(s.value.get());
                break;
            }
            if (!s.value) {
                if (returnType_->kind != TypeKind::Void && returnType_->kind != TypeKind::Error)
                    ctx_.diags.error(s.range, "task '" + owner_->name.text + "' must return " + withArticle(returnType_));
                break;
            }
            const Type* t = exprs_.check(s.value.get());
            if (returnType_->kind == TypeKind::Void)
                ctx_.diags.error(s.value->range, "task '" + owner_->name.text + "' has no '->' result type, so it returns nothing");
            else
                exprs_.reportMismatch(s.value->range, t, returnType_, "return of task '" + owner_->name.text + "'");
            break;
        }
        case StmtKind::ExprStmt:
            exprs_.check(s.value.get());
            if (s.value && s.value->kind != ExprKind::Call && s.value->kind != ExprKind::Invalid)
                ctx_.diags.error(s.value->range, "this expression does nothing: only a call can stand as a statement");
            break;
        case StmtKind::OnNewData: checkOnNewData(s); break;
        case StmtKind::OnEnd: checkOnEnd(s); break;
        case StmtKind::OnStop: checkOnStop(s); break;
        }
    }

    bool isItemList(const Expr* e) {
        return e && e->kind == ExprKind::Ident && e->binding == Binding::Local;
    }

    void condition(Expr* e, const std::string& what) {
        const Type* t = exprs_.check(e);
        if (t->kind != TypeKind::Error && structure(t)->kind != TypeKind::Bool)
            ctx_.diags.error(e->range, "the condition of " + what + " must be a bool, got " + toString(t));
    }

    void checkTrain(Stmt& s) {
        const Decl* model = global(s.name, DeclKind::Model, "model");
        const Decl* stream = global(s.target, DeclKind::Stream, "stream");
        if (!model || !stream || !stream->resolved) return;
        const std::string problem = labeledStreamProblem("'train'", *model, ctx_.program.models[model], *stream);
        if (!problem.empty()) ctx_.diags.error(s.target.range, problem);
    }

    void checkOnNewData(Stmt& s) {
        TypeContext& types = ctx_.types();
        if (!inFlow_) ctx_.diags.error(s.range, "a handler belongs directly in a flow");
        const Type* d = nullptr;
        const Decl* typeDecl = ctx_.program.globals.count(s.name.text) ? ctx_.program.globals[s.name.text] : nullptr;
        TypeExpr named{TypeExprKind::Named, s.name.range, s.name, {}, nullptr, {}};
        if (typeDecl && typeDecl->kind != DeclKind::TypeDecl) {
            ctx_.diags.error(s.name.range, "'" + s.name.text + "' is a " + keyword(*typeDecl) + ", not a type");
        } else {
            d = ctx_.resolveType(&named);
            if (d->kind == TypeKind::Error) d = nullptr;
        }
        if (s.hasTarget) {
            const Decl* stream = global(s.target, DeclKind::Stream, "stream");
            if (d && stream && stream->resolved && stream->resolved->kind != TypeKind::Error && !extends(d, stream->resolved))
                ctx_.diags.error(s.name.range, "'" + s.name.text + "' does not extend '" + toString(stream->resolved) +
                                                   "', the element type of stream '" + stream->name.text + "'");
        } else if (d) {
            bool any = false;
            for (const auto& [decl, info] : ctx_.program.streams) any = any || (info.element && extends(d, info.element));
            if (!any)
                ctx_.diags.warning(s.name.range, "this handler can never fire: no stream carries '" + s.name.text +
                                                     "' or a type it extends");
        }
        if (s.value) {
            exprs_.check(s.value.get());
            ConstValue v = ctx_.evaluate(s.value.get());
            if (const Decl* p = paramBehind(ctx_.program, s.value.get()))
                ctx_.diags.error(s.value->range, "'every' takes a static count, and param '" + p->name.text +
                                                     "' is set when the flow runs: use a const");
            else if (v.kind != ConstValue::Kind::Int || v.i < 1)
                ctx_.diags.error(s.value->range, "'every' takes an integer constant of at least 1");
        }
        const Type* item = d ? d : types.error();
        const Type* bound = s.value ? types.list(item) : item;
        s.boundType = bound;
        bool wasFlow = inFlow_;
        inFlow_ = false;
        exprs_.pushScope();
        if (s.as) exprs_.declare(*s.as, bound, true);
        block(s.body);
        exprs_.popScope(true);
        inFlow_ = wasFlow;
    }

    void checkOnEnd(Stmt& s) {
        if (!inFlow_) ctx_.diags.error(s.range, "a handler belongs directly in a flow");
        if (const Decl* stream = global(s.name, DeclKind::Stream, "stream")) {
            const StreamInfo& info = ctx_.program.streams[stream];
            if (info.endless())
                ctx_.diags.warning(s.name.range, "'on end of " + s.name.text + "' never fires: a " +
                                                     (info.source == StreamSource::Watch ? "watch" : "zmq") + " stream is endless");
        }
        scoped(s.body);
    }

    void checkOnStop(Stmt& s) {
        if (!inFlow_) ctx_.diags.error(s.range, "a handler belongs directly in a flow");
        const bool wasStopping = inOnStop_;
        inOnStop_ = true;
        scoped(s.body);
        inOnStop_ = wasStopping;
    }

    SemaContext& ctx_;
    ExprChecker exprs_;
    Decl* owner_;
    const Type* returnType_ = nullptr;
    bool inFlow_ = false;
    bool inOnStop_ = false;  // in an `on stop` body: every stream has ended
};

void checkFn(SemaContext& ctx, const Decl* d) {
    ExprChecker checker(ctx);
    checker.pureContext = "fn '" + d->name.text + "'";
    const Type* fn = d->resolved;
    checker.declareParams(d->params, fn);
    const Type* t = checker.check(d->value.get());
    if (fn && d->value) checker.reportMismatch(d->value->range, t, fn->element, "");
}

}  // namespace

void checkBodies(SemaContext& ctx) {
    for (auto& m : ctx.program.modules)
        for (auto& d : m->decls) {
            if (d->name.text.empty()) continue;
            switch (d->kind) {
            case DeclKind::Fn: checkFn(ctx, d.get()); break;
            case DeclKind::Task: BodyChecker(ctx, d.get()).checkTask(); break;
            case DeclKind::Flow: BodyChecker(ctx, d.get()).checkFlow(); break;
            default: break;
            }
        }
}

std::string labeledStreamProblem(const std::string& use, const Decl& model, const ModelInfo& info, const Decl& stream) {
    const Type* elem = structure(stream.resolved);
    if (elem->kind == TypeKind::Error) return "";
    const Field* x = elem->kind == TypeKind::Record ? elem->field("x") : nullptr;
    const Field* y = elem->kind == TypeKind::Record ? elem->field("y") : nullptr;
    std::string want = "{ x: " + (info.input ? toString(info.input) : std::string("<input>")) + ", y: int or string }";
    if (!x || !y || elem->fields.size() != 2)
        return use + " needs stream '" + stream.name.text + "' to carry " + want + ", but it carries " + toString(stream.resolved);
    if (info.input && assignable(x->type, info.input) != Mismatch::None)
        return "model '" + model.name.text + "' takes " + toString(info.input) + ", but field 'x' of stream '" +
               stream.name.text + "' is " + toString(x->type);
    const Type* ys = structure(y->type);
    if (ys->kind != TypeKind::Int && ys->kind != TypeKind::String)
        return "the label 'y' of stream '" + stream.name.text + "' must be an int or a string, not " + toString(y->type);
    return "";
}

}  // namespace xdml::sema
