// CheckDeclarations.cpp — types (nominal, refinement, classified), signatures, sites, links,
// models, streams and catalogs (LANGUAGE.md §3).
#include "sema/CheckExpressions.h"

#include <set>

#include <algorithm>

namespace xdml::sema {

using namespace ast;

void checkArchitecture(SemaContext& ctx, Expr* e, const std::string& arch, const ModelInfo& info);

namespace {

std::vector<const Decl*> declsOf(SemaContext& ctx, DeclKind kind) {
    std::vector<const Decl*> out;
    for (auto& m : ctx.program.modules)
        for (auto& d : m->decls)
            if (d->kind == kind && !d->name.text.empty()) out.push_back(d.get());
    return out;
}

/// Checks `{ key: value }` against the keys a declaration knows; returns each known key's
/// property. Unknown and repeated keys are reported.
std::map<std::string, const Property*> knownProperties(SemaContext& ctx, const std::optional<PropertyBlock>& block,
                                                        const std::vector<std::string>& keys,
                                                        const std::string& owner) {
    std::map<std::string, const Property*> out;
    if (!block) return out;
    for (const Property& p : block->properties) {
        if (std::find(keys.begin(), keys.end(), p.key.text) == keys.end()) {
            std::string list;
            for (const std::string& k : keys) list += (list.empty() ? "" : ", ") + k;
            ctx.diags.error(p.key.range, "unknown property '" + p.key.text + "' of " + owner +
                                             didYouMean(p.key.text, keys) + "; known: " + list);
            continue;
        }
        if (out.count(p.key.text)) {
            ctx.diags.error(p.key.range, "'" + p.key.text + "' is given twice");
            continue;
        }
        out[p.key.text] = &p;
    }
    return out;
}

/// A property's value, type-checked against `expected` and evaluated at compile time.
ConstValue constantProperty(SemaContext& ctx, const Property* p, const Type* expected) {
    ExprChecker checker(ctx);
    checker.pureContext = "'" + p->key.text + "'";
    checker.check(p->value.get());
    if (!ctx.expectType(p->value.get(), expected, p->key.text)) return {};
    ConstValue v = ctx.evaluate(p->value.get());
    if (!v.known()) ctx.diags.error(p->value->range, "'" + p->key.text + "' must be a constant");
    return v;
}

/// A bare word property (`select: reservoir`): the word, or "" after reporting.
std::string wordProperty(SemaContext& ctx, const Property* p, const std::vector<std::string>& words) {
    const Expr* e = p->value.get();
    std::string list;
    for (const std::string& w : words) list += (list.empty() ? "" : ", ") + w;
    if (!e || e->kind != ExprKind::Ident || std::find(words.begin(), words.end(), e->text) == words.end()) {
        std::string got = e && e->kind == ExprKind::Ident ? "'" + e->text + "'" + didYouMean(e->text, words) : "this";
        ctx.diags.error(e ? e->range : p->key.range, "'" + p->key.text + "' must be one of " + list + ", not " + got);
        return "";
    }
    return e->text;
}

void checkTypeDecls(SemaContext& ctx) {
    TypeContext& types = ctx.types();
    auto decls = declsOf(ctx, DeclKind::TypeDecl);
    // Nominal types exist before any is resolved: declarations may refer to each other.
    for (const Decl* d : decls) {
        Type* t = types.nominal(d->name.text, d);
        t->isSubtype = d->where || d->classifier;
        t->element = types.error();
        const_cast<Decl*>(d)->resolved = t;
    }
    for (const Decl* d : decls) {
        const Type* underlying = ctx.resolveType(d->type.get());
        const_cast<Type*>(d->resolved)->element = underlying;
    }
    // Each nominal type names one other type: follow the chains once (linear in the number of
    // types), reporting every type on a cycle.
    enum class Visit { New, OnPath, Done };
    std::map<const Type*, Visit> state;
    for (const Decl* d : decls) {
        std::vector<const Type*> path;
        const Type* t = d->resolved;
        while (t && t->kind == TypeKind::Nominal && state[t] == Visit::New) {
            state[t] = Visit::OnPath;
            path.push_back(t);
            t = t->element;
        }
        if (t && t->kind == TypeKind::Nominal && state[t] == Visit::OnPath) {
            // One error per cycle, at the type where the walk met it; all of it becomes an error type.
            ctx.diags.error(t->decl->name.range, "type '" + t->name + "' is defined in terms of itself");
            for (auto it = std::find(path.begin(), path.end(), t); it != path.end(); ++it)
                const_cast<Type*>(*it)->element = types.error();
        }
        for (const Type* p : path) state[p] = Visit::Done;
    }
}

void checkSignatures(SemaContext& ctx) {
    TypeContext& types = ctx.types();
    for (DeclKind kind : {DeclKind::Fn, DeclKind::Task})
        for (const Decl* d : declsOf(ctx, kind)) {
            std::vector<const Type*> params;
            std::set<std::string> seen;
            for (const Param& p : d->params) {
                if (!seen.insert(p.name.text).second)
                    ctx.diags.error(p.name.range, "parameter '" + p.name.text + "' is declared twice");
                params.push_back(ctx.resolveType(p.type.get()));
            }
            const Type* result = d->type ? ctx.resolveType(d->type.get()) : types.voidType();
            const_cast<Decl*>(d)->resolved = types.function(std::move(params), result);
        }
}

void checkSites(SemaContext& ctx) {
    TypeContext& types = ctx.types();
    for (const Decl* d : declsOf(ctx, DeclKind::Site)) {
        auto props = knownProperties(ctx, d->properties, {"cores", "gpus", "memory", "storage"}, "site '" + d->name.text + "'");
        SiteInfo info;
        if (auto* p = props["cores"]) info.cores = constantProperty(ctx, p, types.integer()).i;
        else ctx.diags.error(d->name.range, "site '" + d->name.text + "' needs 'cores'");
        if (auto* p = props["gpus"]) info.gpus = constantProperty(ctx, p, types.integer()).i;
        if (auto* p = props["memory"]) info.memory = constantProperty(ctx, p, types.bytes()).f;
        if (auto* p = props["storage"]) info.storage = constantProperty(ctx, p, types.bytes()).f;
        for (const char* key : {"cores", "gpus"})
            if (auto* p = props[key]) {
                ConstValue v = ctx.evaluate(p->value.get());
                if (v.kind == ConstValue::Kind::Int && (v.i < 0 || (v.i == 0 && std::string(key) == "cores")))
                    ctx.diags.error(p->value->range, std::string("'") + key + "' must be " +
                                                         (std::string(key) == "cores" ? "at least 1" : "0 or more"));
            }
        ctx.program.sites[d] = info;
    }
    std::set<std::pair<std::string, std::string>> links;
    for (const Decl* d : declsOf(ctx, DeclKind::Link)) {
        for (const Name* end : {&d->name, &d->to}) {
            const Decl* s = ctx.lookup(end->text);
            if (!s) ctx.diags.error(end->range, "unknown site '" + end->text + "'" + didYouMean(end->text, ctx.globalNames()));
            else if (s->kind != DeclKind::Site) ctx.diags.error(end->range, "'" + end->text + "' is a " + keyword(s->kind) + ", not a site");
        }
        if (d->name.text == d->to.text) ctx.diags.error(d->to.range, "a link joins two different sites");
        auto key = std::minmax(d->name.text, d->to.text);
        if (!links.insert({key.first, key.second}).second)
            ctx.diags.error(d->name.range, "sites '" + d->name.text + "' and '" + d->to.text + "' are already linked");
        auto props = knownProperties(ctx, d->properties, {"bandwidth", "latency"}, "the link");
        if (auto* p = props["bandwidth"]) {
            ConstValue v = constantProperty(ctx, p, types.bandwidth());
            if (v.known() && v.f <= 0) ctx.diags.error(p->value->range, "'bandwidth' must be positive");
        } else {
            ctx.diags.error(d->name.range, "the link needs 'bandwidth'");
        }
        if (auto* p = props["latency"]) {
            ConstValue v = constantProperty(ctx, p, types.duration());
            if (v.known() && v.f < 0) ctx.diags.error(p->value->range, "'latency' cannot be negative");
        }
    }
}

/// `at: SITE` / `at SITE`: reports anything but a declared site.
void checkSiteName(SemaContext& ctx, const Name& name) {
    const Decl* s = ctx.lookup(name.text);
    if (s && s->kind == DeclKind::Site) return;
    if (!s && name.text == "local" && ctx.program.implicitLocalSite) return;
    std::vector<std::string> sites;
    for (const auto& [n, d] : ctx.program.globals)
        if (d->kind == DeclKind::Site) sites.push_back(n);
    if (s) ctx.diags.error(name.range, "'" + name.text + "' is a " + keyword(s->kind) + ", not a site");
    else ctx.diags.error(name.range, "unknown site '" + name.text + "'" + didYouMean(name.text, sites));
}

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

}  // namespace

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

namespace {

void checkRefinements(SemaContext& ctx) {
    TypeContext& types = ctx.types();
    for (const Decl* d : declsOf(ctx, DeclKind::TypeDecl)) {
        const Type* base = d->resolved->element;
        if (d->where) {
            ExprChecker checker(ctx);
            checker.pureContext = "the predicate of type '" + d->name.text + "'";
            checker.itType = base;
            const Type* t = checker.check(d->where.get());
            if (t->kind != TypeKind::Error && structure(t)->kind != TypeKind::Bool)
                ctx.diags.error(d->where->range, "the predicate of type '" + d->name.text + "' must be a bool, got " + toString(t));
        }
        if (d->classifier) {
            const Decl* m = ctx.lookup(d->classifier->text);
            if (!m || m->kind != DeclKind::Model) {
                std::vector<std::string> models;
                for (const auto& [n, g] : ctx.program.globals)
                    if (g->kind == DeclKind::Model) models.push_back(n);
                ctx.diags.error(d->classifier->range, m ? "'" + d->classifier->text + "' is a " + keyword(m->kind) + ", not a model"
                                                        : "unknown model '" + d->classifier->text + "'" + didYouMean(d->classifier->text, models));
                continue;
            }
            const ModelInfo& info = ctx.program.models[m];
            if (d->className && !info.classes.empty() &&
                std::find(info.classes.begin(), info.classes.end(), d->className->text) == info.classes.end()) {
                std::string list;
                for (const std::string& c : info.classes) list += (list.empty() ? "\"" : ", \"") + c + "\"";
                ctx.diags.error(d->className->range, "model '" + m->name.text + "' has no class \"" + d->className->text + "\"" +
                                                         didYouMean(d->className->text, info.classes) + "; its classes are " + list);
            }
            if (info.input && assignable(base, info.input) != Mismatch::None)
                ctx.diags.error(d->type->range, "model '" + m->name.text + "' takes " + toString(info.input) +
                                                    ", so it cannot classify " + toString(base));
        }
        (void)types;
    }
}

/// Which source a stream reads, checked; `generate(f, n)` must give the stream's type.
StreamSource checkSource(SemaContext& ctx, const Decl* d, const Type* element) {
    TypeContext& types = ctx.types();
    Expr* e = d->value.get();
    if (!e) return StreamSource::Emit;
    if (e->kind != ExprKind::Call || e->callee->kind != ExprKind::Ident) {
        ctx.diags.error(e->range, "a stream source is watch(dir, glob), files(glob), zmq(endpoint) or generate(fn, count)");
        return StreamSource::Emit;
    }
    const std::string& name = e->callee->text;
    e->callee->binding = Binding::Builtin;
    ExprChecker checker(ctx);
    auto stringArgs = [&](std::size_t n, const std::string& sig) {
        if (e->args.size() != n) {
            ctx.diags.error(e->callee->range, "'" + name + "' takes " + std::to_string(n) + " argument" + (n == 1 ? "" : "s") + ": " + sig);
            return;
        }
        for (Arg& a : e->args) checker.checkAssignable(a.value.get(), types.string(), "argument of '" + name + "'");
    };
    auto tensorItems = [&] {
        if (structure(element)->kind != TypeKind::Tensor && element->kind != TypeKind::Error)
            ctx.diags.error(d->type->range, "'" + name + "' delivers tensors (.npy files or messages), so the stream's type must be a tensor type, not " +
                                                toString(element));
    };
    if (name == "watch") { stringArgs(2, "watch(dir, glob)"); tensorItems(); return StreamSource::Watch; }
    if (name == "files") { stringArgs(1, "files(glob)"); tensorItems(); return StreamSource::Files; }
    if (name == "zmq") { stringArgs(1, "zmq(endpoint)"); tensorItems(); return StreamSource::Zmq; }
    if (name == "generate") {
        if (e->args.size() != 2) {
            ctx.diags.error(e->callee->range, "'generate' takes 2 arguments: generate(fn, count)");
            return StreamSource::Generate;
        }
        Expr* fn = e->args[0].value.get();
        const Decl* f = fn->kind == ExprKind::Ident ? ctx.lookup(fn->text) : nullptr;
        if (!f || f->kind != DeclKind::Fn) {
            ctx.diags.error(fn->range, "'generate' takes the name of a fn from int to the stream's type");
        } else {
            fn->binding = Binding::Global;
            fn->decl = f;
            const Type* ft = f->resolved;
            if (ft && (ft->params.size() != 1 || assignable(types.integer(), ft->params[0]) != Mismatch::None))
                ctx.diags.error(fn->range, "fn '" + f->name.text + "' must take one int to generate a stream");
            else if (ft && assignable(ft->element, element) != Mismatch::None)
                ctx.diags.error(fn->range, "fn '" + f->name.text + "' gives " + toString(ft->element) + ", but stream '" +
                                               d->name.text + "' carries " + toString(element));
        }
        Expr* count = e->args[1].value.get();
        checker.checkAssignable(count, types.integer(), "count of 'generate'");
        ConstValue v = ctx.evaluate(count);
        if (v.kind == ConstValue::Kind::Int && v.i < 0) ctx.diags.error(count->range, "'generate' needs a count of 0 or more");
        return StreamSource::Generate;
    }
    std::vector<std::string> sources = {"watch", "files", "zmq", "generate"};
    ctx.diags.error(e->callee->range, "unknown stream source '" + name + "'" + didYouMean(name, sources) +
                                          "; use watch, files, zmq or generate");
    return StreamSource::Emit;
}

void checkRehearse(SemaContext& ctx, const Decl* d, const Type* element) {
    TypeContext& types = ctx.types();
    auto props = knownProperties(ctx, d->properties, {"capacity", "select", "mix", "memory", "spill"},
                                 "'rehearse'");
    if (auto* p = props["capacity"]) {
        ConstValue v = constantProperty(ctx, p, types.integer());
        if (v.kind == ConstValue::Kind::Int && v.i < 1) ctx.diags.error(p->value->range, "'capacity' must be at least 1");
    } else {
        ctx.diags.error(d->properties->range, "'rehearse' needs 'capacity'");
    }
    if (auto* p = props["select"]) {
        std::string select = wordProperty(ctx, p, {"reservoir", "balanced", "recent"});
        const Type* s = structure(element);
        // Only a record can carry the label: any other element type has none to balance.
        if (select == "balanced" && s->kind != TypeKind::Error && (s->kind != TypeKind::Record || !s->field("y")))
            ctx.diags.error(p->value->range, "'balanced' keeps classes balanced, but " + toString(element) + " has no label field 'y'");
    }
    if (auto* p = props["mix"]) {
        ConstValue v = constantProperty(ctx, p, types.float64());
        if (v.known() && (v.number() < 0 || v.number() > 1)) ctx.diags.error(p->value->range, "'mix' is a fraction from 0 to 1");
    }
    if (auto* p = props["memory"]) {
        ConstValue v = constantProperty(ctx, p, types.bytes());
        if (v.known() && v.f <= 0) ctx.diags.error(p->value->range, "'memory' must be positive");
    }
    if (auto* p = props["spill"]) constantProperty(ctx, p, types.string());
}

void checkStreams(SemaContext& ctx) {
    for (const Decl* d : declsOf(ctx, DeclKind::Stream)) {
        const Type* element = ctx.resolveType(d->type.get());
        const_cast<Decl*>(d)->resolved = element;
        StreamInfo info;
        info.element = element;
        info.source = checkSource(ctx, d, element);
        if (d->site) checkSiteName(ctx, *d->site);
        if (d->properties) checkRehearse(ctx, d, element);
        ctx.program.streams[d] = info;
    }
}

bool storable(const Type* t) {
    const Type* s = structure(t);
    if (s->kind == TypeKind::Optional) s = structure(s->element);
    return isScalar(s) || s->kind == TypeKind::Tensor || s->kind == TypeKind::Error;
}

void checkCatalogs(SemaContext& ctx) {
    TypeContext& types = ctx.types();
    for (const Decl* d : declsOf(ctx, DeclKind::Catalog)) {
        const Type* t = ctx.resolveType(d->type.get());
        const_cast<Decl*>(d)->resolved = t;
        const Type* s = structure(t);
        if (s->kind != TypeKind::Record && s->kind != TypeKind::Error) {
            ctx.diags.error(d->type->range, "a catalog holds records, not " + toString(t));
        } else if (s->kind == TypeKind::Record) {
            for (const Field& f : s->fields)
                if (!storable(f.type))
                    ctx.diags.error(d->type->range, "field '" + f.name + "' of catalog '" + d->name.text +
                                                        "' cannot be a column: " + toString(f.type));
        }
        ExprChecker checker(ctx);
        if (checker.checkAssignable(d->value.get(), types.string(), "catalog path")) {
            ConstValue v = ctx.evaluate(d->value.get());
            if (v.kind != ConstValue::Kind::String) ctx.diags.error(d->value->range, "a catalog's path must be a string literal");
            else if (v.s.empty()) ctx.diags.error(d->value->range, "a catalog's path cannot be empty");
        }
    }
}

}  // namespace

void checkDeclarations(SemaContext& ctx) {
    checkTypeDecls(ctx);
    checkSignatures(ctx);
    for (const Decl* d : declsOf(ctx, DeclKind::Const)) ctx.constValue(d);
    checkSites(ctx);
    checkModels(ctx);
    checkRefinements(ctx);
    checkStreams(ctx);
    checkCatalogs(ctx);
}

}  // namespace xdml::sema
