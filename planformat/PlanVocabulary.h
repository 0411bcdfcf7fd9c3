// PlanVocabulary.h — every name that crosses the plan boundary, listed once: the compiler
// writes these spellings into a plan and the runtime and the JIT read them back through the
// same lists (docs/plan.md), so neither side spells a name of its own.
//
// Each list is an X-macro: X(Enumerator, "spelling", "what it is"); element types add their
// size in bytes, math built-ins their result rule. Adding an entry adds it to the enum, to
// spelling() and to the parse function; a plan reader fails to compile until it handles it.
#pragma once

#include <cstddef>
#include <string_view>

/// The "op" of an expression in the plan's code section.
#define XDML_PLAN_EXPR_OPS(X)                                                                       \
    X(Int, "int", "an integer literal: \"value\"")                                                 \
    X(Float, "float", "a float literal: \"value\"")                                                \
    X(Quantity, "quantity", "a number with a unit: \"value\" in base units, \"unit\"")             \
    X(Bool, "bool", "true or false: \"value\"")                                                    \
    X(None, "none", "the literal none")                                                            \
    X(String, "string", "a string: \"parts\", text and interpolated expressions")                  \
    X(Name, "name", "a name: \"name\", its \"binding\" and, for a global, what it \"declares\"")    \
    X(Unary, "unary", "-x or not x: \"operator\", one of \"args\"")                                \
    X(Binary, "binary", "x op y: \"operator\", two \"args\"")                                      \
    X(Ternary, "ternary", "c ? a : b: three \"args\"")                                             \
    X(Call, "call", "a call: \"callee\" (a name) and \"args\", each maybe with an \"argument\" name") \
    X(Field, "field", "x.name: \"field\", one of \"args\"")                                        \
    X(Index, "index", "t[i, a:b]: the base in \"args\", \"slices\" with \"lo\" and \"hi\"")        \
    X(List, "list", "[a, b]: the items in \"args\"")                                               \
    X(Record, "record", "{ x: a }: \"fields\" with \"name\" and \"value\"")                        \
    X(Invalid, "invalid", "what a syntax error left; never in a plan of a checked program")

/// The "op" of a statement (or handler) in a body of the plan's code section.
#define XDML_PLAN_STMT_OPS(X)                                                                 \
    X(Let, "let", "let name = value;")                                                       \
    X(Emit, "emit", "emit value to stream;")                                                 \
    X(Record, "record", "record value in catalog;")                                          \
    X(Train, "train", "train model on stream;")                                              \
    X(Transfer, "transfer", "transfer value to site;")                                       \
    X(If, "if", "if condition { then } else { else }")                                       \
    X(For, "for", "for name in list { body }")                                               \
    X(Until, "until", "until condition max N { body }")                                      \
    X(Log, "log", "log message;")                                                            \
    X(Return, "return", "return value;")                                                     \
    X(Call, "call", "a call standing as a statement: \"value\"")                             \
    X(OnNewData, "on_new_data", "on new data of type D in stream as x every N { body }")     \
    X(OnEnd, "on_end", "on end of stream { body }")                                         \
    X(OnStop, "on_stop", "on stop { body }: once, as the run ends for any reason")           \
    X(Fused, "fused", "a fused task chain's consecutive lets and calls, run as one job at its site")

/// A name's "binding": what the compiler resolved it to.
#define XDML_PLAN_BINDINGS(X)                                                                 \
    X(Local, "local", "a parameter, let, for variable or handler item")                      \
    X(Global, "global", "a declaration; \"declares\" says which kind (const, fn, task, ...)")  \
    X(Builtin, "builtin", "a name of the standard library")                                  \
    X(Type, "type", "a type's name, as a callee (noise(Frame, i))")                          \
    X(It, "it", "the item a refinement predicate tests")                                     \
    X(TrainMetric, "metric", "accuracy, loss or epoch inside a training policy's clauses")   \
    X(Unresolved, "unresolved", "a bare word in a property value (select: reservoir)")

/// The "kind" of a node of the plan's dataflow graph (the IR's node kinds: compiler/ir).
#define XDML_PLAN_NODE_KINDS(X)                                                                                   \
    X(Source, "source", "a stream: where its items arrive (generate, files, watch, zmq) or are emitted")        \
    X(Catalog, "catalog", "a catalog: records go in, counts come out")                                           \
    X(Model, "model", "a model: trained by Train, used by Infer and Classify")                                    \
    X(Start, "start", "a flow starting: its flow-level statements hang from here")                               \
    X(Classify, "classify", "decides an item's run-time type: a refinement predicate or a model's class")        \
    X(Trigger, "trigger", "a handler firing for each item (or each N items) of run-time type D")                 \
    X(EndTrigger, "end-trigger", "an 'on end of' handler firing once its stream is exhausted")                   \
    X(Stop, "stop", "a flow stopping: its 'on stop' statements hang from here, once, as the run ends")           \
    X(Region, "region", "an if, for or until statement; the nodes of its body run under it")                     \
    X(Eval, "eval", "a pure expression over its inputs: operators, literals, built-ins")                         \
    X(Const, "const", "a value known at compile time (fold-constants)")                                          \
    X(Call, "call", "a call of a pure fn")                                                                       \
    X(Task, "task", "a task call: one scheduled activity")                                                       \
    X(Infer, "infer", "a model inference: m(x), probs(m, x)")                                                    \
    X(Emit, "emit", "sends a value into a stream")                                                               \
    X(Record, "record", "appends a record to a catalog")                                                         \
    X(Train, "train", "trains a model on the new items of a stream")                                             \
    X(Log, "log", "prints a message")                                                                            \
    X(Transfer, "transfer", "copies a value from one site to another")                                           \
    X(Fused, "fused", "a chain of calls and same-site tasks run as one activity, intermediates in memory")        \
    X(Kernel, "kernel", "elementwise tensor operations and the reduction that ends them, as one loop")

/// The "kind" of a handler in the plan's "handlers".
#define XDML_PLAN_HANDLER_KINDS(X)                                      \
    X(Start, "start", "a flow's own statements, run once as it starts") \
    X(Data, "data", "on new data of type D in stream")                  \
    X(End, "end", "on end of stream")                                   \
    X(Stop, "stop", "on stop: once, as the run ends")

/// A type's "kind" in the plan's code section: {"kind": "tensor", "elem": "f32", "dims": [64]}.
/// The quantity kinds are types of their own (a "duration" is a number of seconds).
#define XDML_PLAN_TYPE_KINDS(X)                                                                   \
    X(None, "none", "the type of none")                                                           \
    X(Bool, "bool", "true or false")                                                              \
    X(Int, "int", "a 64-bit integer")                                                             \
    X(Float, "float", "an IEEE double")                                                           \
    X(F32, "f32", "an IEEE single")                                                               \
    X(String, "string", "text")                                                                   \
    X(Path, "path", "a file's path")                                                              \
    XDML_QUANTITY_KINDS(X)                                                                        \
    X(Tensor, "tensor", "\"elem\", an element type, and \"dims\", a size or null for ? each")    \
    X(Record, "record", "\"fields\", each a \"name\" and a \"type\"")                            \
    X(List, "list", "list<T>: the \"element\" type")                                             \
    X(Optional, "optional", "T?: the \"element\" type")                                          \
    X(Named, "named", "a nominal type: its \"name\", declared in the code's \"types\"")          \
    X(Stream, "stream", "a stream as a value (a handle): the \"element\" type")                  \
    X(Catalog, "catalog", "a catalog as a value (a handle): the \"element\" type")               \
    X(Model, "model", "a model as a value (a handle)")                                            \
    X(Site, "site", "a site's name as a value")                                                   \
    X(Function, "function", "a fn or task as a value: generate(f, 10)")                           \
    X(Nothing, "nothing", "what a task without a result gives")                                   \
    X(Error, "<error>", "a type the checker did not decide (a record in a policy clause)")

/// What a "global" name "declares": its declaration's keyword (the AST's declaration kinds).
#define XDML_PLAN_DECL_KINDS(X)                                         \
    X(Import, "import", "import std.ml; import \"common.xdml\";")       \
    X(Const, "const", "a value known at compile time")                  \
    X(Site, "site", "a place that runs tasks")                          \
    X(Link, "link", "a network link between two sites")                 \
    X(TypeDecl, "type", "a nominal type, maybe a refinement or classified")  \
    X(Fn, "fn", "a pure function")                                      \
    X(Task, "task", "a scheduled activity with effects")                \
    X(Stream, "stream", "a stream of items")                            \
    X(Model, "model", "a trainable model")                              \
    X(Catalog, "catalog", "a table of records")                         \
    X(Policy, "policy", "named scheduling or training clauses")         \
    X(Flow, "flow", "a dataflow program's entry")

/// Tensor element types (LANGUAGE.md §2; u32 and i16 since 0.2, as detectors write them).
/// X(Enumerator, "spelling", bytes per element, "what it is"). New types go last: encoded
/// values (resume logs, messages) carry the enumerator's number. Promotion is promote()'s.
#define XDML_ELEM_TYPES(X)                                 \
    X(Bool, "bool", 1, "true or false, stored as a byte")  \
    X(U8, "u8", 1, "unsigned 8-bit integer")               \
    X(U16, "u16", 2, "unsigned 16-bit integer")            \
    X(I32, "i32", 4, "signed 32-bit integer")              \
    X(I64, "i64", 8, "signed 64-bit integer")              \
    X(F32, "f32", 4, "IEEE single precision")              \
    X(F64, "f64", 8, "IEEE double precision")              \
    X(U32, "u32", 4, "unsigned 32-bit integer")            \
    X(I16, "i16", 2, "signed 16-bit integer")

/// A binary expression's "operator".
#define XDML_BINARY_OPERATORS(X)               \
    X(Add, "+", "addition")                    \
    X(Sub, "-", "subtraction")                 \
    X(Mul, "*", "multiplication")              \
    X(Div, "/", "division")                    \
    X(Mod, "%", "remainder")                   \
    X(Eq, "==", "equal")                       \
    X(Ne, "!=", "not equal")                   \
    X(Lt, "<", "less than")                    \
    X(Le, "<=", "less than or equal")          \
    X(Gt, ">", "greater than")                 \
    X(Ge, ">=", "greater than or equal")       \
    X(And, "and", "both (bools)")              \
    X(Or, "or", "either (bools)")

/// A unary expression's "operator".
#define XDML_UNARY_OPERATORS(X)     \
    X(Neg, "-", "negation")         \
    X(Not, "not", "logical not")

/// A quantity's "unit" (its kind; values are in base units).
#define XDML_QUANTITY_KINDS(X)                          \
    X(Duration, "duration", "seconds")                  \
    X(Bytes, "bytes", "bytes")                          \
    X(Bandwidth, "bandwidth", "bytes per second")

/// std.math's elementwise functions, on numbers and numeric tensors: X(Enumerator, "name",
/// result, "what it is"). `result` is their type rule (OperatorTypes.h, mathOperand):
/// SameType keeps the argument's type; Floating keeps a float's and gives f64 (float) for an
/// integer's. Only abs takes a quantity (and keeps its kind).
#define XDML_MATH_BUILTINS(X)                                                  \
    X(Abs, "abs", SameType, "absolute value (of the least integer, itself)")   \
    X(Sqrt, "sqrt", Floating, "square root")                                   \
    X(Exp, "exp", Floating, "e to the power x")                                \
    X(Log, "log", Floating, "natural logarithm")

namespace xdml::planformat {

#define XDML_ENUMERATOR(name, ...) name,
enum class ExprOp { XDML_PLAN_EXPR_OPS(XDML_ENUMERATOR) };
enum class StmtOp { XDML_PLAN_STMT_OPS(XDML_ENUMERATOR) };
enum class Binding { XDML_PLAN_BINDINGS(XDML_ENUMERATOR) };
enum class NodeKind { XDML_PLAN_NODE_KINDS(XDML_ENUMERATOR) };
enum class HandlerKind { XDML_PLAN_HANDLER_KINDS(XDML_ENUMERATOR) };
enum class ElemType { XDML_ELEM_TYPES(XDML_ENUMERATOR) };
enum class BinaryOperator { XDML_BINARY_OPERATORS(XDML_ENUMERATOR) };
enum class UnaryOperator { XDML_UNARY_OPERATORS(XDML_ENUMERATOR) };
enum class QuantityKind { XDML_QUANTITY_KINDS(XDML_ENUMERATOR) };
enum class TypeKind { XDML_PLAN_TYPE_KINDS(XDML_ENUMERATOR) };
enum class DeclKind { XDML_PLAN_DECL_KINDS(XDML_ENUMERATOR) };
enum class MathBuiltin { XDML_MATH_BUILTINS(XDML_ENUMERATOR) };
#undef XDML_ENUMERATOR

/// How each name is spelled in a plan (and in messages).
const char* spelling(ExprOp v);
const char* spelling(StmtOp v);
const char* spelling(Binding v);
const char* spelling(NodeKind v);
const char* spelling(HandlerKind v);
const char* spelling(ElemType v);
const char* spelling(BinaryOperator v);
const char* spelling(UnaryOperator v);
const char* spelling(QuantityKind v);
const char* spelling(TypeKind v);
const char* spelling(DeclKind v);
const char* spelling(MathBuiltin v);

/// The entry a spelling names; false (and `out` untouched) for a name not in the list.
bool parseExprOp(std::string_view name, ExprOp& out);
bool parseStmtOp(std::string_view name, StmtOp& out);
bool parseBinding(std::string_view name, Binding& out);
bool parseNodeKind(std::string_view name, NodeKind& out);
bool parseHandlerKind(std::string_view name, HandlerKind& out);
bool parseElemType(std::string_view name, ElemType& out);
bool parseBinaryOperator(std::string_view name, BinaryOperator& out);
bool parseUnaryOperator(std::string_view name, UnaryOperator& out);
bool parseQuantityKind(std::string_view name, QuantityKind& out);
bool parseTypeKind(std::string_view name, TypeKind& out);
bool parseDeclKind(std::string_view name, DeclKind& out);
bool parseMathBuiltin(std::string_view name, MathBuiltin& out);

/// The quantity kind a type kind is (duration, bytes, bandwidth); false for the others.
bool quantityOf(TypeKind t, QuantityKind& out);
/// The type kind of a quantity kind's values.
TypeKind typeOf(QuantityKind q);

/// Bytes per element as a tensor stores it.
std::size_t elemSize(ElemType e);
bool isFloatElem(ElemType e);
/// i16, i32 and i64; bool, u8, u16 and u32 are unsigned.
bool isSignedElem(ElemType e);

}  // namespace xdml::planformat
