// CheckModels.cpp — model declarations (LANGUAGE.md §5): the input type, the classes, the
// architecture and its arguments, the site.
#include "sema/CheckExpressions.h"
#include "sema/DeclarationProperties.h"

#include <algorithm>
#include <set>

namespace xdml::sema {

using namespace ast;

namespace {

/// `mlp(hidden: [..])`, `cnn(channels: [..])`, `load("file.pt")`, `linear`.
void checkArchitecture(SemaContext& ctx, Expr* e, const std::string& arch, const ModelInfo& info) {
    TypeContext& types = ctx.types();
    if (e->kind == ExprKind::Ident) {
        if (arch != "linear") ctx.diags.error(e->range, "'" + arch + "' needs its arguments, as in " + stdlib::find(arch)->signature);
        return;
    }
    e->callee->binding = Binding::Builtin;
    if (arch == "linear") {
        if (!e->args.empty()) ctx.diags.error(e->range, "'linear' takes no arguments");
        return;
    }
    const std::string key = arch == "mlp" ? "hidden" : arch == "cnn" ? "channels" : "file";
    if (e->args.size() != 1) {
        ctx.diags.error(e->callee->range, "'" + arch + "' takes one argument: " + stdlib::find(arch)->signature);
        return;
    }
    Arg& a = e->args[0];
    if (a.name && a.name->text != key)
        ctx.diags.error(a.name->range, "'" + arch + "' has no parameter '" + a.name->text + "'; it takes '" + key + "'");
    ExprChecker checker(ctx);
    const Type* t = checker.check(a.value.get());
    if (arch == "load") {
        ConstValue v = ctx.evaluate(a.value.get());
        if (v.kind != ConstValue::Kind::String) ctx.diags.error(a.value->range, "'load' takes the file name as a string literal");
        return;
    }
    if (assignable(t, types.list(types.integer())) != Mismatch::None || a.value->kind != ExprKind::List) {
        ctx.diags.error(a.value->range, "'" + key + "' takes a list of layer sizes, such as [64, 32]");
        return;
    }
    for (auto& item : a.value->operands) {
        ConstValue v = ctx.evaluate(item.get());
        if (v.kind != ConstValue::Kind::Int || v.i < 1)
            ctx.diags.error(item->range, "a layer size must be a positive integer constant");
    }
    if (arch == "cnn" && info.input) {
        const Type* s = structure(info.input);
        if (s->kind == TypeKind::Tensor && s->dims.size() != 2)
            ctx.diags.error(e->range, "'cnn' needs a 2-D input, but " + toString(info.input) + " has " +
                                          std::to_string(s->dims.size()) +
                                          (s->dims.size() == 1 ? " dimension" : " dimensions"));
    }
}

}  // namespace

void checkModels(SemaContext& ctx) {
    TypeContext& types = ctx.types();
    for (const Decl* d : declsOf(ctx, DeclKind::Model)) {
        const std::string owner = "model '" + d->name.text + "'";
        auto props = knownProperties(ctx, d->properties, {"input", "classes", "arch", "at"}, owner);
        ModelInfo info;
        for (const char* key : {"input", "classes", "arch"})
            if (!props[key]) ctx.diags.error(d->name.range, owner + " needs '" + key + "'");
        if (auto* p = props["input"]) {
            const Expr* e = p->value.get();
            const Type* t = e && e->kind == ExprKind::Ident ? ctx.typeNamed(e->text) : nullptr;
            if (!t) ctx.diags.error(e ? e->range : p->key.range, "'input' takes a type name, such as a tensor type");
            else if (structure(t)->kind != TypeKind::Tensor)
                ctx.diags.error(e->range, "a model's input must be a tensor type, got " + toString(t));
            else if (std::count(structure(t)->dims.begin(), structure(t)->dims.end(), kUnknownDim))
                ctx.diags.error(e->range, "a model's input needs a static shape, but " + toString(t) + " has a '?' dimension");
            else info.input = t;
            if (t) const_cast<Expr*>(e)->binding = Binding::Type;
        }
        if (auto* p = props["classes"]) {
            Expr* e = p->value.get();
            if (e && e->kind == ExprKind::List) {
                std::set<std::string> seen;
                for (auto& item : e->operands) {
                    ConstValue v = ctx.evaluate(item.get());
                    if (v.kind != ConstValue::Kind::String) {
                        ctx.diags.error(item->range, "a class name must be a string literal");
                        continue;
                    }
                    if (!seen.insert(v.s).second) ctx.diags.error(item->range, "class \"" + v.s + "\" is listed twice");
                    info.classes.push_back(v.s);
                }
                if (e->operands.size() < 2) ctx.diags.error(e->range, "a model needs at least 2 classes");
            } else {
                if (e) {
                    // Resolves a const named here (and counts it as used).
                    ExprChecker checker(ctx);
                    checker.pureContext = "'classes'";
                    checker.check(e);
                }
                ConstValue v = ctx.evaluate(e);
                if (v.kind != ConstValue::Kind::Int) {
                    ctx.diags.error(e ? e->range : p->key.range, "'classes' takes a list of names or a number of classes");
                } else if (v.i < 2 || v.i > 100000) {
                    ctx.diags.error(e->range, "a model needs from 2 to 100000 classes, got " + std::to_string(v.i));
                } else {
                    for (int64_t i = 0; i < v.i; ++i) info.classes.push_back(std::to_string(i));
                }
            }
        }
        if (auto* p = props["arch"]) {
            Expr* e = p->value.get();
            std::string arch = e && e->kind == ExprKind::Ident ? e->text
                               : e && e->kind == ExprKind::Call && e->callee->kind == ExprKind::Ident ? e->callee->text
                                                                                                      : "";
            static const std::vector<std::string> archs = {"linear", "mlp", "cnn", "load"};
            if (std::find(archs.begin(), archs.end(), arch) == archs.end()) {
                ctx.diags.error(e ? e->range : p->key.range, "'arch' must be linear, mlp(hidden: [..]), cnn(channels: [..]) or load(\"file.pt\")" +
                                                                 (arch.empty() ? std::string() : ", not '" + arch + "'" + didYouMean(arch, archs)));
            } else {
                info.arch = arch;
                checkArchitecture(ctx, e, arch, info);
            }
        }
        if (auto* p = props["at"]) {
            const Expr* e = p->value.get();
            if (e && e->kind == ExprKind::Ident) checkSiteName(ctx, Name{e->text, e->range});
            else ctx.diags.error(e ? e->range : p->key.range, "'at' takes a site name");
        }
        (void)types;
        ctx.program.models[d] = info;
    }
}

}  // namespace xdml::sema
