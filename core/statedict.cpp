// SPDX-License-Identifier: GPL-3.0-or-later
#include "statedict.h"

#include "json.h"
#include "kernels.h"
#include "npy.h"

#include <zip.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <variant>

namespace convscope::core {

namespace {

[[noreturn]] void fail(const std::string &name, const std::string &what)
{
    throw WeightsError(name + ": " + what);
}

// ---- element types -------------------------------------------------------------------

enum class DType { F32, F64, F16, BF16, I64, I32, I16, I8, U8, Bool };

struct DTypeInfo {
    DType type;
    const char *torchName;
    std::size_t bytes;
};

constexpr std::array<DTypeInfo, 10> kDTypes{{
    {DType::F32, "float32", 4},
    {DType::F64, "float64", 8},
    {DType::F16, "float16", 2},
    {DType::BF16, "bfloat16", 2},
    {DType::I64, "int64", 8},
    {DType::I32, "int32", 4},
    {DType::I16, "int16", 2},
    {DType::I8, "int8", 1},
    {DType::U8, "uint8", 1},
    {DType::Bool, "bool", 1},
}};

const DTypeInfo &info(DType t)
{
    return kDTypes.at(static_cast<std::size_t>(t));
}

bool isFloat(DType t)
{
    return t == DType::F32 || t == DType::F64 || t == DType::F16 || t == DType::BF16;
}

float halfToFloat(std::uint16_t h)
{
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000U) << 16;
    std::uint32_t exp = (h >> 10) & 0x1FU;
    std::uint32_t mant = h & 0x3FFU;
    std::uint32_t bits = 0;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000U | (mant << 13);
    } else if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { // subnormal: normalise
            int e = -1;
            do {
                ++e;
                mant <<= 1;
            } while ((mant & 0x400U) == 0);
            bits =
                sign | ((127 - 15 - static_cast<std::uint32_t>(e)) << 23) | ((mant & 0x3FFU) << 13);
        }
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f = 0;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// One little-endian element at `p` as float.
float loadElement(const unsigned char *p, DType t)
{
    auto read = [p](auto v) {
        std::memcpy(&v, p, sizeof v);
        return v;
    };
    switch (t) {
    case DType::F32: return read(float{});
    case DType::F64: return static_cast<float>(read(double{}));
    case DType::F16: return halfToFloat(read(std::uint16_t{}));
    case DType::BF16: {
        const std::uint32_t bits = static_cast<std::uint32_t>(read(std::uint16_t{})) << 16;
        float f = 0;
        std::memcpy(&f, &bits, sizeof f);
        return f;
    }
    case DType::I64: return static_cast<float>(read(std::int64_t{}));
    case DType::I32: return static_cast<float>(read(std::int32_t{}));
    case DType::I16: return static_cast<float>(read(std::int16_t{}));
    case DType::I8: return static_cast<float>(read(std::int8_t{}));
    case DType::U8:
    case DType::Bool: return static_cast<float>(*p);
    }
    return 0.0f;
}

// A tensor of `shape` with `strides` (in elements) from `offset` in a storage of
// `storageBytes` bytes; every index it reaches is checked against the storage first.
Tensor gather(const unsigned char *storage, std::size_t storageBytes, DType t, const Shape &shape,
              const std::vector<std::int64_t> &strides, std::int64_t offset,
              const std::string &where)
{
    const auto n = checkedNumel(shape);
    if (!n)
        throw WeightsError(where + ": the shape " + formatShape(shape) + " is too large");
    const std::size_t es = info(t).bytes;
    const auto storageElems = static_cast<std::int64_t>(storageBytes / es);
    if (*n > 0) {
        // The last element reached: offset + sum((size - 1) * stride), in int64 without overflow.
        std::int64_t last = offset;
        for (std::size_t d = 0; d < shape.size(); ++d) {
            if (strides[d] < 0)
                throw WeightsError(where + ": negative stride " + std::to_string(strides[d]));
            const std::int64_t step = shape[d] - 1;
            if (step > 0 && strides[d] > (std::numeric_limits<std::int64_t>::max() - last) / step)
                throw WeightsError(where + ": strides reach beyond any storage");
            last += step * strides[d];
        }
        if (offset < 0 || last >= storageElems)
            throw WeightsError(where + ": the tensor " + formatShape(shape) + " at offset "
                               + std::to_string(offset) + " needs element " + std::to_string(last)
                               + " of a storage of " + std::to_string(storageElems) + " elements");
    }
    Tensor out(shape);
    if (*n == 0)
        return out;
    std::vector<std::int64_t> index(shape.size(), 0);
    std::int64_t pos = offset;
    for (std::int64_t i = 0; i < *n; ++i) {
        out.data[static_cast<std::size_t>(i)] =
            loadElement(storage + static_cast<std::size_t>(pos) * es, t);
        for (std::size_t d = shape.size(); d-- > 0;) {
            if (++index[d] < shape[d]) {
                pos += strides[d];
                break;
            }
            pos -= (shape[d] - 1) * strides[d];
            index[d] = 0;
        }
    }
    return out;
}

std::vector<std::int64_t> contiguousStrides(const Shape &shape)
{
    std::vector<std::int64_t> s(shape.size(), 1);
    for (std::size_t d = shape.size(); d-- > 1;)
        s[d - 1] = s[d] * std::max<std::int64_t>(shape[d], 1);
    return s;
}

// ---- zip archives (libzip) -----------------------------------------------------------

class ZipArchive {
public:
    ZipArchive(const std::string &bytes, const std::string &name) : m_name(name)
    {
        zip_error_t error;
        zip_error_init(&error);
        zip_source_t *src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
        if (src)
            m_zip = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &error);
        if (!m_zip) {
            const std::string why = zip_error_strerror(&error);
            if (src)
                zip_source_free(src);
            zip_error_fini(&error);
            fail(name, "not a readable zip archive (" + why + ")");
        }
        zip_error_fini(&error);
    }
    ~ZipArchive() { zip_discard(m_zip); }
    ZipArchive(const ZipArchive &) = delete;
    ZipArchive &operator=(const ZipArchive &) = delete;

    std::vector<std::string> names() const
    {
        std::vector<std::string> out;
        const zip_int64_t n = zip_get_num_entries(m_zip, 0);
        for (zip_int64_t i = 0; i < n; ++i) {
            const char *entry = zip_get_name(m_zip, static_cast<zip_uint64_t>(i), 0);
            if (entry)
                out.emplace_back(entry);
        }
        return out;
    }

    // The member's bytes, at most `limit` of them (its header's size is not trusted: a
    // member that inflates to more is refused as it is read).
    std::string read(const std::string &member, std::size_t limit) const
    {
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat(m_zip, member.c_str(), 0, &st) != 0 || (st.valid & ZIP_STAT_SIZE) == 0)
            fail(m_name, "the archive has no member '" + member + "'");
        // Deflate expands at most 1032:1 and a stored member not at all, so a member whose
        // header claims more than that is damaged; refusing it early spares the allocation.
        if ((st.valid & ZIP_STAT_COMP_SIZE) != 0 && st.comp_size < limit / 1032)
            limit = static_cast<std::size_t>((st.valid & ZIP_STAT_COMP_METHOD) != 0
                                                     && st.comp_method == ZIP_CM_STORE
                                                 ? st.comp_size
                                                 : st.comp_size * 1032 + 1024);
        if (st.size > limit)
            fail(m_name, "member '" + member + "' claims " + std::to_string(st.size)
                             + " bytes, more than " + std::to_string(limit)
                             + " (the most it can hold, or the most read)");
        zip_file_t *f = zip_fopen(m_zip, member.c_str(), 0);
        if (!f)
            fail(m_name, "cannot open member '" + member + "': " + zip_strerror(m_zip));
        std::string data(static_cast<std::size_t>(st.size), '\0');
        std::size_t got = 0;
        while (got < data.size()) {
            const zip_int64_t r = zip_fread(f, data.data() + got, data.size() - got);
            if (r <= 0)
                break;
            got += static_cast<std::size_t>(r);
        }
        char extra = 0;
        const zip_int64_t more = got == data.size() ? zip_fread(f, &extra, 1) : 0;
        const std::string why = zip_file_strerror(f);
        zip_fclose(f);
        if (got != data.size() || more != 0)
            fail(m_name, "member '" + member + "' is damaged or not the size its header says ("
                             + why + ")");
        return data;
    }

private:
    std::string m_name;
    zip_t *m_zip = nullptr;
};

bool endsWith(const std::string &s, const std::string &suffix)
{
    return s.size() >= suffix.size()
           && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// ---- .npz ----------------------------------------------------------------------------

StateDict parseNpz(const ZipArchive &zip, const std::vector<std::string> &members,
                   const std::string &name)
{
    StateDict sd;
    sd.format = "npz";
    for (const std::string &m : members) {
        if (!endsWith(m, ".npy"))
            fail(name, "member '" + m + "' of the .npz is not a .npy array");
        StateDictEntry e;
        e.key = m.substr(0, m.size() - 4);
        const std::string bytes = zip.read(m, kWeightsMaxBytes);
        // numpy writes num_batches_tracked as int64, which the float reader refuses; the
        // value only counts training batches, so it is kept as the scalar it is.
        if (endsWith(e.key, "num_batches_tracked") && bytes.find("'<i8'") != std::string::npos) {
            e.tensor = Tensor(Shape{});
            e.dtype = "int64";
        } else {
            try {
                std::string where = name;
                where += ":";
                where += m;
                e.tensor = parseNpy(bytes, where);
            } catch (const NpyError &err) {
                throw WeightsError(err.what());
            }
            e.dtype = "float32";
        }
        sd.entries.push_back(std::move(e));
    }
    return sd;
}

// ---- .safetensors --------------------------------------------------------------------

StateDict parseSafetensors(const std::string &bytes, const std::string &name)
{
    std::uint64_t headerSize = 0;
    std::memcpy(&headerSize, bytes.data(), sizeof headerSize);
    if (headerSize > kSafetensorsMaxHeader || headerSize > bytes.size() - 8)
        fail(name, "the safetensors header length " + std::to_string(headerSize)
                       + " exceeds the file (" + std::to_string(bytes.size()) + " bytes)");
    JsonValue doc;
    try {
        doc = parseJson(bytes.substr(8, static_cast<std::size_t>(headerSize)));
    } catch (const JsonError &e) {
        fail(name, std::string("safetensors header: ") + e.what());
    }
    const auto *root = std::get_if<std::shared_ptr<JsonObject>>(&doc.v);
    if (!root)
        fail(name, "the safetensors header is not a JSON object");
    const auto *data = reinterpret_cast<const unsigned char *>(bytes.data()) + 8 + headerSize;
    const std::uint64_t dataBytes = bytes.size() - 8 - headerSize;
    static const std::map<std::string, DType> kNames{
        {"F32", DType::F32}, {"F64", DType::F64},  {"F16", DType::F16}, {"BF16", DType::BF16},
        {"I64", DType::I64}, {"I32", DType::I32},  {"I16", DType::I16}, {"I8", DType::I8},
        {"U8", DType::U8},   {"BOOL", DType::Bool}};
    // Tensors come back in the order of their data, which is the order the writer saved them.
    std::vector<std::pair<std::uint64_t, StateDictEntry>> found;
    for (const auto &[key, value] : **root) {
        if (key == "__metadata__")
            continue;
        std::string where = name;
        where += ": tensor '";
        where += key;
        where += "'";
        const auto *obj = std::get_if<std::shared_ptr<JsonObject>>(&value.v);
        if (!obj)
            throw WeightsError(where + ": expected an object with dtype, shape, data_offsets");
        auto field = [&](const char *f) -> const JsonValue & {
            auto it = (*obj)->find(f);
            if (it == (*obj)->end())
                throw WeightsError(where + ": no '" + f + "'");
            return it->second;
        };
        auto intList = [&](const char *f) {
            const auto *arr = std::get_if<std::shared_ptr<JsonArray>>(&field(f).v);
            if (!arr || (*arr)->size() > 16)
                throw WeightsError(where + ": '" + f + "' must be a list of at most 16 integers");
            std::vector<std::int64_t> out;
            for (const JsonValue &v : **arr) {
                const auto *d = std::get_if<double>(&v.v);
                if (!d || *d < 0 || *d > 9.0e15
                    || *d != static_cast<double>(static_cast<std::int64_t>(*d)))
                    throw WeightsError(where + ": '" + f
                                       + "' holds a value that is not a non-negative integer");
                out.push_back(static_cast<std::int64_t>(*d));
            }
            return out;
        };
        const auto *dtype = std::get_if<std::string>(&field("dtype").v);
        if (!dtype || kNames.count(*dtype) == 0)
            throw WeightsError(
                where + ": unsupported dtype (expected F32, F64, F16, BF16 or an integer type)");
        const DType t = kNames.at(*dtype);
        const Shape shape = intList("shape");
        const auto offsets = intList("data_offsets");
        if (offsets.size() != 2 || offsets[0] > offsets[1]
            || static_cast<std::uint64_t>(offsets[1]) > dataBytes)
            throw WeightsError(where + ": data_offsets must be [begin, end] inside the "
                               + std::to_string(dataBytes) + " data bytes");
        const auto n = checkedNumel(shape);
        const auto span = static_cast<std::uint64_t>(offsets[1] - offsets[0]);
        if (!n || static_cast<std::uint64_t>(*n) * info(t).bytes != span)
            throw WeightsError(where + ": shape " + formatShape(shape) + " of " + *dtype
                               + " does not fill its " + std::to_string(span) + " bytes");
        StateDictEntry e;
        e.key = key;
        e.dtype = info(t).torchName;
        e.tensor = gather(data + offsets[0], span, t, shape, contiguousStrides(shape), 0, where);
        found.emplace_back(static_cast<std::uint64_t>(offsets[0]), std::move(e));
    }
    std::stable_sort(found.begin(), found.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    StateDict sd;
    sd.format = "safetensors";
    for (auto &f : found)
        sd.entries.push_back(std::move(f.second));
    return sd;
}

// ---- the restricted pickle reader ----------------------------------------------------

struct PyObject;
using PyRef = std::shared_ptr<PyObject>;

struct PyObject {
    enum class Kind {
        None,
        Bool,
        Int,
        Float,
        Str,
        Bytes,
        Tuple,
        List,
        Dict,
        Global,
        Storage,
        Tensor
    };
    Kind kind = Kind::None;
    std::int64_t i = 0;
    double f = 0;
    std::string s;            // Str, Bytes, Global ("module.name"), Storage key
    std::vector<PyRef> items; // Tuple, List; Dict as key, value, key, value, ...
    DType dtype = DType::F32; // Storage, Tensor
    PyRef storage;            // Tensor
    std::int64_t offset = 0;  // Tensor
    Shape sizes;              // Tensor
    std::vector<std::int64_t> strides;
};

PyRef make(PyObject::Kind k)
{
    auto p = std::make_shared<PyObject>();
    p->kind = k;
    return p;
}

// What a state_dict's pickle may import: the containers and tensor rebuilders torch.save
// writes, and the storage classes. Everything else is refused by name, before it is used.
const std::map<std::string, std::optional<DType>> &allowedGlobals()
{
    static const std::map<std::string, std::optional<DType>> kAllowed{
        {"collections.OrderedDict", std::nullopt},
        {"torch._utils._rebuild_tensor_v2", std::nullopt},
        {"torch._utils._rebuild_parameter", std::nullopt},
        {"torch.FloatStorage", DType::F32},
        {"torch.DoubleStorage", DType::F64},
        {"torch.HalfStorage", DType::F16},
        {"torch.BFloat16Storage", DType::BF16},
        {"torch.LongStorage", DType::I64},
        {"torch.IntStorage", DType::I32},
        {"torch.ShortStorage", DType::I16},
        {"torch.CharStorage", DType::I8},
        {"torch.ByteStorage", DType::U8},
        {"torch.BoolStorage", DType::Bool},
    };
    return kAllowed;
}

class PickleReader {
public:
    PickleReader(const std::string &bytes, std::string where)
        : m_p(bytes), m_where(std::move(where))
    {
    }

    PyRef run()
    {
        while (true) {
            const std::size_t at = m_pos;
            const auto op = static_cast<unsigned char>(byte());
            switch (op) {
            case 0x80: // PROTO
                if (static_cast<unsigned char>(byte()) > 5)
                    error(at, "pickle protocol above 5");
                break;
            case 0x95: // FRAME
                (void)take(8);
                break;
            case '.': // STOP
                if (m_stack.size() != 1)
                    error(at,
                          "STOP with " + std::to_string(m_stack.size()) + " objects on the stack");
                return m_stack.back();
            case '(':
                if (m_marks.size() > kMaxDepth)
                    error(at, "nesting deeper than " + std::to_string(kMaxDepth));
                m_marks.push_back(m_stack.size());
                break;
            case 'N': push(make(PyObject::Kind::None)); break;
            case 0x88:   // NEWTRUE
            case 0x89: { // NEWFALSE
                auto b = make(PyObject::Kind::Bool);
                b->i = op == 0x88;
                push(b);
                break;
            }
            case 'K': pushInt(static_cast<unsigned char>(byte())); break;
            case 'M': pushInt(static_cast<std::int64_t>(le(2))); break;
            case 'J': pushInt(static_cast<std::int32_t>(static_cast<std::uint32_t>(le(4)))); break;
            case 0x8a: { // LONG1
                const auto n = static_cast<unsigned char>(byte());
                if (n > 8)
                    error(at, "an integer of " + std::to_string(n) + " bytes");
                std::uint64_t v = n ? le(n) : 0;
                if (n > 0 && n < 8 && (v >> (8 * n - 1)) != 0) // sign-extend
                    v |= ~std::uint64_t{0} << (8 * n);
                pushInt(static_cast<std::int64_t>(v));
                break;
            }
            case 'G': { // BINFLOAT: big-endian double
                std::uint64_t bits = 0;
                for (char c : take(8))
                    bits = (bits << 8) | static_cast<unsigned char>(c);
                auto f = make(PyObject::Kind::Float);
                std::memcpy(&f->f, &bits, sizeof bits);
                push(f);
                break;
            }
            case 'X': // BINUNICODE
                pushStr(PyObject::Kind::Str, take(le(4)));
                break;
            case 0x8c: // SHORT_BINUNICODE
                pushStr(PyObject::Kind::Str, take(static_cast<unsigned char>(byte())));
                break;
            case 0x8d: // BINUNICODE8
                pushStr(PyObject::Kind::Str, take(le(8)));
                break;
            case 'T': // BINSTRING
            case 'B': // BINBYTES
                pushStr(op == 'T' ? PyObject::Kind::Str : PyObject::Kind::Bytes, take(le(4)));
                break;
            case 'U': // SHORT_BINSTRING
            case 'C': // SHORT_BINBYTES
                pushStr(op == 'U' ? PyObject::Kind::Str : PyObject::Kind::Bytes,
                        take(static_cast<unsigned char>(byte())));
                break;
            case ')': push(make(PyObject::Kind::Tuple)); break;
            case 0x85:   // TUPLE1
            case 0x86:   // TUPLE2
            case 0x87: { // TUPLE3
                const std::size_t n = op - 0x84U;
                need(at, n);
                auto t = make(PyObject::Kind::Tuple);
                t->items.assign(m_stack.end() - static_cast<std::ptrdiff_t>(n), m_stack.end());
                m_stack.resize(m_stack.size() - n);
                push(t);
                break;
            }
            case 't':
            case 'l': {
                auto t = make(op == 't' ? PyObject::Kind::Tuple : PyObject::Kind::List);
                t->items = popMark(at);
                push(t);
                break;
            }
            case ']': push(make(PyObject::Kind::List)); break;
            case '}': push(make(PyObject::Kind::Dict)); break;
            case 'd': {
                auto d = make(PyObject::Kind::Dict);
                d->items = popMark(at);
                if (d->items.size() % 2)
                    error(at, "DICT with an odd number of items");
                push(d);
                break;
            }
            case 'a': { // APPEND
                need(at, 2);
                PyRef v = pop();
                list(at)->items.push_back(v);
                break;
            }
            case 'e': { // APPENDS
                auto items = popMark(at);
                PyRef l = list(at);
                l->items.insert(l->items.end(), items.begin(), items.end());
                break;
            }
            case 's': { // SETITEM
                need(at, 3);
                PyRef v = pop();
                PyRef k = pop();
                PyRef d = dict(at);
                d->items.push_back(k);
                d->items.push_back(v);
                break;
            }
            case 'u': { // SETITEMS
                auto items = popMark(at);
                if (items.size() % 2)
                    error(at, "SETITEMS with an odd number of items");
                PyRef d = dict(at);
                d->items.insert(d->items.end(), items.begin(), items.end());
                break;
            }
            case 'q': memoPut(at, static_cast<unsigned char>(byte())); break;
            case 'r': memoPut(at, le(4)); break;
            case 0x94: // MEMOIZE
                memoPut(at, m_memo.size());
                break;
            case 'h': memoGet(at, static_cast<unsigned char>(byte())); break;
            case 'j': memoGet(at, le(4)); break;
            case '0': // POP
                need(at, 1);
                pop();
                break;
            case '1': // POP_MARK
                popMark(at);
                break;
            case '2': // DUP
                need(at, 1);
                push(m_stack.back());
                break;
            case 'c': { // GLOBAL "module\nname\n"
                std::string qualified = line(at);
                qualified += ".";
                qualified += line(at);
                pushGlobal(at, qualified);
                break;
            }
            case 0x93: { // STACK_GLOBAL
                need(at, 2);
                PyRef n = pop();
                PyRef m = pop();
                if (m->kind != PyObject::Kind::Str || n->kind != PyObject::Kind::Str)
                    error(at, "STACK_GLOBAL of something other than two strings");
                pushGlobal(at, m->s + "." + n->s);
                break;
            }
            case 'Q': { // BINPERSID
                need(at, 1);
                push(storage(at, pop()));
                break;
            }
            case 'R': { // REDUCE
                need(at, 2);
                PyRef args = pop();
                PyRef fn = pop();
                push(reduce(at, fn, args));
                break;
            }
            case 'b': { // BUILD: the state of an OrderedDict (its _metadata) or a Parameter
                need(at, 2);
                pop();
                const auto k = m_stack.back()->kind;
                if (k != PyObject::Kind::Dict && k != PyObject::Kind::Tensor)
                    error(at, "BUILD on something that is not a dict or a tensor");
                break;
            }
            default: error(at, "opcode 0x" + hex(op) + ", which a state_dict never holds");
            }
        }
    }

private:
    static constexpr std::size_t kMaxDepth = 1000;
    static constexpr std::size_t kMaxStack = 1U << 20;
    static constexpr std::size_t kMaxMemo = 1U << 20;

    static std::string hex(unsigned v)
    {
        const char *digits = "0123456789abcdef";
        return {digits[(v >> 4) & 15U], digits[v & 15U]};
    }

    [[noreturn]] void error(std::size_t at, const std::string &what) const
    {
        throw WeightsError(m_where + " at byte " + std::to_string(at) + ": " + what);
    }

    char byte()
    {
        if (m_pos >= m_p.size())
            error(m_pos, "the pickle ends before its STOP");
        return m_p[m_pos++];
    }
    std::string take(std::uint64_t n)
    {
        if (n > m_p.size() - m_pos)
            error(m_pos, "a value of " + std::to_string(n) + " bytes runs past the pickle's end");
        std::string s = m_p.substr(m_pos, static_cast<std::size_t>(n));
        m_pos += static_cast<std::size_t>(n);
        return s;
    }
    std::uint64_t le(int n)
    {
        const std::string b = take(static_cast<std::uint64_t>(n));
        std::uint64_t v = 0;
        for (int i = n; i-- > 0;)
            v = (v << 8) | static_cast<unsigned char>(b[static_cast<std::size_t>(i)]);
        return v;
    }
    std::string line(std::size_t at)
    {
        const std::size_t end = m_p.find('\n', m_pos);
        if (end == std::string::npos || end - m_pos > 256)
            error(at, "GLOBAL without a name line");
        std::string s = m_p.substr(m_pos, end - m_pos);
        m_pos = end + 1;
        return s;
    }

    void push(PyRef v)
    {
        if (m_stack.size() >= kMaxStack)
            error(m_pos, "more than " + std::to_string(kMaxStack) + " objects on the stack");
        m_stack.push_back(std::move(v));
    }
    PyRef pop()
    {
        PyRef v = m_stack.back();
        m_stack.pop_back();
        return v;
    }
    void need(std::size_t at, std::size_t n) const
    {
        const std::size_t floor = m_marks.empty() ? 0 : m_marks.back();
        if (m_stack.size() < floor + n)
            error(at, "an opcode needs " + std::to_string(n) + " objects on the stack");
    }
    std::vector<PyRef> popMark(std::size_t at)
    {
        if (m_marks.empty())
            error(at, "no MARK to pop to");
        const std::size_t m = m_marks.back();
        m_marks.pop_back();
        std::vector<PyRef> items(m_stack.begin() + static_cast<std::ptrdiff_t>(m), m_stack.end());
        m_stack.resize(m);
        return items;
    }
    void pushInt(std::int64_t v)
    {
        auto p = make(PyObject::Kind::Int);
        p->i = v;
        push(p);
    }
    void pushStr(PyObject::Kind k, std::string s)
    {
        auto p = make(k);
        p->s = std::move(s);
        push(p);
    }
    PyRef list(std::size_t at)
    {
        need(at, 1);
        if (m_stack.back()->kind != PyObject::Kind::List)
            error(at, "APPEND to something that is not a list");
        return m_stack.back();
    }
    PyRef dict(std::size_t at)
    {
        need(at, 1);
        if (m_stack.back()->kind != PyObject::Kind::Dict)
            error(at, "SETITEM on something that is not a dict");
        return m_stack.back();
    }
    void memoPut(std::size_t at, std::uint64_t index)
    {
        need(at, 1);
        if (m_memo.size() >= kMaxMemo && m_memo.count(index) == 0)
            error(at, "more than " + std::to_string(kMaxMemo) + " memo entries");
        m_memo[index] = m_stack.back();
    }
    void memoGet(std::size_t at, std::uint64_t index)
    {
        auto it = m_memo.find(index);
        if (it == m_memo.end())
            error(at, "memo entry " + std::to_string(index) + " was never stored");
        push(it->second);
    }

    void pushGlobal(std::size_t at, const std::string &qualified)
    {
        if (allowedGlobals().count(qualified) == 0) {
            std::string hint;
            if (qualified.rfind("torch.nn.", 0) == 0 || qualified.rfind("__main__.", 0) == 0)
                hint = "; this looks like a whole pickled model: save model.state_dict() instead";
            error(at, "refusing to load: the pickle imports '" + qualified
                          + "', and only tensors, storages and OrderedDicts are read "
                            "(as torch.load(weights_only=True))"
                          + hint);
        }
        auto g = make(PyObject::Kind::Global);
        g->s = qualified;
        push(g);
    }

    // torch's persistent id: ('storage', torch.FloatStorage, key, location, numel).
    PyRef storage(std::size_t at, const PyRef &pid)
    {
        const auto &it = pid->items;
        if (pid->kind != PyObject::Kind::Tuple || it.size() < 3
            || it[0]->kind != PyObject::Kind::Str || it[0]->s != "storage"
            || it[1]->kind != PyObject::Kind::Global || it[2]->kind != PyObject::Kind::Str)
            error(at, "a persistent id that is not ('storage', type, key, location, numel)");
        const auto dtype = allowedGlobals().at(it[1]->s);
        if (!dtype)
            error(at, "a storage of type '" + it[1]->s + "'");
        auto s = make(PyObject::Kind::Storage);
        s->s = it[2]->s;
        s->dtype = *dtype;
        return s;
    }

    static bool isIntTuple(const PyRef &p)
    {
        if (p->kind != PyObject::Kind::Tuple || p->items.size() > 16)
            return false;
        return std::all_of(p->items.begin(), p->items.end(),
                           [](const PyRef &v) { return v->kind == PyObject::Kind::Int; });
    }

    PyRef reduce(std::size_t at, const PyRef &fn, const PyRef &args)
    {
        if (fn->kind != PyObject::Kind::Global || args->kind != PyObject::Kind::Tuple)
            error(at, "REDUCE of something that is not an allowed function");
        const auto &a = args->items;
        if (fn->s == "collections.OrderedDict") {
            if (!a.empty())
                error(at, "OrderedDict built from arguments");
            return make(PyObject::Kind::Dict);
        }
        if (fn->s == "torch._utils._rebuild_tensor_v2") {
            if (a.size() < 4 || a[0]->kind != PyObject::Kind::Storage
                || a[1]->kind != PyObject::Kind::Int || !isIntTuple(a[2]) || !isIntTuple(a[3])
                || a[2]->items.size() != a[3]->items.size())
                error(at, "_rebuild_tensor_v2 without (storage, offset, size, stride, ...)");
            auto t = make(PyObject::Kind::Tensor);
            t->storage = a[0];
            t->dtype = a[0]->dtype;
            t->offset = a[1]->i;
            for (const PyRef &v : a[2]->items) {
                if (v->i < 0)
                    error(at, "a tensor size of " + std::to_string(v->i));
                t->sizes.push_back(v->i);
            }
            for (const PyRef &v : a[3]->items)
                t->strides.push_back(v->i);
            return t;
        }
        if (fn->s == "torch._utils._rebuild_parameter") {
            if (a.empty() || a[0]->kind != PyObject::Kind::Tensor)
                error(at, "_rebuild_parameter without a tensor");
            return a[0];
        }
        error(at, "'" + fn->s + "' is not a function");
    }

    const std::string &m_p;
    std::string m_where;
    std::size_t m_pos = 0;
    std::vector<PyRef> m_stack;
    std::vector<std::size_t> m_marks;
    std::unordered_map<std::uint64_t, PyRef> m_memo;
};

StateDict parsePt(const ZipArchive &zip, const std::vector<std::string> &members,
                  const std::string &name)
{
    std::string pkl;
    for (const std::string &m : members)
        if (endsWith(m, "/data.pkl") && (pkl.empty() || m.size() < pkl.size()))
            pkl = m;
    const std::string prefix = pkl.substr(0, pkl.size() - std::string("data.pkl").size());
    const std::string bytes = zip.read(pkl, kPickleMaxBytes);
    PyRef root = PickleReader(bytes, name + ": " + pkl).run();
    if (root->kind != PyObject::Kind::Dict)
        fail(name, "the pickle holds no dict of tensors (a state_dict)");
    // A training checkpoint keeps the model's state_dict under one of these keys.
    auto lookup = [](const PyRef &d, const std::string &key) -> PyRef {
        for (std::size_t i = 0; i + 1 < d->items.size(); i += 2)
            if (d->items[i]->kind == PyObject::Kind::Str && d->items[i]->s == key)
                return d->items[i + 1];
        return nullptr;
    };
    for (const char *key : {"state_dict", "model_state_dict", "model"}) {
        PyRef inner = lookup(root, key);
        if (inner && inner->kind == PyObject::Kind::Dict) {
            root = inner;
            break;
        }
    }
    StateDict sd;
    sd.format = "pt";
    std::map<std::string, std::string> storages; // key -> bytes, each read once
    for (std::size_t i = 0; i + 1 < root->items.size(); i += 2) {
        const PyRef &k = root->items[i];
        const PyRef &v = root->items[i + 1];
        if (k->kind != PyObject::Kind::Str)
            fail(name, "the state_dict has a key that is not a string");
        if (v->kind != PyObject::Kind::Tensor)
            fail(name, "'" + k->s + "' is not a tensor");
        auto it = storages.find(v->storage->s);
        if (it == storages.end())
            it = storages
                     .emplace(v->storage->s,
                              zip.read(prefix + "data/" + v->storage->s, kWeightsMaxBytes))
                     .first;
        StateDictEntry e;
        e.key = k->s;
        e.dtype = info(v->dtype).torchName;
        e.tensor =
            gather(reinterpret_cast<const unsigned char *>(it->second.data()), it->second.size(),
                   v->dtype, v->sizes, v->strides, v->offset, name + ": '" + k->s + "'");
        sd.entries.push_back(std::move(e));
    }
    return sd;
}

std::string readAll(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(path, std::string("cannot open: ") + std::strerror(errno));
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size < 0)
        fail(path, "cannot tell its size");
    if (static_cast<std::uint64_t>(size) > kWeightsMaxBytes)
        fail(path, std::to_string(size) + " bytes is more than the "
                       + std::to_string(kWeightsMaxBytes) + " a weights file may have");
    in.seekg(0);
    std::string bytes(static_cast<std::size_t>(size), '\0');
    if (!in.read(bytes.data(), size))
        fail(path, "read error");
    return bytes;
}

bool isFloatDType(const std::string &dtype)
{
    for (const DTypeInfo &d : kDTypes)
        if (dtype == d.torchName)
            return isFloat(d.type);
    return false;
}

std::shared_ptr<const Tensor> share(Tensor t)
{
    return std::make_shared<const Tensor>(std::move(t));
}

} // namespace

const StateDictEntry *StateDict::find(const std::string &key) const
{
    for (const StateDictEntry &e : entries)
        if (e.key == key)
            return &e;
    return nullptr;
}

StateDict parseStateDict(const std::string &bytes, const std::string &name)
{
    if (bytes.size() >= 4 && bytes.compare(0, 4, "PK\x03\x04") == 0) {
        const ZipArchive zip(bytes, name);
        const std::vector<std::string> members = zip.names();
        if (std::any_of(members.begin(), members.end(),
                        [](const std::string &m) { return endsWith(m, "/data.pkl"); }))
            return parsePt(zip, members, name);
        if (!members.empty()
            && std::all_of(members.begin(), members.end(),
                           [](const std::string &m) { return endsWith(m, ".npy"); }))
            return parseNpz(zip, members, name);
        fail(name, "a zip archive that is neither a PyTorch file (no data.pkl) nor an .npz");
    }
    if (bytes.size() >= 9 && bytes[8] == '{')
        return parseSafetensors(bytes, name);
    if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x80)
        fail(name, "a PyTorch file in the legacy format (before 1.6); load it in PyTorch and "
                   "save it again with torch.save(model.state_dict(), path)");
    fail(name, "not a weights file: expected .npz, .safetensors or a PyTorch .pt/.pth state_dict");
}

StateDict readStateDict(const std::string &path)
{
    return parseStateDict(readAll(path), path);
}

std::vector<ExpectedTensor> expectedTensors(const Layer &layer)
{
    std::vector<ExpectedTensor> out;
    if (const auto *c = std::get_if<Conv2dLayer>(&layer)) {
        out.push_back({"weight", weightShape(c->params)});
        if (c->params.bias)
            out.push_back({"bias", {c->params.outChannels}});
    } else if (const auto *t = std::get_if<ConvTranspose2dLayer>(&layer)) {
        out.push_back({"weight", weightShape(t->params)});
        if (t->params.bias)
            out.push_back({"bias", {t->params.outChannels}});
    } else if (const auto *b = std::get_if<BatchNorm2dLayer>(&layer)) {
        const Shape c{b->numFeatures};
        if (b->affine) {
            out.push_back({"weight", c});
            out.push_back({"bias", c});
        }
        out.push_back({"running_mean", c});
        out.push_back({"running_var", c});
        out.push_back({"num_batches_tracked", {}});
    }
    return out;
}

Network loadStateDict(const TorchPrintModel &model, const StateDict &weights)
{
    std::vector<std::string> missing;
    std::vector<std::string> mismatched;
    std::map<std::string, bool> used;
    Network net = model.network;
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
        const std::string &path = i < model.layers.size() ? model.layers[i].path : std::string();
        std::map<std::string, std::shared_ptr<const Tensor>> got;
        for (const ExpectedTensor &x : expectedTensors(net.layers[i])) {
            const std::string key = path.empty() ? x.suffix : path + "." + x.suffix;
            const StateDictEntry *e = weights.find(key);
            if (!e) {
                if (x.suffix != "num_batches_tracked")
                    missing.push_back('"' + key + '"');
                continue;
            }
            used[key] = true;
            if (x.suffix == "num_batches_tracked")
                continue;
            if (e->tensor.shape != x.shape) {
                mismatched.push_back("size mismatch for " + key + ": copying a param with shape "
                                     + formatShape(e->tensor.shape)
                                     + " from checkpoint, the shape in current model is "
                                     + formatShape(x.shape) + ".");
                continue;
            }
            if (!isFloatDType(e->dtype)) {
                mismatched.push_back(key + ": a " + e->dtype
                                     + " tensor where the module holds floating point");
                continue;
            }
            got[x.suffix] = std::make_shared<const Tensor>(e->tensor);
        }
        std::visit(
            [&](auto &l) {
                using T = std::decay_t<decltype(l)>;
                if constexpr (std::is_same_v<
                                  T, Conv2dLayer> || std::is_same_v<T, ConvTranspose2dLayer>) {
                    l.weight = got["weight"];
                    l.bias = got["bias"];
                } else if constexpr (std::is_same_v<T, BatchNorm2dLayer>) {
                    l.weight = got["weight"];
                    l.bias = got["bias"];
                    l.runningMean = got["running_mean"];
                    l.runningVar = got["running_var"];
                }
            },
            net.layers[i]);
    }
    std::vector<std::string> unexpected;
    for (const StateDictEntry &e : weights.entries)
        if (!used.count(e.key))
            unexpected.push_back('"' + e.key + '"');
    if (missing.empty() && unexpected.empty() && mismatched.empty())
        return net;
    auto join = [](const std::vector<std::string> &v) {
        std::string s;
        for (const std::string &x : v)
            s += (s.empty() ? "" : ", ") + x;
        return s;
    };
    std::string msg = "Error(s) in loading state_dict for Sequential:";
    if (!missing.empty())
        msg += "\n\tMissing key(s) in state_dict: " + join(missing) + ".";
    if (!unexpected.empty())
        msg += "\n\tUnexpected key(s) in state_dict: " + join(unexpected) + ".";
    for (const std::string &m : mismatched)
        msg += "\n\t" + m;
    throw WeightsError(msg);
}

Network withDefaultTensors(const Network &net, std::uint64_t seed)
{
    Network out = net;
    for (std::size_t i = 0; i < out.layers.size(); ++i) {
        const std::uint64_t s = seed + 1000003ULL * i;
        std::visit(
            [&](auto &l) {
                using T = std::decay_t<decltype(l)>;
                if constexpr (std::is_same_v<T, Conv2dLayer>) {
                    if (!l.weight)
                        l.weight = share(kaimingUniformWeights(l.params, s));
                    if (!l.bias && l.params.bias)
                        l.bias = share(defaultBias(l.params, s));
                } else if constexpr (std::is_same_v<T, ConvTranspose2dLayer>) {
                    // PyTorch's fan_in of a transposed weight [C_in, C_out/g, kH, kW] is
                    // C_out/g * kH * kW: a Conv2d mapping C_out to C_in has the same weight.
                    Conv2dParams w;
                    w.inChannels = l.params.outChannels;
                    w.outChannels = l.params.inChannels;
                    w.groups = l.params.groups;
                    w.kernel = l.params.kernel;
                    if (!l.weight)
                        l.weight = share(kaimingUniformWeights(w, s));
                    if (!l.bias && l.params.bias) {
                        Conv2dParams b = w;
                        b.outChannels = l.params.outChannels;
                        l.bias = share(defaultBias(b, s));
                    }
                } else if constexpr (std::is_same_v<T, BatchNorm2dLayer>) {
                    const Shape c{l.numFeatures};
                    if (!l.runningMean)
                        l.runningMean = share(Tensor(c, 0.0f));
                    if (!l.runningVar)
                        l.runningVar = share(Tensor(c, 1.0f));
                    if (l.affine && !l.weight)
                        l.weight = share(Tensor(c, 1.0f));
                    if (l.affine && !l.bias)
                        l.bias = share(Tensor(c, 0.0f));
                }
            },
            out.layers[i]);
    }
    return out;
}

} // namespace convscope::core
