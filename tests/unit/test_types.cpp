// test_types.cpp — interning, printing and the assignability rules of LANGUAGE.md §2.
#include "sema/Types.h"

#include <catch2/catch.hpp>

using namespace xdml::sema;

TEST_CASE("structural types are interned: equal types are the same pointer") {
    TypeContext types;
    CHECK(types.tensor(ElemType::F32, {64, 64}) == types.tensor(ElemType::F32, {64, 64}));
    CHECK(types.tensor(ElemType::F32, {64, 64}) != types.tensor(ElemType::F64, {64, 64}));
    CHECK(types.list(types.integer()) == types.list(types.integer()));
    CHECK(toString(types.tensor(ElemType::U8, {kUnknownDim, 3})) == "tensor<u8>[?, 3]");
    CHECK(toString(types.record({{"x", types.integer()}, {"y", types.string()}})) == "{ x: int, y: string }");
}

TEST_CASE("nominal types: distinct by name, structural values fit them, subtypes extend") {
    TypeContext types;
    const Type* tensor = types.tensor(ElemType::F32, {8, 8});
    Type* frame = types.nominal("Frame", nullptr);
    frame->element = tensor;
    Type* background = types.nominal("Background", nullptr);
    background->element = tensor;
    Type* hit = types.nominal("Hit", nullptr);
    hit->element = frame;
    hit->isSubtype = true;

    CHECK(assignable(frame, background) == Mismatch::Type);  // nominal: different types
    CHECK(assignable(tensor, frame) == Mismatch::None);      // structural fits nominal
    CHECK(assignable(frame, tensor) == Mismatch::None);      // and a nominal its structure
    CHECK(assignable(hit, frame) == Mismatch::None);         // Hit <: Frame
    CHECK(assignable(frame, hit) == Mismatch::Type);         // not the reverse
    CHECK(assignable(tensor, hit) == Mismatch::Type);        // a refinement is decided per item
    CHECK(extends(hit, frame));
    CHECK_FALSE(extends(frame, hit));
    CHECK(assignable(types.tensor(ElemType::F32, {4, 4}), frame) == Mismatch::Shape);
    CHECK(assignable(types.tensor(ElemType::F32, {kUnknownDim, 8}), frame) == Mismatch::None);
}

TEST_CASE("numbers widen, quantities do not mix, optionals take none") {
    TypeContext types;
    CHECK(assignable(types.integer(), types.float64()) == Mismatch::None);
    CHECK(assignable(types.float64(), types.integer()) == Mismatch::Type);
    CHECK(assignable(types.integer(), types.duration()) == Mismatch::Type);
    CHECK(assignable(types.bytes(), types.duration()) == Mismatch::Type);
    CHECK(assignable(types.none(), types.optional(types.integer())) == Mismatch::None);
    CHECK(assignable(types.integer(), types.optional(types.integer())) == Mismatch::None);
    CHECK(assignable(types.list(types.error()), types.list(types.string())) == Mismatch::None);
    CHECK(withArticle(types.integer()) == "an int");
    CHECK(withArticle(types.duration()) == "a duration");
}
