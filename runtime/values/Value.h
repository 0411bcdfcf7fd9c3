// Value.h — the run-time value model: none, bool, int, float, f32, string, quantity, tensor,
// record and list. Values copy cheaply: tensors, records and lists share their contents.
#pragma once

#include "runtime/values/Tensor.h"

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace xdml::runtime {

/// A quantity's kind, as the plan spells it (planformat/PlanVocabulary.h).
using QuantityKind = planformat::QuantityKind;
using planformat::parseQuantityKind;

/// A quantity in base units: seconds, bytes, bytes per second.
struct Quantity {
    QuantityKind kind = QuantityKind::Duration;
    double value = 0;
};

struct RecordValue;
struct ListValue;

class Value {
public:
    enum class Kind { None, Bool, Int, Float, F32, String, Quantity, Tensor, Record, List };

    Value() = default;
    static Value none() { return Value(); }
    static Value boolean(bool b) { return Value(Payload(b)); }
    static Value integer(int64_t i) { return Value(Payload(i)); }
    static Value float64(double d) { return Value(Payload(d)); }
    static Value float32(float f) { return Value(Payload(f)); }
    static Value string(std::string s) { return Value(Payload(std::move(s))); }
    static Value quantity(QuantityKind k, double v) { return Value(Payload(Quantity{k, v})); }
    static Value tensor(Tensor t) { return Value(Payload(std::move(t))); }
    static Value record(RecordValue r);
    static Value list(std::vector<Value> items);

    Kind kind() const { return static_cast<Kind>(payload_.index()); }
    bool is(Kind k) const { return kind() == k; }
    /// int, float or f32.
    bool isNumber() const { return is(Kind::Int) || is(Kind::Float) || is(Kind::F32); }

    // Accessors throw std::bad_variant_access on the wrong kind: check kind() first.
    bool asBool() const { return std::get<bool>(payload_); }
    int64_t asInt() const { return std::get<int64_t>(payload_); }
    double asFloat() const { return std::get<double>(payload_); }
    float asF32() const { return std::get<float>(payload_); }
    const std::string& asString() const { return std::get<std::string>(payload_); }
    const Quantity& asQuantity() const { return std::get<Quantity>(payload_); }
    const Tensor& asTensor() const { return std::get<Tensor>(payload_); }
    const RecordValue& asRecord() const { return *std::get<std::shared_ptr<const RecordValue>>(payload_); }
    const std::vector<Value>& asList() const;
    /// An int, float or f32 widened to double.
    double number() const;

private:
    using Payload = std::variant<std::monostate, bool, int64_t, double, float, std::string, Quantity, Tensor,
                                 std::shared_ptr<const RecordValue>, std::shared_ptr<const ListValue>>;
    explicit Value(Payload p) : payload_(std::move(p)) {}
    Payload payload_;
};

/// The element type a scalar is as a tensor's element: i64 for an int, f64 for a float, f32
/// for an f32, bool for a bool; i64 for anything else (which no tensor operation takes).
ElemType elemTypeOf(const Value& scalar);

/// What a kind is called in messages: "int", "tensor", ...
const char* kindName(Value::Kind k);
/// A value's kind in messages, with detail: "tensor<f32>[64, 64]", "duration".
std::string describe(const Value& v);

struct Field {
    std::string name;
    Value value;
};

/// A record's fields, in the order the record type declares them.
struct RecordValue {
    std::vector<Field> fields;
    /// The field's value, or nullptr when the record has no such field.
    const Value* find(const std::string& name) const;
};

struct ListValue {
    std::vector<Value> items;
};

}  // namespace xdml::runtime
