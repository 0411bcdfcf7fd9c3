// test_npy.cpp — the .npy codec, raw elements and the check of a decoded tensor against the
// stream's declared type: round trips, NumPy's own bytes, and every kind of bad input.
#include "StreamTestSupport.h"
#include "runtime/io/ConformItem.h"
#include "runtime/io/DataError.h"
#include "runtime/io/Npy.h"
#include "runtime/io/RawElements.h"

#include <catch2/catch.hpp>

using namespace xdml;
using runtime::DataError;
using runtime::ElemType;
using runtime::Tensor;
using test::tensorType;

namespace {

const std::byte* bytes(const std::string& s) {
    return reinterpret_cast<const std::byte*>(s.data());
}

Tensor decode(const std::string& s, const std::string& where = "frame_3.npy") {
    return runtime::decodeNpy(bytes(s), s.size(), where);
}

/// A hand-made file: magic, version, little-endian header length, header, data.
std::string npyWith(const std::string& header, const std::string& data, int major = 1) {
    std::string out("\x93NUMPY", 6);
    out += static_cast<char>(major);
    out += '\0';
    const std::size_t lengthBytes = major == 1 ? 2 : 4;
    for (std::size_t i = 0; i < lengthBytes; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
    return out + header + data;
}

std::string floats(std::initializer_list<float> values) {
    std::string out;
    for (float v : values) out.append(reinterpret_cast<const char*>(&v), sizeof v);
    return out;
}

std::string errorOf(const std::string& s) {
    try {
        decode(s);
    } catch (const DataError& e) {
        return e.what();
    }
    return "(no error)";
}

// np.save(f, np.arange(6, dtype='<f4').reshape(2, 3)) with NumPy 1.24.2, byte for byte.
const std::string kNumpyArange = std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
                                 "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
                                 std::string(58, ' ') + "\n" + floats({0, 1, 2, 3, 4, 5});

}  // namespace

TEST_CASE("npy round-trips every element type and shape", "[streams][npy]") {
    const std::vector<std::vector<int64_t>> shapes = {
        {}, {0}, {5}, {2, 3}, {0, 4}, {2, 1, 3}, {1, 1, 1, 1, 7}};
    for (ElemType e : {ElemType::Bool, ElemType::U8, ElemType::U16, ElemType::I32, ElemType::I64,
                       ElemType::F32, ElemType::F64, ElemType::U32, ElemType::I16}) {
        for (const auto& dims : shapes) {
            Tensor t = Tensor::zeros(e, dims);
            runtime::withElemType(e, [&](auto v) {
                using T = decltype(v);
                for (std::size_t i = 0; i < t.count(); ++i) t.data<T>()[i] = static_cast<T>(i * 7 % 5);
            });
            std::string file = runtime::encodeNpy(t);
            INFO(runtime::spelling(e) << " with " << dims.size() << " dims");
            CHECK((file.size() - t.count() * runtime::elemSize(e)) % 64 == 0);  // data aligned as numpy does
            CHECK(test::sameTensor(decode(file), t));
        }
    }
}

TEST_CASE("npy reads and writes NumPy's exact bytes", "[streams][npy]") {
    Tensor t = decode(kNumpyArange);
    CHECK(t.elem == ElemType::F32);
    CHECK(t.dims == std::vector<int64_t>{2, 3});
    for (int i = 0; i < 6; ++i) CHECK(t.data<float>()[i] == static_cast<float>(i));
    CHECK(runtime::encodeNpy(t) == kNumpyArange);

    // Headers np.save writes for other types and shapes (NumPy 1.24.2), padded to 128 bytes.
    auto header = [](const Tensor& x) { return runtime::encodeNpy(x).substr(10, 118); };
    auto expected = [](const std::string& dict) { return dict + std::string(117 - dict.size(), ' ') + "\n"; };
    CHECK(header(Tensor::zeros(ElemType::F32, {})) ==
          expected("{'descr': '<f4', 'fortran_order': False, 'shape': (), }"));
    CHECK(header(Tensor::zeros(ElemType::Bool, {2})) ==
          expected("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }"));
    CHECK(header(Tensor::zeros(ElemType::U16, {1, 2, 3})) ==
          expected("{'descr': '<u2', 'fortran_order': False, 'shape': (1, 2, 3), }"));
    CHECK(header(Tensor::zeros(ElemType::U32, {4})) ==
          expected("{'descr': '<u4', 'fortran_order': False, 'shape': (4,), }"));
    CHECK(header(Tensor::zeros(ElemType::I16, {2, 2})) ==
          expected("{'descr': '<i2', 'fortran_order': False, 'shape': (2, 2), }"));
}

TEST_CASE("npy reads version 2.0 and 3.0 headers and tolerant dict spellings", "[streams][npy]") {
    const std::string data = floats({1.5f, -2});
    for (int major : {2, 3}) {
        Tensor t =
            decode(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", data, major));
        CHECK(t.dims == std::vector<int64_t>{2});
        CHECK(t.data<float>()[0] == 1.5f);
    }
    // Another key order, double quotes, no trailing comma, Python 2 longs, an unknown key.
    Tensor t = decode(npyWith(
        "{ \"shape\" : ( 1L , 2L ) , \"fortran_order\":False,'descr':'<f4', 'x': [1, (2, 3)] }", data));
    CHECK(t.dims == std::vector<int64_t>{1, 2});
    // Byte order means nothing for one-byte elements.
    CHECK(decode(npyWith("{'descr': '<u1', 'fortran_order': False, 'shape': (3,), }", "abc")).elem ==
          ElemType::U8);
    CHECK(decode(npyWith("{'descr': '>u1', 'fortran_order': False, 'shape': (3,), }", "abc")).elem ==
          ElemType::U8);
    // Bool bytes other than 0 and 1 still read as true.
    Tensor b = decode(
        npyWith("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", std::string("\0\x02\x01", 3)));
    CHECK((!b.data<bool>()[0] && b.at(1) == 1.0 && b.data<bool>()[2]));
}

TEST_CASE("npy rejects malformed files naming the file and the problem", "[streams][npy]") {
    std::string truncated = kNumpyArange.substr(0, 128 + 10);
    CHECK(errorOf(truncated) == "frame_3.npy: truncated: header says 24 bytes of data, file has 10");
    CHECK_THAT(errorOf(kNumpyArange + "xx"),
               Catch::Contains("trailing bytes: header says 24 bytes of data, file has 26"));
    CHECK_THAT(errorOf(kNumpyArange.substr(0, 40)),
               Catch::Contains("frame_3.npy: truncated: the .npy header says it is 118"));
    CHECK_THAT(errorOf("PK\x03\x04 a zip"), Catch::Contains("frame_3.npy: not an .npy file"));
    CHECK_THAT(errorOf(std::string("\x93NUMPY\x01", 7)), Catch::Contains("truncated"));
    CHECK_THAT(errorOf(npyWith("{}", "", 4)), Catch::Contains("format version 4.0 is not supported"));

    auto withHeader = [](const std::string& dict) { return errorOf(npyWith(dict, floats({1, 2}))); };
    CHECK_THAT(withHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2), }"),
               Catch::Contains("Fortran-ordered data is not supported"));
    CHECK_THAT(withHeader("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }"),
               Catch::Contains("big-endian data ('>f4') is not supported"));
    CHECK_THAT(withHeader("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }"),
               Catch::Contains("element type '<f2' is not one XDML has"));
    CHECK_THAT(withHeader("{'descr': '|i1', 'fortran_order': False, 'shape': (8,), }"),
               Catch::Contains("element type '|i1' is not one XDML has"));
    CHECK_THAT(withHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }"),
               Catch::Contains("structured dtypes"));
    CHECK_THAT(withHeader("{'descr': '<f4', 'shape': (2,), }"), Catch::Contains("needs the keys"));
    CHECK_THAT(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }"),
               Catch::Contains("non-negative integers"));
    CHECK_THAT(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,) "),
               Catch::Contains("expected '}'"));
    CHECK_THAT(withHeader(std::string("{'descr': '<f4'\0  \n", 19)),
               Catch::Contains("bad .npy header {'descr': '<f4'\\x00: expected '}' at offset 15"));
    CHECK_THAT(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }"),
               Catch::Contains("too large"));
}

TEST_CASE("readNpyFile names the path it could not read", "[streams][npy]") {
    test::ScratchDir dir;
    test::writeFile(dir.path() / "a.npy", kNumpyArange);
    CHECK(runtime::readNpyFile(dir.path() / "a.npy").count() == 6);
    CHECK_THROWS_WITH(runtime::readNpyFile(dir.path() / "missing.npy"),
                      Catch::Contains((dir.path() / "missing.npy").string() + ": cannot open"));
}

TEST_CASE("a decoded tensor must be of the stream's declared type", "[streams][npy]") {
    Tensor t = decode(kNumpyArange);
    CHECK(runtime::conformItem(t, tensorType(ElemType::F32, {2, 3}), "f").asTensor().count() == 6);
    CHECK(runtime::conformItem(t, tensorType(ElemType::F32, {-1, 3}), "f").is(runtime::Value::Kind::Tensor));
    CHECK_THROWS_WITH(runtime::conformItem(t, tensorType(ElemType::F64, {2, 3}), "frame.npy"),
                      "frame.npy: expected tensor<f64>[2, 3], got tensor<f32>[2, 3]");
    CHECK_THROWS_WITH(runtime::conformItem(t, tensorType(ElemType::F32, {2, 4}), "frame.npy"),
                      "frame.npy: expected tensor<f32>[2, 4], got tensor<f32>[2, 3]");
    CHECK_THROWS_WITH(runtime::conformItem(t, tensorType(ElemType::F32, {-1}), "frame.npy"),
                      "frame.npy: expected tensor<f32>[?], got tensor<f32>[2, 3]");
    CHECK_THROWS_WITH(runtime::conformItem(t, test::scalarType(runtime::TypeDesc::Kind::Int), "frame.npy"),
                      Catch::Contains("cannot be an item of type int"));
}

TEST_CASE("raw elements decode only into a fully known shape of the exact size", "[streams][npy]") {
    std::string data = floats({0, 1, 2, 3, 4, 5});
    Tensor t = runtime::decodeRaw(bytes(data), data.size(), tensorType(ElemType::F32, {3, 2}), "m");
    CHECK(t.dims == std::vector<int64_t>{3, 2});
    CHECK(t.data<float>()[5] == 5.0f);
    CHECK(runtime::decodeRaw(bytes(data), data.size(), tensorType(ElemType::U8, {24}), "m").count() == 24);
    CHECK_THROWS_WITH(runtime::decodeRaw(bytes(data), 23, tensorType(ElemType::F32, {3, 2}), "tcp://h:1#4"),
                      "tcp://h:1#4: raw elements of tensor<f32>[3, 2] are 24 bytes, got 23");
    CHECK_THROWS_WITH(runtime::decodeRaw(bytes(data), data.size(), tensorType(ElemType::F32, {-1, 2}), "m"),
                      Catch::Contains("need every dimension known"));
    CHECK_THROWS_WITH(
        runtime::decodeRaw(bytes(data), data.size(), test::scalarType(runtime::TypeDesc::Kind::String), "m"),
        Catch::Contains("need a tensor type, not string"));
}
