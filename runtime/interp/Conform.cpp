// Conform.cpp — see Conform.h.
#include "runtime/interp/Conform.h"

namespace xdml::runtime {

Value conformTo(const Value& v, const TypeDesc& type, const Program& program) {
    using TK = TypeDesc::Kind;
    using VK = Value::Kind;
    const TypeDesc& t = program.structure(type);
    switch (t.kind) {
    case TK::Float:
        if (v.is(VK::Int) || v.is(VK::F32)) return Value::float64(v.number());
        return v;
    case TK::F32:
        if (v.is(VK::Int) || v.is(VK::Float)) return Value::float32(static_cast<float>(v.number()));
        return v;
    case TK::Optional: return v.is(VK::None) || !t.element ? v : conformTo(v, *t.element, program);
    case TK::List: {
        if (!v.is(VK::List) || !t.element) return v;
        std::vector<Value> items;
        items.reserve(v.asList().size());
        for (const Value& item : v.asList()) items.push_back(conformTo(item, *t.element, program));
        return Value::list(std::move(items));
    }
    case TK::Record: {
        if (!v.is(VK::Record)) return v;
        RecordValue r = v.asRecord();
        for (Field& f : r.fields)
            for (const FieldType& ft : t.fields)
                if (ft.name == f.name) f.value = conformTo(f.value, ft.type, program);
        return Value::record(std::move(r));
    }
    default: return v;
    }
}

}  // namespace xdml::runtime
