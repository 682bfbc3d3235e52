// SPDX-License-Identifier: GPL-3.0-or-later
// ConvTranspose2d (convtranspose2d.h): the threaded path against the reference loop over a
// parameter grid, the size rule, the refusals with PyTorch 1.13's messages, and the layer's
// place in a network. The PyTorch fixtures run in layers_test.cpp with the other kinds.
#include "network.h"
#include "random_tensor.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

using namespace convscope::core;
using convscope::test::hasSubstr;
using convscope::test::randomTensor;

namespace {

ConvTranspose2dParams params(int in, int out, int k, int s = 1, int pad = 0, int outPad = 0,
                             int d = 1, int g = 1, bool bias = true)
{
    ConvTranspose2dParams p;
    p.inChannels = in;
    p.outChannels = out;
    p.kernel = {k, k};
    p.stride = {s, s};
    p.padding = {pad, pad};
    p.outputPadding = {outPad, outPad};
    p.dilation = {d, d};
    p.groups = g;
    p.bias = bias;
    return p;
}

ConvTranspose2dLayer layerWithTensors(const ConvTranspose2dParams &p, unsigned seed)
{
    return makeConvTranspose2d(p, randomTensor(weightShape(p), seed),
                               randomTensor({p.outChannels}, seed + 1));
}

std::string describe(const ConvTranspose2dParams &p, const Shape &in, int threads)
{
    std::ostringstream s;
    s << torchRepr(p) << " on " << formatShape(in) << " with " << threads << " threads";
    return s.str();
}

// max|got - want| <= 1e-5 * max(1, max|want|): the reference sums in double, the fast path
// in float32.
::testing::AssertionResult close(const Tensor &got, const Tensor &want)
{
    if (got.shape != want.shape)
        return ::testing::AssertionFailure()
               << "shape " << formatShape(got.shape) << ", reference " << formatShape(want.shape);
    double maxRef = 0.0, maxErr = 0.0;
    std::size_t worst = 0;
    for (std::size_t i = 0; i < want.data.size(); ++i) {
        maxRef = std::max(maxRef, std::abs(double(want.data[i])));
        const double e = std::abs(double(got.data[i]) - want.data[i]);
        if (!(e <= maxErr)) {
            maxErr = e;
            worst = i;
        }
    }
    if (maxErr <= 1e-5 * std::max(1.0, maxRef))
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "max error " << maxErr << " at element " << worst;
}

// validate() on `in` behind a ReLU: layer 2 is named, with its kind.
ValidationError refused(const ConvTranspose2dLayer &l, const Shape &in)
{
    const auto e = validate(Network{{ReluLayer{}, l}}, in);
    if (!e)
        throw std::runtime_error(torchRepr(l.params) + " was accepted on " + formatShape(in));
    EXPECT_EQ(e->layer, 2u);
    EXPECT_EQ(e->kind, "ConvTranspose2d");
    EXPECT_TRUE(hasSubstr(e->message(), "layer 2 (ConvTranspose2d): ")) << e->message();
    return e->error;
}

} // namespace

TEST(ConvTranspose2d, outputSize_isPyTorchsRule)
{
    // (H - 1) * s - 2 p + d (k - 1) + op + 1
    EXPECT_EQ(convTransposeOutputSize(5, 3, 2, 1, 1, 1), 10);
    EXPECT_EQ(convTransposeOutputSize(4, 4, 2, 1, 0, 1), 8);
    EXPECT_EQ(convTransposeOutputSize(6, 3, 1, 2, 0, 2), 6);
    EXPECT_EQ(convTransposeOutputSize(2, 3, 1, 5, 0, 1), -6);
    EXPECT_EQ(outputShape(params(4, 6, 3, 2, 1, 1), {2, 4, 5, 7}), (Shape{2, 6, 10, 14}));
    EXPECT_EQ(outputShape(params(4, 6, 3, 2), {4, 5, 7}), (Shape{6, 11, 15}));
    EXPECT_EQ(weightShape(params(4, 6, 3, 1, 0, 0, 1, 2)), (Shape{4, 3, 3, 3}));
}

TEST(ConvTranspose2d, fastPath_matchesReferenceOverAGrid)
{
    int cases = 0;
    unsigned seed = 100;
    for (int k : {1, 2, 3, 4})
        for (int s : {1, 2, 3})
            for (int d : {1, 2})
                for (int pad : {0, 1, 3})
                    for (int op : {0, 1, 2})
                        for (int g : {1, 2})
                            for (bool bias : {true, false}) {
                                if (op >= s && op >= d)
                                    continue; // PyTorch refuses it (tested below)
                                ConvTranspose2dParams p =
                                    params(2 * g, 3 * g, k, s, pad, op, d, g, bias);
                                // An asymmetric variant every other case.
                                if (cases % 2 == 1) {
                                    p.kernel.w = k + 1;
                                    p.stride.w = s == 1 ? 2 : 1;
                                    p.padding.w = pad / 2;
                                    p.outputPadding.w = 0;
                                }
                                const Shape in{cases % 3 == 0 ? 2 : 1, p.inChannels, 4 + cases % 3,
                                               5 - cases % 2};
                                const ConvTranspose2dLayer l = layerWithTensors(p, ++seed);
                                if (validate(l, in))
                                    continue; // output too small: the refusal tests cover it
                                const Tensor x = randomTensor(in, ++seed);
                                const Tensor want = referenceConvTranspose2d(
                                    x, *l.weight, bias ? l.bias.get() : nullptr, p);
                                for (int threads : {1, 2, 3}) {
                                    Tensor got;
                                    ASSERT_EQ(convTranspose2d(x, l, got, threads, {}),
                                              ForwardStatus::Done)
                                        << describe(p, in, threads);
                                    EXPECT_TRUE(close(got, want)) << describe(p, in, threads);
                                }
                                ++cases;
                            }
    EXPECT_GE(cases, 300); // the grid really ran
}

TEST(ConvTranspose2d, reference_isTheTransposeOfConv2d)
{
    // <conv_transpose(x, w), y> = <x, conv2d(y, w)> for the same weight: the adjoint identity,
    // an oracle independent of both loops.
    const ConvTranspose2dParams t = params(3, 4, 3, 2, 1, 1, 2, 1, false);
    Conv2dParams c;
    c.inChannels = 4;
    c.outChannels = 3;
    c.kernel = t.kernel;
    c.stride = t.stride;
    c.padding = t.padding;
    c.dilation = t.dilation;
    c.bias = false;
    const Tensor w = randomTensor(weightShape(t), 7u);
    const Tensor x = randomTensor({1, 3, 5, 6}, 8u);
    const Tensor tx = referenceConvTranspose2d(x, w, nullptr, t);
    const Tensor y = randomTensor(tx.shape, 9u);
    Tensor cy;
    ASSERT_EQ(conv2d(y, w, nullptr, c, cy), ForwardStatus::Done);
    ASSERT_EQ(cy.shape, x.shape); // output_padding picks the size that maps back
    double lhs = 0.0, rhs = 0.0;
    for (std::size_t i = 0; i < y.data.size(); ++i)
        lhs += double(tx.data[i]) * y.data[i];
    for (std::size_t i = 0; i < x.data.size(); ++i)
        rhs += double(x.data[i]) * cy.data[i];
    EXPECT_NEAR(lhs, rhs, 1e-4 * std::max(1.0, std::abs(lhs)));
}

TEST(ConvTranspose2d, refusesWhatPyTorchRefuses)
{
    const Shape in{1, 4, 5, 5};
    auto e = refused(layerWithTensors(params(4, 6, 3, 1, 0, 1), 1), in);
    EXPECT_EQ(e.field, Field::Option);
    EXPECT_EQ(e.message, "output padding must be smaller than either stride or dilation, but "
                         "got output_padding_height: 1 output_padding_width: 1 stride_height: 1 "
                         "stride_width: 1 dilation_height: 1 dilation_width: 1");
    ConvTranspose2dParams p = params(4, 6, 3);
    p.stride = {2, 3};
    p.dilation = {1, 2};
    p.outputPadding = {1, 3};
    e = refused(layerWithTensors(p, 2), in);
    EXPECT_EQ(e.message, "output padding must be smaller than either stride or dilation, but "
                         "got output_padding_height: 1 output_padding_width: 3 stride_height: 2 "
                         "stride_width: 3 dilation_height: 1 dilation_width: 2");
    // Below the dilation is enough, with stride 1.
    EXPECT_FALSE(validate(Network{{layerWithTensors(params(4, 6, 3, 1, 0, 2, 3), 3)}}, in));

    e = refused(layerWithTensors(params(4, 6, 3, 1, 0, 0, 1, 4), 4), in);
    EXPECT_EQ(e.field, Field::Groups);
    EXPECT_EQ(e.message,
              "out_channels must be divisible by groups, but got out_channels=6 and groups=4");
    e = refused(ConvTranspose2dLayer{params(3, 6, 3, 1, 0, 0, 1, 2), nullptr, nullptr}, in);
    EXPECT_EQ(e.message,
              "in_channels must be divisible by groups, but got in_channels=3 and groups=2");
    e = refused(ConvTranspose2dLayer{params(4, 6, 3, 1, 0, 0, 1, 0), nullptr, nullptr}, in);
    EXPECT_EQ(e.message, "groups must be a positive integer, but got groups=0");
    e = refused(ConvTranspose2dLayer{params(4, 6, 3, 0), nullptr, nullptr}, in);
    EXPECT_EQ(e.field, Field::Stride);
    EXPECT_TRUE(hasSubstr(e.message, "non-positive stride is not supported")) << e.message;
    EXPECT_TRUE(hasSubstr(e.message, "stride=[0, 0]")) << e.message;
    e = refused(ConvTranspose2dLayer{params(4, 6, 3, 1, -1), nullptr, nullptr}, in);
    EXPECT_TRUE(hasSubstr(e.message, "negative padding is not supported")) << e.message;
    e = refused(ConvTranspose2dLayer{params(4, 6, 3, 2, 0, -1), nullptr, nullptr}, in);
    EXPECT_TRUE(hasSubstr(e.message, "negative output_padding is not supported")) << e.message;
    e = refused(ConvTranspose2dLayer{params(4, 6, 3, 1, 0, 0, 0), nullptr, nullptr}, in);
    EXPECT_EQ(e.field, Field::Dilation);
    EXPECT_EQ(
        e.message,
        "dilation should be greater than zero, but got dilation_height: 0, dilation_width: 0");
    e = refused(ConvTranspose2dLayer{params(4, 6, 0), nullptr, nullptr}, in);
    EXPECT_EQ(e.message,
              "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 0");
    e = refused(ConvTranspose2dLayer{params(4, 0, 3), nullptr, nullptr}, in);
    EXPECT_EQ(e.field, Field::OutChannels);

    // Tensor shapes: the weight is [C_in, C_out/groups, kH, kW], not a Conv2d's.
    ConvTranspose2dLayer wrong = layerWithTensors(params(4, 6, 3, 1, 0, 0, 1, 2), 5);
    wrong.weight = std::make_shared<const Tensor>(Tensor({6, 2, 3, 3}));
    e = refused(wrong, in);
    EXPECT_EQ(e.field, Field::Weight);
    EXPECT_EQ(e.message, "expected weight of shape [C_in, C_out/groups, kH, kW] = [4, 3, 3, 3], "
                         "but got [6, 2, 3, 3]");
    wrong = layerWithTensors(params(4, 6, 3), 6);
    wrong.bias = std::make_shared<const Tensor>(Tensor({4}));
    e = refused(wrong, in);
    EXPECT_EQ(e.field, Field::Bias);
    EXPECT_EQ(e.message, "expected bias of shape [C_out] = [6], but got [4]");

    // Against the input.
    e = refused(layerWithTensors(params(4, 6, 3), 7), {1, 3, 5, 5});
    EXPECT_EQ(e.field, Field::InChannels);
    EXPECT_EQ(e.message, "Given transposed=1, weight of size [4, 6, 3, 3], expected "
                         "input[1, 3, 5, 5] to have 4 channels, but got 3 channels instead");
    e = refused(layerWithTensors(params(4, 6, 3), 7), {3, 5, 5});
    EXPECT_TRUE(hasSubstr(e.message, "expected input[1, 3, 5, 5] to have 4 channels"));
    // (A ReLU in front would refuse the 2-D input first.)
    const auto flat = validate(Network{{layerWithTensors(params(4, 6, 3), 7)}}, {5, 5});
    ASSERT_TRUE(flat);
    EXPECT_EQ(flat->error.message,
              "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but "
              "got input of size: [5, 5]");
    e = refused(layerWithTensors(params(4, 6, 3, 1, 5), 8), {1, 4, 2, 2});
    EXPECT_EQ(e.field, Field::Kernel);
    EXPECT_EQ(e.message, "Given input size per channel: (2 x 2). Calculated output size per "
                         "channel: (-6 x -6). Output size is too small");
    p = params(4, 6, 3);
    p.padding = {1, 4};
    e = refused(layerWithTensors(p, 9), {1, 4, 3, 3});
    EXPECT_EQ(e.message, "Given input size per channel: (3 x 3). Calculated output size per "
                         "channel: (3 x -3). Output size is too small");
    e = refused(layerWithTensors(params(4, 6, 3), 10), {1, 4, 0, 5});
    EXPECT_EQ(e.message, "Only zero batch or zero channel inputs are supported, but got input "
                         "shape: [1, 4, 0, 5]");
    EXPECT_FALSE(validate(Network{{layerWithTensors(params(4, 6, 3), 11)}}, {0, 4, 5, 5}));
    e = refused(layerWithTensors(params(4, 6, 3, 100), 12), {1, 4, 30000, 30000});
    EXPECT_TRUE(hasSubstr(e.message, "2^31")) << e.message;
}

TEST(ConvTranspose2d, reprIsPyTorchs)
{
    EXPECT_EQ(torchRepr(Layer{ConvTranspose2dLayer{params(4, 6, 3), nullptr, nullptr}}),
              "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(1, 1))");
    ConvTranspose2dParams p = params(4, 6, 3, 2, 1, 1, 2, 2, false);
    p.kernel = {3, 2};
    p.padding = {1, 0};
    p.dilation = {2, 1};
    EXPECT_EQ(torchRepr(p), "ConvTranspose2d(4, 6, kernel_size=(3, 2), stride=(2, 2), "
                            "padding=(1, 0), dilation=(2, 1), output_padding=(1, 1), groups=2, "
                            "bias=False)");
}

TEST(ConvTranspose2d, inANetwork)
{
    Conv2dParams c;
    c.inChannels = 3;
    c.outChannels = 4;
    c.stride = {2, 2};
    c.padding = {1, 1};
    const Layer conv = makeConv2d(c, randomTensor(weightShape(c), 1u), randomTensor({4}, 2u));
    const ConvTranspose2dLayer up = layerWithTensors(params(4, 3, 3, 2, 1, 1), 3);
    const Network net{{conv, ReluLayer{}, up, SigmoidLayer{}}};
    const Shape in{1, 3, 8, 10};
    ASSERT_FALSE(validate(net, in));
    EXPECT_FALSE(validateModules(net));
    EXPECT_EQ(layerShapes(net, in)[2], in); // stride 2 down, stride 2 with output_padding up
    EXPECT_TRUE(changesCoordinates(net.layers[2]));
    EXPECT_THROW((void)convParams(net), std::invalid_argument);
    EXPECT_EQ(inputChannels(Network{{ReluLayer{}, up}}), 4);
    EXPECT_EQ(kindName(net.layers[2]), "ConvTranspose2d");
    EXPECT_TRUE(sameLayer(net.layers[2], Layer{layerWithTensors(params(4, 3, 3, 2, 1, 1), 3)}));
    EXPECT_FALSE(sameLayer(net.layers[2], Layer{layerWithTensors(params(4, 3, 3, 2, 1, 1), 4)}));

    // Without an input the channels chain through it: 4 -> 3, so the Conv2d of 3 after it
    // fits and a second ConvTranspose2d of 4 does not.
    Network chain = net;
    chain.layers.push_back(conv);
    EXPECT_FALSE(validateModules(chain));
    chain.layers.pop_back();
    chain.layers.push_back(up);
    const auto m = validateModules(chain);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->layer, 5u);
    EXPECT_TRUE(hasSubstr(m->error.message, "in_channels=4")) << m->error.message;

    std::vector<Tensor> outputs;
    NetworkOptions options;
    options.keep.assign(net.size(), true);
    std::vector<double> seen;
    options.progress = [&](double f) {
        seen.push_back(f);
        return true;
    };
    const Tensor x = randomTensor(in, 4u);
    ASSERT_EQ(forward(net, x, outputs, options), ForwardStatus::Done);
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    const Tensor want = referenceConvTranspose2d(outputs[1], *up.weight, up.bias.get(), up.params);
    EXPECT_TRUE(close(outputs[2], want));

    int calls = 0;
    options.progress = [&](double) { return ++calls < 3; };
    EXPECT_EQ(forward(net, x, outputs, options), ForwardStatus::Cancelled);

    ConvTranspose2dLayer geometry{params(4, 3, 3), nullptr, nullptr};
    EXPECT_THROW(forward(Network{{geometry}}, Tensor({1, 4, 2, 2}), outputs),
                 std::invalid_argument);
}
