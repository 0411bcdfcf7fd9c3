// CheckCalls.cpp — calls of fns, tasks, models and the standard library (LANGUAGE.md §6).
#include "sema/CheckExpressions.h"
#include "sema/OperatorRules.h"

#include "planformat/FileTargets.h"

#include <algorithm>

namespace xdml::sema {

using namespace ast;

namespace {
std::string nth(std::size_t i) {
    static const char* names[] = {"first", "second", "third", "fourth", "fifth"};
    return i < 5 ? names[i] : "argument " + std::to_string(i + 1);
}

/// What a path expression's text is known to end with at check time: a constant's whole text,
/// or a string literal's trailing literal parts ("out/f_{i:03}.npy" ends with ".npy").
/// `whole` when nothing before it is computed at run time.
struct KnownTail {
    std::string text;
    bool whole = false;
};

KnownTail knownTail(SemaContext& ctx, const Expr* e) {
    KnownTail tail;
    ConstValue v = ctx.evaluate(e);
    if (v.kind == ConstValue::Kind::String) return {v.s, true};
    if (e->kind != ExprKind::String) return tail;
    tail.whole = true;
    for (auto part = e->parts.rbegin(); part != e->parts.rend(); ++part) {
        if (part->expr) {
            tail.whole = false;
            break;
        }
        tail.text.insert(0, part->text);
    }
    return tail;
}

/// The file a path expression names, when its format is known at check time: its extension
/// is in the known tail (or the tail holds the whole last component of the path).
std::optional<planformat::FileTarget> knownTarget(SemaContext& ctx, const Expr* e) {
    KnownTail tail = knownTail(ctx, e);
    if (!tail.whole) {
        const std::size_t slash = tail.text.rfind('/');
        const std::string last = slash == std::string::npos ? tail.text : tail.text.substr(slash + 1);
        const bool lastComponentKnown = slash != std::string::npos || last.find('.') != std::string::npos;
        // A dataset after a computed file name ("{f}:/data") leaves the file's extension unknown.
        if (!lastComponentKnown || tail.text.find(":/") != std::string::npos) return std::nullopt;
    }
    // A computed start stands for the name's first characters: "{i}.npy" has the extension npy.
    planformat::FileTarget t = planformat::fileTarget(tail.whole ? tail.text : "x" + tail.text);
    return t;
}

/// A flat record: every field a scalar (a quantity, a string...) or an optional one.
bool flatRecord(const Type* t) {
    const Type* s = structure(t);
    if (s->kind != TypeKind::Record) return false;
    for (const auto& f : s->fields) {
        const Type* ft = structure(f.type);
        if (ft->kind == TypeKind::Optional) ft = structure(ft->element);
        if (!isScalar(ft)) return false;
    }
    return true;
}
}  // namespace

const Type* ExprChecker::typeArgument(Expr* e, const std::string& callee) {
    if (e->kind == ExprKind::Ident) {
        if (const Type* t = ctx_.typeNamed(e->text)) {
            e->binding = Binding::Type;
            e->type = t;
            return t;
        }
    }
    ctx_.diags.error(e->range, "'" + callee + "' takes a type name here (as in '" + callee + "(Frame, ...)')");
    check(e);
    return nullptr;
}

const Type* ExprChecker::checkCall(Expr* e) {
    TypeContext& types = ctx_.types();
    Expr* callee = e->callee.get();
    if (callee->kind != ExprKind::Ident) {
        check(callee);
        for (Arg& a : e->args) check(a.value.get());
        ctx_.diags.error(callee->range, "only fns, tasks, models and standard functions can be called");
        return types.error();
    }
    const std::string& name = callee->text;
    if (Local* local = findLocal(name)) {
        local->used = true;
        ctx_.diags.error(callee->range, "'" + name + "' is a variable of type " + toString(local->type) + ", not a function");
        for (Arg& a : e->args) check(a.value.get());
        return types.error();
    }
    if (const Decl* d = ctx_.lookup(name)) {
        callee->binding = Binding::Global;
        callee->decl = d;
        if (d->kind == DeclKind::Fn || d->kind == DeclKind::Task) return checkUserCall(e, d);
        if (d->kind == DeclKind::Model) return checkModelCall(e, d);
        ctx_.diags.error(callee->range, "'" + name + "' is a " + keyword(*d) + "; only fns, tasks and models can be called");
        for (Arg& a : e->args) check(a.value.get());
        return types.error();
    }
    if (const stdlib::Entry* entry = stdlib::find(name)) {
        callee->binding = Binding::Builtin;
        if (entry->role == stdlib::Role::StreamSource) {
            ctx_.diags.error(callee->range, "'" + name + "' is a stream source: use it after 'from' in a stream declaration");
            return types.error();
        }
        if (entry->role == stdlib::Role::ModelArch) {
            ctx_.diags.error(callee->range, "'" + name + "' is a model architecture: use it as a model's 'arch'");
            return types.error();
        }
        if (entry->module != stdlib::Module::Builtin && entry->module != stdlib::Module::Math &&
            !ctx_.program.imported.count(entry->module)) {
            ctx_.diags.error(callee->range, "'" + name + "' is in " + stdlib::moduleName(entry->module) + "; add 'import " +
                                                stdlib::moduleName(entry->module) + ";'");
            for (Arg& a : e->args) check(a.value.get());
            return types.error();
        }
        if (!entry->pure) requirePure(callee->range, name, "has effects");
        for (Arg& a : e->args)
            if (a.name) ctx_.diags.error(a.name->range, "'" + name + "' takes no named arguments");
        return checkBuiltinCall(e, *entry);
    }
    if (types.scalarNamed(name) || ctx_.typeNamed(name)) {
        ctx_.diags.error(callee->range, "'" + name + "' is a type, not a function");
        for (Arg& a : e->args) check(a.value.get());
        return types.error();
    }
    ctx_.diags.error(callee->range, "unknown name '" + name + "'" + didYouMean(name, visibleNames()));
    for (Arg& a : e->args) check(a.value.get());
    return types.error();
}

const Type* ExprChecker::checkUserCall(Expr* e, const Decl* d) {
    TypeContext& types = ctx_.types();
    const std::string& name = d->name.text;
    if (d->kind == DeclKind::Task) requirePure(e->callee->range, name, "is a task", "call it from a task or a flow");
    const std::size_t n = d->params.size();
    // Match positional, then named arguments to parameters.
    std::vector<Expr*> bound(n, nullptr);
    bool ok = true;
    std::size_t positional = 0;
    for (Arg& a : e->args) {
        std::size_t slot = n;
        if (a.name) {
            for (std::size_t i = 0; i < n; ++i)
                if (d->params[i].name.text == a.name->text) slot = i;
            if (slot == n) {
                std::vector<std::string> names;
                for (const Param& p : d->params) names.push_back(p.name.text);
                ctx_.diags.error(a.name->range, "'" + name + "' has no parameter '" + a.name->text + "'" +
                                                    didYouMean(a.name->text, names));
                check(a.value.get());
                ok = false;
                continue;
            }
        } else {
            slot = positional++;
        }
        if (slot >= n) {
            check(a.value.get());
            continue;
        }
        if (bound[slot]) {
            ctx_.diags.error(a.value->range, "parameter '" + d->params[slot].name.text + "' of '" + name + "' is given twice");
            ok = false;
        }
        bound[slot] = a.value.get();
    }
    if (e->args.size() != n || !ok) {
        if (e->args.size() != n)
            ctx_.diags.error(e->callee->range, "'" + name + "' takes " + std::to_string(n) + " argument" +
                                                   (n == 1 ? "" : "s") + ", got " + std::to_string(e->args.size()));
    }
    const Type* fnType = d->resolved;
    for (std::size_t i = 0; i < n; ++i) {
        if (!bound[i]) continue;
        const Type* expected = fnType && i < fnType->params.size() ? fnType->params[i] : types.error();
        checkAssignable(bound[i], expected, "argument '" + d->params[i].name.text + "' of '" + name + "'");
    }
    return fnType ? fnType->element : types.error();
}

const Type* ExprChecker::checkModelCall(Expr* e, const Decl* d) {
    TypeContext& types = ctx_.types();
    requirePure(e->callee->range, d->name.text, "runs a model, whose versions change as it trains");
    if (e->args.size() != 1) {
        ctx_.diags.error(e->callee->range, "model '" + d->name.text + "' takes one input, got " + std::to_string(e->args.size()));
        for (Arg& a : e->args) check(a.value.get());
        return types.string();
    }
    auto it = ctx_.program.models.find(d);
    const Type* input = it != ctx_.program.models.end() && it->second.input ? it->second.input : types.error();
    checkAssignable(e->args[0].value.get(), input, "input of model '" + d->name.text + "'");
    return types.string();
}

const Type* ExprChecker::checkBuiltinCall(Expr* e, const stdlib::Entry& entry) {
    TypeContext& types = ctx_.types();
    const std::string name = entry.name;
    auto& args = e->args;
    auto arity = [&](std::size_t lo, std::size_t hi) {
        if (args.size() >= lo && args.size() <= hi) return true;
        std::string want = lo == hi ? std::to_string(lo) : std::to_string(lo) + " or " + std::to_string(hi);
        ctx_.diags.error(e->callee->range, "'" + name + "' takes " + want + " argument" + (hi == 1 ? "" : "s") +
                                               ", got " + std::to_string(args.size()) + ": " + entry.signature);
        for (Arg& a : args) check(a.value.get());
        return false;
    };
    auto argType = [&](std::size_t i) { return check(args[i].value.get()); };
    auto bad = [&](std::size_t i, const std::string& want, const Type* got) {
        if (got->kind == TypeKind::Error) return types.error();
        ctx_.diags.error(args[i].value->range, "the " + nth(i) + " argument of '" + name + "' must be " + want +
                                                   ", got " + toString(got));
        return types.error();
    };
    const Type* ERR = types.error();

    if (name == "sum" || name == "mean" || name == "max" || name == "min" || name == "count" || name == "argmax") {
        if ((name == "max" || name == "min") && args.size() == 2) {
            const Type* a = argType(0);
            const Type* b = argType(1);
            if (a->kind == TypeKind::Error || b->kind == TypeKind::Error) return ERR;
            std::string problem;
            const Type* t = nullptr;
            if ((isNumeric(a) && isNumeric(b)) || (isQuantity(a) && structure(a) == structure(b)))
                t = binaryResult(ctx_.types(), BinaryOp::Add, a, b, problem);
            if (!t) return bad(1, "of the same kind as the first (" + toString(a) + ")", b);
            return t;
        }
        if (!arity(1, 1)) return ERR;
        const Type* t = argType(0);
        if (t->kind == TypeKind::Error) return ERR;
        const Type* s = structure(t);
        if (name == "count" && s->kind == TypeKind::Catalog) return types.integer();
        if (name == "count" && s->kind == TypeKind::List) return types.integer();
        if (s->kind == TypeKind::List && (name == "sum" || name == "max" || name == "min") &&
            (isNumeric(s->element) || isQuantity(s->element)))
            return structure(s->element);
        if (s->kind == TypeKind::List && name == "mean" && isNumeric(s->element)) return types.float64();
        if (s->kind != TypeKind::Tensor)
            return bad(0, name == "count" ? "a tensor, a list or a catalog" : "a tensor", t);
        return name == "count" || name == "argmax" ? types.integer() : types.float64();
    }
    if (name == "shape") {
        if (!arity(1, 1)) return ERR;
        const Type* t = argType(0);
        if (structure(t)->kind != TypeKind::Tensor) return bad(0, "a tensor", t);
        return types.list(types.integer());
    }
    if (name == "len") {
        if (!arity(1, 1)) return ERR;
        const Type* t = argType(0);
        const Type* s = structure(t);
        if (s->kind != TypeKind::List && s->kind != TypeKind::String) return bad(0, "a list or a string", t);
        return types.integer();
    }
    if (name == "seq") {
        if (!arity(1, 1)) return ERR;
        Expr* a = args[0].value.get();
        const Type* t = check(a);
        if (t->kind == TypeKind::Error) return types.integer();
        Local* local = a->kind == ExprKind::Ident ? findLocal(a->text) : nullptr;
        if (!(a->kind == ExprKind::Ident && (a->binding == Binding::It || (local && local->isItem))))
            ctx_.diags.error(a->range, "'seq' takes a stream item: a handler's 'as' name or a parameter");
        else if (!pureContext.empty() && a->binding != Binding::It)
            // A fn is called with values, and a value does not carry its item's number.
            ctx_.diags.error(a->range, "'seq' of a parameter in " + pureContext + ": a fn gets the item's value, not the item; "
                                       "pass seq(" + a->text + ") from the handler as an argument, or make it a task");
        else if (structure(t)->kind == TypeKind::List)
            ctx_.diags.error(a->range, "'seq' takes one stream item, but '" + a->text + "' is a " + toString(t) +
                                           "; use seq of an element");
        return types.integer();
    }
    if (name == "now") {
        arity(0, 0);
        return types.duration();
    }
    if (planformat::MathBuiltin fn; planformat::parseMathBuiltin(name, fn)) {
        if (!arity(1, 1)) return ERR;
        const Type* t = argType(0);
        if (const Type* result = mathResult(types, fn, t)) return result;
        return bad(0, "a number or a numeric tensor", t);
    }
    if (name == "clamp") {
        if (!arity(3, 3)) return ERR;
        const Type* t = argType(0);
        const Type* s = structure(t);
        for (std::size_t i = 1; i < 3; ++i) {
            const Type* b = argType(i);
            bool fits = (isNumeric(s) || (s->kind == TypeKind::Tensor && s->elem != ElemType::Bool)) ? isNumeric(b)
                        : isQuantity(s) ? structure(b) == s
                                        : false;
            if (!fits && b->kind != TypeKind::Error && t->kind != TypeKind::Error)
                return bad(i, isQuantity(s) ? withArticle(s) : "a number", b);
        }
        if (s->kind == TypeKind::Tensor && s->elem != ElemType::Bool) return s;
        if (isNumeric(s) || isQuantity(s)) return s;
        return bad(0, "a number, a quantity or a numeric tensor", t);
    }
    if (name == "zeros" || name == "noise") {
        if (!arity(name == "zeros" ? 1 : 2, name == "zeros" ? 1 : 2)) return ERR;
        const Type* t = typeArgument(args[0].value.get(), name);
        if (name == "noise") {
            const Type* seed = argType(1);
            if (seed->kind != TypeKind::Error && structure(seed)->kind != TypeKind::Int) bad(1, "an int seed", seed);
        }
        if (!t) return ERR;
        const Type* s = structure(t);
        if (t->kind == TypeKind::Nominal && t->isSubtype) {
            ctx_.diags.error(args[0].value->range, "'" + name + "' cannot make a " + t->name +
                                                       ": its values are decided per item at run time");
            return ERR;
        }
        if (s->kind != TypeKind::Tensor || (name == "noise" && !isFloatElem(s->elem)))
            return bad(0, name == "noise" ? "a tensor type of f32 or f64" : "a tensor type", t);
        for (int64_t d : s->dims)
            if (d == kUnknownDim) {
                ctx_.diags.error(args[0].value->range, "'" + name + "' needs a static shape, but " + toString(t) +
                                                           " has a '?' dimension");
                return ERR;
            }
        return t;
    }
    if (name == "read") {
        if (!arity(2, 2)) return ERR;
        const Type* p = argType(0);
        if (assignable(p, types.path()) != Mismatch::None) bad(0, "a path or a string", p);
        const Type* t = typeArgument(args[1].value.get(), name);
        if (!t) return ERR;
        const Type* s = structure(t);
        if (s->kind != TypeKind::Tensor && s->kind != TypeKind::String) return bad(1, "a tensor type or string", t);
        // A raw file holds a static shape's elements (any other extension is read as .npy).
        if (const std::optional<planformat::FileTarget> target = knownTarget(ctx_, args[0].value.get());
            target && target->format == planformat::FileFormat::Raw && s->kind == TypeKind::Tensor &&
            std::find(s->dims.begin(), s->dims.end(), kUnknownDim) != s->dims.end())
            ctx_.diags.error(args[1].value->range, "a raw file holds the elements of a static shape, but " + toString(t) +
                                                       " has a '?' dimension");
        return t;
    }
    if (name == "write") {
        if (!arity(2, 2)) return ERR;
        const Type* p = argType(0);
        if (assignable(p, types.path()) != Mismatch::None) bad(0, "a path or a string", p);
        const Type* v = argType(1);
        const Type* s = structure(v);
        if (s->kind != TypeKind::Tensor && !isScalar(s) && s->kind != TypeKind::Record && s->kind != TypeKind::List)
        {
            bad(1, "a value that can be written", v);
            return types.voidType();
        }
        // The extension says how the value is written (LANGUAGE.md §9); known now, it is checked now.
        const std::optional<planformat::FileTarget> target = knownTarget(ctx_, args[0].value.get());
        if (!target || v->kind == TypeKind::Error) return types.voidType();
        using F = planformat::FileFormat;
        const std::string ext = target->extension.empty() ? "a file without an extension" : "'." + target->extension + "'";
        switch (target->format) {
        case F::Unknown: {
            // "out.npy:/data": a dataset after a file that is not HDF5.
            const std::size_t colon = target->file.rfind(":/");
            const planformat::FileTarget before =
                planformat::fileTarget(colon == std::string::npos ? "" : target->file.substr(0, colon));
            if (before.format != F::Unknown)
                ctx_.diags.error(args[0].value->range, "only an HDF5 file (.h5, .hdf5, .nxs) has datasets, not '." +
                                                           before.extension + "'");
            else
                ctx_.diags.error(args[0].value->range, "'write' writes files by their extension: " +
                                                           std::string(planformat::writableExtensions()) + ", not " + ext);
            break;
        }
        case F::Npy: case F::Raw: case F::Hdf5:
            if (s->kind != TypeKind::Tensor) bad(1, "a tensor to write " + ext, v);
            break;
        case F::Text:
            if (s->kind != TypeKind::String) bad(1, "a string to write " + ext + " (write other values to .json)", v);
            break;
        case F::Csv:
            if (s->kind != TypeKind::List || !flatRecord(s->element))
                bad(1, "a list of flat records to write " + ext + " (one row each, a column per field)", v);
            break;
        case F::Json: break;
        }
        if (target->format != F::Hdf5 && !target->dataset.empty())
            ctx_.diags.error(args[0].value->range, "only an HDF5 file has datasets");
        return types.voidType();
    }
    if (name == "exists" || name == "size") {
        if (!arity(1, 1)) return ERR;
        const Type* p = argType(0);
        if (assignable(p, types.path()) != Mismatch::None) bad(0, "a path or a string", p);
        return name == "exists" ? types.boolean() : types.bytes();
    }
    if (name == "sh" || name == "shell_quote") {
        if (!arity(1, 1)) return ERR;
        const Type* c = argType(0);
        if (structure(c)->kind != TypeKind::String) bad(0, "a string", c);
        return types.string();
    }
    if (name == "probs" || name == "accuracy" || name == "version") {
        if (!arity(name == "version" ? 1 : 2, name == "version" ? 1 : 2)) return ERR;
        Expr* m = args[0].value.get();
        const Type* mt = check(m);
        const Decl* model = m->kind == ExprKind::Ident && m->decl && m->decl->kind == DeclKind::Model ? m->decl : nullptr;
        if (!model) return bad(0, "a model", mt);
        const ModelInfo& info = ctx_.program.models[model];
        if (name == "version") return types.integer();
        if (name == "probs") {
            checkAssignable(args[1].value.get(), info.input ? info.input : ERR, "input of model '" + model->name.text + "'");
            return types.tensor(ElemType::F32, {static_cast<int64_t>(info.classes.size())});
        }
        Expr* s = args[1].value.get();
        const Type* st = check(s);
        if (structure(st)->kind != TypeKind::Stream) return bad(1, "a stream", st);
        const Decl* stream = s->kind == ExprKind::Ident && s->decl && s->decl->kind == DeclKind::Stream ? s->decl : nullptr;
        if (stream && stream->resolved) {
            const std::string problem = labeledStreamProblem("'accuracy'", *model, info, *stream);
            if (!problem.empty()) ctx_.diags.error(s->range, problem);
        }
        return types.float64();
    }
    for (Arg& a : args) check(a.value.get());
    return ERR;
}

}  // namespace xdml::sema
