// CheckParams.cpp — params (LANGUAGE.md §9): the value a run gives each one, read as a literal
// of its type; settings that name no param; and which compile-time values depend on a param,
// so that shapes and `every` counts stay static. Errors name the flag and the declaration.
#include "sema/SemaContext.h"

#include "ast/Children.h"
#include "parse/LiteralText.h"

#include <set>

namespace xdml::sema {

using namespace ast;

namespace {

bool settable(const Type* t) {
    switch (t ? t->kind : TypeKind::Error) {
    case TypeKind::Bool: case TypeKind::Int: case TypeKind::Float: case TypeKind::String: case TypeKind::Path:
    case TypeKind::Duration: case TypeKind::Bytes: case TypeKind::Bandwidth: case TypeKind::Error:
        return true;
    default:
        return false;
    }
}

const char* measure(planformat::QuantityKind kind) {
    switch (kind) {
    case planformat::QuantityKind::Duration: return "a duration";
    case planformat::QuantityKind::Bytes: return "a size in bytes";
    default: return "a bandwidth";
    }
}

/// `text` as a value of type `t`, or Unknown with `problem` saying why not.
ConstValue readAs(const std::string& text, const Type* t, std::string& problem) {
    using K = ConstValue::Kind;
    ConstValue v;
    switch (t->kind) {
    case TypeKind::Bool:
        if (text == "true" || text == "false") {
            v.kind = K::Bool;
            v.b = text == "true";
        } else {
            problem = "a bool is true or false";
        }
        break;
    case TypeKind::Int:
        if (auto i = parse::integerOfText(text)) {
            v.kind = K::Int;
            v.i = *i;
        } else {
            problem = "not an integer that fits in 64 bits";
        }
        break;
    case TypeKind::Float:
        if (auto f = parse::numberOfText(text)) {
            v.kind = K::Float;
            v.f = *f;
        } else {
            problem = "not a number";
        }
        break;
    case TypeKind::String: case TypeKind::Path:
        v.kind = K::String;  // as written: no quotes, no interpolation
        v.s = text;
        break;
    case TypeKind::Duration: case TypeKind::Bytes: case TypeKind::Bandwidth: {
        const auto q = parse::quantityOfText(text);
        const planformat::QuantityKind want = t->kind == TypeKind::Duration ? planformat::QuantityKind::Duration
                                              : t->kind == TypeKind::Bytes  ? planformat::QuantityKind::Bytes
                                                                            : planformat::QuantityKind::Bandwidth;
        if (q && q->kind == want) {
            v.kind = K::Quantity;
            v.quantity = want;
            v.f = q->value;
        } else {
            problem = q ? std::string("its unit makes it ") + measure(q->kind) + ", not " + measure(want)
                        : std::string("a number and a unit (") + parse::quantityUnitsText() + ")";
        }
        break;
    }
    default:
        problem = "a " + toString(t) + " cannot be given on the command line";
    }
    return v;
}

}  // namespace

bool checkParamType(SemaContext& ctx, const Decl* decl, const Type* type) {
    if (settable(type)) return true;
    ctx.diags.error(decl->type ? decl->type->range : decl->name.range,
                    "param '" + decl->name.text + "' is a " + toString(type) +
                        ": a param is a bool, int, float, string, path, duration, bytes or bandwidth");
    return false;
}

ConstValue paramValue(SemaContext& ctx, const Decl* decl, const Type* type, ConstValue byDefault) {
    const ParamSetting* setting = nullptr;
    for (const ParamSetting& s : ctx.program.paramSettings)
        if (s.name == decl->name.text) setting = &s;  // the last one given wins
    if (!setting || type->kind == TypeKind::Error) {
        ctx.program.paramSources[decl] = "";
        return byDefault;
    }
    std::string problem;
    ConstValue v = readAs(setting->text, type, problem);
    if (!v.known()) {
        ctx.diags.error(decl->name.range, setting->flag + ": '" + setting->text + "' is not a value of param '" +
                                              decl->name.text + "' (" + toString(type) + "): " + problem);
        return byDefault;
    }
    ctx.program.paramSources[decl] = setting->flag;
    return v;
}

void checkParamSettings(SemaContext& ctx) {
    std::vector<std::string> params;
    for (const auto& [name, d] : ctx.program.globals)
        if (d->param) params.push_back(name);
    std::set<std::string> reported;
    for (const ParamSetting& s : ctx.program.paramSettings) {
        auto it = ctx.program.globals.find(s.name);
        if (it != ctx.program.globals.end() && it->second->param) continue;
        if (!reported.insert(s.name).second) continue;
        std::string why = it != ctx.program.globals.end()
                              ? "'" + s.name + "' is a " + keyword(*it->second) + ", not a param: only params can be set"
                              : "the flow declares no param '" + s.name + "'" + didYouMean(s.name, params);
        if (params.empty()) why += " (it declares none)";
        ctx.diags.error({}, s.flag + ": " + why);
    }
}

const Decl* paramBehind(const CheckedProgram& program, const Expr* e) {
    std::set<const Decl*> seen;
    auto walk = [&](auto& self, const Expr* x) -> const Decl* {
        if (!x) return nullptr;
        if (x->kind == ExprKind::Ident && x->binding != Binding::Local) {
            auto it = program.globals.find(x->text);
            if (it != program.globals.end() && it->second->kind == DeclKind::Const && seen.insert(it->second).second) {
                if (it->second->param) return it->second;
                if (const Decl* p = self(self, it->second->value.get())) return p;
            }
        }
        const Decl* found = nullptr;
        anyChild(*x, [&](const Expr* child) { return (found = self(self, child)) != nullptr; });
        return found;
    };
    return walk(walk, e);
}

}  // namespace xdml::sema
