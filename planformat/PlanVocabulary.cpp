// PlanVocabulary.cpp — spellings and parsers of the plan's vocabulary, generated from its lists.
#include "planformat/PlanVocabulary.h"

namespace xdml::planformat {

#define XDML_SPELLING_CASE(name, text, ...) \
    case T::name: return text;
#define XDML_PARSE_CASE(name, text, ...) \
    if (s == text) {                     \
        out = T::name;                   \
        return true;                     \
    }
// One spelling() and one parse function per list.
#define XDML_VOCABULARY(Enum, parseName, LIST)           \
    const char* spelling(Enum v) {                       \
        using T = Enum;                                  \
        switch (v) { LIST(XDML_SPELLING_CASE) }          \
        return "?";                                      \
    }                                                    \
    bool parseName(std::string_view s, Enum& out) {      \
        using T = Enum;                                  \
        LIST(XDML_PARSE_CASE)                            \
        return false;                                    \
    }

XDML_VOCABULARY(ExprOp, parseExprOp, XDML_PLAN_EXPR_OPS)
XDML_VOCABULARY(StmtOp, parseStmtOp, XDML_PLAN_STMT_OPS)
XDML_VOCABULARY(Binding, parseBinding, XDML_PLAN_BINDINGS)
XDML_VOCABULARY(NodeKind, parseNodeKind, XDML_PLAN_NODE_KINDS)
XDML_VOCABULARY(HandlerKind, parseHandlerKind, XDML_PLAN_HANDLER_KINDS)
XDML_VOCABULARY(ElemType, parseElemType, XDML_ELEM_TYPES)
XDML_VOCABULARY(BinaryOperator, parseBinaryOperator, XDML_BINARY_OPERATORS)
XDML_VOCABULARY(UnaryOperator, parseUnaryOperator, XDML_UNARY_OPERATORS)
XDML_VOCABULARY(QuantityKind, parseQuantityKind, XDML_QUANTITY_KINDS)
XDML_VOCABULARY(TypeKind, parseTypeKind, XDML_PLAN_TYPE_KINDS)
XDML_VOCABULARY(DeclKind, parseDeclKind, XDML_PLAN_DECL_KINDS)
XDML_VOCABULARY(MathBuiltin, parseMathBuiltin, XDML_MATH_BUILTINS)

#undef XDML_VOCABULARY
#undef XDML_PARSE_CASE
#undef XDML_SPELLING_CASE

std::size_t elemSize(ElemType e) {
    switch (e) {
#define XDML_SIZE_CASE(name, text, bytes, doc) \
    case ElemType::name: return bytes;
        XDML_ELEM_TYPES(XDML_SIZE_CASE)
#undef XDML_SIZE_CASE
    }
    return 8;
}

// A quantity kind and its type kind share an enumerator: XDML_PLAN_TYPE_KINDS includes the list.
bool quantityOf(TypeKind t, QuantityKind& out) {
    switch (t) {
#define XDML_QUANTITY_CASE(name, ...) \
    case TypeKind::name: out = QuantityKind::name; return true;
        XDML_QUANTITY_KINDS(XDML_QUANTITY_CASE)
#undef XDML_QUANTITY_CASE
    default: return false;
    }
}

TypeKind typeOf(QuantityKind q) {
    switch (q) {
#define XDML_QUANTITY_CASE(name, ...) \
    case QuantityKind::name: return TypeKind::name;
        XDML_QUANTITY_KINDS(XDML_QUANTITY_CASE)
#undef XDML_QUANTITY_CASE
    }
    return TypeKind::Error;
}

bool isFloatElem(ElemType e) { return e == ElemType::F32 || e == ElemType::F64; }

bool isSignedElem(ElemType e) { return e == ElemType::I16 || e == ElemType::I32 || e == ElemType::I64; }

}  // namespace xdml::planformat
