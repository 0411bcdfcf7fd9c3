// ItemTypes.cpp — see ItemTypes.h.
#include "runtime/engine/ItemTypes.h"

#include "runtime/interp/Evaluate.h"
#include "runtime/interp/ExplainPredicate.h"
#include "runtime/provenance/Kinds.h"

#include <cstdio>

namespace xdml::runtime {

namespace {

std::string probabilityText(float p) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", static_cast<double>(p));
    return text;
}

}  // namespace

bool ItemTypes::decidedPerItem(const std::string& type) const {
    for (const TypeDecl* t = program_.type(type); t;
         t = t->is.kind == TypeDesc::Kind::Named ? program_.type(t->is.name) : nullptr)
        if (t->where || !t->classifierModel.empty()) return true;
    return false;
}

bool ItemTypes::matches(const std::string& type, const DatumPtr& item, ItemDecisions& decided, int depth) {
    if (auto it = decided.types.find(type); it != decided.types.end()) return it->second;
    const TypeDecl* t = program_.type(type);
    if (!t) return decided.types[type] = true;  // a structural type: the stream's own
    if (depth > 64) throw EvalError("the type " + type + " is defined through itself");
    // A subtype of a subtype: the base decides first (a model infers only for items it may see).
    bool yes = t->is.kind != TypeDesc::Kind::Named || matches(t->is.name, item, decided, depth + 1);
    if (yes && !t->classifierModel.empty()) {
        yes = inferOnce(t->classifierModel, item, decided).className == t->classifierClass;
    } else if (yes) {
        Evaluator ev(program_, nullptr, compiled_);
        yes = ev.holds(*t, type, item->value);
        if (store_ && t->where) {
            // A new block closes the last one's count, whichever way this test goes.
            Tally& tally = tallies_[type];
            const int64_t block = item->seq / kTestBlock;
            if (tally.block != block) {
                recordCount(type, tally);
                tally = Tally{block};
            }
            if (yes || everyTest_) {
                recordTest(ev, *t, type, item, yes);
            } else {
                if (tally.inFull < kTestsInFull) {
                    recordTest(ev, *t, type, item, yes);
                    tally.inFull++;
                } else {
                    if (tally.counted++ == 0) tally.firstSeq = item->seq;
                    tally.lastSeq = item->seq;
                }
            }
        }
    }
    return decided.types[type] = yes;
}

prov::DecisionRecord typeTestDecision(int64_t entity, int64_t seq, const std::string& stream, const std::string& type,
                                      bool holds, const std::string& explanation) {
    return {std::string(prov::decision_kind::type_test), prov::subjectOfEntity(entity), holds ? type : "not " + type,
            "item " + std::to_string(seq) + " of " + stream + (holds ? " is a " : " is not a ") + type + ": " + explanation,
            std::string("{\"type\": ") + nlohmann::json(type).dump() + ", \"holds\": " + (holds ? "true}" : "false}"), -1};
}

void ItemTypes::recordTest(Evaluator& evaluator, const TypeDecl& t, const std::string& type, const DatumPtr& item,
                           bool holds) {
    store_->decision(typeTestDecision(item->entity, item->seq, stream_, type, holds,
                                      explainPredicate(evaluator, *t.where, item->value, holds)));
}

void ItemTypes::recordCount(const std::string& type, const Tally& tally) {
    if (!store_ || tally.counted == 0) return;
    store_->decision(
        {std::string(prov::decision_kind::type_test), "stream:" + stream_, "not " + type,
         std::to_string(tally.counted) + " more items of " + stream_ + " from " + std::to_string(tally.firstSeq) + " to " +
             std::to_string(tally.lastSeq) + " are not a " + type + " (counted: the first " + std::to_string(tally.inFull) +
             " of their block of " + std::to_string(kTestBlock) + " were recorded one by one; xdmlc run --type-tests all records every one)",
         nlohmann::json({{"type", type},
                         {"holds", false},
                         {"count", tally.counted},
                         {"first_seq", tally.firstSeq},
                         {"last_seq", tally.lastSeq}})
             .dump(),
         -1});
}

void ItemTypes::recordCounts() {
    for (auto& [type, tally] : tallies_) {
        recordCount(type, tally);
        tally = Tally{};
    }
}

const Inference& ItemTypes::inferOnce(const std::string& model, const DatumPtr& item, ItemDecisions& decided) {
    // One inference per item and model version, whatever the number of types it decides.
    if (auto it = decided.inferred.find(model); it != decided.inferred.end()) return it->second;
    Inference inference = models_().infer(model, item->value);
    if (store_) {
        nlohmann::json probabilities = nlohmann::json::object();
        for (std::size_t i = 0; i < inference.probabilities.size(); ++i)
            probabilities[std::to_string(i)] = inference.probabilities[i];
        store_->decision({std::string(prov::decision_kind::inferred_type), prov::subjectOfEntity(item->entity),
                          inference.className,
                          "model " + model + " version " + std::to_string(inference.version) + " classified item " +
                              std::to_string(item->seq) + " of " + stream_ + " as \"" + inference.className +
                              "\" (probability " +
                              probabilityText(inference.probabilities[static_cast<std::size_t>(inference.classIndex)]) + ")",
                          nlohmann::json({{"model", model},
                                          {"version", inference.version},
                                          {"probabilities", inference.probabilities}})
                              .dump(),
                          inference.versionRow});
    }
    return decided.inferred.emplace(model, std::move(inference)).first->second;
}

}  // namespace xdml::runtime
