// SourceIndex.cpp — one walk over a module that follows scopes the way the checker does, and
// notes the smallest name or expression touching the position and the locals visible there.
#include "tooling/SourceIndex.h"

#include <algorithm>

namespace xdml::tooling {

namespace {

using namespace ast;

uint32_t width(const SourceRange& r) { return r.endOffset - r.begin.offset; }

class Walker {
public:
    Walker(const sema::CheckedProgram& program, FileId file, uint32_t offset)
        : program_(program), file_(file), offset_(offset) {}

    SymbolAt found;
    std::vector<LocalSymbol> localsThere;

    void walkDecl(const Decl& d) {
        if (d.kind == DeclKind::Import) return;
        if (d.kind == DeclKind::Link) {
            // A link is named by the sites it joins: both ends are references.
            refGlobal(d.name);
            refGlobal(d.to);
        } else {
            SymbolAt s;
            s.kind = SymbolKind::Global;
            s.range = d.name.range;
            s.name = d.name.text;
            s.global = &d;
            consider(std::move(s));
        }
        walkType(d.type.get());
        walkExpr(d.where.get());
        if (d.classifier) refGlobal(*d.classifier);
        if (d.site) refGlobal(*d.site);
        if (d.basePolicy) refGlobal(*d.basePolicy);
        if (d.properties) walkProperties(*d.properties);
        if (d.policy) walkPolicy(*d.policy);

        std::size_t mark = scope_.size();
        const sema::Type* fn = d.resolved && d.resolved->is(sema::TypeKind::Function) ? d.resolved : nullptr;
        for (std::size_t i = 0; i < d.params.size(); ++i) {
            walkType(d.params[i].type.get());
            bind(d.params[i].name, fn && i < fn->params.size() ? fn->params[i] : nullptr);
        }
        // Parameters and the body's names are visible past `fn NAME`, not on it.
        SourceRange scopePart = d.range;
        if (d.name.range.valid()) scopePart.begin.offset = std::max(d.range.begin.offset, d.name.range.endOffset + 1);
        ++depth_;
        bool hasScope = d.kind == DeclKind::Fn || d.kind == DeclKind::Task || d.kind == DeclKind::Flow;
        if (hasScope && touches(scopePart)) snapshot();
        walkExpr(d.value.get());
        walkBlock(d.body, scopePart);
        --depth_;
        scope_.resize(mark);
    }

private:
    const sema::CheckedProgram& program_;
    FileId file_;
    uint32_t offset_;
    std::vector<LocalSymbol> scope_;
    int depth_ = 0;
    int snapshotDepth_ = -1;

    bool touches(const SourceRange& r) const {
        return r.valid() && r.begin.file == file_ && r.begin.offset <= offset_ && offset_ <= r.endOffset;
    }

    /// Keeps the smallest match: a name inside an expression beats the expression.
    void consider(SymbolAt s) {
        if (!touches(s.range)) return;
        if (found.kind == SymbolKind::None || width(s.range) <= width(found.range)) found = std::move(s);
    }

    /// The locals of the innermost scope containing the position win over outer ones.
    void snapshot() {
        if (depth_ < snapshotDepth_) return;
        localsThere = scope_;
        snapshotDepth_ = depth_;
    }

    void refGlobal(const Name& n) {
        if (!touches(n.range)) return;
        auto it = program_.globals.find(n.text);
        if (it == program_.globals.end()) return;
        SymbolAt s;
        s.kind = SymbolKind::Global;
        s.range = n.range;
        s.name = n.text;
        s.global = it->second;
        consider(std::move(s));
    }

    void bind(const Name& n, const sema::Type* type) {
        LocalSymbol local{n.text, n.range, type};
        SymbolAt s;
        s.kind = SymbolKind::Local;
        s.range = n.range;
        s.name = n.text;
        s.local = local;
        consider(std::move(s));
        scope_.push_back(std::move(local));
    }

    const LocalSymbol* findLocal(const std::string& name) const {
        for (auto it = scope_.rbegin(); it != scope_.rend(); ++it)
            if (it->name == name) return &*it;
        return nullptr;
    }

    void walkBlock(const Block& block, SourceRange container) {
        std::size_t mark = scope_.size();
        ++depth_;
        bool inside = touches(container);
        bool snapped = false;
        for (const StmtPtr& s : block) {
            // The position is in this statement or before it: what was bound before it is
            // visible (inside, `let x = |` does not see x; a nested block looks deeper).
            bool here = s->range.begin.offset > offset_ || (s->range.begin.offset <= offset_ && offset_ < s->range.endOffset);
            if (inside && !snapped && here) {
                snapshot();
                snapped = true;
            }
            walkStmt(*s);
        }
        if (inside && !snapped) snapshot();
        --depth_;
        scope_.resize(mark);
    }

    void walkStmt(const Stmt& s) {
        if (s.policy) walkPolicy(*s.policy);
        std::size_t mark = scope_.size();
        switch (s.kind) {
        case StmtKind::Let:
            walkType(s.declaredType.get());
            walkExpr(s.value.get());
            bind(s.name, s.boundType);  // after its value: `let x = x + 1` reads an outer x
            return;                     // stays bound for the rest of the block
        case StmtKind::Emit:
        case StmtKind::Record:
        case StmtKind::Transfer:
            walkExpr(s.value.get());
            refGlobal(s.target);
            break;
        case StmtKind::Train:
            refGlobal(s.name);
            refGlobal(s.target);
            break;
        case StmtKind::If: {
            walkExpr(s.value.get());
            // Each branch is its own scope; the split keeps the else branch from hiding the then.
            SourceRange thenPart = s.range, elsePart = s.range;
            if (s.hasElse && !s.elseBody.empty()) {
                thenPart.endOffset = s.elseBody.front()->range.begin.offset;
                elsePart.begin = s.elseBody.front()->range.begin;
            }
            walkBlock(s.body, thenPart);
            if (s.hasElse) walkBlock(s.elseBody, elsePart);
            break;
        }
        case StmtKind::For:
            walkExpr(s.value.get());
            bind(s.name, s.boundType);
            walkBlock(s.body, s.range);
            break;
        case StmtKind::Until:
            walkExpr(s.value.get());
            walkExpr(s.bound.get());
            walkBlock(s.body, s.range);
            break;
        case StmtKind::Log:
        case StmtKind::Return:
        case StmtKind::ExprStmt: walkExpr(s.value.get()); break;
        case StmtKind::OnNewData:
            refGlobal(s.name);
            if (s.hasTarget) refGlobal(s.target);
            walkExpr(s.value.get());
            if (s.as) bind(*s.as, s.boundType);
            walkBlock(s.body, s.range);
            break;
        case StmtKind::OnEnd:
            refGlobal(s.name);
            walkBlock(s.body, s.range);
            break;
        case StmtKind::OnStop: walkBlock(s.body, s.range); break;
        }
        scope_.resize(mark);
    }

    void walkPolicy(const PolicyRef& p) {
        if (p.name) refGlobal(*p.name);
        if (p.inlineClauses) walkProperties(*p.inlineClauses);
    }

    void walkProperties(const PropertyBlock& block) {
        for (const Property& p : block.properties) walkExpr(p.value.get());
    }

    void walkType(const TypeExpr* t) {
        if (!t) return;
        switch (t->kind) {
        case TypeExprKind::Named: refGlobal(t->name); break;
        case TypeExprKind::Tensor:
            for (const Dim& dim : t->dims)
                if (dim.kind == Dim::Kind::Name) refGlobal(dim.name);
            break;
        case TypeExprKind::Record:
            for (const FieldType& f : t->fields) walkType(f.type.get());
            break;
        default: walkType(t->element.get()); break;
        }
    }

    /// Where a `type T = { ... }` (followed through nominal types) declares field `name`.
    static SourceRange fieldDeclaration(const sema::Type* type, const std::string& name) {
        for (; type && type->is(sema::TypeKind::Nominal); type = type->element) {
            const TypeExpr* written = type->decl ? type->decl->type.get() : nullptr;
            if (!written || written->kind != TypeExprKind::Record) continue;
            for (const FieldType& f : written->fields)
                if (f.name.text == name) return f.name.range;
        }
        return {};
    }

    void walkIdent(const Expr* e) {
        SymbolAt s;
        s.kind = SymbolKind::Expression;
        s.range = e->range;
        s.name = e->text;
        s.expr = e;
        const LocalSymbol* local = findLocal(e->text);
        if (local && (e->binding == Binding::Local || e->binding == Binding::Unresolved)) {
            s.kind = SymbolKind::Local;
            s.local = *local;
            if (!s.local.type) s.local.type = e->type;
        } else if (e->decl) {
            s.kind = SymbolKind::Global;
            s.global = e->decl;
        } else if (e->binding == Binding::It || e->binding == Binding::TrainMetric) {
            // `it` and `accuracy` are values only: their type is what there is to say.
        } else if (auto it = program_.globals.find(e->text); it != program_.globals.end()) {
            // Clause values (`locality: hpc`, `input: Frame`) and types used as arguments.
            s.kind = SymbolKind::Global;
            s.global = it->second;
        } else if (const stdlib::Entry* entry = stdlib::find(e->text)) {
            s.kind = SymbolKind::Builtin;
            s.builtin = entry;
        }
        consider(std::move(s));
    }

    void walkExpr(const Expr* e) {
        if (!e) return;
        switch (e->kind) {
        case ExprKind::Ident: walkIdent(e); return;
        case ExprKind::Field:
            walkExpr(e->callee.get());
            if (touches(e->nameRange)) {
                SymbolAt s;
                s.kind = SymbolKind::Expression;
                s.range = e->nameRange;
                s.name = e->text;
                s.expr = e;
                s.field = fieldDeclaration(e->callee ? e->callee->type : nullptr, e->text);
                consider(std::move(s));
            }
            break;
        case ExprKind::Call:
            walkExpr(e->callee.get());
            for (const Arg& a : e->args) walkExpr(a.value.get());
            break;
        case ExprKind::Index:
            walkExpr(e->callee.get());
            for (const SliceItem& item : e->slices) {
                walkExpr(item.lo.get());
                walkExpr(item.hi.get());
            }
            break;
        case ExprKind::Record:
            for (const FieldInit& f : e->fields) walkExpr(f.value.get());
            break;
        case ExprKind::String:
            for (const StringPart& part : e->parts) walkExpr(part.expr.get());
            break;
        default:
            for (const ExprPtr& operand : e->operands) walkExpr(operand.get());
            break;
        }
        SymbolAt s;
        s.kind = SymbolKind::Expression;
        s.range = e->range;
        s.expr = e;
        consider(std::move(s));
    }
};

Walker walk(const sema::CheckedProgram& program, FileId file, uint32_t offset) {
    Walker walker(program, file, offset);
    for (const auto& module : program.modules) {
        if (module->file != file) continue;
        for (const DeclPtr& d : module->decls) walker.walkDecl(*d);
    }
    return walker;
}

}  // namespace

SymbolAt symbolAt(const sema::CheckedProgram& program, FileId file, uint32_t offset) {
    return walk(program, file, offset).found;
}

std::vector<LocalSymbol> localsAt(const sema::CheckedProgram& program, FileId file, uint32_t offset) {
    return walk(program, file, offset).localsThere;
}

}  // namespace xdml::tooling
