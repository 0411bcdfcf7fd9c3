// ItemTypes.h — run-time type tests of a stream's items (LANGUAGE.md §4): whether an item is of
// a handler's type, through the chain of its base types; a refined type's `where` predicate or
// classifying model is asked once per item, and each decision is recorded whichever way it
// went: a model's inference, and a predicate's answer with the values that decided it.
#pragma once

#include "runtime/engine/Datum.h"
#include "runtime/engine/Models.h"
#include "runtime/interp/CompiledCode.h"
#include "runtime/interp/Evaluate.h"
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

/// The `type_test` decision about item `seq` of `stream` (entity `entity`): whether it is a
/// `type`, and `explanation`, the values that decided (explainPredicate).
prov::DecisionRecord typeTestDecision(int64_t entity, int64_t seq, const std::string& stream, const std::string& type,
                                      bool holds, const std::string& explanation);

class ItemTypes {
public:
    /// The types of `program` tested on items of `stream`; `models` gives the models runtime
    /// (it throws EvalError when the run has none); inferences are recorded in `store`
    /// (nullptr: not recorded).
    ItemTypes(const Program& program, const CompiledCode* compiled, std::function<Models&()> models,
              prov::Store* store, std::string stream, bool everyTest = false)
        : program_(program), compiled_(compiled), models_(std::move(models)), store_(store), stream_(std::move(stream)),
          everyTest_(everyTest) {}

    /// Of the items of each block of kTestBlock that a `where` type does not hold for, the first
    /// kTestsInFull get their type_test decision one by one; the rest are counted, and the
    /// count is one decision about the stream when the block is over (recordCounts). A fast
    /// stream so pays for a few decisions per block, never one per item, and the choice
    /// depends on the items' positions alone: two runs of the same input record alike.
    /// `everyTest` (`xdmlc run --type-tests all`) records every one.
    static constexpr int64_t kTestBlock = 1024, kTestsInFull = 32;

    /// Whether items are of `type` only by a decision per item (a predicate or a model on it
    /// or on a base type).
    bool decidedPerItem(const std::string& type) const;
    /// Whether `item` is of `type`, adding to what `decided` holds about it.
    bool matches(const std::string& type, const DatumPtr& item, ItemDecisions& decided, int depth = 0);
    /// Records the counts of the blocks still open: at the stream's end.
    void recordCounts();

private:
    const Inference& inferOnce(const std::string& model, const DatumPtr& item, ItemDecisions& decided);
    /// The `type_test` decision of `where` on `item`: "item 12 of frames is not a Hot: max(it) =
    /// 3.2, not > 10.0" (docs/provenance.md).
    void recordTest(Evaluator& evaluator, const TypeDecl& t, const std::string& type, const DatumPtr& item, bool holds);
    /// A type's negative tests in the current block: how many were recorded and counted.
    struct Tally {
        int64_t block = -1, inFull = 0, counted = 0, firstSeq = 0, lastSeq = 0;
    };
    void recordCount(const std::string& type, const Tally& tally);

    const Program& program_;
    const CompiledCode* compiled_;
    std::function<Models&()> models_;
    prov::Store* store_;
    std::string stream_;
    bool everyTest_;
    std::map<std::string, Tally> tallies_;  // by type; only the stream's dispatch thread tests
};

}  // namespace xdml::runtime
