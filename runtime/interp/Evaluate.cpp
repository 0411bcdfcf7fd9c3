// Evaluate.cpp — see Evaluate.h.
#include "runtime/interp/Evaluate.h"

#include "runtime/interp/Arguments.h"
#include "runtime/interp/Builtins.h"
#include "runtime/interp/Conform.h"
#include "runtime/interp/Indexing.h"
#include "runtime/interp/Operators.h"
#include "runtime/values/Text.h"

#include <variant>

namespace xdml::runtime {

namespace {

using K = Value::Kind;

/// Counts the nesting of fn calls, so runaway recursion is an error rather than a stack overflow.
class DepthGuard {
public:
    DepthGuard(int& depth, const std::string& fn) : depth_(depth) {
        if (++depth_ > Evaluator::kMaxCallDepth) {
            --depth_;
            throw EvalError("fn calls nest deeper than " + std::to_string(Evaluator::kMaxCallDepth) + " at '" + fn +
                            "': is it recursive?");
        }
    }
    ~DepthGuard() { --depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

private:
    int& depth_;
};

bool condition(const Value& v, const char* what) {
    if (!v.is(K::Bool)) throw EvalError(std::string("the condition of ") + what + " must be a bool, got " + describe(v));
    return v.asBool();
}

}  // namespace

void Scope::bind(const std::string& name, Value v) {
    for (auto& [n, value] : locals_)
        if (n == name) {
            value = std::move(v);
            return;
        }
    locals_.emplace_back(name, std::move(v));
}

const Value* Scope::find(const std::string& name) const {
    for (auto it = locals_.rbegin(); it != locals_.rend(); ++it)
        if (it->first == name) return &it->second;
    return nullptr;
}

Value Evaluator::evaluate(const Expr& e, const Scope& scope) {
    ++evaluated_;
    if (e.kernel && compiled_)
        if (auto v = compiled_->evaluate(e, scope)) return *v;
    try {
        return evaluateNode(e, scope);
    } catch (const EvalError& error) {
        if (error.line() || !e.line) throw;
        throw EvalError(error.message(), e.line);  // the innermost expression with a line
    } catch (const std::bad_variant_access&) {
        // Only a hand-made plan whose types do not match its values gets here.
        throw EvalError("a value of a kind the plan's types do not allow", e.line);
    }
}

Value Evaluator::evaluateNode(const Expr& e, const Scope& scope) {
    switch (e.op) {
    case Expr::Op::Literal: return e.literal;
    case Expr::Op::String: {
        std::string out;
        for (const Expr::StringPart& p : e.parts)
            out += p.arg < 0      ? p.text
                   : p.format     ? formatText(evaluate(e.args[p.arg], scope), *p.format)
                                  : toText(evaluate(e.args[p.arg], scope));
        return Value::string(std::move(out));
    }
    case Expr::Op::Name: return name(e, scope);
    case Expr::Op::Negate: return applyNegate(evaluate(e.args[0], scope));
    case Expr::Op::Not: return applyNot(evaluate(e.args[0], scope));
    case Expr::Op::Binary: {
        Value a = evaluate(e.args[0], scope);
        // Scalar `and` and `or` short-circuit; on tensors both sides are needed.
        if (a.is(K::Bool) && e.binary == BinaryOperator::And && !a.asBool()) return a;
        if (a.is(K::Bool) && e.binary == BinaryOperator::Or && a.asBool()) return a;
        return applyBinary(e.binary, a, evaluate(e.args[1], scope));
    }
    case Expr::Op::Ternary: {
        const bool c = condition(evaluate(e.args[0], scope), "'?:'");
        // The branches may differ where the checker widened one (`c ? 1 : 2.5` is a float).
        return conformTo(evaluate(e.args[c ? 1 : 2], scope), e.type, program_);
    }
    case Expr::Op::Call: return callExpr(e, scope);
    case Expr::Op::Field: {
        Value base = evaluate(e.args[0], scope);
        if (!base.is(K::Record)) throw EvalError("'." + e.name + "' of " + describe(base) + ", which is not a record");
        if (const Value* v = base.asRecord().find(e.name)) return *v;
        throw EvalError("no field '" + e.name + "' in " + toText(base));
    }
    case Expr::Op::Index: return index(e, scope);
    case Expr::Op::List: {
        std::vector<Value> items;
        items.reserve(e.args.size());
        for (const Expr& item : e.args) items.push_back(evaluate(item, scope));
        return conformTo(Value::list(std::move(items)), e.type, program_);
    }
    case Expr::Op::Record: {
        RecordValue r;
        for (std::size_t i = 0; i < e.args.size(); ++i) r.fields.push_back({e.names[i], evaluate(e.args[i], scope)});
        return Value::record(std::move(r));
    }
    }
    throw EvalError("an expression the interpreter does not know");
}

Value Evaluator::name(const Expr& e, const Scope& scope) {
    switch (e.binding) {
    case NameBinding::Local:
        if (const Value* v = scope.find(e.name)) return *v;
        throw EvalError("'" + e.name + "' has no value here");
    case NameBinding::Const: return constant(e.name);
    case NameBinding::Word: return Value::string(e.name);
    case NameBinding::It:
        if (scope.it) return *scope.it;
        throw EvalError("'it' is only bound in a type's 'where' predicate");
    case NameBinding::Fn: throw EvalError("the fn '" + e.name + "' used as a value: call it instead");
    case NameBinding::Builtin: throw EvalError("the built-in '" + e.name + "' used as a value: call it instead");
    case NameBinding::Type: throw EvalError("the type '" + e.name + "' is not a value");
    case NameBinding::Metric:
    case NameBinding::OtherGlobal:
        if (host_)
            if (auto v = host_->global(e, scope)) return *v;
        break;
    }
    switch (e.binding) {
    case NameBinding::Metric: notPure("the training metric '" + e.name + "'");
    case NameBinding::OtherGlobal: notPure(std::string("the ") + spelling(*e.declares) + " '" + e.name + "'");
    default: break;
    }
    throw EvalError("'" + e.name + "' has no value here");
}

Value Evaluator::callExpr(const Expr& e, const Scope& scope) {
    if (host_ && e.binding != NameBinding::Fn && !(e.binding == NameBinding::Builtin && isPureBuiltin(e.name) &&
                                                  !(e.name == "count" && e.args.size() == 1 &&
                                                    e.args[0].binding == NameBinding::OtherGlobal)))
        if (auto v = host_->call(e, scope, *this)) return *v;
    if (e.binding == NameBinding::Builtin) return builtin(e, scope);
    if (e.binding != NameBinding::Fn) notPure(std::string("calling the ") + (e.declares ? spelling(*e.declares) : "name") + " '" + e.name + "'");
    const FnDecl* fn = program_.fn(e.name);
    if (!fn) throw PlanError("plan code: a call of '" + e.name + "', which is not among the fns");
    const BoundArguments bound = bindArguments(e, fn->params);
    std::vector<Value> args(fn->params.size());
    for (std::size_t slot : bound.order) args[slot] = evaluate(*bound.byParam[slot], scope);
    return call(e.name, std::move(args));
}

Value Evaluator::builtin(const Expr& e, const Scope& scope) {
    if (e.name == "zeros" || e.name == "noise") {
        const std::size_t want = e.name == "zeros" ? 1 : 2;
        if (e.args.size() != want || e.args[0].op != Expr::Op::Name || e.args[0].binding != NameBinding::Type)
            throw EvalError("'" + e.name + "' takes a tensor type name" + (want == 2 ? " and a seed" : ""));
        TypeDesc named;
        named.kind = TypeDesc::Kind::Named;
        named.name = e.args[0].name;
        const TypeDesc& t = program_.structure(named);
        if (t.kind != TypeDesc::Kind::Tensor) throw EvalError("'" + e.name + "' of " + named.name + ", not a tensor type");
        for (int64_t d : t.dims)
            if (d < 0) throw EvalError("'" + e.name + "' needs a static shape, but " + named.name + " has a '?'");
        if (want == 1) return zerosOf(t.elem, t.dims);
        Value seed = evaluate(e.args[1], scope);
        if (!seed.is(K::Int)) throw EvalError("the seed of 'noise' must be an int, got " + describe(seed));
        return noiseOf(t.elem, t.dims, seed.asInt());
    }
    if (e.name == "count" && e.args.size() == 1 && e.args[0].op == Expr::Op::Name &&
        e.args[0].binding == NameBinding::OtherGlobal)
        notPure(std::string("'count' of the ") + spelling(*e.args[0].declares) + " '" + e.args[0].name + "'");
    if (!isPureBuiltin(e.name)) callBuiltin(e.name, {});  // throws: it needs the runtime's context
    std::vector<Value> args;
    args.reserve(e.args.size());
    for (const Expr& a : e.args) args.push_back(evaluate(a, scope));
    return callBuiltin(e.name, args);
}

Value Evaluator::index(const Expr& e, const Scope& scope) {
    Value base = evaluate(e.args[0], scope);
    auto bound = [&](int at) -> std::optional<int64_t> {
        if (at < 0) return std::nullopt;
        Value v = evaluate(e.args[static_cast<std::size_t>(at)], scope);
        if (!v.is(K::Int)) throw EvalError("an index must be an int, got " + describe(v));
        return v.asInt();
    };
    std::vector<IndexItem> items;
    for (const Expr::Slice& s : e.slices) items.push_back({s.range, bound(s.lo), bound(s.hi)});
    return indexValue(base, items);
}

Value Evaluator::call(const std::string& name, std::vector<Value> args) {
    const FnDecl* fn = program_.fn(name);
    if (!fn) throw EvalError("no fn '" + name + "' in the plan");
    if (compiled_ && args.size() == fn->params.size()) {
        for (std::size_t i = 0; i < args.size(); ++i) args[i] = conformTo(args[i], fn->params[i].type, program_);
        if (auto v = compiled_->callFn(*fn, args)) return *v;
    }
    return interpret(*fn, std::move(args));
}

Value Evaluator::interpret(const FnDecl& fn, std::vector<Value> args) {
    const std::string& name = fn.name;
    if (args.size() != fn.params.size())
        throw EvalError("'" + name + "' takes " + std::to_string(fn.params.size()) + " arguments, got " +
                        std::to_string(args.size()));
    DepthGuard guard(depth_, name);
    Scope scope;
    for (std::size_t i = 0; i < args.size(); ++i)
        scope.bind(fn.params[i].name, conformTo(args[i], fn.params[i].type, program_));
    return conformTo(evaluate(fn.body, scope), fn.result, program_);
}

Value Evaluator::constant(const std::string& name) {
    if (auto it = consts_.find(name); it != consts_.end()) return it->second;
    const ConstDecl* c = program_.constant(name);
    if (!c) throw EvalError("no const '" + name + "' in the plan");
    if (!constsUnderway_.insert(name).second) throw EvalError("the const '" + name + "' is defined by itself");
    Value v;
    try {
        v = conformTo(evaluate(c->value, Scope()), c->type, program_);
    } catch (...) {
        constsUnderway_.erase(name);
        throw;
    }
    constsUnderway_.erase(name);
    return consts_[name] = v;
}

bool Evaluator::refines(const std::string& typeName, const Value& item) {
    const TypeDecl* t = program_.type(typeName);
    if (!t) throw EvalError("no type '" + typeName + "' in the plan");
    if (!t->classifierModel.empty()) notPure("the classified type '" + typeName + "'");
    DepthGuard guard(depth_, typeName);  // a type that refines itself must not recurse forever
    if (t->is.kind == TypeDesc::Kind::Named && !refines(t->is.name, item)) return false;  // a subtype of a subtype
    return holds(*t, typeName, item);
}

bool Evaluator::holds(const TypeDecl& t, const std::string& typeName, const Value& item) {
    if (!t.where) return true;
    if (compiled_)
        if (auto yes = compiled_->where(t, item)) return *yes;
    Scope scope;
    scope.it = item;
    return condition(evaluate(*t.where, scope), ("the 'where' of " + typeName).c_str());
}

}  // namespace xdml::runtime
