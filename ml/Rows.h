// Rows.h — stream items as a network reads them: the input tensor as a row of f32 of the
// model's input shape, the label as a class index. Items that cannot be read so are named.
#pragma once

#include "ml/ModelSpec.h"
#include "runtime/engine/Models.h"

#include <functional>
#include <string>
#include <vector>

namespace xdml::ml {

/// Appends x as spec.inputSize floats to `out`. Throws ModelError when x is not a tensor of
/// the model's input shape.
void appendRow(const runtime::Value& x, const ModelSpec& spec, std::vector<float>& out);
/// The class index of a label: an int in [0, K), or one of the class names. Throws ModelError.
int64_t classOf(const runtime::Value& y, const ModelSpec& spec);

/// Labeled items as rows, in their order; an item that does not fit is reported (with its
/// stream position) and left out.
struct LabeledRows {
    std::vector<float> rows;
    std::vector<int64_t> labels, entities, seqs;
    std::size_t size() const { return labels.size(); }
    /// Appends item i of `from`, whose rows have `width` values.
    void append(const LabeledRows& from, std::size_t i, std::size_t width) {
        rows.insert(rows.end(), from.rows.begin() + static_cast<std::ptrdiff_t>(i * width),
                    from.rows.begin() + static_cast<std::ptrdiff_t>((i + 1) * width));
        labels.push_back(from.labels[i]);
        entities.push_back(from.entities[i]);
        seqs.push_back(from.seqs[i]);
    }
};
LabeledRows labeledRows(const std::vector<runtime::LabeledItem>& items, const ModelSpec& spec,
                        const std::string& stream, const std::function<void(const std::string&)>& report);

}  // namespace xdml::ml
