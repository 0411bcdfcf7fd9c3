// test_math_types.cpp — the math built-ins (abs sqrt exp log) give one result type in all three
// layers: the checker's type of the call, the interpreter's value and the JIT's compiled value
// agree with planformat/OperatorTypes.h's rule for every element type and numeric scalar.
#include "TestSupport.h"
#include "jit/Kernels.h"
#include "plan/Code.h"
#include "planformat/OperatorTypes.h"
#include "runtime/interp/Builtins.h"
#include "runtime/interp/EvalError.h"
#include "runtime/interp/Evaluate.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace xdml;
using planformat::ElemType;
using planformat::MathBuiltin;
using runtime::Program;
using runtime::Tensor;
using runtime::Value;

namespace {

const MathBuiltin kMathBuiltins[] = {
#define XDML_MATH_ENTRY(name, ...) MathBuiltin::name,
    XDML_MATH_BUILTINS(XDML_MATH_ENTRY)
#undef XDML_MATH_ENTRY
};

const ElemType kElemTypes[] = {
#define XDML_ELEM_ENTRY(name, ...) ElemType::name,
    XDML_ELEM_TYPES(XDML_ELEM_ENTRY)
#undef XDML_ELEM_ENTRY
};

/// An argument: its type as written in XDML, a value of it, and the element type the rule takes.
struct Operand {
    std::string type;
    Value value;
    ElemType elem;
};

std::vector<Operand> operands() {
    std::vector<Operand> out;
    for (ElemType e : kElemTypes) {
        Tensor t = Tensor::zeros(e, {3});
        out.push_back({std::string("tensor<") + spelling(e) + ">[3]", Value::tensor(std::move(t)), e});
    }
    out.push_back({"int", Value::integer(-7), ElemType::I64});
    out.push_back({"float", Value::float64(2.5), ElemType::F64});
    out.push_back({"f32", Value::float32(2.5f), ElemType::F32});
    return out;
}

/// What the rule says `fn(x)` is, as the checker spells types.
std::string ruleType(MathBuiltin fn, const Operand& x) {
    const ElemType r = planformat::mathOperand(fn, x.elem).result;
    if (x.value.is(Value::Kind::Tensor)) return std::string("tensor<") + spelling(r) + ">[3]";
    return r == ElemType::I64 ? "int" : r == ElemType::F64 ? "float" : "f32";
}

/// The checker's type of `fn(x)`: the type of the body of `fn g(x: T) -> string = fn(x);`
/// (the result mismatch aside), or "<error>" when it refuses the argument.
std::string checkerType(MathBuiltin fn, const Operand& x) {
    auto c = test::compileText("fn g(x: " + x.type + ") -> string = " + spelling(fn) + "(x);\n");
    const ast::Decl* g = c->program->globals.at("g");
    REQUIRE(g->value);
    return sema::toString(g->value->type);
}

std::unique_ptr<Program> programOf(const std::string& text) {
    auto c = test::compileText(text);
    INFO(text);
    REQUIRE(c->errors().empty());
    return std::make_unique<Program>(Program::fromCode(nlohmann::json::parse(plan::codeJson(*c->program).dump())));
}

}  // namespace

TEST_CASE("math built-ins: the checker, the interpreter and the JIT give the rule's result type", "[math][jit]") {
    for (MathBuiltin fn : kMathBuiltins) {
        for (const Operand& x : operands()) {
            const std::string call = std::string(spelling(fn)) + "(" + x.type + ")";
            INFO(call);
            const std::string checked = checkerType(fn, x);
            if (!planformat::mathOperand(fn, x.elem).defined) {
                // bool: the checker refuses it, and so does the interpreter.
                CHECK(checked == "<error>");
                CHECK_THROWS_AS(runtime::callBuiltin(spelling(fn), {x.value}), runtime::EvalError);
                continue;
            }
            CHECK(checked == ruleType(fn, x));
            // The interpreter's built-in, called directly and through a checked fn.
            CHECK(runtime::describe(runtime::callBuiltin(spelling(fn), {x.value})) == checked);
            auto program = programOf("fn g(x: " + x.type + ") -> " + checked + " = " + spelling(fn) + "(x);\n");
            const runtime::FnDecl& g = *program->fn("g");
            runtime::Evaluator interpreter(*program);
            CHECK(runtime::describe(interpreter.interpret(g, {x.value})) == checked);
            // The JIT compiles the fn and returns a value of the same type.
            jit::Kernels kernels(*program);
            kernels.compileAll();
            REQUIRE(kernels.status().size() == 1);
            INFO(kernels.status()[0].reason);
            CHECK(kernels.status()[0].compiled);
            const std::optional<Value> compiled = kernels.callFn(g, {x.value});
            REQUIRE(compiled.has_value());
            CHECK(runtime::describe(*compiled) == checked);
        }
    }
}

TEST_CASE("math built-ins: the JIT declines a bool tensor, as the interpreter refuses it", "[math][jit]") {
    for (MathBuiltin fn : kMathBuiltins) {
        INFO(spelling(fn));
        // A checked fn over u8, its plan then edited to bool: code the checker would not write.
        auto c = test::compileText(std::string("fn g(x: tensor<u8>[3]) -> tensor<") +
                                   spelling(planformat::mathOperand(fn, ElemType::U8).result) + ">[3] = " +
                                   spelling(fn) + "(x);\n");
        REQUIRE(c->errors().empty());
        nlohmann::json code = plan::codeJson(*c->program);
        code["fns"]["g"]["params"][0]["type"]["elem"] = spelling(ElemType::Bool);
        code["fns"]["g"]["body"]["args"][0]["type"]["elem"] = spelling(ElemType::Bool);
        Program program = Program::fromCode(code);
        const Value arg = Value::tensor(Tensor::zeros(ElemType::Bool, {3}));
        runtime::Evaluator interpreter(program);
        CHECK_THROWS_AS(interpreter.interpret(*program.fn("g"), {arg}), runtime::EvalError);
        jit::Kernels kernels(program);
        kernels.compileAll();
        REQUIRE(kernels.status().size() == 1);
        CHECK_FALSE(kernels.status()[0].compiled);
        CHECK_FALSE(kernels.callFn(*program.fn("g"), {arg}).has_value());
    }
}

TEST_CASE("math built-ins: abs keeps a quantity's kind, sqrt exp log refuse quantities", "[math]") {
    for (MathBuiltin fn : kMathBuiltins) {
        INFO(spelling(fn));
        const Operand x{"duration", Value::quantity(planformat::QuantityKind::Duration, -2.0), ElemType::F64};
        const std::string checked = checkerType(fn, x);
        if (planformat::takesQuantity(fn)) {
            CHECK(checked == "duration");
            CHECK(runtime::describe(runtime::callBuiltin(spelling(fn), {x.value})) == "duration");
        } else {
            CHECK(checked == "<error>");
            CHECK_THROWS_AS(runtime::callBuiltin(spelling(fn), {x.value}), runtime::EvalError);
        }
    }
}
