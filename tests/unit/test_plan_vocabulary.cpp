// test_plan_vocabulary.cpp — the plan's vocabulary (planformat/PlanVocabulary.h) round-trips
// every entry, and the element-type rule of operators (planformat/OperatorTypes.h) that the
// checker, the interpreter and the JIT share gives what LANGUAGE.md §2 says.
#include "planformat/OperatorTypes.h"
#include "planformat/PlanVocabulary.h"

#include <catch2/catch.hpp>

#include <set>
#include <type_traits>
#include <string>

using namespace xdml::planformat;

/// One entry of a list: its spelling parses back to it, and no other entry has that spelling.
#define XDML_CHECK_ENTRY(name, text, ...)                                                \
    {                                                                                    \
        using E = std::remove_reference_t<decltype(unused)>;                             \
        INFO(text);                                                                      \
        CHECK(std::string(spelling(E::name)) == text);                                   \
        E parsed{};                                                                      \
        CHECK(parseOf(text, parsed));                                                    \
        CHECK(parsed == E::name);                                                        \
        CHECK(seen.insert(text).second);                                                 \
    }

TEST_CASE("every plan vocabulary entry round-trips name -> enum -> name", "[vocabulary]") {
    // parseOf and unused are bound per list so one entry macro serves every list.
#define XDML_ROUND_TRIP(Enum, parseFn, LIST)                                             \
    {                                                                                    \
        Enum unused{};                                                                   \
        auto parseOf = [](const char* t, Enum& out) { return parseFn(t, out); };         \
        std::set<std::string> seen;                                                      \
        LIST(XDML_CHECK_ENTRY)                                                           \
        CHECK_FALSE(parseOf("no such name", unused));                                    \
        CHECK_FALSE(parseOf("", unused));                                                \
    }
    XDML_ROUND_TRIP(ExprOp, parseExprOp, XDML_PLAN_EXPR_OPS)
    XDML_ROUND_TRIP(StmtOp, parseStmtOp, XDML_PLAN_STMT_OPS)
    XDML_ROUND_TRIP(Binding, parseBinding, XDML_PLAN_BINDINGS)
    XDML_ROUND_TRIP(NodeKind, parseNodeKind, XDML_PLAN_NODE_KINDS)
    XDML_ROUND_TRIP(HandlerKind, parseHandlerKind, XDML_PLAN_HANDLER_KINDS)
    XDML_ROUND_TRIP(ElemType, parseElemType, XDML_ELEM_TYPES)
    XDML_ROUND_TRIP(BinaryOperator, parseBinaryOperator, XDML_BINARY_OPERATORS)
    XDML_ROUND_TRIP(UnaryOperator, parseUnaryOperator, XDML_UNARY_OPERATORS)
    XDML_ROUND_TRIP(QuantityKind, parseQuantityKind, XDML_QUANTITY_KINDS)
    XDML_ROUND_TRIP(TypeKind, parseTypeKind, XDML_PLAN_TYPE_KINDS)
    XDML_ROUND_TRIP(DeclKind, parseDeclKind, XDML_PLAN_DECL_KINDS)
    XDML_ROUND_TRIP(MathBuiltin, parseMathBuiltin, XDML_MATH_BUILTINS)
#undef XDML_ROUND_TRIP
}

TEST_CASE("plan spellings the runtime has always read stay as they are", "[vocabulary]") {
    // Plans written before the vocabulary was listed once must still read the same.
    CHECK(std::string(spelling(NodeKind::EndTrigger)) == "end-trigger");
    CHECK(std::string(spelling(StmtOp::OnNewData)) == "on_new_data");
    CHECK(std::string(spelling(StmtOp::Call)) == "call");
    CHECK(std::string(spelling(Binding::TrainMetric)) == "metric");
    CHECK(std::string(spelling(Binding::Unresolved)) == "unresolved");
    CHECK(std::string(spelling(BinaryOperator::Ne)) == "!=");
    CHECK(std::string(spelling(UnaryOperator::Neg)) == "-");
    CHECK(std::string(spelling(TypeKind::Named)) == "named");
    CHECK(std::string(spelling(TypeKind::Nothing)) == "nothing");
    CHECK(std::string(spelling(TypeKind::Error)) == "<error>");
    CHECK(std::string(spelling(DeclKind::TypeDecl)) == "type");
    // Spellings are exact: no case folding, no surrounding space.
    TypeKind t{};
    CHECK_FALSE(parseTypeKind("Tensor", t));
    CHECK_FALSE(parseTypeKind("tensor ", t));
    DeclKind d{};
    CHECK_FALSE(parseDeclKind("Task", d));
    MathBuiltin m{};
    CHECK_FALSE(parseMathBuiltin("fabs", m));
}

TEST_CASE("type kinds: the quantity kinds are types of their own", "[vocabulary]") {
    // Every quantity kind is a type kind of the same spelling, and back.
#define XDML_CHECK_QUANTITY(name, text, ...)                      \
    {                                                             \
        INFO(text);                                               \
        CHECK(typeOf(QuantityKind::name) == TypeKind::name);      \
        QuantityKind q{};                                         \
        CHECK(quantityOf(TypeKind::name, q));                     \
        CHECK(q == QuantityKind::name);                           \
        CHECK(std::string(spelling(TypeKind::name)) == text);     \
    }
    XDML_QUANTITY_KINDS(XDML_CHECK_QUANTITY)
#undef XDML_CHECK_QUANTITY
    QuantityKind q = QuantityKind::Bytes;
    CHECK_FALSE(quantityOf(TypeKind::Float, q));
    CHECK_FALSE(quantityOf(TypeKind::Tensor, q));
    CHECK(q == QuantityKind::Bytes);
}

TEST_CASE("element types: sizes, kinds and promotion order", "[vocabulary]") {
    CHECK(elemSize(ElemType::Bool) == 1);
    CHECK(elemSize(ElemType::U8) == 1);
    CHECK(elemSize(ElemType::U16) == 2);
    CHECK(elemSize(ElemType::I32) == 4);
    CHECK(elemSize(ElemType::I64) == 8);
    CHECK(elemSize(ElemType::F32) == 4);
    CHECK(elemSize(ElemType::F64) == 8);
    CHECK(isFloatElem(ElemType::F32));
    CHECK_FALSE(isFloatElem(ElemType::I64));
    CHECK(isSignedElem(ElemType::I32));
    CHECK_FALSE(isSignedElem(ElemType::U16));
    CHECK(promote(ElemType::U8, ElemType::I32) == ElemType::I32);
    CHECK(promote(ElemType::F64, ElemType::I64) == ElemType::F64);
    CHECK(promote(ElemType::Bool, ElemType::U8) == ElemType::U8);
    // 0.2's detector types: u32 and i16 take their places, and a signed type meeting an
    // unsigned one at least as wide goes to the next wider signed type, as NumPy's rule.
    CHECK(elemSize(ElemType::U32) == 4);
    CHECK(elemSize(ElemType::I16) == 2);
    CHECK(isSignedElem(ElemType::I16));
    CHECK_FALSE(isSignedElem(ElemType::U32));
    CHECK(promote(ElemType::U8, ElemType::I16) == ElemType::I16);
    CHECK(promote(ElemType::I16, ElemType::U16) == ElemType::I32);
    CHECK(promote(ElemType::U16, ElemType::I16) == ElemType::I32);
    CHECK(promote(ElemType::U16, ElemType::U32) == ElemType::U32);
    CHECK(promote(ElemType::I32, ElemType::U32) == ElemType::I64);
    CHECK(promote(ElemType::I16, ElemType::U32) == ElemType::I64);
    CHECK(promote(ElemType::I32, ElemType::U16) == ElemType::I32);
    CHECK(promote(ElemType::U32, ElemType::I64) == ElemType::I64);
    CHECK(promote(ElemType::U32, ElemType::F32) == ElemType::F32);
    CHECK(promote(ElemType::Bool, ElemType::I16) == ElemType::I16);
}

TEST_CASE("operator result types: two tensors", "[vocabulary]") {
    using Op = BinaryOperator;
    // A bool tensor in arithmetic counts as f32 before the two promote: bool + i32 is f32.
    ElementwiseTypes t = tensorOperands(Op::Add, ElemType::Bool, ElemType::I32);
    CHECK(t.result == ElemType::F32);
    CHECK(t.compute == ElemType::F32);
    // Integers compute in i64 and give the promoted type.
    t = tensorOperands(Op::Mul, ElemType::U8, ElemType::I32);
    CHECK(t.result == ElemType::I32);
    CHECK(t.compute == ElemType::I64);
    // Comparisons compute in the promoted type and give bool.
    t = tensorOperands(Op::Lt, ElemType::F32, ElemType::F64);
    CHECK(t.result == ElemType::Bool);
    CHECK(t.compute == ElemType::F64);
    // and/or: bool elements only.
    CHECK(tensorOperands(Op::And, ElemType::Bool, ElemType::Bool).defined());
    CHECK(tensorOperands(Op::And, ElemType::Bool, ElemType::Bool).result == ElemType::Bool);
    CHECK_FALSE(tensorOperands(Op::Or, ElemType::Bool, ElemType::U8).defined());
    CHECK(tensorOperands(Op::Add, ElemType::F32, ElemType::F32).defined());
}

TEST_CASE("operator result types: a tensor and a scalar", "[vocabulary]") {
    using Op = BinaryOperator;
    // A float tensor: the scalar is rounded to the element type (f32 * 0.1 multiplies by 0.1f).
    ElementwiseTypes t = tensorScalarOperands(Op::Mul, ElemType::F32, ElemType::F64);
    CHECK(t.compute == ElemType::F32);
    CHECK(t.result == ElemType::F32);
    // An integer tensor meeting a float computes in f64 and keeps its element type.
    t = tensorScalarOperands(Op::Add, ElemType::I32, ElemType::F64);
    CHECK(t.compute == ElemType::F64);
    CHECK(t.result == ElemType::I32);
    t = tensorScalarOperands(Op::Sub, ElemType::U8, ElemType::I64);
    CHECK(t.compute == ElemType::I64);
    CHECK(t.result == ElemType::U8);
    // A bool tensor in arithmetic is f32.
    t = tensorScalarOperands(Op::Add, ElemType::Bool, ElemType::I64);
    CHECK(t.result == ElemType::F32);
    CHECK(t.compute == ElemType::F32);
    // Comparing a bool tensor with a bool computes in bool; with an int, in i64.
    CHECK(tensorScalarOperands(Op::Eq, ElemType::Bool, ElemType::Bool).compute == ElemType::Bool);
    t = tensorScalarOperands(Op::Eq, ElemType::Bool, ElemType::I64);
    CHECK(t.compute == ElemType::I64);
    CHECK(t.result == ElemType::Bool);
    CHECK_FALSE(tensorScalarOperands(Op::And, ElemType::F32, ElemType::Bool).defined());
}

TEST_CASE("operator result types: two numeric scalars", "[vocabulary]") {
    CHECK(scalarJoin(ElemType::I64, ElemType::I64) == ElemType::I64);
    CHECK(scalarJoin(ElemType::I64, ElemType::F32) == ElemType::F32);
    CHECK(scalarJoin(ElemType::F32, ElemType::F32) == ElemType::F32);
    CHECK(scalarJoin(ElemType::F32, ElemType::F64) == ElemType::F64);
    CHECK(scalarJoin(ElemType::F64, ElemType::I64) == ElemType::F64);
}

TEST_CASE("math built-ins: abs keeps the type, sqrt exp log give a float type", "[vocabulary]") {
    const ElemType all[] = {
#define XDML_ELEM_ENTRY(name, ...) ElemType::name,
        XDML_ELEM_TYPES(XDML_ELEM_ENTRY)
#undef XDML_ELEM_ENTRY
    };
    for (ElemType e : all) {
        INFO(spelling(e));
        for (MathBuiltin fn : {MathBuiltin::Abs, MathBuiltin::Sqrt, MathBuiltin::Exp, MathBuiltin::Log}) {
            INFO(spelling(fn));
            const MathTypes t = mathOperand(fn, e);
            CHECK(t.fn == fn);
            CHECK(t.defined == (e != ElemType::Bool));
            if (!t.defined) continue;
            if (fn == MathBuiltin::Abs) {
                CHECK(t.result == e);
                CHECK(t.compute == (isFloatElem(e) ? e : ElemType::I64));
            } else {
                CHECK(t.result == (isFloatElem(e) ? e : ElemType::F64));
                CHECK(t.compute == t.result);
            }
        }
    }
    CHECK(takesQuantity(MathBuiltin::Abs));
    CHECK_FALSE(takesQuantity(MathBuiltin::Sqrt));
    CHECK_FALSE(takesQuantity(MathBuiltin::Exp));
    CHECK_FALSE(takesQuantity(MathBuiltin::Log));
}
