// SPDX-License-Identifier: GPL-3.0-or-later
// .npy reading and writing. Files in other formats are built byte by byte here following the
// NumPy format spec (numpy/lib/format.py), so each test controls exactly what is on disk.
#include "npy.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

using namespace convscope::core;
using convscope::test::hasSubstr;
using convscope::test::TempDir;

namespace {

// A .npy image: magic, version, little-endian header length (2 bytes for v1, 4 for v2/v3),
// the header dict padded with spaces to a 64-byte boundary and ending in '\n', then `data`.
std::string npyBytes(const std::string &dict, const std::string &data, int major = 1)
{
    const std::size_t prefix = major == 1 ? 10 : 12;
    std::string header = dict;
    const std::size_t total = prefix + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    std::string out = "\x93NUMPY";
    out += char(major);
    out += char(0);
    const std::size_t len = header.size();
    const int lenBytes = major == 1 ? 2 : 4;
    for (int i = 0; i < lenBytes; ++i)
        out += char((len >> (8 * i)) & 0xff);
    return out + header + data;
}

std::string dictFor(const std::string &descr, const std::string &shape, bool fortran = false)
{
    return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False")
           + ", 'shape': " + shape + ", }";
}

template <typename T> std::string rawBytes(std::initializer_list<T> values)
{
    std::string s;
    for (T v : values) {
        char b[sizeof(T)];
        std::memcpy(b, &v, sizeof(T));
        s.append(b, sizeof(T));
    }
    return s;
}

std::string npyF4(const std::string &shape, std::initializer_list<float> values, int major = 1)
{
    return npyBytes(dictFor("<f4", shape), rawBytes(values), major);
}

void writeBytes(const std::string &path, const std::string &bytes)
{
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The NpyError message of parsing `bytes`, or "" when it parsed.
std::string parseError(const std::string &bytes)
{
    try {
        parseNpy(bytes, "test.npy");
    } catch (const NpyError &e) {
        return e.what();
    }
    return "";
}

Tensor counting(Shape shape)
{
    Tensor t(std::move(shape));
    for (std::size_t i = 0; i < t.data.size(); ++i)
        t.data[i] = 0.5f * float(i) - 3.25f;
    return t;
}

} // namespace

// ---- round trips ----

TEST(Npy, roundTripThroughMemory_keepsShapeAndValuesForEveryRank)
{
    for (const Shape &s : {Shape{2, 3, 4, 5}, Shape{3, 4, 5}, Shape{6, 7}, Shape{7}, Shape{1},
                           Shape{}, Shape{0, 3, 2}, Shape{2, 0}, Shape{0}}) {
        const Tensor t = counting(s);
        EXPECT_EQ(parseNpy(serializeNpy(t), "mem"), t) << formatShape(s);
    }
}

TEST(Npy, roundTripThroughAFile_keepsShapeAndValues)
{
    TempDir dir;
    const Tensor t = counting({2, 3, 4, 5});
    writeNpy(dir.file("t.npy"), t);
    EXPECT_EQ(readNpy(dir.file("t.npy")), t);
    EXPECT_EQ(dir.entryCount(), 1); // no temporary file left behind
}

TEST(Npy, roundTrip_keepsSpecialFloatValuesBitForBit)
{
    const Tensor t({4}, {-0.0f, 1e-45f, 3.4028235e38f, -1.17549435e-38f});
    const Tensor back = parseNpy(serializeNpy(t), "mem");
    ASSERT_EQ(back.shape, t.shape);
    for (std::size_t i = 0; i < 4; ++i) // the bit patterns: -0.0f == 0.0f as values
        EXPECT_EQ(std::bit_cast<std::uint32_t>(back.data[i]),
                  std::bit_cast<std::uint32_t>(t.data[i]))
            << "element " << i;
}

TEST(Npy, serialized_isVersion1LittleEndianFloat32AlignedTo64Bytes)
{
    const std::string bytes = serializeNpy(counting({2, 3}));
    ASSERT_GE(bytes.size(), 10u);
    EXPECT_EQ(bytes.substr(0, 6), "\x93NUMPY");
    EXPECT_EQ(bytes[6], 1);
    EXPECT_EQ(bytes[7], 0);
    const std::size_t headerLen =
        static_cast<unsigned char>(bytes[8])
        | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    EXPECT_EQ((10 + headerLen) % 64, 0u);
    const std::string header = bytes.substr(10, headerLen);
    EXPECT_EQ(header.back(), '\n');
    EXPECT_TRUE(hasSubstr(header, "'descr': '<f4'"));
    EXPECT_TRUE(hasSubstr(header, "'fortran_order': False"));
    EXPECT_TRUE(hasSubstr(header, "'shape': (2, 3)"));
    EXPECT_EQ(bytes.size(), 10 + headerLen + 6 * sizeof(float));
}

TEST(Npy, serialized1d_writesPythonsOneTupleWithTrailingComma)
{
    const std::string bytes = serializeNpy(counting({7}));
    EXPECT_TRUE(hasSubstr(bytes, "'shape': (7,)"));
    EXPECT_TRUE(hasSubstr(serializeNpy(Tensor(Shape{}, 1.0f)), "'shape': ()"));
}

// ---- reading what NumPy writes ----

TEST(Npy, float64_isConvertedToFloat32)
{
    const std::string bytes = npyBytes(dictFor("<f8", "(3,)"), rawBytes<double>({1.5, -2.25, 0.1}));
    const Tensor t = parseNpy(bytes, "f8");
    EXPECT_EQ(t.shape, (Shape{3}));
    EXPECT_EQ(t.data, (std::vector<float>{1.5f, -2.25f, 0.1f}));
}

TEST(Npy, version2Header_isRead)
{
    const Tensor t = parseNpy(npyF4("(2, 2)", {1, 2, 3, 4}, 2), "v2");
    EXPECT_EQ(t, Tensor({2, 2}, {1, 2, 3, 4}));
}

TEST(Npy, version3Header_isRead)
{
    const Tensor t = parseNpy(npyF4("(1, 3)", {5, 6, 7}, 3), "v3");
    EXPECT_EQ(t, Tensor({1, 3}, {5, 6, 7}));
}

TEST(Npy, headerKeysInAnyOrderAndDoubleQuotes_areRead)
{
    const std::string dict = "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<f4\"}";
    EXPECT_EQ(parseNpy(npyBytes(dict, rawBytes<float>({1, 2})), "q"), Tensor({2}, {1, 2}));
}

TEST(Npy, zeroSizeArray_readsWithNoData)
{
    const Tensor t = parseNpy(npyF4("(0, 3, 2)", {}), "empty");
    EXPECT_EQ(t.shape, (Shape{0, 3, 2}));
    EXPECT_TRUE(t.data.empty());
}

TEST(Npy, scalar_readsOneValue)
{
    EXPECT_EQ(parseNpy(npyF4("()", {42}), "scalar"), Tensor(Shape{}, {42}));
}

// ---- malformed files: a clear NpyError, never a crash or a silent misread ----

TEST(NpyError, missingFile_namesThePath)
{
    TempDir dir;
    const std::string path = dir.file("nope.npy");
    try {
        readNpy(path);
        FAIL() << "read a missing file";
    } catch (const NpyError &e) {
        EXPECT_TRUE(hasSubstr(e.what(), path));
        EXPECT_TRUE(hasSubstr(e.what(), "cannot open"));
    }
}

TEST(NpyError, badMagic_saysNotANpyFile)
{
    std::string bytes = npyF4("(2,)", {1, 2});
    bytes[1] = 'X';
    EXPECT_TRUE(hasSubstr(parseError(bytes), "not a .npy file"));
    EXPECT_TRUE(hasSubstr(parseError("hello"), "not a .npy file"));
    EXPECT_TRUE(hasSubstr(parseError(""), "not a .npy file"));
}

TEST(NpyError, errorMessage_namesTheFile)
{
    EXPECT_TRUE(hasSubstr(parseError("hello"), "test.npy"));
}

TEST(NpyError, unsupportedVersion_isRejected)
{
    std::string bytes = npyF4("(2,)", {1, 2});
    bytes[6] = 4;
    EXPECT_TRUE(hasSubstr(parseError(bytes), "version 4"));
}

TEST(NpyError, truncatedHeader_isReported)
{
    const std::string bytes = npyF4("(2,)", {1, 2});
    EXPECT_TRUE(hasSubstr(parseError(bytes.substr(0, 40)), "truncated .npy header"));
    // v2 needs 12 bytes before the header even starts
    EXPECT_TRUE(hasSubstr(parseError(npyF4("(2,)", {1, 2}, 2).substr(0, 11)), "truncated"));
}

TEST(NpyError, truncatedData_namesNeededAndPresentBytes)
{
    const std::string bytes = npyF4("(2, 2)", {1, 2, 3, 4});
    const std::string msg = parseError(bytes.substr(0, bytes.size() - 3));
    EXPECT_TRUE(hasSubstr(msg, "truncated .npy data"));
    EXPECT_TRUE(hasSubstr(msg, "needs 16 bytes"));
    EXPECT_TRUE(hasSubstr(msg, "has 13"));
}

TEST(NpyError, extraDataAfterTheArray_isRejected)
{
    const std::string msg = parseError(npyF4("(2,)", {1, 2}) + "junk");
    EXPECT_TRUE(hasSubstr(msg, "4 unexpected bytes"));
}

TEST(NpyError, fortranOrder_isRejected)
{
    const std::string bytes =
        npyBytes(dictFor("<f4", "(2, 2)", true), rawBytes<float>({1, 2, 3, 4}));
    EXPECT_TRUE(hasSubstr(parseError(bytes), "Fortran-order"));
}

TEST(NpyError, bigEndian_isRejected)
{
    for (const char *descr : {">f4", ">f8"}) {
        const std::string bytes = npyBytes(dictFor(descr, "(2,)"), rawBytes<double>({1, 2}));
        const std::string msg = parseError(bytes);
        EXPECT_TRUE(hasSubstr(msg, "big-endian"));
        EXPECT_TRUE(hasSubstr(msg, descr));
    }
}

TEST(NpyError, integerAndOtherDtypes_areRejected)
{
    for (const char *descr : {"<i4", "<i8", "|u1", "<f2", "|b1", "<c8"}) {
        const std::string bytes = npyBytes(dictFor(descr, "(2,)"), std::string(16, '\0'));
        const std::string msg = parseError(bytes);
        EXPECT_TRUE(hasSubstr(msg, "unsupported dtype"));
        EXPECT_TRUE(hasSubstr(msg, descr));
    }
}

TEST(NpyError, malformedShape_isRejected)
{
    for (const char *shape : {"(2, x)", "(-1,)", "(2.5,)", "[2, 2]", "(2, 2"}) {
        const std::string bytes = npyBytes(dictFor("<f4", shape), rawBytes<float>({1, 2, 3, 4}));
        EXPECT_TRUE(hasSubstr(parseError(bytes), "malformed")) << shape;
    }
}

TEST(NpyError, missingHeaderKey_isRejected)
{
    const std::string bytes =
        npyBytes("{'descr': '<f4', 'shape': (2,), }", rawBytes<float>({1, 2}));
    EXPECT_TRUE(hasSubstr(parseError(bytes), "fortran_order"));
}

TEST(NpyError, absurdShape_isRejectedWithoutAllocating)
{
    const std::string bytes =
        npyBytes(dictFor("<f4", "(1000000000, 1000000000, 1000000000)"), rawBytes<float>({1}));
    EXPECT_FALSE(parseError(bytes).empty());
}

// ---- atomic writes ----

TEST(NpyWrite, intoAMissingFolder_throwsAndCreatesNothing)
{
    TempDir dir;
    const std::filesystem::path missing = dir.path() / "no_such_folder";
    EXPECT_THROW(writeNpy((missing / "out.npy").string(), counting({2, 2})), NpyError);
    EXPECT_FALSE(std::filesystem::exists(missing));
    EXPECT_EQ(dir.entryCount(), 0);
}

TEST(NpyWrite, ontoAFolder_throwsAndLeavesNoTemporaryFile)
{
    TempDir dir;
    std::filesystem::create_directory(dir.path() / "taken");
    EXPECT_THROW(writeNpy(dir.file("taken"), counting({2, 2})), NpyError);
    EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "taken"));
    EXPECT_EQ(dir.entryCount(), 1);
}

TEST(NpyWrite, overExistingFile_replacesItWhole)
{
    TempDir dir;
    writeBytes(dir.file("t.npy"), std::string(5000, 'x'));
    const Tensor t = counting({3});
    writeNpy(dir.file("t.npy"), t);
    EXPECT_EQ(readNpy(dir.file("t.npy")), t);
    EXPECT_EQ(dir.entryCount(), 1);
}
