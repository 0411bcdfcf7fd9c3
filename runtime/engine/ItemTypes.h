// ItemTypes.h — run-time type tests of a stream's items (LANGUAGE.md §4): whether an item is of
// a handler's type, through the chain of its base types; a refined type's `where` predicate or
// classifying model is asked once per item, and each model's inference is recorded.
#pragma once

#include "runtime/engine/Datum.h"
#include "runtime/engine/Models.h"
#include "runtime/interp/CompiledCode.h"
#include "runtime/interp/Program.h"
#include "runtime/provenance/Store.h"

#include <functional>
#include <map>
#include <string>

namespace xdml::runtime {

/// What was decided about one item so far: type -> answer, model -> its inference.
struct ItemDecisions {
    std::map<std::string, bool> types;
    std::map<std::string, Inference> inferred;
};

class ItemTypes {
public:
    /// The types of `program` tested on items of `stream`; `models` gives the models runtime
    /// (it throws EvalError when the run has none); inferences are recorded in `store`
    /// (nullptr: not recorded).
    ItemTypes(const Program& program, const CompiledCode* compiled, std::function<Models&()> models,
              prov::Store* store, std::string stream)
        : program_(program), compiled_(compiled), models_(std::move(models)), store_(store), stream_(std::move(stream)) {}

    /// Whether items are of `type` only by a decision per item (a predicate or a model on it
    /// or on a base type).
    bool decidedPerItem(const std::string& type) const;
    /// Whether `item` is of `type`, adding to what `decided` holds about it.
    bool matches(const std::string& type, const DatumPtr& item, ItemDecisions& decided, int depth = 0);

private:
    const Inference& inferOnce(const std::string& model, const DatumPtr& item, ItemDecisions& decided);

    const Program& program_;
    const CompiledCode* compiled_;
    std::function<Models&()> models_;
    prov::Store* store_;
    std::string stream_;
};

}  // namespace xdml::runtime
