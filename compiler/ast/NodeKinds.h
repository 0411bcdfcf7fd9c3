// NodeKinds.h — every AST node kind, listed once, with what it is.
#pragma once

#define XDML_TYPE_EXPR_KINDS(X)                                       \
    X(Named, "a type by name: int, Frame")                            \
    X(Tensor, "tensor<f32>[128, ?, N]")                               \
    X(List, "list<T>")                                                \
    X(Stream, "stream<T>")                                            \
    X(Catalog, "catalog<T>")                                          \
    X(Model, "model")                                                 \
    X(Record, "{ name: T, ... }")                                     \
    X(Optional, "T?")

#define XDML_EXPR_KINDS(X)                                            \
    X(IntLit, "42, 1_000")                                            \
    X(FloatLit, "0.5, 1e-3")                                          \
    X(Quantity, "2s, 64MiB, 25Gbps: a number with a unit")            \
    X(BoolLit, "true, false")                                         \
    X(NoneLit, "none")                                                \
    X(String, "\"text {interpolated}\"")                              \
    X(Ident, "a name: variable, constant, function, type, ...")     \
    X(Unary, "-x, not x")                                             \
    X(Binary, "x + y, x and y, x < y")                                \
    X(Ternary, "c ? a : b")                                           \
    X(Call, "f(x, name: y)")                                          \
    X(Field, "x.name")                                                \
    X(Index, "t[i, a:b]")                                             \
    X(List, "[a, b]")                                                 \
    X(Record, "{ x: a, y: b }")                                       \
    X(Invalid, "what a syntax error left; already reported")

#define XDML_STMT_KINDS(X)                                            \
    X(Let, "let x = e;")                                              \
    X(Emit, "emit e to STREAM;")                                      \
    X(Record, "record e in CATALOG;")                                 \
    X(Train, "train MODEL on STREAM;")                                \
    X(Transfer, "transfer e to SITE;")                                \
    X(If, "if c { } else { }")                                        \
    X(For, "for x in e { }")                                          \
    X(Until, "until c max N { }")                                     \
    X(Log, "log \"text\";")                                           \
    X(Return, "return e;")                                            \
    X(ExprStmt, "a call standing as a statement")                     \
    X(OnNewData, "on new data of type D in S as x every N { }")       \
    X(OnEnd, "on end of S { }")                                       \
    X(OnStop, "on stop { }")

// Declaration kinds cross into the plan (what a global name "declares"): they are listed with
// the plan's vocabulary, XDML_PLAN_DECL_KINDS in planformat/PlanVocabulary.h.
