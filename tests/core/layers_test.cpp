// SPDX-License-Identifier: GPL-3.0-or-later
// The layer kinds besides Conv2d (layers.h) as network layers: every fixture PyTorch made
// (tests/data/fixtures/layers, from tests/data/make_layer_fixtures.py) must validate, have
// torch's shape and repr, and come out of forward() within 1e-5 of torch's float32 output;
// invalid configurations are refused naming the layer, counted from 1, and the value.
#include "network.h"
#include "npy.h"
#include "random_tensor.h"
#include "receptivefield.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace convscope::core;
using convscope::test::hasSubstr;
using convscope::test::randomTensor;

namespace {

const std::filesystem::path kLayerFixtures =
    std::filesystem::path(CONVSCOPE_TEST_DATA) / "fixtures" / "layers";

std::vector<std::string> fixtureNames()
{
    std::vector<std::string> names;
    std::ifstream index(kLayerFixtures / "index.txt");
    for (std::string line; std::getline(index, line);)
        if (!line.empty())
            names.push_back(line);
    return names;
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

SidePadding sides(const std::string &csv)
{
    const auto v = ints(csv);
    if (v.size() != 4)
        throw std::runtime_error("expected left,right,top,bottom, got '" + csv + "'");
    SidePadding p;
    p.left = v[0];
    p.right = v[1];
    p.top = v[2];
    p.bottom = v[3];
    return p;
}

Shape toShape(const std::string &csv)
{
    Shape s;
    for (int v : ints(csv))
        s.push_back(v);
    return s;
}

std::shared_ptr<const Tensor> npy(const std::filesystem::path &file)
{
    return std::make_shared<const Tensor>(readNpy(file.string()));
}

// The layer params.txt describes.
Layer toLayer(const std::map<std::string, std::string> &kv, const std::filesystem::path &dir)
{
    const std::string &kind = kv.at("kind");
    const auto stride = [&]() -> std::optional<Hw> {
        if (kv.at("stride") == "none")
            return std::nullopt;
        return hw(kv.at("stride"));
    };
    if (kind == "MaxPool2d") {
        MaxPool2dLayer l;
        l.kernel = hw(kv.at("kernel"));
        l.stride = stride();
        l.padding = hw(kv.at("padding"));
        l.dilation = hw(kv.at("dilation"));
        l.ceilMode = kv.at("ceil_mode") == "1";
        return l;
    }
    if (kind == "AvgPool2d") {
        AvgPool2dLayer l;
        l.kernel = hw(kv.at("kernel"));
        l.stride = stride();
        l.padding = hw(kv.at("padding"));
        l.ceilMode = kv.at("ceil_mode") == "1";
        l.countIncludePad = kv.at("count_include_pad") == "1";
        if (kv.at("divisor_override") != "none")
            l.divisorOverride = std::stoi(kv.at("divisor_override"));
        return l;
    }
    if (kind == "AdaptiveAvgPool2d")
        return AdaptiveAvgPool2dLayer{hw(kv.at("output_size"))};
    if (kind == "BatchNorm2d") {
        BatchNorm2dLayer l;
        l.numFeatures = std::stoi(kv.at("num_features"));
        l.eps = std::stod(kv.at("eps"));
        l.momentum = std::stod(kv.at("momentum"));
        l.affine = kv.at("affine") == "1";
        l.runningMean = npy(dir / "running_mean.npy");
        l.runningVar = npy(dir / "running_var.npy");
        if (l.affine) {
            l.weight = npy(dir / "weight.npy");
            l.bias = npy(dir / "bias.npy");
        }
        return l;
    }
    if (kind == "LeakyReLU")
        return LeakyReluLayer{std::stod(kv.at("negative_slope"))};
    if (kind == "ReLU6")
        return Relu6Layer{};
    if (kind == "GELU")
        return GeluLayer{};
    if (kind == "SiLU")
        return SiluLayer{};
    if (kind == "Sigmoid")
        return SigmoidLayer{};
    if (kind == "Tanh")
        return TanhLayer{};
    if (kind == "ZeroPad2d")
        return ZeroPad2dLayer{sides(kv.at("pad"))};
    if (kind == "ConstantPad2d")
        return ConstantPad2dLayer{sides(kv.at("pad")), std::stod(kv.at("value"))};
    if (kind == "ReflectionPad2d")
        return ReflectionPad2dLayer{sides(kv.at("pad"))};
    if (kind == "ReplicationPad2d")
        return ReplicationPad2dLayer{sides(kv.at("pad"))};
    if (kind == "ConvTranspose2d") {
        ConvTranspose2dLayer l;
        ConvTranspose2dParams &p = l.params;
        p.inChannels = std::stoi(kv.at("in_channels"));
        p.outChannels = std::stoi(kv.at("out_channels"));
        p.kernel = hw(kv.at("kernel"));
        p.stride = hw(kv.at("stride"));
        p.padding = hw(kv.at("padding"));
        p.outputPadding = hw(kv.at("output_padding"));
        p.dilation = hw(kv.at("dilation"));
        p.groups = std::stoi(kv.at("groups"));
        p.bias = kv.at("bias") == "1";
        l.weight = npy(dir / "weight.npy");
        if (p.bias)
            l.bias = npy(dir / "bias.npy");
        return l;
    }
    throw std::runtime_error("unknown kind " + kind);
}

// Every element within `tol` (1e-5) relative of torch's (absolute below magnitude 1, where a
// relative bound means nothing), NaN where torch has NaN, infinities equal. A
// ConvTranspose2d sums its products in another order than torch's gemm + col2im: it is
// held to the conformance kit's 1e-4, as the Conv2d fixtures are.
::testing::AssertionResult closeToTorch(const Tensor &got, const Tensor &want, double tol = 1e-5)
{
    if (got.shape != want.shape)
        return ::testing::AssertionFailure()
               << "shape " << formatShape(got.shape) << ", torch " << formatShape(want.shape);
    for (std::size_t i = 0; i < want.data.size(); ++i) {
        const double g = got.data[i], w = want.data[i];
        if (std::isnan(w) || std::isnan(g) || std::isinf(w) || std::isinf(g)) {
            if (!(std::isnan(w) && std::isnan(g)) && g != w)
                return ::testing::AssertionFailure()
                       << "element " << i << ": " << g << ", torch " << w;
            continue;
        }
        if (std::abs(g - w) > tol * std::max(1.0, std::abs(w)))
            return ::testing::AssertionFailure() << "element " << i << ": " << g << ", torch " << w
                                                 << " (error " << std::abs(g - w) << ")";
    }
    return ::testing::AssertionSuccess();
}

class LayerFixture : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override
    {
        dir = kLayerFixtures / GetParam();
        std::ifstream f(dir / "params.txt");
        for (std::string line; std::getline(f, line);) {
            params += "\n  " + line;
            const auto eq = line.find('=');
            if (eq != std::string::npos)
                kv[line.substr(0, eq)] = line.substr(eq + 1);
        }
        ASSERT_FALSE(kv.empty()) << "no params.txt in " << dir;
        layer = toLayer(kv, dir);
        input = readNpy((dir / "input.npy").string());
        expected = readNpy((dir / "output.npy").string());
    }

    std::filesystem::path dir;
    std::map<std::string, std::string> kv;
    std::string params; // every line of params.txt, for failure messages
    Layer layer;
    Tensor input, expected;
    double tol() const { return std::holds_alternative<ConvTranspose2dLayer>(layer) ? 1e-4 : 1e-5; }
};

Network one(const Layer &l)
{
    return Network{{l}};
}

} // namespace

TEST(LayerFixtures, indexListsEveryFixtureFolder)
{
    const auto names = fixtureNames();
    EXPECT_GE(names.size(), 40u) << "run /usr/bin/python3 tests/data/make_layer_fixtures.py";
    std::size_t folders = 0;
    for (const auto &e : std::filesystem::directory_iterator(kLayerFixtures))
        if (e.is_directory()) {
            ++folders;
            EXPECT_NE(std::find(names.begin(), names.end(), e.path().filename().string()),
                      names.end())
                << e.path() << " is not in index.txt";
        }
    EXPECT_EQ(folders, names.size());
}

TEST_P(LayerFixture, validatesWithTorchsShapeAndRepr)
{
    const Network net = one(layer);
    const auto e = validate(net, input.shape);
    ASSERT_FALSE(e) << e->message() << params;
    EXPECT_FALSE(validateModules(net)) << params;
    EXPECT_EQ(input.shape, toShape(kv.at("input_shape"))) << params;
    EXPECT_EQ(layerShapes(net, input.shape).back(), toShape(kv.at("output_shape"))) << params;
    EXPECT_EQ(torchRepr(layer), kv.at("torch_repr")) << params;
    EXPECT_EQ(kindName(layer), kv.at("kind")) << params;
    EXPECT_TRUE(sameLayer(layer, layer));
}

TEST_P(LayerFixture, forwardMatchesTorch)
{
    std::vector<Tensor> outputs;
    std::vector<std::vector<MinMax>> ranges;
    int calls = 0;
    NetworkOptions options;
    options.channelRanges = &ranges;
    options.progress = [&](double) { return ++calls > 0; };
    ASSERT_EQ(forward(one(layer), input, outputs, options), ForwardStatus::Done) << params;
    EXPECT_TRUE(closeToTorch(outputs.back(), expected, tol())) << params;
    EXPECT_GE(calls, 2) << params;
    ASSERT_EQ(ranges.size(), 1u);
    if (input.rank() == 4) {
        EXPECT_EQ(ranges[0].size(), static_cast<std::size_t>(expected.dim(1))) << params;
    }

    // The same layer second in a network, behind a ZeroPad2d of 0 (the identity), gives the
    // same values: nothing depends on the layer's position.
    if (input.rank() == 4 && !std::holds_alternative<BatchNorm2dLayer>(layer)) {
        const Network two{{ZeroPad2dLayer{}, layer}};
        ASSERT_EQ(forward(two, input, outputs), ForwardStatus::Done) << params;
        EXPECT_TRUE(closeToTorch(outputs.back(), expected, tol())) << params;
    }
}

TEST_P(LayerFixture, cancelStopsTheLayer)
{
    std::vector<Tensor> outputs;
    NetworkOptions options;
    options.progress = [](double) { return false; };
    EXPECT_EQ(forward(one(layer), input, outputs, options), ForwardStatus::Cancelled) << params;
}

INSTANTIATE_TEST_SUITE_P(Torch, LayerFixture, ::testing::ValuesIn(fixtureNames()),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                             std::string name = info.param;
                             std::replace(name.begin(), name.end(), '.', '_');
                             return name;
                         });

// --- validation ---------------------------------------------------------------------------

namespace {

// validate() on [1, 1, 8, 8] behind a ReLU: the error names layer 2, its kind and the value.
NetworkError refused(const Layer &l, const Shape &in = {1, 1, 8, 8})
{
    const auto e = validate(Network{{ReluLayer{}, l}}, in);
    if (!e)
        throw std::runtime_error(torchRepr(l) + " was accepted on " + formatShape(in));
    EXPECT_EQ(e->layer, 2u);
    EXPECT_EQ(e->kind, kindName(l));
    EXPECT_TRUE(hasSubstr(e->message(), "layer 2 (" + kindName(l) + "): "));
    return *e;
}

MaxPool2dLayer maxPool(int k, std::optional<int> s = std::nullopt, int pad = 0, int d = 1,
                       bool ceil = false)
{
    MaxPool2dLayer l;
    l.kernel = {k, k};
    if (s)
        l.stride = Hw{*s, *s};
    l.padding = {pad, pad};
    l.dilation = {d, d};
    l.ceilMode = ceil;
    return l;
}

AvgPool2dLayer avgPool(int k, std::optional<int> s = std::nullopt, int pad = 0)
{
    AvgPool2dLayer l;
    l.kernel = {k, k};
    if (s)
        l.stride = Hw{*s, *s};
    l.padding = {pad, pad};
    return l;
}

SidePadding pad4(int l, int r, int t, int b)
{
    SidePadding p;
    p.left = l;
    p.right = r;
    p.top = t;
    p.bottom = b;
    return p;
}

} // namespace

TEST(LayerValidation, pools_refuseWhatPyTorchRefuses)
{
    auto e = refused(maxPool(0, 1));
    EXPECT_EQ(e.error.field, Field::Kernel);
    EXPECT_EQ(e.error.message, "kernel size should be greater than zero, but got kH: 0 kW: 0");
    e = refused(maxPool(2, 0));
    EXPECT_EQ(e.error.field, Field::Stride);
    EXPECT_EQ(e.error.message, "stride should be greater than zero, but got dH: 0 dW: 0");
    e = refused(maxPool(2, std::nullopt, -1));
    EXPECT_EQ(e.error.message, "pad must be non-negative, but got pad: -1");
    e = refused(maxPool(3, 1, 2));
    EXPECT_EQ(e.error.field, Field::Padding);
    EXPECT_EQ(e.error.message,
              "pad should be at most half of kernel size, but got pad=2 and kernel_size=3");
    // Half the kernel, not of the dilated span, as in PyTorch.
    e = refused(maxPool(2, 1, 2, 3));
    EXPECT_TRUE(hasSubstr(e.error.message, "pad=2 and kernel_size=2"));
    e = refused(maxPool(2, 1, 0, 0));
    EXPECT_EQ(e.error.field, Field::Dilation);
    EXPECT_TRUE(hasSubstr(e.error.message, "dilationH: 0"));
    e = refused(maxPool(9), {1, 1, 8, 8});
    EXPECT_EQ(e.error.message,
              "Given input size: (1x8x8). Calculated output size: (1x0x0). Output size is too "
              "small");
    e = refused(maxPool(3, 1, 0, 4), {1, 2, 8, 9});
    EXPECT_TRUE(hasSubstr(e.error.message, "(2x8x9)")) << e.error.message;

    e = refused(avgPool(3, 1, 2));
    EXPECT_TRUE(hasSubstr(e.error.message, "pad=2 and kernel_size=3"));
    AvgPool2dLayer div = avgPool(2);
    div.divisorOverride = 0;
    e = refused(div);
    EXPECT_EQ(e.error.field, Field::Option);
    EXPECT_TRUE(hasSubstr(e.error.message, "divisor_override=0"));
    div.divisorOverride = -1; // PyTorch accepts a negative divisor
    EXPECT_FALSE(validate(Network{{div}}, {1, 1, 8, 8}));

    e = refused(AdaptiveAvgPool2dLayer{{-1, 2}});
    EXPECT_TRUE(hasSubstr(e.error.message, "greater than or equal to 0 but received {-1, 2}"));
    // Output size 0 is accepted, as in PyTorch; the next layer then meets an empty input.
    const Network zero{{AdaptiveAvgPool2dLayer{{0, 3}}, maxPool(1)}};
    const auto z = validate(zero, {1, 1, 8, 8});
    ASSERT_TRUE(z);
    EXPECT_EQ(z->layer, 2u);
    EXPECT_TRUE(hasSubstr(z->error.message, "[1, 1, 0, 3]"));
    const Network zeroThenAdaptive{{AdaptiveAvgPool2dLayer{{0, 3}}, AdaptiveAvgPool2dLayer{}}};
    EXPECT_TRUE(hasSubstr(validate(zeroThenAdaptive, {1, 1, 8, 8})->error.message,
                          "dimension 2 being empty"));
}

TEST(LayerValidation, inputRank_isCheckedPerKind)
{
    auto e = validate(Network{{maxPool(2)}}, {8, 8});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->layer, 1u);
    EXPECT_TRUE(hasSubstr(e->error.message, "3D or 4D")) << e->error.message;
    // BatchNorm2d refuses an unbatched input, as PyTorch's does.
    const Layer bn = makeBatchNorm2d(Tensor({2}), Tensor({2}, 1.0f), false);
    e = validate(Network{{bn}}, {2, 4, 4});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->error.message, "expected 4D input (got 3D input)");
    EXPECT_FALSE(validate(Network{{bn}}, {0, 2, 4, 4})); // an empty batch is fine
}

TEST(LayerValidation, batchNorm_channelsAndTensorShapes)
{
    const Layer bn =
        makeBatchNorm2d(Tensor({3}), Tensor({3}, 1.0f), true, Tensor({3}, 1.0f), Tensor({3}));
    auto e = refused(bn);
    EXPECT_EQ(e.error.field, Field::InChannels);
    EXPECT_TRUE(hasSubstr(e.error.message, "running_mean should contain 1 elements not 3"));
    EXPECT_TRUE(hasSubstr(e.error.message, "num_features=3"));

    Layer wrong = makeBatchNorm2d(Tensor({1}), Tensor({2}), false);
    e = refused(wrong);
    EXPECT_EQ(e.error.field, Field::Weight);
    EXPECT_EQ(e.error.message, "expected running_var of shape [num_features] = [1], but got [2]");
    wrong = makeBatchNorm2d(Tensor({1}), Tensor({1}), true, Tensor({1}), Tensor({1, 1}));
    e = refused(wrong);
    EXPECT_EQ(e.error.field, Field::Bias);
    BatchNorm2dLayer none;
    none.numFeatures = 0;
    EXPECT_TRUE(hasSubstr(refused(none).error.message, "num_features=0"));

    // Without an input the channels chain: Conv2d(1 -> 2) then BatchNorm2d(3).
    Conv2dParams p;
    p.outChannels = 2;
    const Network chain{{makeConv2d(p, Tensor(weightShape(p)), Tensor({2})), bn}};
    const auto m = validateModules(chain);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->layer, 2u);
    EXPECT_EQ(m->kind, "BatchNorm2d");
    EXPECT_TRUE(hasSubstr(m->error.message, "num_features=3")) << m->error.message;
    // A network that starts with a BatchNorm2d expects its num_features.
    EXPECT_EQ(inputChannels(Network{{ReluLayer{}, bn}}), 3);

    // forward() needs the statistics.
    BatchNorm2dLayer geometry;
    std::vector<Tensor> outputs;
    EXPECT_THROW(forward(Network{{geometry}}, Tensor({1, 1, 2, 2}), outputs),
                 std::invalid_argument);
}

TEST(LayerValidation, pads_refuseNegativeAndTooLargeReflection)
{
    auto e = refused(ZeroPad2dLayer{pad4(-1, 0, 0, 0)});
    EXPECT_EQ(e.error.field, Field::Padding);
    EXPECT_TRUE(hasSubstr(e.error.message, "padding=(-1, 0, 0, 0)"));
    EXPECT_TRUE(validateModules(Network{{ConstantPad2dLayer{pad4(0, 0, 0, -2), 1.0}}}));

    e = refused(ReflectionPad2dLayer{pad4(1, 8, 0, 0)});
    EXPECT_EQ(e.error.message, "Padding size should be less than the corresponding input "
                               "dimension, but got: padding (1, 8) at dimension 3 of input "
                               "[1, 1, 8, 8]");
    e = refused(ReflectionPad2dLayer{pad4(0, 0, 8, 0)}, {1, 8, 8});
    EXPECT_TRUE(hasSubstr(e.error.message, "padding (8, 0) at dimension 1 of input [1, 8, 8]"));
    EXPECT_FALSE(validate(Network{{ReflectionPad2dLayer{pad4(7, 7, 7, 7)}}}, {1, 1, 8, 8}));
    // Replication copies the edge however far: no limit.
    EXPECT_FALSE(validate(Network{{ReplicationPad2dLayer{pad4(20, 9, 30, 1)}}}, {1, 1, 2, 3}));
    e = refused(ReplicationPad2dLayer{pad4(1, 1, 1, 1)}, {1, 1, 0, 3});
    EXPECT_TRUE(hasSubstr(e.error.message, "other non-zero dimensions"));
    // Every output is held to the tensor-size limit.
    e = refused(ZeroPad2dLayer{pad4(0, 0, 100000, 0)}, {1, 1, 100000, 100000});
    EXPECT_TRUE(hasSubstr(e.error.message, "2^31")) << e.error.message;
}

// --- reprs, identity, geometry ----------------------------------------------------------

TEST(Layers, pythonFloat_isPythonsRepr)
{
    EXPECT_EQ(pythonFloat(0.01), "0.01");
    EXPECT_EQ(pythonFloat(1e-5), "1e-05");
    EXPECT_EQ(pythonFloat(0.0001), "0.0001");
    EXPECT_EQ(pythonFloat(2.0), "2.0");
    EXPECT_EQ(pythonFloat(-1.5), "-1.5");
    EXPECT_EQ(pythonFloat(0.0), "0.0");
    EXPECT_EQ(pythonFloat(-0.0), "-0.0");
    EXPECT_EQ(pythonFloat(100000.0), "100000.0");
    EXPECT_EQ(pythonFloat(1e16), "1e+16");
    EXPECT_EQ(pythonFloat(123456789.125), "123456789.125");
    EXPECT_EQ(pythonFloat(1.5e-7), "1.5e-07");
    EXPECT_EQ(pythonFloat(0.1 + 0.2), "0.30000000000000004");
}

TEST(Layers, torchRepr_ofDefaultsAndRectangles)
{
    EXPECT_EQ(torchRepr(maxPool(2)),
              "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
    MaxPool2dLayer rect;
    rect.kernel = {2, 3};
    EXPECT_EQ(torchRepr(rect), "MaxPool2d(kernel_size=(2, 3), stride=(2, 3), padding=0, "
                               "dilation=1, ceil_mode=False)");
    EXPECT_EQ(torchRepr(Layer{LeakyReluLayer{}}), "LeakyReLU(negative_slope=0.01)");
    EXPECT_EQ(torchRepr(Layer{ZeroPad2dLayer{pad4(1, 2, 3, 4)}}), "ZeroPad2d((1, 2, 3, 4))");
    EXPECT_EQ(torchRepr(Layer{ConstantPad2dLayer{pad4(1, 1, 1, 1), -1.0}}),
              "ConstantPad2d(padding=(1, 1, 1, 1), value=-1.0)");
    EXPECT_EQ(torchRepr(Layer{ReluLayer{}}), "ReLU()");
    EXPECT_EQ(torchRepr(Layer{Relu6Layer{}}), "ReLU6()");
}

TEST(Layers, sameLayer_comparesResolvedStrideAndTensorValues)
{
    MaxPool2dLayer a = maxPool(2), b = maxPool(2, 2);
    EXPECT_TRUE(sameLayer(a, b)); // stride=None is stride=kernel_size
    b.ceilMode = true;
    EXPECT_FALSE(sameLayer(a, b));
    EXPECT_FALSE(sameLayer(Layer{ZeroPad2dLayer{}}, Layer{ReplicationPad2dLayer{}}));
    EXPECT_FALSE(sameLayer(Layer{ZeroPad2dLayer{pad4(1, 0, 0, 0)}}, Layer{ZeroPad2dLayer{}}));
    const Layer bn1 = makeBatchNorm2d(Tensor({2}), Tensor({2}, 1.0f), false);
    const Layer bn2 = makeBatchNorm2d(Tensor({2}), Tensor({2}, 1.0f), false);
    const Layer bn3 = makeBatchNorm2d(Tensor({2}), Tensor({2}, 2.0f), false);
    EXPECT_TRUE(sameLayer(bn1, bn2));
    EXPECT_FALSE(sameLayer(bn1, bn3));
    EXPECT_FALSE(sameLayer(Layer{LeakyReluLayer{0.1}}, Layer{LeakyReluLayer{0.2}}));
}

TEST(Layers, convParams_refusesLayersThatMoveCoordinates)
{
    Conv2dParams p;
    p.inChannels = 1;
    const Layer conv = makeConv2d(p, Tensor(weightShape(p)), Tensor({1}));
    // Element-wise kinds are transparent to the geometry.
    const Network elementwise{
        {conv, GeluLayer{}, makeBatchNorm2d(Tensor({1}), Tensor({1}, 1.0f), false), conv}};
    EXPECT_EQ(convParams(elementwise).size(), 2u);
    for (const Layer &l :
         {Layer{maxPool(2)}, Layer{AvgPool2dLayer{}}, Layer{AdaptiveAvgPool2dLayer{}},
          Layer{ZeroPad2dLayer{}}, Layer{ReflectionPad2dLayer{}}}) {
        EXPECT_TRUE(changesCoordinates(l)) << torchRepr(l);
        try {
            (void)convParams(Network{{conv, l, conv}});
            ADD_FAILURE() << torchRepr(l) << " passed into the geometry";
        } catch (const std::invalid_argument &e) {
            EXPECT_TRUE(hasSubstr(e.what(), "layer 2 (" + kindName(l) + ")"));
        }
    }
    EXPECT_FALSE(changesCoordinates(Layer{TanhLayer{}}));
}

TEST(Layers, mixedStack_validatesNamesAndRuns)
{
    Conv2dParams p;
    p.inChannels = 3;
    p.outChannels = 4;
    p.padding = {1, 1};
    const Tensor w = randomTensor(weightShape(p), 5u);
    const Network net{{ReflectionPad2dLayer{pad4(1, 1, 1, 1)}, makeConv2d(p, w, Tensor({4})),
                       makeBatchNorm2d(randomTensor({4}, 6u), Tensor({4}, 0.5f), false),
                       SiluLayer{}, maxPool(2, std::nullopt, 1, 1, true),
                       AdaptiveAvgPool2dLayer{{3, 2}}}};
    const Shape in{2, 3, 9, 7};
    ASSERT_FALSE(validate(net, in));
    const auto shapes = layerShapes(net, in);
    EXPECT_EQ(shapes.back(), (Shape{2, 4, 3, 2}));
    // 11 x 9 padded by 1: ceil(11 / 2) + 1 = 7 rows, but the 7th would start in the right
    // padding (12 >= 11 + 1) and is dropped; ceil(9 / 2) + 1 = 6 columns, the 6th likewise.
    EXPECT_EQ(shapes[4], (Shape{2, 4, 6, 5}));
    std::vector<double> seen;
    NetworkOptions options;
    options.keep.assign(net.size(), true);
    options.progress = [&](double f) {
        seen.push_back(f);
        return true;
    };
    std::vector<Tensor> outputs;
    ASSERT_EQ(forward(net, randomTensor(in, 7u), outputs, options), ForwardStatus::Done);
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_DOUBLE_EQ(seen.back(), 1.0);
    for (std::size_t i = 0; i < net.size(); ++i)
        EXPECT_EQ(outputs[i].shape, shapes[i]) << "layer " << i + 1;

    // A too-large kernel after the pools: layer 7 is named, and NetworkError::conv counts it
    // with the Conv2d after it.
    Network bad = net;
    bad.layers.push_back(maxPool(4));
    const auto e = validate(bad, in);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->layer, 7u);
    EXPECT_EQ(e->conv, 2u);
    EXPECT_EQ(e->kind, "MaxPool2d");
}
