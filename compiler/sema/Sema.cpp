// Sema.cpp — the checking pipeline, global names, type resolution and constant evaluation.
#include "sema/SemaContext.h"

#include "sema/CheckExpressions.h"

#include <cmath>

namespace xdml::sema {

using namespace ast;

void checkProgram(CheckedProgram& program, Diagnostics& diags) {
    SemaContext ctx(program, diags);
    // Names first: every later stage resolves across the whole program. Declarations next, as
    // they give fns, streams and models the types that bodies use. Policies before bodies so a
    // policy's problems are reported once, at the policy, not at every `@` that names it.
    declareGlobals(ctx);
    checkDeclarations(ctx);
    checkPolicies(ctx);
    checkBodies(ctx);
    warnUnused(ctx);
}

const Type* checkExpression(CheckedProgram& program, ast::Expr* e, Diagnostics& diags, bool pure) {
    SemaContext ctx(program, diags);
    ExprChecker checker(ctx);
    if (pure) checker.pureContext = "an expression evaluated at the prompt";
    return checker.check(e);
}

void declareGlobals(SemaContext& ctx) {
    CheckedProgram& p = ctx.program;
    // The main file's own declarations come after everything it imports (its imports stand at
    // its top), so a clash between the two is reported in the main file, the one being edited.
    std::vector<Module*> order;
    for (std::size_t i = 1; i < p.modules.size(); ++i) order.push_back(p.modules[i].get());
    if (!p.modules.empty()) order.push_back(p.modules.front().get());
    for (Module* module : order) {
        for (auto& d : module->decls) {
            if (d->kind == DeclKind::Import) {
                if (!d->modulePath.empty()) {
                    stdlib::Module m;
                    if (d->modulePath[0] != "std" || !stdlib::parseModule(d->name.text, m))
                        ctx.diags.error(d->name.range, "unknown module '" + d->name.text +
                                                           "': the standard modules are std.io, std.exec, std.math and std.ml");
                    else
                        p.imported.insert(m);
                }
                continue;
            }
            if (d->name.text.empty()) continue;
            if (d->kind == DeclKind::Site) p.implicitLocalSite = false;
            if (d->kind == DeclKind::Link) continue;  // links are named by their two sites
            const std::string& name = d->name.text;
            if (p.types.scalarNamed(name) || name == "tensor") {
                ctx.diags.error(d->name.range, "'" + name + "' is a built-in type and cannot be redeclared");
                continue;
            }
            auto [it, inserted] = p.globals.emplace(name, d.get());
            if (!inserted) {
                ctx.diags.error(d->name.range, "'" + name + "' is already declared (as a " +
                                                   keyword(*it->second) + ")");
                ctx.diags.note(it->second->name.range, "the first declaration is here");
            }
        }
    }
}

const Decl* SemaContext::lookup(const std::string& name) {
    auto it = program.globals.find(name);
    if (it == program.globals.end()) return nullptr;
    ++uses[it->second];
    return it->second;
}

std::vector<std::string> SemaContext::globalNames() const {
    std::vector<std::string> names;
    for (const auto& [n, d] : program.globals) names.push_back(n);
    return names;
}

const Type* SemaContext::typeNamed(const std::string& name) {
    if (const Type* t = program.types.scalarNamed(name)) return t;
    auto it = program.globals.find(name);
    if (it == program.globals.end() || it->second->kind != DeclKind::TypeDecl) return nullptr;
    ++uses[it->second];
    return it->second->resolved;
}

const Type* SemaContext::resolveType(const TypeExpr* t) {
    TypeContext& types = program.types;
    if (!t) return types.error();
    switch (t->kind) {
    case TypeExprKind::Named: {
        if (const Type* s = types.scalarNamed(t->name.text)) return s;
        auto it = program.globals.find(t->name.text);
        if (it == program.globals.end()) {
            std::vector<std::string> names;
            for (const auto& [n, d] : program.globals)
                if (d->kind == DeclKind::TypeDecl) names.push_back(n);
            for (const char* s : {"bool", "int", "float", "f32", "string", "path", "duration", "bytes", "bandwidth"})
                names.push_back(s);
            diags.error(t->name.range, "unknown type '" + t->name.text + "'" + didYouMean(t->name.text, names));
            return types.error();
        }
        if (it->second->kind != DeclKind::TypeDecl) {
            diags.error(t->name.range, "'" + t->name.text + "' is a " + keyword(*it->second) + ", not a type");
            return types.error();
        }
        ++uses[it->second];
        return it->second->resolved ? it->second->resolved : types.error();
    }
    case TypeExprKind::Tensor: {
        ElemType elem;
        bool ok = parseElemType(t->name.text, elem);
        if (!ok)
            diags.error(t->name.range, "unknown tensor element type '" + t->name.text +
                                           "': use f32, f64, i16, i32, i64, u8, u16, u32 or bool");
        std::vector<int64_t> dims;
        for (const Dim& d : t->dims) {
            if (d.kind == Dim::Kind::Unknown) {
                dims.push_back(kUnknownDim);
                continue;
            }
            int64_t n = d.number;
            if (d.kind == Dim::Kind::Name) {
                const Decl* c = lookup(d.name.text);
                if (!c || c->kind != DeclKind::Const) {
                    diags.error(d.range, c ? "'" + d.name.text + "' is a " + keyword(*c) +
                                                 "; a dimension is an integer, a const or '?'"
                                           : "unknown const '" + d.name.text + "' in a tensor shape");
                    ok = false;
                    continue;
                }
                if (const Decl* p = c->param ? c : paramBehind(program, c->value.get())) {
                    diags.error(d.range, "a dimension is static, and param '" + p->name.text +
                                             "' is set when the flow runs" + (p == c ? "" : " ('" + c->name.text + "' depends on it)") +
                                             ": use a const, or '?'");
                    ok = false;
                    continue;
                }
                ConstValue v = constValue(c);
                if (v.kind != ConstValue::Kind::Int) {
                    if (v.known()) diags.error(d.range, "const '" + d.name.text + "' is not an int, so it cannot be a dimension");
                    ok = false;
                    continue;
                }
                n = v.i;
            }
            if (n <= 0) {
                diags.error(d.range, "a tensor dimension must be at least 1, got " + std::to_string(n));
                ok = false;
                continue;
            }
            dims.push_back(n);
        }
        if (t->dims.empty()) {
            diags.error(t->range, "a tensor type needs at least one dimension");
            ok = false;
        }
        return ok ? types.tensor(elem, std::move(dims)) : types.error();
    }
    case TypeExprKind::List: return types.list(resolveType(t->element.get()));
    case TypeExprKind::Optional: return types.optional(resolveType(t->element.get()));
    case TypeExprKind::Stream: return types.stream(resolveType(t->element.get()));
    case TypeExprKind::Catalog: return types.catalog(resolveType(t->element.get()));
    case TypeExprKind::Model: return types.model();
    case TypeExprKind::Record: {
        std::vector<Field> fields;
        std::set<std::string> seen;
        for (const FieldType& f : t->fields) {
            if (!seen.insert(f.name.text).second) {
                diags.error(f.name.range, "field '" + f.name.text + "' is declared twice");
                continue;
            }
            fields.push_back({f.name.text, resolveType(f.type.get())});
        }
        return types.record(std::move(fields));
    }
    }
    return types.error();
}

ConstValue SemaContext::constValue(const Decl* decl) {
    auto it = program.constants.find(decl);
    if (it != program.constants.end()) return it->second;
    if (evaluating.count(decl)) {
        diags.error(decl->name.range, "const '" + decl->name.text + "' is defined in terms of itself");
        return {};
    }
    evaluating.insert(decl);
    ExprChecker checker(*this);
    checker.pureContext = std::string(keyword(*decl)) + " '" + decl->name.text + "'";
    const std::size_t errorsBefore = diags.errorCount();
    const Type* t = checker.check(decl->value.get());
    const bool valueHasErrors = diags.errorCount() > errorsBefore;
    if (decl->type) {
        const Type* declared = resolveType(decl->type.get());
        if (assignable(t, declared) != Mismatch::None)
            checker.reportMismatch(decl->value->range, t, declared, std::string(keyword(*decl)) + " '" + decl->name.text + "'");
        t = declared;
    }
    const_cast<Decl*>(decl)->resolved = t;
    if (decl->param && !checkParamType(*this, decl, t)) {
        evaluating.erase(decl);
        program.constants[decl] = {};
        return {};
    }
    ConstValue v = evaluate(decl->value.get());
    // A value already reported (an effect, a type error) is not reported again as unknown.
    if (!v.known() && !valueHasErrors && t->kind != TypeKind::Error && decl->value &&
        decl->value->kind != ExprKind::Invalid)
        diags.error(decl->value->range, std::string(keyword(*decl)) + " '" + decl->name.text + "' must be computable when the flow is compiled");
    if (v.kind == ConstValue::Kind::Int && t->kind == TypeKind::Float) {
        v.kind = ConstValue::Kind::Float;
        v.f = static_cast<double>(v.i);
    }
    if (decl->param) v = paramValue(*this, decl, t, v);
    evaluating.erase(decl);
    program.constants[decl] = v;
    return v;
}

ConstValue SemaContext::evaluate(const Expr* e) {
    using K = ConstValue::Kind;
    ConstValue v;
    if (!e) return v;
    switch (e->kind) {
    case ExprKind::IntLit: v.kind = K::Int; v.i = e->intValue; return v;
    case ExprKind::FloatLit: v.kind = K::Float; v.f = e->floatValue; return v;
    case ExprKind::BoolLit: v.kind = K::Bool; v.b = e->boolValue; return v;
    case ExprKind::Quantity: v.kind = K::Quantity; v.f = e->floatValue; v.quantity = e->quantity; return v;
    case ExprKind::String: {
        v.kind = K::String;
        for (const StringPart& p : e->parts) {
            if (p.expr) return {};
            v.s += p.text;
        }
        return v;
    }
    case ExprKind::Ident: {
        auto it = program.globals.find(e->text);
        if (it == program.globals.end() || it->second->kind != DeclKind::Const) return {};
        if (e->binding == Binding::Local) return {};
        return constValue(it->second);
    }
    case ExprKind::Unary: {
        ConstValue a = evaluate(e->operands[0].get());
        if (e->unaryOp == UnaryOp::Not) {
            if (a.kind != K::Bool) return {};
            a.b = !a.b;
            return a;
        }
        if (a.kind == K::Int) a.i = static_cast<int64_t>(0 - static_cast<uint64_t>(a.i));  // wraps, as C does
        else if (a.kind == K::Float || a.kind == K::Quantity) a.f = -a.f;
        else return {};
        return a;
    }
    case ExprKind::Ternary: {
        ConstValue c = evaluate(e->operands[0].get());
        if (c.kind != K::Bool) return {};
        return evaluate(e->operands[c.b ? 1 : 2].get());
    }
    case ExprKind::Binary: {
        ConstValue a = evaluate(e->operands[0].get());
        ConstValue b = evaluate(e->operands[1].get());
        if (!a.known() || !b.known()) return {};
        BinaryOp op = e->binaryOp;
        if (op == BinaryOp::And || op == BinaryOp::Or) {
            if (a.kind != K::Bool || b.kind != K::Bool) return {};
            v.kind = K::Bool;
            v.b = op == BinaryOp::And ? (a.b && b.b) : (a.b || b.b);
            return v;
        }
        auto isNum = [](const ConstValue& x) { return x.kind == K::Int || x.kind == K::Float || x.kind == K::Quantity; };
        if (!isNum(a) || !isNum(b)) {
            if (a.kind == K::String && b.kind == K::String && (op == BinaryOp::Eq || op == BinaryOp::Ne)) {
                v.kind = K::Bool;
                v.b = (a.s == b.s) == (op == BinaryOp::Eq);
                return v;
            }
            return {};
        }
        double x = a.number(), y = b.number();
        switch (op) {
        case BinaryOp::Eq: v.kind = K::Bool; v.b = x == y; return v;
        case BinaryOp::Ne: v.kind = K::Bool; v.b = x != y; return v;
        case BinaryOp::Lt: v.kind = K::Bool; v.b = x < y; return v;
        case BinaryOp::Le: v.kind = K::Bool; v.b = x <= y; return v;
        case BinaryOp::Gt: v.kind = K::Bool; v.b = x > y; return v;
        case BinaryOp::Ge: v.kind = K::Bool; v.b = x >= y; return v;
        default: break;
        }
        if (a.kind == K::Int && b.kind == K::Int) {
            v.kind = K::Int;
            switch (op) {
            case BinaryOp::Add: v.i = static_cast<int64_t>(static_cast<uint64_t>(a.i) + static_cast<uint64_t>(b.i)); break;
            case BinaryOp::Sub: v.i = static_cast<int64_t>(static_cast<uint64_t>(a.i) - static_cast<uint64_t>(b.i)); break;
            case BinaryOp::Mul: v.i = static_cast<int64_t>(static_cast<uint64_t>(a.i) * static_cast<uint64_t>(b.i)); break;
            case BinaryOp::Div:
            case BinaryOp::Mod:
                if (b.i == 0 || (a.i == INT64_MIN && b.i == -1)) return {};
                v.i = op == BinaryOp::Div ? a.i / b.i : a.i % b.i;
                break;
            default: return {};
            }
            return v;
        }
        bool quantity = a.kind == K::Quantity || b.kind == K::Quantity;
        v.kind = K::Float;
        switch (op) {
        case BinaryOp::Add: v.f = x + y; break;
        case BinaryOp::Sub: v.f = x - y; break;
        case BinaryOp::Mul: v.f = x * y; break;
        case BinaryOp::Div: v.f = x / y; break;
        case BinaryOp::Mod: v.f = std::fmod(x, y); break;
        default: return {};
        }
        if (quantity && !(a.kind == K::Quantity && b.kind == K::Quantity && op == BinaryOp::Div)) {
            v.kind = K::Quantity;
            v.quantity = a.kind == K::Quantity ? a.quantity : b.quantity;
        }
        return v;
    }
    default: return {};
    }
}

bool SemaContext::expectType(const Expr* e, const Type* expected, const std::string& what) {
    if (!e) return false;
    const Type* t = e->type;
    if (!t || t->kind == TypeKind::Error) return false;
    if (assignable(t, expected) == Mismatch::None) return true;
    diags.error(e->range, "'" + what + "' expects " + withArticle(expected) + ", got " + toString(t));
    return false;
}

}  // namespace xdml::sema

namespace xdml::sema {

ConstValue evaluateConstant(const CheckedProgram& program, const ast::Expr* e) {
    // Every const was evaluated while checking: this reads program.constants, writes nothing.
    SourceManager noSources;
    Diagnostics scratch(noSources);
    SemaContext ctx(const_cast<CheckedProgram&>(program), scratch);
    return ctx.evaluate(e);
}

}  // namespace xdml::sema
