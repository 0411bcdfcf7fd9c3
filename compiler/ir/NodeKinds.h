// NodeKinds.h — every dataflow IR node kind, listed once, with what it is.
#pragma once

#define XDML_IR_NODE_KINDS(X)                                                                    \
    X(Source, "a stream: where its items arrive (generate, files, watch, zmq) or are emitted")   \
    X(Catalog, "a catalog: records go in, counts come out")                                      \
    X(Model, "a model: trained by Train, used by Infer and Classify")                            \
    X(Start, "a flow starting: its flow-level statements hang from here")                        \
    X(Classify, "decides an item's run-time type: a refinement predicate or a model's class")    \
    X(Trigger, "a handler firing for each item (or each N items) of run-time type D")            \
    X(EndTrigger, "an 'on end of' handler firing once its stream is exhausted")                  \
    X(Region, "an if, for or until statement; the nodes of its body run under it")               \
    X(Eval, "a pure expression over its inputs: operators, literals, built-ins")                 \
    X(Const, "a value known at compile time (fold-constants)")                                   \
    X(Call, "a call of a pure fn")                                                               \
    X(Task, "a task call: one scheduled activity")                                               \
    X(Infer, "a model inference: m(x), probs(m, x)")                                             \
    X(Emit, "sends a value into a stream")                                                       \
    X(Record, "appends a record to a catalog")                                                   \
    X(Train, "trains a model on the new items of a stream")                                      \
    X(Log, "prints a message")                                                                   \
    X(Transfer, "copies a value from one site to another")                                       \
    X(Fused, "a chain of calls and same-site tasks run as one activity, intermediates in memory") \
    X(Kernel, "elementwise tensor operations and the reduction that ends them, as one loop")
