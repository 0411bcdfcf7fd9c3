// AstPrinter.cpp — see AstPrinter.h.
#include "ast/AstPrinter.h"

#include <ostream>
#include <sstream>

namespace xdml::ast {

namespace {

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '{': out += "{{"; break;
        case '}': out += "}}"; break;
        default: out += c;
        }
    }
    return out + "\"";
}

std::string at(const SourceRange& r) {
    return "  @" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.col);
}

std::string properties(const std::optional<PropertyBlock>& block) {
    if (!block) return "";
    std::string out = "{";
    for (std::size_t i = 0; i < block->properties.size(); ++i) {
        const Property& p = block->properties[i];
        out += (i ? ", " : " ") + p.key.text + ": " + (p.value ? printExpr(*p.value) : "?");
    }
    return out + (block->properties.empty() ? "}" : " }");
}

std::string policy(const std::optional<PolicyRef>& ref) {
    if (!ref) return "";
    if (ref->name) return " @" + ref->name->text;
    return " @" + properties(ref->inlineClauses);
}

std::string params(const std::vector<Param>& ps) {
    std::string out = "(";
    for (std::size_t i = 0; i < ps.size(); ++i)
        out += (i ? ", " : "") + ps[i].name.text + ": " + printType(ps[i].type.get());
    return out + ")";
}

void printBlock(std::ostream& out, const Block& block, int depth);

void printStmt(std::ostream& out, const Stmt& s, int depth) {
    std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
    auto value = [&](const ExprPtr& e) { return e ? printExpr(*e) : std::string("?"); };
    out << pad;
    switch (s.kind) {
    case StmtKind::Let:
        out << "let " << s.name.text;
        if (s.declaredType) out << ": " << printType(s.declaredType.get());
        out << " = " << value(s.value);
        break;
    case StmtKind::Emit: out << "emit " << value(s.value) << " to " << s.target.text; break;
    case StmtKind::Record: out << "record " << value(s.value) << " in " << s.target.text; break;
    case StmtKind::Train: out << "train " << s.name.text << " on " << s.target.text; break;
    case StmtKind::Transfer: out << "transfer " << value(s.value) << " to " << s.target.text; break;
    case StmtKind::If:
        out << "if " << value(s.value) << at(s.range) << "\n";
        printBlock(out, s.body, depth + 1);
        if (s.hasElse) {
            out << pad << "else\n";
            printBlock(out, s.elseBody, depth + 1);
        }
        return;
    case StmtKind::For:
        out << "for " << s.name.text << " in " << value(s.value) << at(s.range) << "\n";
        printBlock(out, s.body, depth + 1);
        return;
    case StmtKind::Until:
        out << "until " << value(s.value);
        if (s.bound) out << " max " << value(s.bound);
        out << at(s.range) << "\n";
        printBlock(out, s.body, depth + 1);
        return;
    case StmtKind::Log: out << "log " << value(s.value); break;
    case StmtKind::Return: out << "return" << (s.value ? " " + value(s.value) : ""); break;
    case StmtKind::ExprStmt: out << value(s.value); break;
    case StmtKind::OnNewData:
        out << "on new data of type " << s.name.text;
        if (s.hasTarget) out << " in " << s.target.text;
        if (s.as) out << " as " << s.as->text;
        if (s.value) out << " every " << value(s.value);
        out << policy(s.policy) << at(s.range) << "\n";
        printBlock(out, s.body, depth + 1);
        return;
    case StmtKind::OnEnd:
        out << "on end of " << s.name.text << at(s.range) << "\n";
        printBlock(out, s.body, depth + 1);
        return;
    case StmtKind::OnStop:
        out << "on stop" << at(s.range) << "\n";
        printBlock(out, s.body, depth + 1);
        return;
    }
    out << policy(s.policy) << at(s.range) << "\n";
}

void printBlock(std::ostream& out, const Block& block, int depth) {
    for (const StmtPtr& s : block)
        if (s) printStmt(out, *s, depth);
}

}  // namespace

std::string printType(const TypeExpr* t) {
    if (!t) return "?";
    switch (t->kind) {
    case TypeExprKind::Named: return t->name.text;
    case TypeExprKind::Tensor: {
        std::string out = "tensor<" + t->name.text + ">[";
        for (std::size_t i = 0; i < t->dims.size(); ++i) {
            const Dim& d = t->dims[i];
            out += i ? ", " : "";
            out += d.kind == Dim::Kind::Number ? std::to_string(d.number)
                   : d.kind == Dim::Kind::Name ? d.name.text
                                               : "?";
        }
        return out + "]";
    }
    case TypeExprKind::List: return "list<" + printType(t->element.get()) + ">";
    case TypeExprKind::Stream: return "stream<" + printType(t->element.get()) + ">";
    case TypeExprKind::Catalog: return "catalog<" + printType(t->element.get()) + ">";
    case TypeExprKind::Model: return "model";
    case TypeExprKind::Optional: return printType(t->element.get()) + "?";
    case TypeExprKind::Record: {
        std::string out = "{";
        for (std::size_t i = 0; i < t->fields.size(); ++i)
            out += (i ? ", " : " ") + t->fields[i].name.text + ": " + printType(t->fields[i].type.get());
        return out + (t->fields.empty() ? "}" : " }");
    }
    }
    return "?";
}

std::string printExpr(const Expr& e) {
    auto sub = [](const ExprPtr& p) { return p ? printExpr(*p) : std::string("?"); };
    switch (e.kind) {
    case ExprKind::IntLit: return std::to_string(e.intValue);
    case ExprKind::FloatLit:
    case ExprKind::Quantity: return e.text;
    case ExprKind::BoolLit: return e.boolValue ? "true" : "false";
    case ExprKind::NoneLit: return "none";
    case ExprKind::Ident: return e.text;
    case ExprKind::Invalid: return "<invalid>";
    case ExprKind::String: {
        bool plain = e.parts.size() <= 1 && (e.parts.empty() || !e.parts[0].expr);
        if (plain) return quoted(e.parts.empty() ? "" : e.parts[0].text);
        std::string out = "(str";
        for (const StringPart& p : e.parts)
            out += " " + (p.expr ? printExpr(*p.expr) + (p.format ? ":" + p.format->text : "") : quoted(p.text));
        return out + ")";
    }
    case ExprKind::Unary: return std::string("(") + spelling(e.unaryOp) + " " + sub(e.operands[0]) + ")";
    case ExprKind::Binary:
        return std::string("(") + spelling(e.binaryOp) + " " + sub(e.operands[0]) + " " + sub(e.operands[1]) + ")";
    case ExprKind::Ternary:
        return "(?: " + sub(e.operands[0]) + " " + sub(e.operands[1]) + " " + sub(e.operands[2]) + ")";
    case ExprKind::Call: {
        std::string out = "(" + sub(e.callee);
        for (const Arg& a : e.args) out += " " + (a.name ? a.name->text + ": " : "") + sub(a.value);
        return out + ")";
    }
    case ExprKind::Field: return "(. " + sub(e.callee) + " " + e.text + ")";
    case ExprKind::Index: {
        std::string out = "(index " + sub(e.callee);
        for (const SliceItem& s : e.slices) {
            out += " ";
            if (!s.isRange) out += sub(s.lo);
            else out += (s.lo ? sub(s.lo) : "") + ":" + (s.hi ? sub(s.hi) : "");
        }
        return out + ")";
    }
    case ExprKind::List: {
        std::string out = "[";
        for (std::size_t i = 0; i < e.operands.size(); ++i) out += (i ? ", " : "") + sub(e.operands[i]);
        return out + "]";
    }
    case ExprKind::Record: {
        std::string out = "{";
        for (std::size_t i = 0; i < e.fields.size(); ++i)
            out += (i ? ", " : " ") + e.fields[i].name.text + ": " + sub(e.fields[i].value);
        return out + (e.fields.empty() ? "}" : " }");
    }
    }
    return "?";
}

void printModule(std::ostream& out, const Module& module) {
    out << "module " << module.path << "\n";
    for (const DeclPtr& dp : module.decls) {
        const Decl& d = *dp;
        auto value = [&](const ExprPtr& e) { return e ? printExpr(*e) : std::string("?"); };
        if (!d.doc.empty()) {
            std::istringstream lines(d.doc);
            for (std::string line; std::getline(lines, line);) out << "/// " << line << "\n";
        }
        out << keyword(d) << " ";
        switch (d.kind) {
        case DeclKind::Import:
            out << (d.importFile.empty() ? d.name.text : quoted(d.importFile));
            break;
        case DeclKind::Const:
            out << d.name.text << (d.type ? ": " + printType(d.type.get()) : "") << " = " << value(d.value);
            break;
        case DeclKind::Site: out << d.name.text << " " << properties(d.properties); break;
        case DeclKind::Link:
            out << d.name.text << (d.bidirectional ? " <-> " : " -> ") << d.to.text << " "
                << properties(d.properties);
            break;
        case DeclKind::TypeDecl:
            out << d.name.text << " = " << printType(d.type.get());
            if (d.where) out << " where " << printExpr(*d.where);
            if (d.classifier)
                out << " classified by " << d.classifier->text << " as "
                    << quoted(d.className ? d.className->text : "");
            break;
        case DeclKind::Fn:
            out << d.name.text << params(d.params) << " -> " << printType(d.type.get()) << " = " << value(d.value);
            break;
        case DeclKind::Task:
            out << d.name.text << params(d.params);
            if (d.type) out << " -> " << printType(d.type.get());
            out << policy(d.policy) << at(d.range) << "\n";
            printBlock(out, d.body, 1);
            continue;
        case DeclKind::Stream:
            out << d.name.text << ": " << printType(d.type.get());
            if (d.value) out << " from " << printExpr(*d.value);
            if (d.site) out << " at " << d.site->text;
            if (d.properties) out << " rehearse " << properties(d.properties);
            break;
        case DeclKind::Model: out << d.name.text << " " << properties(d.properties); break;
        case DeclKind::Catalog:
            out << d.name.text << ": " << printType(d.type.get()) << " at " << value(d.value);
            break;
        case DeclKind::Policy:
            out << d.name.text << " ";
            if (d.basePolicy) out << "= " << d.basePolicy->text << " with ";
            out << properties(d.properties);
            break;
        case DeclKind::Flow:
            out << d.name.text << policy(d.policy) << at(d.range) << "\n";
            printBlock(out, d.body, 1);
            continue;
        }
        out << at(d.range) << "\n";
    }
}

}  // namespace xdml::ast
