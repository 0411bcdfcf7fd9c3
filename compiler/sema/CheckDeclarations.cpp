// CheckDeclarations.cpp — types (nominal, refinement, classified), signatures, sites, links,
// streams and catalogs (LANGUAGE.md §3); models are checked in CheckModels.cpp.
#include "sema/CheckExpressions.h"
#include "sema/DeclarationProperties.h"

#include "planformat/FileTargets.h"

#include <set>

#include <algorithm>

namespace xdml::sema {

using namespace ast;

namespace {

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

/// A deployment's grant lowers a site's capacity to what the binding gives it.
void applyGrant(SemaContext& ctx, const std::string& site, SiteInfo& info) {
    auto it = ctx.program.grants.find(site);
    if (it == ctx.program.grants.end()) return;
    const SiteGrant& grant = it->second;
    info.grant = &grant;
    if (grant.cores > 0 && grant.cores < info.cores) info.cores = grant.cores;
    if (grant.gpus >= 0 && grant.gpus < info.gpus) info.gpus = grant.gpus;
}

/// A binding must name a site the flow declares (or `local`, the implicit site of a flow
/// without sites): reported at the binding, naming the declared sites.
void checkGrantedSites(SemaContext& ctx, const std::vector<std::string>& declared) {
    for (const auto& [site, grant] : ctx.program.grants) {
        if (std::find(declared.begin(), declared.end(), site) != declared.end()) continue;
        if (site == "local" && ctx.program.implicitLocalSite) continue;
        std::string names;
        for (const std::string& d : declared) names += (names.empty() ? "'" : ", '") + d + "'";
        if (names.empty()) names = "none (its one site is the implicit 'local')";
        ctx.diags.error(grant.at, grant.by + " binds site '" + site + "', which the flow does not declare" +
                                      didYouMean(site, declared) + "; its sites: " + names);
    }
}

void checkSites(SemaContext& ctx) {
    TypeContext& types = ctx.types();
    std::vector<std::string> declared;
    for (const Decl* d : declsOf(ctx, DeclKind::Site)) {
        declared.push_back(d->name.text);
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
        applyGrant(ctx, d->name.text, info);
        ctx.program.sites[d] = info;
    }
    checkGrantedSites(ctx, declared);
    std::set<std::pair<std::string, std::string>> links;
    for (const Decl* d : declsOf(ctx, DeclKind::Link)) {
        for (const Name* end : {&d->name, &d->to}) {
            const Decl* s = ctx.lookup(end->text);
            if (!s) ctx.diags.error(end->range, "unknown site '" + end->text + "'" + didYouMean(end->text, ctx.globalNames()));
            else if (s->kind != DeclKind::Site) ctx.diags.error(end->range, "'" + end->text + "' is a " + keyword(*s) + ", not a site");
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
                ctx.diags.error(d->classifier->range, m ? "'" + d->classifier->text + "' is a " + keyword(*m) + ", not a model"
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

/// The options of `files` and `watch` (LANGUAGE.md §9), and the item type they can deliver: a
/// tensor read from each file (`.npy`; raw with `format: raw` or a .raw/.bin glob; the frames of
/// an HDF5 dataset with `dataset:`), or the files' paths for a stream of `path`.
void checkFileOptions(SemaContext& ctx, const Decl* d, const Type* element) {
    TypeContext& types = ctx.types();
    Expr* e = d->value.get();
    const std::string& name = e->callee->text;
    ExprChecker checker(ctx);
    const Arg* dataset = nullptr;
    std::string format;
    for (Arg& a : e->args) {
        if (!a.name) continue;
        if (a.name->text == "dataset") {
            dataset = &a;
            checker.checkAssignable(a.value.get(), types.string(), "dataset of '" + name + "'");
            ConstValue v = ctx.evaluate(a.value.get());
            if (v.kind == ConstValue::Kind::String && (v.s.empty() || v.s[0] != '/'))
                ctx.diags.error(a.value->range, "a dataset is named by its path in the file, from the root: \"/" + v.s + "\"");
        } else if (a.name->text == "format") {
            format = wordValue(ctx, *a.name, a.value.get(), {"npy", "raw"});
            a.value->binding = Binding::Builtin;  // a word, not a name to look up
        } else {
            ctx.diags.error(a.name->range, "'" + name + "' takes the options dataset and format, not '" + a.name->text + "'" +
                                               didYouMean(a.name->text, {"dataset", "format"}));
        }
    }
    const Type* s = structure(element);
    if (element->kind == TypeKind::Error) return;
    if (s->kind == TypeKind::Path) {
        if (dataset || !format.empty())
            ctx.diags.error((dataset ? dataset->name : e->args.back().name)->range,
                            "a stream of paths delivers the files' names, so it reads no " + std::string(dataset ? "dataset" : "format"));
        return;
    }
    if (s->kind != TypeKind::Tensor) {
        ctx.diags.error(d->type->range, "'" + name + "' delivers tensors read from files, or the files' paths; the stream's type must be "
                                        "a tensor type or path, not " + toString(element));
        return;
    }
    if (dataset && !format.empty()) {
        ctx.diags.error(dataset->name->range, "'dataset' reads HDF5 files, so it takes no 'format'");
        return;
    }
    // The glob's extension says the format when no option does.
    planformat::FileFormat byGlob = planformat::FileFormat::Unknown;
    const std::size_t globAt = name == "watch" ? 1 : 0;
    if (e->args.size() > globAt && !e->args[globAt].name) {
        ConstValue glob = ctx.evaluate(e->args[globAt].value.get());
        if (glob.kind == ConstValue::Kind::String) byGlob = planformat::fileTarget(glob.s).format;
    }
    if (!dataset && byGlob == planformat::FileFormat::Hdf5)
        ctx.diags.error(e->callee->range, "HDF5 files hold datasets: name the one to read, as in " + name +
                                              "(..., dataset: \"/entry/data/data\")");
    const bool raw = format == "raw" || (format.empty() && !dataset && byGlob == planformat::FileFormat::Raw);
    if (raw && std::find(s->dims.begin(), s->dims.end(), kUnknownDim) != s->dims.end())
        ctx.diags.error(d->type->range, "raw files hold the elements of a static shape, but " + toString(element) +
                                            " has a '?' dimension");
}

/// Which source a stream reads, checked; `generate(f, n)` must give the stream's type.
StreamSource checkSource(SemaContext& ctx, const Decl* d, const Type* element) {
    TypeContext& types = ctx.types();
    Expr* e = d->value.get();
    if (!e) return StreamSource::Emit;
    if (e->kind != ExprKind::Call || e->callee->kind != ExprKind::Ident) {
        ctx.diags.error(e->range, "a stream source is watch(dir, glob), files(glob), zmq(endpoint) or generate(fn, count[, period: D])");
        return StreamSource::Emit;
    }
    const std::string& name = e->callee->text;
    e->callee->binding = Binding::Builtin;
    ExprChecker checker(ctx);
    auto stringArgs = [&](std::size_t n, const std::string& sig) {
        std::size_t positional = 0;
        for (const Arg& a : e->args) positional += a.name ? 0 : 1;
        if (positional != n || (n > 0 && e->args.size() >= n && std::any_of(e->args.begin(), e->args.begin() + static_cast<long>(n),
                                                                          [](const Arg& a) { return bool(a.name); }))) {
            ctx.diags.error(e->callee->range, "'" + name + "' takes " + std::to_string(n) + " argument" + (n == 1 ? "" : "s") + ": " + sig);
            return;
        }
        for (std::size_t i = 0; i < n; ++i) checker.checkAssignable(e->args[i].value.get(), types.string(), "argument of '" + name + "'");
    };
    auto tensorItems = [&] {
        if (structure(element)->kind != TypeKind::Tensor && element->kind != TypeKind::Error)
            ctx.diags.error(d->type->range, "'" + name + "' delivers tensors (.npy files or messages), so the stream's type must be a tensor type, not " +
                                                toString(element));
    };
    if (name == "watch") { stringArgs(2, "watch(dir, glob[, dataset: D][, format: raw])"); checkFileOptions(ctx, d, element); return StreamSource::Watch; }
    if (name == "files") { stringArgs(1, "files(glob[, dataset: D][, format: raw])"); checkFileOptions(ctx, d, element); return StreamSource::Files; }
    if (name == "zmq") {
        if (!e->args.empty() && e->args.back().name)
            ctx.diags.error(e->args.back().name->range, "'zmq' takes no options; messages are .npy or raw elements");
        stringArgs(1, "zmq(endpoint)");
        tensorItems();
        return StreamSource::Zmq;
    }
    if (name == "generate") {
        // `period: D` (LANGUAGE.md §9): one item per period, as a detector delivers frames.
        if (e->args.size() == 3 && e->args[2].name) {
            const Arg& period = e->args[2];
            if (period.name->text != "period") {
                ctx.diags.error(period.name->range, "'generate' takes one named argument, period: unknown '" + period.name->text +
                                                        "'" + didYouMean(period.name->text, {"period"}));
            } else {
                checker.checkAssignable(period.value.get(), types.duration(), "period of 'generate'");
                ConstValue v = ctx.evaluate(period.value.get());
                if (v.kind == ConstValue::Kind::Quantity && v.f <= 0)
                    ctx.diags.error(period.value->range, "'generate' needs a period above 0");
            }
        }
        const std::size_t positional = e->args.size() == 3 && e->args[2].name ? 2 : e->args.size();
        if (positional != 2 || (e->args.size() > 1 && e->args[1].name) || (!e->args.empty() && e->args[0].name)) {
            ctx.diags.error(e->callee->range, "'generate' takes 2 arguments and a period: generate(fn, count[, period: D])");
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
            for (const Field& f : s->fields) {
                if (!storable(f.type))
                    ctx.diags.error(d->type->range, "field '" + f.name + "' of catalog '" + d->name.text +
                                                        "' cannot be a column: " + toString(f.type));
                if (f.name == "run")  // LANGUAGE.md §9: the column after the fields
                    ctx.diags.error(d->type->range, "catalog '" + d->name.text + "' cannot have a field 'run': its table's column "
                                                    "'run' holds each row's run id");
            }
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

void noteGrant(Diagnostics& diags, const SiteGrant* grant, const std::string& site, const std::string& key, int64_t have) {
    if (!grant) return;
    int64_t granted = key == "gpus" ? grant->gpus : grant->cores;
    if (granted < 0 || (key != "gpus" && granted == 0) || granted != have) return;  // not what bounded it
    diags.note(grant->at, grant->by + " binds site '" + site + "' to " + std::to_string(granted) + " " + key + " here");
}

void checkDeclarations(SemaContext& ctx) {
    checkTypeDecls(ctx);
    checkSignatures(ctx);
    for (const Decl* d : declsOf(ctx, DeclKind::Const)) ctx.constValue(d);
    checkParamSettings(ctx);
    checkSites(ctx);
    checkModels(ctx);  // CheckModels.cpp
    checkRefinements(ctx);
    checkStreams(ctx);
    checkCatalogs(ctx);
}

}  // namespace xdml::sema
