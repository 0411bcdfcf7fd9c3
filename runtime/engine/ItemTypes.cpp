// ItemTypes.cpp — see ItemTypes.h.
#include "runtime/engine/ItemTypes.h"

#include "runtime/interp/Evaluate.h"
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
    }
    return decided.types[type] = yes;
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
