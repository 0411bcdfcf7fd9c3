// ModelSpec.cpp — see ModelSpec.h.
#include "ml/ModelSpec.h"

#include "runtime/engine/Models.h"
#include "runtime/interp/Evaluate.h"
#include "runtime/interp/PlanJson.h"

namespace xdml::ml {

using runtime::ModelError;
using runtime::TypeDesc;
using runtime::Value;

namespace {

std::vector<int64_t> integers(const Value& v, const std::string& what) {
    std::vector<int64_t> out;
    if (!v.is(Value::Kind::List)) throw ModelError(what + " must be a list of integers");
    for (const Value& x : v.asList()) {
        if (!x.is(Value::Kind::Int) || x.asInt() < 1 || x.asInt() > (1 << 20))
            throw ModelError(what + " must hold integers from 1 to 1048576");
        out.push_back(x.asInt());
    }
    return out;
}

}  // namespace

int ModelSpec::declarationLine(const std::string& name, const runtime::Program& program) {
    auto it = program.models().find(name);
    if (it == program.models().end()) return 0;
    for (const auto& [key, property] : it->items())
        if (property.is_object() && property.contains("line") && property["line"].is_number_integer())
            return property["line"].get<int>();
    return 0;
}

ModelSpec ModelSpec::fromProgram(const std::string& name, const runtime::Program& program) {
    auto it = program.models().find(name);
    if (it == program.models().end()) throw ModelError("no model named '" + name + "'");
    const nlohmann::json& j = *it;
    ModelSpec spec;
    spec.name = name;
    auto expr = [&](const char* key) -> std::optional<runtime::Expr> {
        if (!j.contains(key)) return std::nullopt;
        return runtime::plan_json::readExpr(j.at(key), "models." + name + "." + key);
    };
    runtime::Evaluator ev(program);
    // A property's value; a const named there may reach the plan as a bare word.
    auto value = [&](const runtime::Expr& e) {
        if (e.op == runtime::Expr::Op::Name && program.constant(e.name)) return ev.constant(e.name);
        return ev.evaluate(e, runtime::Scope());
    };
    const auto input = expr("input");
    if (!input || input->op != runtime::Expr::Op::Name) throw ModelError("'input' must name a tensor type");
    spec.line = input->line;
    TypeDesc named;
    named.kind = TypeDesc::Kind::Named;
    named.name = input->name;
    const TypeDesc& t = program.structure(named);
    if (t.kind != TypeDesc::Kind::Tensor || t.dims.empty())
        throw ModelError("its input " + input->name + " must be a tensor type");
    spec.inputSize = 1;
    for (int64_t d : t.dims) {
        if (d < 1) throw ModelError("its input " + input->name + " needs a static shape (no '?')");
        spec.inputSize *= d;
    }
    spec.inputDims = t.dims;

    const auto classes = expr("classes");
    if (!classes) throw ModelError("it has no 'classes'");
    const Value c = value(*classes);
    if (c.is(Value::Kind::Int)) {
        if (c.asInt() < 2 || c.asInt() > 100000) throw ModelError("'classes' must be from 2 to 100000");
        for (int64_t i = 0; i < c.asInt(); ++i) spec.classes.push_back(std::to_string(i));
    } else if (c.is(Value::Kind::List)) {
        for (const Value& n : c.asList()) {
            if (!n.is(Value::Kind::String)) throw ModelError("'classes' must be names or a number");
            spec.classes.push_back(n.asString());
        }
        if (spec.classes.size() < 2) throw ModelError("it needs at least 2 classes");
    } else {
        throw ModelError("'classes' must be names or a number");
    }

    const auto arch = expr("arch");
    if (!arch) throw ModelError("it has no 'arch'");
    const std::string& kind = arch->name;  // a call's callee, or a bare word
    if (kind == "linear") {
        spec.arch = Architecture::Linear;
    } else if (kind == "mlp" || kind == "cnn" || kind == "load") {
        if (arch->op != runtime::Expr::Op::Call || arch->args.size() != 1)
            throw ModelError("'" + kind + "' takes one argument");
        const Value a = value(arch->args[0]);
        if (kind == "load") {
            if (!a.is(Value::Kind::String)) throw ModelError("'load' takes a file name");
            spec.arch = Architecture::Load;
            spec.file = a.asString();
        } else {
            spec.arch = kind == "mlp" ? Architecture::Mlp : Architecture::Cnn;
            spec.widths = integers(a, "'" + kind + "'");
            if (spec.arch == Architecture::Cnn && (spec.inputDims.size() != 2 || spec.widths.empty()))
                throw ModelError("'cnn' needs a 2-D input and at least one channel count");
        }
    } else {
        throw ModelError("unknown architecture '" + kind + "'");
    }
    if (const auto at = expr("at"); at && at->op == runtime::Expr::Op::Name) spec.site = at->name;
    return spec;
}

std::string ModelSpec::archText() const {
    auto list = [&] {
        std::string s = "[";
        for (std::size_t i = 0; i < widths.size(); ++i) s += (i ? ", " : "") + std::to_string(widths[i]);
        return s + "]";
    };
    switch (arch) {
    case Architecture::Linear: return "linear";
    case Architecture::Mlp: return "mlp(hidden: " + list() + ")";
    case Architecture::Cnn: return "cnn(channels: " + list() + ")";
    case Architecture::Load: return "load(\"" + file + "\")";
    }
    return "";
}

std::optional<int64_t> ModelSpec::classIndex(const std::string& n) const {
    for (std::size_t i = 0; i < classes.size(); ++i)
        if (classes[i] == n) return static_cast<int64_t>(i);
    return std::nullopt;
}

}  // namespace xdml::ml
