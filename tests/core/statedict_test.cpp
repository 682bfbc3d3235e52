// SPDX-License-Identifier: GPL-3.0-or-later
// Weight files (statedict.h) made by torch and numpy (tests/data/fixtures/weights, from
// tests/data/make_weights_fixtures.py): every format gives the state_dict torch saved, the
// network built from it reproduces torch's output, load_state_dict's refusals name the key,
// a pickle that would run code is refused, and damaged files never crash.
#include "statedict.h"

#include "npy.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

using namespace convscope::core;
using convscope::test::hasSubstr;

namespace {

const std::filesystem::path kDir =
    std::filesystem::path(CONVSCOPE_TEST_DATA) / "fixtures" / "weights";

std::string readBytes(const std::filesystem::path &p)
{
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

TorchPrintModel model()
{
    TorchPrintResult r = parseTorchPrint(readBytes(kDir / "net.txt"));
    EXPECT_TRUE(r.model) << (r.error ? r.error->text() : "");
    return *r.model;
}

float maxAbsDiff(const Tensor &a, const Tensor &b)
{
    EXPECT_EQ(a.shape, b.shape);
    float m = 0;
    for (std::size_t i = 0; i < std::min(a.data.size(), b.data.size()); ++i)
        m = std::max(m, std::abs(a.data[i] - b.data[i]));
    return m;
}

Tensor run(const Network &net)
{
    std::vector<Tensor> outputs;
    EXPECT_EQ(forward(net, readNpy((kDir / "input.npy").string()), outputs), ForwardStatus::Done);
    return outputs.back();
}

std::string errorOf(const std::string &file)
{
    try {
        loadStateDict(model(), readStateDict((kDir / file).string()));
    } catch (const WeightsError &e) {
        return e.what();
    }
    return {};
}

} // namespace

TEST(StateDict, everyFormat_reproducesTorchsOutput)
{
    const Tensor expected = readNpy((kDir / "out.npy").string());
    for (const char *file : {"net.pt", "net_f64.pt", "net_param.pt", "net_strided.pt", "net.npz",
                             "net_compressed.npz", "net.safetensors"}) {
        SCOPED_TRACE(file);
        const StateDict sd = readStateDict((kDir / file).string());
        EXPECT_LE(maxAbsDiff(run(loadStateDict(model(), sd)), expected), 1e-5f);
    }
}

TEST(StateDict, everyFormat_givesTheKeysInTorchsOrderWithTheirDtypes)
{
    const std::vector<std::string> keys = model().stateDictKeys();
    for (const char *file : {"net.pt", "net.npz", "net.safetensors"}) {
        SCOPED_TRACE(file);
        const StateDict sd = readStateDict((kDir / file).string());
        std::vector<std::string> got;
        for (const StateDictEntry &e : sd.entries)
            got.push_back(e.key);
        // A .safetensors header is a JSON object: its order is the writer's, not the module's.
        if (sd.format == "safetensors") {
            std::vector<std::string> sorted = keys;
            std::sort(sorted.begin(), sorted.end());
            std::sort(got.begin(), got.end());
            EXPECT_EQ(got, sorted);
        } else {
            EXPECT_EQ(got, keys);
        }
        EXPECT_EQ(sd.find("1.num_batches_tracked")->dtype, "int64");
        EXPECT_EQ(sd.find("0.weight")->dtype, "float32");
        EXPECT_EQ(sd.find("0.weight")->tensor.shape, (Shape{4, 3, 3, 3}));
    }
    EXPECT_EQ(readStateDict((kDir / "net.pt").string()).find("1.num_batches_tracked")->tensor.data,
              std::vector<float>{7.0f});
    EXPECT_EQ(readStateDict((kDir / "net_f64.pt").string()).find("0.bias")->dtype, "float64");
}

TEST(StateDict, halfAndBfloat16Safetensors_convertExactly)
{
    for (const char *tag : {"f16", "bf16"}) {
        SCOPED_TRACE(tag);
        const StateDict sd =
            readStateDict((kDir / (std::string("net_") + tag + ".safetensors")).string());
        EXPECT_EQ(sd.find("0.weight")->dtype, tag == std::string("f16") ? "float16" : "bfloat16");
        const Tensor expected = readNpy((kDir / (std::string("out_") + tag + ".npy")).string());
        EXPECT_LE(maxAbsDiff(run(loadStateDict(model(), sd)), expected), 1e-5f);
    }
}

TEST(StateDict, wrongShape_namesKeyAndBothShapesAsPyTorchDoes)
{
    EXPECT_EQ(errorOf("wrong_shape.npz"),
              "Error(s) in loading state_dict for Sequential:\n\tsize mismatch for 0.weight: "
              "copying a param with shape [3, 4, 3, 3] from checkpoint, the shape in current "
              "model is [4, 3, 3, 3].");
}

TEST(StateDict, missingAndUnexpectedKeys_areNamed)
{
    EXPECT_TRUE(
        hasSubstr(errorOf("missing_key.npz"), "Missing key(s) in state_dict: \"1.running_var\"."));
    EXPECT_TRUE(
        hasSubstr(errorOf("extra_key.npz"), "Unexpected key(s) in state_dict: \"7.weight\"."));
}

TEST(StateDict, picklesThatImportAnythingElse_areRefusedByName)
{
    EXPECT_TRUE(
        hasSubstr(errorOf("evil.pt"), "refusing to load: the pickle imports 'posix.system'"));
    EXPECT_TRUE(hasSubstr(errorOf("model.pt"), "'torch.nn.modules.container.Sequential'"));
    EXPECT_TRUE(hasSubstr(errorOf("model.pt"), "save model.state_dict() instead"));
}

TEST(StateDict, filesOfAnotherKind_areRefusedNamingTheFile)
{
    EXPECT_TRUE(hasSubstr(errorOf("input.npy"), "input.npy: not a weights file"));
    EXPECT_TRUE(hasSubstr(errorOf("net.txt"), "not a weights file"));
    EXPECT_TRUE(hasSubstr(errorOf("no_such_file.pt"), "no_such_file.pt: cannot open"));
}

TEST(StateDict, everyTruncation_isAnErrorNeverACrash)
{
    for (const char *file : {"net.pt", "net.npz", "net.safetensors", "net_compressed.npz"}) {
        const std::string bytes = readBytes(kDir / file);
        for (std::size_t n = 0; n < bytes.size(); n += 11) {
            try {
                parseStateDict(bytes.substr(0, n), file);
                ADD_FAILURE() << file << " cut to " << n << " bytes was accepted";
            } catch (const WeightsError &) {
            }
        }
    }
}

TEST(StateDict, flippedBytesInThePickle_neverCrash)
{
    // The pickle is stored uncompressed in the zip, so flips reach the reader (or the zip's
    // CRC check refuses them): either way a WeightsError or a state_dict, nothing else.
    const std::string bytes = readBytes(kDir / "net.pt");
    std::mt19937 rng(17);
    std::uniform_int_distribution<std::size_t> at(0, bytes.size() - 1);
    std::uniform_int_distribution<int> value(0, 255);
    for (int i = 0; i < 3000; ++i) {
        std::string b = bytes;
        for (int k = 0; k < 3; ++k)
            b[at(rng)] = static_cast<char>(value(rng));
        try {
            parseStateDict(b, "flipped.pt");
        } catch (const WeightsError &) {
        }
    }
}

TEST(StateDict, hostileSafetensorsHeaders_areRefused)
{
    auto withHeader = [](const std::string &json, std::uint64_t declared, const std::string &data) {
        std::string b(8, '\0');
        for (int i = 0; i < 8; ++i)
            b[static_cast<std::size_t>(i)] = static_cast<char>((declared >> (8 * i)) & 0xFF);
        return b + json + data;
    };
    auto errorOfBytes = [](const std::string &b) {
        try {
            parseStateDict(b, "x.safetensors");
        } catch (const WeightsError &e) {
            return std::string(e.what());
        }
        return std::string();
    };
    const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    EXPECT_EQ(errorOfBytes(withHeader(ok, ok.size(), std::string(8, '\0'))), "");
    EXPECT_TRUE(hasSubstr(errorOfBytes(withHeader(ok, 1ULL << 62, "")), "header length"));
    EXPECT_TRUE(hasSubstr(errorOfBytes(withHeader(ok, ok.size(), std::string(4, '\0'))),
                          "data_offsets must be [begin, end] inside the 4 data bytes"));
    const std::string big =
        R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}})";
    EXPECT_TRUE(hasSubstr(errorOfBytes(withHeader(big, big.size(), std::string(8, '\0'))),
                          "does not fill its 8 bytes"));
    const std::string odd = R"({"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})";
    EXPECT_TRUE(hasSubstr(errorOfBytes(withHeader(odd, odd.size(), std::string(8, '\0'))),
                          "unsupported dtype"));
}

TEST(StateDict, withoutWeights_defaultsAreSeededAndShaped)
{
    const Network a = withDefaultTensors(model().network, 3);
    const Network b = withDefaultTensors(model().network, 3);
    const Network c = withDefaultTensors(model().network, 4);
    EXPECT_TRUE(a == b);
    EXPECT_FALSE(a == c);
    EXPECT_FALSE(validate(a, Shape{1, 3, 12, 12}));
    const auto &bn = std::get<BatchNorm2dLayer>(a.layers[1]);
    EXPECT_EQ(bn.runningVar->data, std::vector<float>(4, 1.0f));
    const auto &t = std::get<ConvTranspose2dLayer>(a.layers[5]);
    EXPECT_EQ(t.weight->shape, (Shape{6, 2, 2, 2}));
    EXPECT_EQ(t.bias->shape, (Shape{2}));
    // PyTorch's bound for this transposed weight: 1 / sqrt(C_out / groups * kH * kW) = 1/sqrt(8).
    const float bound = 1.0f / std::sqrt(8.0f);
    for (float v : t.weight->data)
        EXPECT_LE(std::abs(v), bound);
}
