// test_python_values.cpp — Python tasks' values (runtime/python): the marshal reader on bytes
// CPython 3.11's marshal.dumps made (back-references, longs, short strings, dicts), the writer
// read back, and the conversion of results to declared types with the messages users see.
#include "runtime/python/Marshal.h"
#include "runtime/python/PythonValues.h"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstring>

using namespace xdml::runtime;
using namespace xdml::runtime::python;
using Catch::Matchers::Contains;
using K = PyValue::Kind;

namespace {

std::string_view bytes(const char* s, std::size_t n) { return {s, n}; }

TypeDesc typeOf(const nlohmann::json& j) {
    // The plan's type JSON, read as the runtime reads a plan: through a one-task program.
    nlohmann::json code = {{"types", nlohmann::json::object()}, {"consts", nlohmann::json::object()}, {"fns", nlohmann::json::object()},
                           {"tasks", {{"t", {{"params", nlohmann::json::array()}, {"result", j}, {"policy", nullptr}, {"body", nlohmann::json::array()}}}}}};
    return Program::fromCode(code).task("t")->result;
}

Program emptyProgram() {
    return Program::fromCode({{"types", nlohmann::json::object()}, {"consts", nlohmann::json::object()}, {"fns", nlohmann::json::object()}});
}

Value convert(const PyValue& v, const nlohmann::json& type) {
    static const Program program = emptyProgram();
    return resultValue(v, typeOf(type), program, {}, nullptr, 0);
}

}  // namespace

TEST_CASE("marshal: scalars as CPython writes them, longs included", "[python]") {
    // marshal.dumps((0, 1, -1, 2**31-1, -2**31, 2**31, -5000000000, 2.5, -0.0, True, False, None))
    const char b[] = "\xa9\x0c\xe9\x00\x00\x00\x00\xe9\x01\x00\x00\x00\xe9\xff\xff\xff\xff\xe9\xff\xff\xff\x7f\xe9\x00\x00\x00\x80"
                     "\xec\x03\x00\x00\x00\x00\x00\x00\x00\x02\x00\xec\xfd\xff\xff\xff\x00\x72\x0b\x54\x04\x00"
                     "\xe7\x00\x00\x00\x00\x00\x00\x04\x40\xe7\x00\x00\x00\x00\x00\x00\x00\x80\x54\x46\x4e";
    PyValuePtr v = readMarshal(bytes(b, sizeof b - 1));
    REQUIRE(v->kind == K::List);
    REQUIRE(v->items.size() == 12);
    const int64_t ints[] = {0, 1, -1, 2147483647, -2147483648LL, 2147483648LL, -5000000000LL};
    for (int i = 0; i < 7; ++i) {
        CHECK(v->items[static_cast<std::size_t>(i)]->kind == K::Int);
        CHECK(v->items[static_cast<std::size_t>(i)]->integer == ints[i]);
    }
    CHECK(v->items[7]->real == 2.5);
    CHECK(v->items[8]->kind == K::Float);
    CHECK(v->items[9]->boolean);
    CHECK(v->items[10]->kind == K::Bool);
    CHECK(!v->items[10]->boolean);
    CHECK(v->items[11]->kind == K::None);
}

TEST_CASE("marshal: strings, shared objects, dicts, and ints past 64 bits", "[python]") {
    const char text[] = "\xa9\x03\xf5\x06\x00\x00\x00\x68\xc3\xa9\x6c\x6c\x6f\xda\x00\xc1\x03\x00\x00\x00\x61\x62\x63";
    PyValuePtr t = readMarshal(bytes(text, sizeof text - 1));
    CHECK(t->items[0]->text == "h\xc3\xa9llo");
    CHECK(t->items[1]->text.empty());
    CHECK(t->items[2]->text == "abc");

    // x = [1, 2]; marshal.dumps([x, x]): the second is a back-reference to the first.
    const char shared[] = "\xdb\x02\x00\x00\x00\xdb\x02\x00\x00\x00\xe9\x01\x00\x00\x00\xe9\x02\x00\x00\x00\x72\x01\x00\x00\x00";
    PyValuePtr s = readMarshal(bytes(shared, sizeof shared - 1));
    REQUIRE(s->items.size() == 2);
    CHECK(s->items[1]->items.size() == 2);
    CHECK(s->items[1]->items[1]->integer == 2);

    const char dict[] = "\xfb\xda\x01\x61\xe9\x01\x00\x00\x00\xda\x01\x62\x5b\x02\x00\x00\x00\x4e\xe7\x00\x00\x00\x00\x00\x00\xf8\x3f"
                        "\xda\x01\x63\x7b\xda\x01\x64\xda\x01\x78\x30\x30";
    PyValuePtr d = readMarshal(bytes(dict, sizeof dict - 1));
    REQUIRE(d->kind == K::Dict);
    REQUIRE(d->entries.size() == 3);
    CHECK(d->entries[1].first == "b");
    CHECK(d->entries[1].second->items[1]->real == 1.5);
    CHECK(d->entries[2].second->entries[0].second->text == "x");

    const char huge[] = "\xec\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04";  // 2**70
    CHECK(readMarshal(bytes(huge, sizeof huge - 1))->tooBig);
    const char least[] = "\xec\xfb\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00";  // -(2**63)
    PyValuePtr l = readMarshal(bytes(least, sizeof least - 1));
    CHECK(!l->tooBig);
    CHECK(l->integer == INT64_MIN);
}

TEST_CASE("marshal: what is not plain data, or not whole, is refused with its place", "[python]") {
    const char set[] = "\xbc\x01\x00\x00\x00\xe9\x01\x00\x00\x00";
    CHECK_THROWS_WITH(readMarshal(bytes(set, sizeof set - 1)), Contains("at byte 0") && Contains("a set"));
    const char cut[] = "\xdb\x02\x00\x00\x00\xe9\x01\x00";
    CHECK_THROWS_AS(readMarshal(bytes(cut, sizeof cut - 1)), MarshalError);
    const char badRef[] = "\x72\x05\x00\x00\x00";
    CHECK_THROWS_WITH(readMarshal(bytes(badRef, sizeof badRef - 1)), Contains("back-reference"));
    const char hugeList[] = "\x5b\xff\xff\xff\x7f";
    CHECK_THROWS_WITH(readMarshal(bytes(hugeList, sizeof hugeList - 1)), Contains("items in"));
    // x = []; x.append(x): a list holding itself (a worker's corrupt answer could say so).
    const char cycle[] = "\xdb\x01\x00\x00\x00\x72\x00\x00\x00\x00";
    CHECK_THROWS_WITH(readMarshal(bytes(cycle, sizeof cycle - 1)), Contains("from inside itself"));
    const char trailing[] = "\x4e\x4e";
    CHECK_THROWS_WITH(readMarshal(bytes(trailing, sizeof trailing - 1)), Contains("after the value"));
    std::string deep(5000, '[');
    CHECK_THROWS_AS(readMarshal(deep), MarshalError);
}

TEST_CASE("marshal: the writer's bytes read back", "[python]") {
    MarshalWriter w;
    w.beginTuple(6);
    w.integer(-5000000000LL);
    w.integer(INT64_MIN);
    w.real(0.25);
    w.text("h\xc3\xa9");
    w.beginDict();
    w.text("k");
    w.none();
    w.endDict();
    w.beginList(1);
    w.boolean(true);
    PyValuePtr v = readMarshal(w.bytes());
    REQUIRE(v->items.size() == 6);
    CHECK(v->items[0]->integer == -5000000000LL);
    CHECK(v->items[1]->integer == INT64_MIN);
    CHECK(v->items[2]->real == 0.25);
    CHECK(v->items[3]->text == "h\xc3\xa9");
    CHECK(v->items[4]->entries[0].first == "k");
    CHECK(v->items[5]->items[0]->boolean);
}

TEST_CASE("a call's message places each tensor in the arena, aligned, with its path", "[python]") {
    Tensor a = Tensor::zeros(ElemType::U16, {3, 5});
    Tensor b = Tensor::zeros(ElemType::F64, {2});
    b.data<double>()[1] = 7.5;
    RecordValue r;
    r.fields.push_back({"frame", Value::tensor(b)});
    std::vector<Value> args = {Value::tensor(a), Value::integer(4), Value::record(r),
                               Value::quantity(QuantityKind::Bytes, 2048), Value::quantity(QuantityKind::Duration, 0.5)};
    CallMessage m(2, args);
    CHECK(m.arenaBytes() == 64 + 16);  // 30 bytes, then the next at 64
    std::vector<std::byte> arena(128);
    m.copyTensors(arena.data());
    double second;
    std::memcpy(&second, arena.data() + 64 + 8, 8);
    CHECK(second == 7.5);
    PyValuePtr v = readMarshal(m.body(4096, 40));
    REQUIRE(v->items.size() == 8);
    CHECK(v->items[1]->integer == 2);
    const auto& sent = v->items[2]->items;
    CHECK(sent[0]->kind == K::None);
    CHECK(sent[1]->integer == 4);
    CHECK(sent[2]->entries[0].second->kind == K::None);
    CHECK(sent[3]->kind == K::Int);
    CHECK(sent[3]->integer == 2048);
    CHECK(sent[4]->real == 0.5);
    const auto& tensors = v->items[3]->items;
    REQUIRE(tensors.size() == 2);
    CHECK(tensors[0]->items[0]->items[0]->integer == 0);
    CHECK(tensors[0]->items[1]->text == "uint16");
    CHECK(tensors[0]->items[2]->items[1]->integer == 5);
    CHECK(tensors[1]->items[0]->items[0]->integer == 2);
    CHECK(tensors[1]->items[0]->items[1]->text == "frame");
    CHECK(tensors[1]->items[3]->integer == 64);
    CHECK(tensors[1]->items[4]->integer == -1);  // in the arena
    CHECK(v->items[4]->integer == 4096);
    CHECK(v->items[5]->integer == 40);
    CHECK(v->items[6]->items.empty());
}

TEST_CASE("a large tensor in a shared block is passed as its place in the block, not copied", "[python]") {
    shareLargeTensors();  // as a run with Python tasks does
    Tensor big = Tensor::zeros(ElemType::F32, {512, 512});  // 1 MiB
    Tensor small = Tensor::zeros(ElemType::F32, {4});
    std::size_t offset = 99;
    const SharedBlock* block = sharedBlockHolding(big.buffer->data(), offset);
    REQUIRE(block);
    CHECK(offset == 0);
    CHECK(block->size >= std::size_t{1} << 20);
    CHECK(!sharedBlockHolding(small.buffer->data(), offset));
    std::vector<Value> args = {Value::tensor(big), Value::tensor(small)};
    CallMessage m(0, args);
    CHECK(m.arenaBytes() == 16);
    REQUIRE(m.blocks().size() == 1);
    PyValuePtr v = readMarshal(m.body(0, 0, m.blocks(), {7}));
    const auto& t = v->items[3]->items;
    CHECK(t[0]->items[4]->integer == static_cast<int64_t>(block->id));
    CHECK(t[1]->items[4]->integer == -1);
    CHECK(v->items[6]->items[0]->items[0]->integer == static_cast<int64_t>(block->id));
    CHECK(v->items[7]->items[0]->integer == 7);
    // Too many new blocks for one message: the tensor goes through the arena after all.
    m.copyInstead(block);
    CHECK(m.blocks().empty());
    CHECK(m.arenaBytes() == 64 + (std::size_t{1} << 20));
    // Let go, the block stays as a spare (a worker may keep its mapping), and is reused.
    const uint64_t id = block->id;
    m = CallMessage(0, {});
    args.clear();
    big = Tensor{};
    CHECK(sharedBlockExists(id));
    Tensor again = Tensor::uninitialized(ElemType::U8, {1 << 20});
    CHECK(sharedBlockHolding(again.buffer->data(), offset)->id == id);
}

TEST_CASE("results convert to the declared type, or say where and why not", "[python]") {
    auto pv = [](K kind) {
        auto v = std::make_shared<PyValue>();
        v->kind = kind;
        return v;
    };
    auto i = pv(K::Int);
    i->integer = 3;
    CHECK(convert(*i, {{"kind", "float"}}).asFloat() == 3.0);
    CHECK(convert(*i, {{"kind", "bytes"}}).asQuantity().value == 3.0);
    CHECK_THROWS_WITH(convert(*i, {{"kind", "string"}}), "result: a int where string is declared");
    auto f = pv(K::Float);
    f->real = 2.5;
    CHECK_THROWS_WITH(convert(*f, {{"kind", "int"}}), Contains("an int is wanted"));
    auto b = pv(K::Bool);
    CHECK_THROWS_AS(convert(*b, {{"kind", "int"}}), ResultMismatch);

    // {"a": 1} for { a: int, b: float? }: the optional field left out is none.
    auto d = pv(K::Dict);
    d->entries.push_back({"a", i});
    nlohmann::json rec = {{"kind", "record"},
                          {"fields", {{{"name", "a"}, {"type", {{"kind", "int"}}}},
                                      {{"name", "b"}, {"type", {{"kind", "optional"}, {"element", {{"kind", "float"}}}}}}}}};
    Value r = convert(*d, rec);
    CHECK(r.asRecord().find("b")->is(Value::Kind::None));
    nlohmann::json need = {{"kind", "record"},
                           {"fields", {{{"name", "a"}, {"type", {{"kind", "int"}}}}, {{"name", "c"}, {"type", {{"kind", "int"}}}}}}};
    CHECK_THROWS_WITH(convert(*d, need), Contains("no key 'c'"));

    // A nested list for a tensor: its shape is checked, a ragged one refused.
    auto row = [&](std::vector<double> xs) {
        auto l = pv(K::List);
        for (double x : xs) {
            auto e = pv(K::Float);
            e->real = x;
            l->items.push_back(e);
        }
        return l;
    };
    auto grid = pv(K::List);
    grid->items = {row({1, 2}), row({3, 4})};
    nlohmann::json t = {{"kind", "tensor"}, {"elem", "i32"}, {"dims", {nullptr, 2}}};
    Value tv = convert(*grid, t);
    CHECK(tv.asTensor().elem == ElemType::I32);
    CHECK(tv.asTensor().data<int32_t>()[3] == 4);
    grid->items = {row({1, 2}), row({3})};
    CHECK_THROWS_WITH(convert(*grid, t), Contains("not rectangular"));
    grid->items = {row({1, 2, 3})};
    CHECK_THROWS_WITH(convert(*grid, t), Contains("shape (1, 3)"));
    // Ragged further in than the first row: refused before anything is allocated for it.
    nlohmann::json t3 = {{"kind", "tensor"}, {"elem", "f64"}, {"dims", {nullptr, nullptr}}};
    auto wide = row(std::vector<double>(100000, 1.0));
    grid->items = {wide};
    for (int i = 0; i < 99999; ++i) grid->items.push_back(row({1}));
    CHECK_THROWS_WITH(convert(*grid, t3), Contains("not rectangular"));
}

TEST_CASE("arrays in the arena: NumPy's safe casts pass, others name the conversion", "[python]") {
    static const Program program = emptyProgram();
    std::vector<std::byte> arena(256);
    const uint16_t values[] = {1, 2, 3, 65535};
    std::memcpy(arena.data() + 64, values, sizeof values);
    auto mark = std::make_shared<PyValue>();
    mark->kind = K::Bytes;
    mark->text = std::string("\0XDML-tensor", 12) + std::string("\0\0\0\0", 4);
    std::vector<ArenaTensor> tensors = {{ElemType::U16, {2, 2}, 64}};
    Value v = resultValue(*mark, typeOf({{"kind", "tensor"}, {"elem", "i32"}, {"dims", {2, 2}}}), program, tensors, arena.data(), arena.size());
    CHECK(v.asTensor().data<int32_t>()[3] == 65535);
    CHECK_THROWS_WITH(resultValue(*mark, typeOf({{"kind", "tensor"}, {"elem", "u8"}, {"dims", {2, 2}}}), program, tensors, arena.data(), arena.size()),
                      Contains("dtype uint16") && Contains(".astype(numpy.uint8)"));
    CHECK_THROWS_WITH(resultValue(*mark, typeOf({{"kind", "tensor"}, {"elem", "u16"}, {"dims", {4}}}), program, tensors, arena.data(), arena.size()),
                      Contains("shape (2, 2)"));
    std::vector<ArenaTensor> outside = {{ElemType::U16, {100, 100}, 64}};
    CHECK_THROWS_WITH(resultValue(*mark, typeOf({{"kind", "tensor"}, {"elem", "u16"}, {"dims", {100, 100}}}), program, outside, arena.data(), arena.size()),
                      Contains("past the end"));
}
