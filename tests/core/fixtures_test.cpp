// SPDX-License-Identifier: GPL-3.0-or-later
// The project's own PyTorch fixtures (tests/data/fixtures, made by tests/data/make_fixtures.py
// with torch.nn.Conv2d in float64): every case must validate, match torch's output through
// both the reference oracle and the engine's front door, and print torch's module repr.
#include "conv2d.h"
#include "npy.h"
#include "reference_conv.h"
#include "shape.h"
#include "test_util.h"
#include "validate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace convscope::core;

namespace {

const std::filesystem::path kFixtures = std::filesystem::path(CONVSCOPE_TEST_DATA) / "fixtures";

std::vector<std::string> fixtureNames()
{
    std::vector<std::string> names;
    std::ifstream index(kFixtures / "index.txt");
    for (std::string line; std::getline(index, line);)
        if (!line.empty())
            names.push_back(line);
    return names;
}

// params.txt: one key=value per line (the script writes it so no JSON parser is needed).
std::map<std::string, std::string> readParams(const std::filesystem::path &file)
{
    std::map<std::string, std::string> kv;
    std::ifstream f(file);
    for (std::string line; std::getline(f, line);) {
        const auto eq = line.find('=');
        if (eq != std::string::npos)
            kv[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return kv;
}

std::vector<int> ints(const std::string &csv)
{
    std::vector<int> v;
    std::stringstream ss(csv);
    for (std::string item; std::getline(ss, item, ',');)
        v.push_back(std::stoi(item));
    return v;
}

Hw hw(const std::string &csv)
{
    const auto v = ints(csv);
    if (v.size() != 2)
        throw std::runtime_error("expected two values, got '" + csv + "'");
    return {v[0], v[1]};
}

Conv2dParams toParams(const std::map<std::string, std::string> &kv)
{
    Conv2dParams p;
    p.inChannels = std::stoi(kv.at("in_channels"));
    p.outChannels = std::stoi(kv.at("out_channels"));
    p.kernel = hw(kv.at("kernel"));
    p.stride = hw(kv.at("stride"));
    const std::string &padding = kv.at("padding");
    if (padding == "same") {
        p.paddingKind = PaddingKind::Same;
    } else if (padding == "valid") {
        p.paddingKind = PaddingKind::Valid;
    } else {
        p.paddingKind = PaddingKind::Explicit;
        p.padding = hw(padding);
    }
    const auto mode = parsePaddingMode(kv.at("padding_mode"));
    if (!mode)
        throw std::runtime_error("unknown padding mode " + kv.at("padding_mode"));
    p.paddingMode = *mode;
    p.dilation = hw(kv.at("dilation"));
    p.groups = std::stoi(kv.at("groups"));
    p.bias = kv.at("bias") == "1";
    return p;
}

Shape toShape(const std::string &csv)
{
    Shape s;
    for (int v : ints(csv))
        s.push_back(v);
    return s;
}

// max|got - want| <= 1e-4 * max(1, max|want|), the conformance kit's tolerance.
::testing::AssertionResult closeToTorch(const Tensor &got, const Tensor &want)
{
    if (got.shape != want.shape)
        return ::testing::AssertionFailure()
               << "shape " << formatShape(got.shape) << ", torch " << formatShape(want.shape);
    double maxRef = 0.0, maxErr = 0.0;
    for (std::size_t i = 0; i < want.data.size(); ++i) {
        maxRef = std::max(maxRef, std::abs(double(want.data[i])));
        const double err = std::abs(double(got.data[i]) - double(want.data[i]));
        if (!(err <= maxErr)) // also catches NaN
            maxErr = std::isnan(err) ? INFINITY : err;
    }
    const double tol = 1e-4 * std::max(1.0, maxRef);
    if (maxErr <= tol)
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "max error " << maxErr << " > tolerance " << tol;
}

class Fixture : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override
    {
        dir = kFixtures / GetParam();
        kv = readParams(dir / "params.txt");
        ASSERT_FALSE(kv.empty()) << "no params.txt in " << dir;
        p = toParams(kv);
        input = readNpy((dir / "input.npy").string());
        weight = readNpy((dir / "weight.npy").string());
        if (p.bias)
            bias = readNpy((dir / "bias.npy").string());
        expected = readNpy((dir / "output.npy").string());
    }
    const Tensor *biasPtr() const { return bias ? &*bias : nullptr; }

    std::filesystem::path dir;
    std::map<std::string, std::string> kv;
    Conv2dParams p;
    Tensor input, weight, expected;
    std::optional<Tensor> bias;
};

} // namespace

TEST(Fixtures, indexListsEveryFixtureFolder)
{
    const auto names = fixtureNames();
    EXPECT_GE(names.size(), 16u) << "run /usr/bin/python3 tests/data/make_fixtures.py";
    std::size_t folders = 0;
    for (const auto &e : std::filesystem::directory_iterator(kFixtures))
        // fixtures/layers holds the other layer kinds' fixtures (layers_test.cpp),
        // fixtures/torchprint the print(model) texts (torchprint_test.cpp), fixtures/weights
        // the weight files (statedict_test.cpp), fixtures/gradients torch.autograd's
        // gradients (backward_test.cpp), fixtures/normalize torchvision's Normalize
        // (normalization_test.cpp).
        if (e.is_directory() && e.path().filename() != "layers"
            && e.path().filename() != "torchprint" && e.path().filename() != "weights"
            && e.path().filename() != "gradients" && e.path().filename() != "normalize") {
            ++folders;
            EXPECT_NE(std::find(names.begin(), names.end(), e.path().filename().string()),
                      names.end())
                << e.path() << " is not in index.txt";
        }
    EXPECT_EQ(folders, names.size());
}

TEST_P(Fixture, shapesMatchTheModule)
{
    EXPECT_EQ(input.shape, toShape(kv.at("input_shape")));
    EXPECT_EQ(expected.shape, toShape(kv.at("output_shape")));
    EXPECT_EQ(weight.shape, weightShape(p));
    Shape out = outputShape(p, input.shape);
    if (input.rank() == 3)
        out.erase(out.begin());
    EXPECT_EQ(out, expected.shape);
}

TEST_P(Fixture, torchReprMatchesTorch)
{
    EXPECT_EQ(torchRepr(p), kv.at("torch_repr"));
}

TEST_P(Fixture, validatesCleanly)
{
    const auto e = validate(p, input.shape, weight.shape, bias ? &bias->shape : nullptr);
    EXPECT_FALSE(e) << e->message;
    const auto m = validate(p, input.shape);
    EXPECT_FALSE(m) << m->message;
}

TEST_P(Fixture, referenceMatchesTorch)
{
    EXPECT_TRUE(closeToTorch(referenceConv2d(input, weight, biasPtr(), p), expected));
}

TEST_P(Fixture, engineMatchesTorch)
{
    for (int threads : {0, 1, 2}) {
        Tensor out;
        ForwardOptions options;
        options.threads = threads;
        ASSERT_EQ(conv2d(input, weight, biasPtr(), p, out, options), ForwardStatus::Done);
        EXPECT_TRUE(closeToTorch(out, expected)) << "threads " << threads;
    }
}

INSTANTIATE_TEST_SUITE_P(Torch, Fixture, ::testing::ValuesIn(fixtureNames()),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                             return info.param;
                         });
