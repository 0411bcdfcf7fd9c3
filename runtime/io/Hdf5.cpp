// Hdf5.cpp — see Hdf5.h.
#include "runtime/io/Hdf5.h"

#include "runtime/io/AtomicWrite.h"
#include "runtime/io/ConformItem.h"
#include "runtime/io/DataError.h"
#include "runtime/io/DataFile.h"
#include "runtime/io/PrintableName.h"
#include "runtime/provenance/ContentHash.h"

#include <hdf5.h>
#include <lz4.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <vector>

namespace xdml::runtime {

namespace {

constexpr H5Z_filter_t kLz4Filter = 32004;        // HDF5's registered id of the LZ4 filter
constexpr H5Z_filter_t kBitshuffleFilter = 32008;  // and of bitshuffle (with LZ4 as Eiger writes)
constexpr unsigned kBitshuffleLz4 = 2;             // bitshuffle's cd_values[4] for LZ4 inside

/// An HDF5 identifier closed on every way out.
class Id {
public:
    Id() = default;
    Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    Id(Id&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = H5I_INVALID_HID; }
    Id& operator=(Id&& o) noexcept {
        std::swap(id_, o.id_);
        std::swap(close_, o.close_);
        return *this;
    }
    ~Id() {
        if (id_ >= 0 && close_) close_(id_);
    }
    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }

private:
    hid_t id_ = H5I_INVALID_HID;
    herr_t (*close_)(hid_t) = nullptr;
};

// ---------------------------------------------------------------------------------------------
// The safe decoders, shared by the direct chunk path and the filters registered with HDF5.

uint64_t readBig64(const unsigned char* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
    return v;
}
uint32_t readBig32(const unsigned char* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

/// The bit transpose of Debian's bitshuffle plugin (its SSE2 code), loaded once: the two steps
/// of bshuf_untrans_bit_elem, which XDML calls with its own scratch memory (the plugin's
/// function allocates and frees a block's worth on every call, 512 times a 4 MB frame).
/// Null when the plugin is not installed: bitshuffled data then cannot be read.
using BitshuffleStep = int64_t (*)(const void* in, void* out, size_t size, size_t elemSize);
struct Untranspose {
    BitshuffleStep byteRows = nullptr, bits = nullptr;
    explicit operator bool() const { return byteRows && bits; }
    int64_t operator()(const void* in, void* scratch, void* out, size_t size, size_t elemSize) const {
        const int64_t n = byteRows(in, scratch, size, elemSize);
        return n < 0 ? n : bits(scratch, out, size, elemSize);
    }
};
Untranspose untranspose() {
    static const Untranspose fn = [] () -> Untranspose {
        const char* env = std::getenv("HDF5_PLUGIN_PATH");
        std::vector<std::string> dirs;
        if (env)
            for (std::string rest = env; !rest.empty();) {
                const std::size_t colon = rest.find(':');
                dirs.push_back(rest.substr(0, colon));
                rest = colon == std::string::npos ? "" : rest.substr(colon + 1);
            }
        dirs.push_back(H5_DEFAULT_PLUGINDIR);
        for (const std::string& dir : dirs) {
            void* lib = ::dlopen((dir + "/libh5bshuf.so").c_str(), RTLD_NOW | RTLD_LOCAL);
            if (!lib) continue;
            Untranspose u;
            u.byteRows = reinterpret_cast<BitshuffleStep>(::dlsym(lib, "bshuf_trans_byte_bitrow_SSE"));
            u.bits = reinterpret_cast<BitshuffleStep>(::dlsym(lib, "bshuf_shuffle_bit_eightelem_SSE"));
            if (u) return u;
        }
        return {};
    }();
    return fn;
}

/// LZ4 as HDF5's LZ4 filter stores it: the original size (8 bytes, big-endian), the block size
/// (4), then per block its compressed size (4) and the data (stored as is when not smaller).
/// Writes exactly `outBytes` into `out`; "" on success, else what is wrong.
std::string decodeLz4(const unsigned char* in, std::size_t n, unsigned char* out, std::size_t outBytes) {
    if (n < 12) return "the LZ4 chunk is shorter than its header";
    const uint64_t total = readBig64(in);
    const uint64_t block = readBig32(in + 8);
    if (total != outBytes) return "the LZ4 chunk holds " + std::to_string(total) + " bytes, not " + std::to_string(outBytes);
    if (block == 0 && total > 0) return "the LZ4 chunk has a block size of 0";
    std::size_t at = 12, done = 0;
    while (done < total) {
        const std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(block, total - done));
        if (n - at < 4) return "the LZ4 chunk ends inside a block";
        const uint32_t stored = readBig32(in + at);
        at += 4;
        if (stored > n - at) return "the LZ4 chunk ends inside a block";
        if (stored == want) {
            std::memcpy(out + done, in + at, want);
        } else {
            const int got = LZ4_decompress_safe(reinterpret_cast<const char*>(in + at), reinterpret_cast<char*>(out + done),
                                                static_cast<int>(stored), static_cast<int>(want));
            if (got != static_cast<int>(want)) return "a block of the LZ4 chunk is corrupt";
        }
        at += stored;
        done += want;
    }
    return "";
}

/// Bitshuffle with LZ4 as its HDF5 filter stores it: the original size (8 bytes, big-endian),
/// the block size in bytes (4), then blocks of `block` elements (a last shorter one, a multiple
/// of 8) each as its compressed size (4) and LZ4 data of the bit-transposed block, then the
/// last size % 8 elements as they are.
std::string decodeBitshuffleLz4(const unsigned char* in, std::size_t n, unsigned char* out, std::size_t outBytes,
                                std::size_t elemSize, prov::ContentHasher* hasher = nullptr) {
    const Untranspose& untrans = untranspose();
    if (!untrans) return "bitshuffle data needs the bitshuffle plugin (Debian package 'bitshuffle')";
    if (n < 12) return "the bitshuffle chunk is shorter than its header";
    const uint64_t total = readBig64(in);
    const uint64_t blockBytes = readBig32(in + 8);
    if (total != outBytes) return "the bitshuffle chunk holds " + std::to_string(total) + " bytes, not " + std::to_string(outBytes);
    if (elemSize == 0 || blockBytes % elemSize != 0 || (blockBytes / elemSize) % 8 != 0 || (blockBytes == 0 && total > 0))
        return "the bitshuffle chunk has a bad block size (" + std::to_string(blockBytes) + " bytes)";
    const std::size_t elems = outBytes / elemSize;
    const std::size_t block = blockBytes / elemSize;
    thread_local std::vector<unsigned char> scratch, rows;  // a block's LZ4 output, then its byte rows
    scratch.resize(block * elemSize);
    rows.resize(block * elemSize);
    std::size_t at = 12, done = 0;
    auto oneBlock = [&](std::size_t count) -> std::string {
        if (n - at < 4) return "the bitshuffle chunk ends inside a block";
        const uint32_t stored = readBig32(in + at);
        at += 4;
        if (stored > n - at) return "the bitshuffle chunk ends inside a block";
        const int bytes = static_cast<int>(count * elemSize);
        if (LZ4_decompress_safe(reinterpret_cast<const char*>(in + at), reinterpret_cast<char*>(scratch.data()),
                                static_cast<int>(stored), bytes) != bytes)
            return "a block of the bitshuffle chunk is corrupt";
        if (untrans(scratch.data(), rows.data(), out + done * elemSize, count, elemSize) < 0)
            return "a block of the bitshuffle chunk is corrupt";
        if (hasher) hasher->update(out + done * elemSize, count * elemSize);  // while the block is in cache
        at += stored;
        done += count;
        return "";
    };
    for (std::size_t b = 0; b < elems / block; ++b)
        if (std::string problem = oneBlock(block); !problem.empty()) return problem;
    if (const std::size_t last = (elems % block) - (elems % block) % 8; last > 0)
        if (std::string problem = oneBlock(last); !problem.empty()) return problem;
    const std::size_t leftover = (elems % 8) * elemSize;
    if (n - at < leftover) return "the bitshuffle chunk ends before its last elements";
    std::memcpy(out + done * elemSize, in + at, leftover);
    if (hasher) hasher->update(out + done * elemSize, leftover);
    return "";
}

/// The filter callbacks registered with HDF5 in place of the plugins: decode only.
size_t filterDecode(unsigned flags, size_t nValues, const unsigned values[], size_t nbytes, size_t* bufSize, void** buf,
                    bool bitshuffle) {
    if (!(flags & H5Z_FLAG_REVERSE)) return 0;  // XDML writes neither
    const auto* in = static_cast<const unsigned char*>(*buf);
    if (nbytes < 8) return 0;
    const uint64_t total = readBig64(in);
    // LZ4 expands at most 255-fold: a header claiming more is corrupt, and is not allocated.
    if (total > uint64_t{nbytes} * 256 + 1024) return 0;
    std::size_t elemSize = 1;
    if (bitshuffle) {
        if (nValues < 5 || values[4] != kBitshuffleLz4 || values[2] == 0) return 0;  // only bitshuffle with LZ4
        elemSize = values[2];
    }
    void* out = std::malloc(total ? total : 1);
    if (!out) return 0;
    const std::string problem = bitshuffle ? decodeBitshuffleLz4(in, nbytes, static_cast<unsigned char*>(out), total, elemSize)
                                           : decodeLz4(in, nbytes, static_cast<unsigned char*>(out), total);
    if (!problem.empty()) {
        std::free(out);
        return 0;
    }
    std::free(*buf);
    *buf = out;
    *bufSize = total;
    return total;
}
size_t lz4Filter(unsigned flags, size_t n, const unsigned v[], size_t nbytes, size_t* size, void** buf) {
    return filterDecode(flags, n, v, nbytes, size, buf, false);
}
size_t bitshuffleFilter(unsigned flags, size_t n, const unsigned v[], size_t nbytes, size_t* size, void** buf) {
    return filterDecode(flags, n, v, nbytes, size, buf, true);
}

/// Once per process: XDML's decoders registered for LZ4 and bitshuffle. Per thread (the error
/// stack is per thread in a thread-safe HDF5): the library prints no error stack.
void prepare() {
    static std::once_flag once;
    std::call_once(once, [] {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        static const H5Z_class2_t lz4 = {H5Z_CLASS_T_VERS, kLz4Filter, 1, 1, "lz4 (XDML's checked decoder)", nullptr, nullptr, lz4Filter};
        static const H5Z_class2_t bshuf = {H5Z_CLASS_T_VERS, kBitshuffleFilter, 1, 1, "bitshuffle (XDML's checked decoder)",
                                           nullptr, nullptr, bitshuffleFilter};
        H5Zregister(&lz4);
        H5Zregister(&bshuf);
    });
    thread_local bool quiet = false;
    if (!quiet) {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        quiet = true;
    }
}

/// The most specific message on this thread's HDF5 error stack, then the stack cleared.
std::string libraryError() {
    std::string text;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_UPWARD,
        [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
            if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
            return 0;
        },
        &text);
    H5Eclear2(H5E_DEFAULT);
    return text.empty() ? "the HDF5 library gave no reason" : text;
}

// ---------------------------------------------------------------------------------------------
// Element types.

/// The element type of a dataset's stored type, if XDML has it; `littleEndian` as stored.
bool elemOfStored(hid_t type, ElemType& out, bool& littleEndian) {
    const H5T_class_t cls = H5Tget_class(type);
    const std::size_t size = H5Tget_size(type);
    littleEndian = H5Tget_order(type) != H5T_ORDER_BE;
    if (cls == H5T_FLOAT) {
        if (size == 4) return out = ElemType::F32, true;
        if (size == 8) return out = ElemType::F64, true;
        return false;
    }
    if (cls == H5T_INTEGER) {
        const bool sign = H5Tget_sign(type) == H5T_SGN_2;
        if (size == 1 && !sign) return out = ElemType::U8, true;
        if (size == 2) return out = sign ? ElemType::I16 : ElemType::U16, true;
        if (size == 4) return out = sign ? ElemType::I32 : ElemType::U32, true;
        if (size == 8 && sign) return out = ElemType::I64, true;
        return false;
    }
    if (cls == H5T_ENUM && size == 1 && H5Tget_nmembers(type) == 2) return out = ElemType::Bool, true;  // h5py's bool
    return false;
}

std::string storedTypeText(hid_t type) {
    const H5T_class_t cls = H5Tget_class(type);
    const std::size_t bits = H5Tget_size(type) * 8;
    if (cls == H5T_FLOAT) return "a " + std::to_string(bits) + "-bit float";
    if (cls == H5T_INTEGER)
        return std::string(H5Tget_sign(type) == H5T_SGN_2 ? "i" : "u") + std::to_string(bits);
    if (cls == H5T_STRING) return "strings";
    if (cls == H5T_COMPOUND) return "compound records";
    return "elements of HDF5 type class " + std::to_string(static_cast<int>(cls));
}

/// The in-memory type HDF5 converts to for `e`; a bool is h5py's enum of int8 FALSE/TRUE.
Id memoryType(ElemType e) {
    hid_t native = H5T_NATIVE_DOUBLE;
    switch (e) {
    case ElemType::Bool: {
        Id t(H5Tenum_create(H5T_NATIVE_INT8), H5Tclose);
        int8_t no = 0, yes = 1;
        H5Tenum_insert(t.get(), "FALSE", &no);
        H5Tenum_insert(t.get(), "TRUE", &yes);
        return t;
    }
    case ElemType::U8: native = H5T_NATIVE_UINT8; break;
    case ElemType::U16: native = H5T_NATIVE_UINT16; break;
    case ElemType::U32: native = H5T_NATIVE_UINT32; break;
    case ElemType::I16: native = H5T_NATIVE_INT16; break;
    case ElemType::I32: native = H5T_NATIVE_INT32; break;
    case ElemType::I64: native = H5T_NATIVE_INT64; break;
    case ElemType::F32: native = H5T_NATIVE_FLOAT; break;
    case ElemType::F64: native = H5T_NATIVE_DOUBLE; break;
    }
    return Id(H5Tcopy(native), H5Tclose);
}

std::string tensorText(ElemType e, const std::vector<int64_t>& dims) {
    TypeDesc t;
    t.kind = TypeDesc::Kind::Tensor;
    t.elem = e;
    t.dims = dims;
    return describeItemType(t);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Reading.

struct Hdf5Items::State {
    std::string where;  // "file.h5:/entry/data/data", printable
    std::string fileName, dataset;
    Id file, data, space;
    ElemType elem = ElemType::F32;
    std::vector<int64_t> itemDims;
    std::size_t items = 1;
    bool frames = false;  // a rank k + 1 dataset: item i is frame i
    std::size_t itemBytes = 0;
    // The direct path: one frame per chunk, little-endian elements of the declared type, and
    // no filter or one XDML decodes.
    enum class Direct { None, Plain, Lz4, Bitshuffle } direct = Direct::None;
    Id memType;

    Tensor readThroughLibrary(std::size_t i) const;
    bool readDirect(std::size_t i, Tensor& t, std::string* hash) const;
};

Hdf5Items::Hdf5Items(const std::filesystem::path& file, const std::string& dataset, const TypeDesc& declared)
    : state_(std::make_unique<State>()) {
    prepare();
    State& s = *state_;
    s.fileName = file.string();
    s.dataset = dataset;
    s.where = printableName(file.string() + ":" + dataset);
    const std::string fileWhere = printableName(file.string());
    if (declared.kind != TypeDesc::Kind::Tensor)
        throw DataError(s.where, "an HDF5 dataset cannot be an item of type " + describeItemType(declared));
    requireRegularFile(file);
    if (H5Fis_hdf5(file.c_str()) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        throw DataError(fileWhere, "is not an HDF5 file (no HDF5 signature)");
    }
    s.file = Id(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!s.file.valid()) throw DataError(fileWhere, "cannot open it as HDF5: " + libraryError());
    if (dataset.empty() || dataset[0] != '/') throw DataError(s.where, "a dataset is named from the root, as \"/entry/data/data\"");
    // Each link of the path checked in turn, so a missing group is named as such.
    for (std::size_t at = dataset.find('/', 1);; at = dataset.find('/', at + 1)) {
        const std::string prefix = dataset.substr(0, at);
        if (prefix.size() > 1 && H5Lexists(s.file.get(), prefix.c_str(), H5P_DEFAULT) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            throw DataError(s.where, "the file has no " + std::string(at == std::string::npos ? "dataset" : "group") + " '" + prefix + "'");
        }
        if (at == std::string::npos) break;
    }
    s.data = Id(H5Dopen2(s.file.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
    if (!s.data.valid()) throw DataError(s.where, "cannot open it as a dataset: " + libraryError());
    s.space = Id(H5Dget_space(s.data.get()), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(s.space.get());
    if (rank < 0) throw DataError(s.where, "cannot read its shape: " + libraryError());
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(s.space.get(), dims.data(), nullptr);
    const std::size_t k = declared.dims.size();
    std::vector<int64_t> stored(dims.begin(), dims.end());
    if (static_cast<std::size_t>(rank) == k + 1) {
        s.frames = true;
        s.items = static_cast<std::size_t>(dims[0]);
        s.itemDims.assign(stored.begin() + 1, stored.end());
    } else if (static_cast<std::size_t>(rank) == k) {
        s.itemDims = stored;
    } else {
        throw DataError(s.where, "is a " + std::to_string(rank) + "-D dataset; items of " + describeItemType(declared) +
                                     " come from a " + std::to_string(k + 1) + "-D dataset of frames or a " + std::to_string(k) +
                                     "-D one");
    }
    Id type(H5Dget_type(s.data.get()), H5Tclose);
    bool little = true;
    ElemType storedElem = declared.elem;
    const bool known = elemOfStored(type.get(), storedElem, little);
    bool fits = known && storedElem == declared.elem;
    for (std::size_t i = 0; fits && i < k; ++i) fits = declared.dims[i] < 0 || declared.dims[i] == s.itemDims[i];
    if (!known)
        throw DataError(s.where, "holds " + storedTypeText(type.get()) + ", not an element type XDML has (f32 f64 i16 i32 i64 u8 u16 u32 bool)");
    if (!fits)
        throw DataError(s.where, "expected " + describeItemType(declared) + (s.frames ? " frames" : "") + ", got " +
                                     tensorText(storedElem, s.itemDims) + (s.frames ? " frames" : ""));
    s.elem = declared.elem;
    s.memType = memoryType(s.elem);
    std::size_t count = 1;
    for (int64_t d : s.itemDims) count *= static_cast<std::size_t>(d);
    s.itemBytes = count * elemSize(s.elem);

    // The direct path's conditions.
    Id plist(H5Dget_create_plist(s.data.get()), H5Pclose);
    if (!s.frames || !little || s.elem == ElemType::Bool || H5Pget_layout(plist.get()) != H5D_CHUNKED) return;
    std::vector<hsize_t> chunk(static_cast<std::size_t>(rank));
    if (H5Pget_chunk(plist.get(), rank, chunk.data()) != rank || chunk[0] != 1) return;
    for (std::size_t i = 1; i < chunk.size(); ++i)
        if (chunk[i] != dims[i]) return;
    const int filters = H5Pget_nfilters(plist.get());
    if (filters == 0) {
        s.direct = State::Direct::Plain;
    } else if (filters == 1) {
        unsigned flags = 0, values[8] = {};
        std::size_t nValues = 8;
        char name[64];
        const H5Z_filter_t id = H5Pget_filter2(plist.get(), 0, &flags, &nValues, values, sizeof name, name, nullptr);
        if (id == kLz4Filter) s.direct = State::Direct::Lz4;
        else if (id == kBitshuffleFilter && nValues >= 5 && values[4] == kBitshuffleLz4 && values[2] == elemSize(s.elem))
            s.direct = State::Direct::Bitshuffle;
    }
    H5Eclear2(H5E_DEFAULT);
}

Hdf5Items::~Hdf5Items() = default;

std::size_t Hdf5Items::size() const { return state_->items; }
bool Hdf5Items::frames() const { return state_->frames; }
uint64_t Hdf5Items::itemBytes() const { return state_->itemBytes; }

std::string Hdf5Items::origin(std::size_t i) const {
    const State& s = *state_;
    return s.fileName + ":" + s.dataset + (s.frames ? "[" + std::to_string(i) + "]" : "");
}

bool parseFrameOrigin(const std::string& origin, const std::string& dataset, std::filesystem::path& file, std::size_t& index) {
    if (origin.empty() || origin.back() != ']') return false;
    const std::size_t open = origin.rfind('[');
    const std::string prefix = ":" + dataset;
    if (open == std::string::npos || open < prefix.size() || origin.compare(open - prefix.size(), prefix.size(), prefix) != 0)
        return false;
    const std::string digits = origin.substr(open + 1, origin.size() - open - 2);
    if (digits.empty() || digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    file = origin.substr(0, open - prefix.size());
    index = std::stoull(digits);
    return true;
}

bool Hdf5Items::State::readDirect(std::size_t i, Tensor& t, std::string* hash) const {
    prepare();
    std::vector<hsize_t> offset(itemDims.size() + 1, 0);
    offset[0] = i;
    hsize_t stored = 0;
    if (H5Dget_chunk_storage_size(data.get(), offset.data(), &stored) < 0 || stored == 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;  // never written: the library gives the fill value
    }
    if (stored > (uint64_t{1} << 40)) throw DataError(where, "frame " + std::to_string(i) + ": its chunk claims " + std::to_string(stored) + " bytes");
    auto* out = reinterpret_cast<unsigned char*>(t.buffer->data());
    uint32_t skipped = 0;
    if (direct == Direct::Plain) {
        if (stored != itemBytes) return false;
        if (H5Dread_chunk(data.get(), H5P_DEFAULT, offset.data(), &skipped, out) < 0)
            throw DataError(where, "frame " + std::to_string(i) + ": " + libraryError());
        return true;
    }
    thread_local std::vector<unsigned char> chunk;
    chunk.resize(static_cast<std::size_t>(stored));
    if (H5Dread_chunk(data.get(), H5P_DEFAULT, offset.data(), &skipped, chunk.data()) < 0)
        throw DataError(where, "frame " + std::to_string(i) + ": " + libraryError());
    std::string problem;
    if (skipped & 1u) {  // the writer stored this chunk unfiltered
        if (stored != itemBytes) problem = "its unfiltered chunk holds " + std::to_string(stored) + " bytes, not " + std::to_string(itemBytes);
        else std::memcpy(out, chunk.data(), itemBytes);
    } else if (direct == Direct::Lz4) {
        problem = decodeLz4(chunk.data(), chunk.size(), out, itemBytes);
    } else if (hash) {
        prov::ContentHasher hasher;
        problem = decodeBitshuffleLz4(chunk.data(), chunk.size(), out, itemBytes, elemSize(elem), &hasher);
        if (problem.empty()) *hash = hasher.hex();
    } else {
        problem = decodeBitshuffleLz4(chunk.data(), chunk.size(), out, itemBytes, elemSize(elem));
    }
    if (!problem.empty()) throw DataError(where, "frame " + std::to_string(i) + ": " + problem);
    return true;
}

Tensor Hdf5Items::State::readThroughLibrary(std::size_t i) const {
    prepare();
    Tensor t = Tensor::zeros(elem, itemDims);
    std::vector<hsize_t> count(itemDims.begin(), itemDims.end());
    Id memSpace(H5Screate_simple(static_cast<int>(count.size()), count.empty() ? nullptr : count.data(), nullptr), H5Sclose);
    hid_t fileSpace = H5S_ALL;
    Id selection;
    if (frames) {
        selection = Id(H5Scopy(space.get()), H5Sclose);
        std::vector<hsize_t> start(itemDims.size() + 1, 0), frame(itemDims.size() + 1, 1);
        start[0] = i;
        std::copy(count.begin(), count.end(), frame.begin() + 1);
        H5Sselect_hyperslab(selection.get(), H5S_SELECT_SET, start.data(), nullptr, frame.data(), nullptr);
        fileSpace = selection.get();
    }
    if (t.count() > 0 && H5Dread(data.get(), memType.get(), memSpace.get(), fileSpace, H5P_DEFAULT, t.buffer->data()) < 0) {
        std::string reason = libraryError();
        if (reason.find("filter") != std::string::npos || reason.find("plugin") != std::string::npos)
            reason += " (is the filter's plugin installed? Debian: hdf5-filter-plugin, bitshuffle)";
        throw DataError(where, (frames ? "frame " + std::to_string(i) + ": " : std::string()) + reason);
    }
    return t;
}

Tensor Hdf5Items::read(std::size_t i, std::string* hash) const {
    const State& s = *state_;
    if (i >= s.items) throw DataError(s.where, "has " + std::to_string(s.items) + " frames, no frame " + std::to_string(i));
    if (hash) hash->clear();
    if (s.direct != State::Direct::None) {
        Tensor t = Tensor::uninitialized(s.elem, s.itemDims);  // readDirect writes every byte, or nothing
        if (s.readDirect(i, t, hash)) return t;
    }
    return s.readThroughLibrary(i);
}

Tensor readHdf5Tensor(const std::filesystem::path& file, const std::string& dataset, const TypeDesc& declared) {
    Hdf5Items items(file, dataset, declared);
    if (items.frames()) {
        const std::size_t n = items.size();
        throw DataError(printableName(file.string() + ":" + dataset),
                        "holds " + std::to_string(n) + (n == 1 ? " frame" : " frames") + " of " + describeItemType(declared) +
                            "; read() takes the whole dataset as one (stream its frames with files(..., dataset: \"" +
                            dataset + "\"))");
    }
    return items.read(0);
}

// ---------------------------------------------------------------------------------------------
// Writing: the file is built in memory (the core driver) and written whole by
// writeFileAtomically, so a crash never leaves half a file.

void writeHdf5Tensor(const std::filesystem::path& file, const std::string& dataset, const Tensor& t, Durability durability) {
    prepare();
    static std::mutex oneWriterAtATime;  // two firings adding to one file must not lose a dataset
    std::lock_guard lock(oneWriterAtATime);
    const std::string where = printableName(file.string() + ":" + dataset);
    if (dataset.size() < 2 || dataset[0] != '/' || dataset.back() == '/')
        throw DataError(where, "a dataset is named from the root, as \"/entry/result\"");

    std::vector<std::byte> image;
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
        image = readDataFile(file);
        if (!image.empty() && H5Fis_hdf5(file.c_str()) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            throw DataError(printableName(file.string()), "exists and is not an HDF5 file; it is left as it is");
        }
    }
    Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_fapl_core(fapl.get(), 1 << 20, 0);  // in memory, never written by the library
    // The in-memory file's name must not exist on disk (the core driver refuses an image whose
    // name does): nothing can be below /dev/null.
    static std::size_t images = 0;
    const std::string memoryName = "/dev/null/xdml-image-" + std::to_string(++images) + ".h5";
    Id f;
    if (!image.empty()) {
        H5Pset_file_image(fapl.get(), image.data(), image.size());
        f = Id(H5Fopen(memoryName.c_str(), H5F_ACC_RDWR, fapl.get()), H5Fclose);
    } else {
        f = Id(H5Fcreate(memoryName.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
    }
    if (!f.valid()) throw DataError(printableName(file.string()), "cannot open it to add a dataset: " + libraryError());
    if (H5Lexists(f.get(), dataset.c_str(), H5P_DEFAULT) > 0) H5Ldelete(f.get(), dataset.c_str(), H5P_DEFAULT);
    H5Eclear2(H5E_DEFAULT);
    Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(lcpl.get(), 1);
    std::vector<hsize_t> dims(t.dims.begin(), t.dims.end());
    Id space(H5Screate_simple(static_cast<int>(dims.size()), dims.empty() ? nullptr : dims.data(), nullptr), H5Sclose);
    Id type = memoryType(t.elem);
    Id d(H5Dcreate2(f.get(), dataset.c_str(), type.get(), space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    if (!d.valid()) throw DataError(where, "cannot create the dataset: " + libraryError());
    if (t.count() > 0 && H5Dwrite(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, t.buffer->data()) < 0)
        throw DataError(where, "cannot write the dataset: " + libraryError());
    d = Id();
    if (H5Fflush(f.get(), H5F_SCOPE_GLOBAL) < 0) throw DataError(where, "cannot finish the file: " + libraryError());
    const ssize_t size = H5Fget_file_image(f.get(), nullptr, 0);
    if (size < 0) throw DataError(where, "cannot finish the file: " + libraryError());
    std::string bytes(static_cast<std::size_t>(size), '\0');
    if (H5Fget_file_image(f.get(), bytes.data(), bytes.size()) < 0) throw DataError(where, "cannot finish the file: " + libraryError());
    f = Id();
    writeFileAtomically(file, bytes, durability);
}

}  // namespace xdml::runtime
