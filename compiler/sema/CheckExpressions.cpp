// CheckExpressions.cpp — scopes, names, operators, fields, slices, literals. Calls are in
// CheckCalls.cpp; the types operators give are OperatorRules.cpp's.
#include "sema/CheckExpressions.h"

#include "ast/AstPrinter.h"
#include "planformat/PlanLimits.h"
#include "planformat/TextFormat.h"
#include "sema/OperatorRules.h"

#include <algorithm>

namespace xdml::sema {

using namespace ast;
void ExprChecker::pushScope() { scopes_.emplace_back(); }

void ExprChecker::popScope(bool warnUnusedLets) {
    if (scopes_.empty()) return;
    if (warnUnusedLets)
        for (const std::string& name : scopes_.back().lets) {
            const Local& l = scopes_.back().locals[name];
            if (!l.used && name[0] != '_')
                ctx_.diags.warning(l.range, "unused variable '" + name + "'");
        }
    scopes_.pop_back();
}

void ExprChecker::declare(const Name& name, const Type* type, bool isItem, bool isLet) {
    if (scopes_.empty()) pushScope();
    Scope& scope = scopes_.back();
    auto it = scope.locals.find(name.text);
    if (it != scope.locals.end()) {
        ctx_.diags.error(name.range, "'" + name.text + "' is already defined in this block");
        ctx_.diags.note(it->second.range, "the first definition is here");
        return;
    }
    scope.locals[name.text] = Local{type, name.range, isItem, false};
    if (isLet) scope.lets.push_back(name.text);
}

void ExprChecker::declareParams(const std::vector<ast::Param>& params, const Type* fn) {
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (!scopes_.empty() && scopes_.back().locals.count(params[i].name.text)) continue;
        declare(params[i].name, fn && i < fn->params.size() ? fn->params[i] : ctx_.types().error(), true);
    }
}

Local* ExprChecker::findLocal(const std::string& name) {
    for (auto s = scopes_.rbegin(); s != scopes_.rend(); ++s) {
        auto it = s->locals.find(name);
        if (it != s->locals.end()) return &it->second;
    }
    return nullptr;
}

std::vector<std::string> ExprChecker::visibleNames() const {
    std::vector<std::string> names = ctx_.globalNames();
    for (const Scope& s : scopes_)
        for (const auto& [n, l] : s.locals) names.push_back(n);
    for (const stdlib::Entry& e : stdlib::entries())
        if (e.role == stdlib::Role::Function) names.push_back(e.name);
    if (itType) names.push_back("it");
    return names;
}

void ExprChecker::requirePure(const SourceRange& at, const std::string& what, const std::string& why,
                              const std::string& hint) {
    if (pureContext.empty()) return;
    ctx_.diags.error(at, pureContext + " must be pure: '" + what + "' " + why + " (" + hint + ")");
}

void ExprChecker::reportMismatch(const SourceRange& at, const Type* from, const Type* to,
                                 const std::string& context) {
    Mismatch m = assignable(from, to);
    if (m == Mismatch::None) return;
    if (m == Mismatch::Shape) {
        // Name the shapes themselves: that is what differs.
        auto shapeOf = [](const Type* t) {
            const Type* s = structure(t);
            return s && s->kind == TypeKind::Tensor ? toString(s) : toString(t);
        };
        ctx_.diags.error(at, "shape mismatch: " + shapeOf(from) + " where " + shapeOf(to) + " is expected" +
                                 (context.empty() ? "" : " (" + context + ")"));
        return;
    }
    std::string msg = context.empty() ? "type mismatch: expected " : context + ": expected ";
    msg += toString(to) + ", got " + toString(from);
    if (to->kind == TypeKind::Nominal && to->isSubtype && structure(from) == structure(to))
        msg += " ('" + to->name + "' is decided per item at run time; only its own values fit)";
    ctx_.diags.error(at, msg);
}

bool ExprChecker::checkAssignable(Expr* e, const Type* expected, const std::string& context) {
    const Type* t = check(e);
    if (assignable(t, expected) == Mismatch::None) return true;
    reportMismatch(e->range, t, expected, context);
    return false;
}

const Type* ExprChecker::check(Expr* e) {
    if (!e) return ctx_.types().error();
    // Only a long chain of binary operators nests this deep (the parser bounds brackets):
    // reported once per expression, whose levels past the bound are left unchecked.
    if (depth_ >= planformat::kMaxExprDepth) {
        if (!reportedTooDeep_)
            ctx_.diags.error(e->range, "an expression nested more than " + std::to_string(planformat::kMaxExprDepth) +
                                           " levels deep (a chain of that many operators?): the plan cannot hold it; "
                                           "split it with let");
        reportedTooDeep_ = true;
        return e->type = ctx_.types().error();
    }
    depth_++;
    const Type* t = checkKind(e);
    if (--depth_ == 0) reportedTooDeep_ = false;
    e->type = t;
    return t;
}

const Type* ExprChecker::checkKind(Expr* e) {
    TypeContext& types = ctx_.types();
    const Type* t = types.error();
    switch (e->kind) {
    case ExprKind::IntLit: t = types.integer(); break;
    case ExprKind::FloatLit: t = types.float64(); break;
    case ExprKind::BoolLit: t = types.boolean(); break;
    case ExprKind::NoneLit: t = types.none(); break;
    case ExprKind::Quantity:
        t = e->quantity == QuantityKind::Duration ? types.duration()
            : e->quantity == QuantityKind::Bytes  ? types.bytes()
                                                  : types.bandwidth();
        break;
    case ExprKind::String: t = checkString(e); break;
    case ExprKind::Ident: t = checkIdent(e, false); break;
    case ExprKind::Unary: t = checkUnary(e); break;
    case ExprKind::Binary: t = checkBinary(e); break;
    case ExprKind::Ternary: t = checkTernary(e); break;
    case ExprKind::Call: t = checkCall(e); break;
    case ExprKind::Field: t = checkField(e); break;
    case ExprKind::Index: t = checkIndex(e); break;
    case ExprKind::List: t = checkList(e); break;
    case ExprKind::Record: t = checkRecord(e); break;
    case ExprKind::Invalid: t = types.error(); break;
    }
    return t;
}

const Type* ExprChecker::checkIdent(Expr* e, bool asCallee) {
    TypeContext& types = ctx_.types();
    const std::string& name = e->text;
    if (Local* local = findLocal(name)) {
        local->used = true;
        e->binding = Binding::Local;
        return local->type;
    }
    if (name == "it" && itType) {
        e->binding = Binding::It;
        return itType;
    }
    if (trainMetrics && (name == "accuracy" || name == "loss" || name == "epoch")) {
        e->binding = Binding::TrainMetric;
        return name == "epoch" ? types.integer() : types.float64();
    }
    if (const Decl* d = ctx_.lookup(name)) {
        e->binding = Binding::Global;
        e->decl = d;
        switch (d->kind) {
        case DeclKind::Const:
            ctx_.constValue(d);  // resolves the const's type
            return d->resolved ? d->resolved : types.error();
        case DeclKind::Fn:
        case DeclKind::Task:
            if (!asCallee && d->kind == DeclKind::Task)
                requirePure(e->range, name, "is a task", "call it from a task or a flow");
            return d->resolved ? d->resolved : types.error();
        case DeclKind::Stream:
            requirePure(e->range, name, "is a stream, whose contents change as the flow runs");
            return d->resolved ? types.stream(d->resolved) : types.error();
        case DeclKind::Catalog:
            requirePure(e->range, name, "is a catalog, whose contents change as the flow runs");
            return d->resolved ? types.catalog(d->resolved) : types.error();
        case DeclKind::Model: return types.model();
        case DeclKind::Site: return types.site();
        case DeclKind::TypeDecl:
            e->binding = Binding::Type;
            if (!asCallee)
                ctx_.diags.error(e->range, "'" + name + "' is a type; a value is expected here");
            return types.error();
        default:
            ctx_.diags.error(e->range, "'" + name + "' is a " + keyword(*d) + ", not a value");
            return types.error();
        }
    }
    if (types.scalarNamed(name) || name == "tensor") {
        e->binding = Binding::Type;
        ctx_.diags.error(e->range, "'" + name + "' is a type; a value is expected here");
        return types.error();
    }
    if (const stdlib::Entry* entry = stdlib::find(name)) {
        e->binding = Binding::Builtin;
        if (!asCallee) {
            if (entry->role == stdlib::Role::StreamSource)
                ctx_.diags.error(e->range, "'" + name + "' is a stream source: use it after 'from' in a stream declaration");
            else if (entry->role == stdlib::Role::ModelArch)
                ctx_.diags.error(e->range, "'" + name + "' is a model architecture: use it as a model's 'arch'");
            else
                ctx_.diags.error(e->range, "'" + name + "' is a function of the standard library; call it: " +
                                               entry->signature);
        }
        return types.error();
    }
    ctx_.diags.error(e->range, "unknown name '" + name + "'" + didYouMean(name, visibleNames()));
    return types.error();
}

const Type* ExprChecker::checkUnary(Expr* e) {
    const Type* t = check(e->operands[0].get());
    if (t->kind == TypeKind::Error) return t;
    const Type* s = structure(t);
    if (e->unaryOp == UnaryOp::Not) {
        if (s->kind == TypeKind::Bool) return ctx_.types().boolean();
        if (s->kind == TypeKind::Tensor && s->elem == ElemType::Bool) return s;
        ctx_.diags.error(e->range, "'not' needs a bool, got " + toString(t));
        return ctx_.types().error();
    }
    if (isNumeric(s) || isQuantity(s)) return s;
    if (s->kind == TypeKind::Tensor && s->elem != ElemType::Bool) return s;
    ctx_.diags.error(e->range, "'-' needs a number, a quantity or a numeric tensor, got " + toString(t));
    return ctx_.types().error();
}

const Type* ExprChecker::checkBinary(Expr* e) {
    const Type* l = check(e->operands[0].get());
    const Type* r = check(e->operands[1].get());
    if (l->kind == TypeKind::Error || r->kind == TypeKind::Error) return ctx_.types().error();
    std::string problem;
    if (const Type* t = binaryResult(ctx_.types(), e->binaryOp, l, r, problem)) return t;
    // A binary-operator error points at its left operand (LANGUAGE.md §8).
    const SourceRange& at = e->operands[0]->range;
    if (problem.empty())
        problem = std::string("operator '") + spelling(e->binaryOp) + "' is not defined for " + toString(l) +
                  " and " + toString(r);
    ctx_.diags.error(at, problem);
    return ctx_.types().error();
}

const Type* ExprChecker::checkTernary(Expr* e) {
    const Type* c = check(e->operands[0].get());
    if (c->kind != TypeKind::Error && structure(c)->kind != TypeKind::Bool)
        ctx_.diags.error(e->operands[0]->range, "the condition of '?:' must be a bool, got " + toString(c));
    const Type* a = check(e->operands[1].get());
    const Type* b = check(e->operands[2].get());
    if (const Type* t = commonType(ctx_.types(), a, b)) return t;
    ctx_.diags.error(e->operands[2]->range,
                     "the branches of '?:' have different types: " + toString(a) + " and " + toString(b));
    return ctx_.types().error();
}

const Type* ExprChecker::checkField(Expr* e) {
    const Type* base = check(e->callee.get());
    if (base->kind == TypeKind::Error) return base;
    const Type* s = structure(base);
    if (s->kind == TypeKind::Optional) {
        ctx_.diags.error(e->callee->range, "'" + printExpr(*e->callee) + "' may be none; check it before reading '." + e->text + "'");
        return ctx_.types().error();
    }
    if (s->kind != TypeKind::Record) {
        ctx_.diags.error(e->nameRange, "'." + e->text + "': " + toString(base) + " is not a record");
        return ctx_.types().error();
    }
    if (const Field* f = s->field(e->text)) return f->type;
    std::vector<std::string> names;
    std::string list;
    for (const Field& f : s->fields) {
        names.push_back(f.name);
        list += (list.empty() ? "" : ", ") + f.name;
    }
    ctx_.diags.error(e->nameRange, "no field '" + e->text + "' in " + toString(base) + didYouMean(e->text, names) +
                                       "; its fields are " + list);
    return ctx_.types().error();
}

const Type* ExprChecker::checkIndex(Expr* e) {
    TypeContext& types = ctx_.types();
    const Type* base = check(e->callee.get());
    for (SliceItem& item : e->slices) {
        for (ExprPtr* p : {&item.lo, &item.hi}) {
            if (!*p) continue;
            const Type* t = check(p->get());
            if (t->kind != TypeKind::Error && structure(t)->kind != TypeKind::Int)
                ctx_.diags.error((*p)->range, "an index must be an int, got " + toString(t));
        }
    }
    if (base->kind == TypeKind::Error) return base;
    const Type* s = structure(base);
    if (s->kind == TypeKind::List) {
        if (e->slices.size() != 1 || e->slices[0].isRange) {
            ctx_.diags.error(e->range, "a list takes one index: " + toString(base));
            return types.error();
        }
        return s->element;
    }
    if (s->kind != TypeKind::Tensor) {
        ctx_.diags.error(e->callee->range, "only tensors and lists can be indexed, not " + toString(base));
        return types.error();
    }
    if (e->slices.size() > s->dims.size()) {
        ctx_.diags.error(e->range, std::to_string(e->slices.size()) + " indexes for " + toString(base) + ", which has " +
                                       std::to_string(s->dims.size()) +
                                       (s->dims.size() == 1 ? " dimension" : " dimensions"));
        return types.error();
    }
    std::vector<int64_t> dims;
    bool ok = true;
    for (std::size_t i = 0; i < s->dims.size(); ++i) {
        const int64_t size = s->dims[i];
        if (i >= e->slices.size()) {
            dims.push_back(size);
            continue;
        }
        SliceItem& item = e->slices[i];
        auto bound = [&](const ExprPtr& p, int64_t dflt, bool& known) -> int64_t {
            if (!p) { known = dflt != kUnknownDim; return dflt; }
            ConstValue v = ctx_.evaluate(p.get());
            known = v.kind == ConstValue::Kind::Int;
            return known ? v.i : 0;
        };
        bool loKnown = false, hiKnown = false;
        int64_t lo = bound(item.lo, 0, loKnown);
        if (!item.isRange) {
            if (loKnown && (lo < 0 || (size != kUnknownDim && lo >= size))) {
                ctx_.diags.error(item.range, "index " + std::to_string(lo) + " is out of bounds for dimension " +
                                                 std::to_string(i) + " of size " + std::to_string(size));
                ok = false;
            }
            continue;  // an index drops its dimension
        }
        int64_t hi = bound(item.hi, size, hiKnown);
        if (loKnown && hiKnown && lo > hi && lo >= 0) {
            ctx_.diags.error(item.range, "slice " + std::to_string(lo) + ":" + std::to_string(hi) +
                                             " is reversed: its start comes after its end");
            ok = false;
            continue;
        }
        if ((loKnown && lo < 0) || (hiKnown && hi < 0) || (loKnown && hiKnown && lo > hi) ||
            (hiKnown && size != kUnknownDim && hi > size)) {
            ctx_.diags.error(item.range, "slice " + std::to_string(lo) + ":" + std::to_string(hi) +
                                             " is out of bounds for dimension " + std::to_string(i) + " of size " +
                                             (size == kUnknownDim ? std::string("?") : std::to_string(size)));
            ok = false;
            continue;
        }
        dims.push_back(loKnown && hiKnown ? hi - lo : kUnknownDim);
    }
    if (!ok) return types.error();
    if (dims.empty()) return elementScalar(types, s->elem);
    return types.tensor(s->elem, dims);
}

const Type* ExprChecker::checkList(Expr* e) {
    TypeContext& types = ctx_.types();
    const Type* elem = types.error();
    for (ExprPtr& item : e->operands) {
        const Type* t = check(item.get());
        const Type* j = commonType(types, elem, t);
        if (!j) {
            ctx_.diags.error(item->range, "list items must have one type: " + toString(elem) + " and " + toString(t));
            return types.error();
        }
        elem = j;
    }
    return types.list(elem);
}

const Type* ExprChecker::checkRecord(Expr* e) {
    std::vector<Field> fields;
    std::map<std::string, SourceRange> seen;
    for (FieldInit& f : e->fields) {
        const Type* t = check(f.value.get());
        if (seen.count(f.name.text)) {
            ctx_.diags.error(f.name.range, "field '" + f.name.text + "' is given twice");
            continue;
        }
        seen[f.name.text] = f.name.range;
        if (t->kind == TypeKind::Void) ctx_.diags.error(f.value->range, "field '" + f.name.text + "' has no value");
        fields.push_back({f.name.text, t});
    }
    return ctx_.types().record(std::move(fields));
}

void ExprChecker::checkFormat(const Name& format, const Type* t) {
    std::string problem;
    const auto f = planformat::parseTextFormat(format.text, problem);
    if (!f) {
        ctx_.diags.error(format.range, "format '" + format.text + "': " + problem);
        return;
    }
    const Type* s = structure(t);
    if (s->kind == TypeKind::Error) return;
    const bool isFloat = s->kind == TypeKind::Float || s->kind == TypeKind::F32;
    const bool isNumber = isFloat || s->kind == TypeKind::Int;
    std::string misfit;
    if (f->precision >= 0 && !isFloat) misfit = "a precision ('." + std::to_string(f->precision) + "') is for a float";
    else if (f->thousands && !isNumber) misfit = "',' (thousands separators) is for an int or a float";
    else if (f->zero && !isNumber) misfit = "'0' (zero padding) is for an int or a float";
    if (!misfit.empty())
        ctx_.diags.error(format.range, "format '" + format.text + "' does not fit " + withArticle(t) + ": " + misfit);
}

const Type* ExprChecker::checkString(Expr* e) {
    for (StringPart& p : e->parts) {
        if (!p.expr) continue;
        const Type* t = check(p.expr.get());
        const Type* s = structure(t);
        if (s->kind == TypeKind::Void || s->kind == TypeKind::Function || s->kind == TypeKind::Stream ||
            s->kind == TypeKind::Model || s->kind == TypeKind::Catalog || s->kind == TypeKind::Site)
            ctx_.diags.error(p.expr->range, "cannot interpolate " + withArticle(t) + " into a string");
        else if (p.format)
            checkFormat(*p.format, t);
    }
    return ctx_.types().string();
}

}  // namespace xdml::sema
