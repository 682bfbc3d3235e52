// SPDX-License-Identifier: GPL-3.0-or-later
// core::Network: validate() names the failing layer counted from 1, forward() equals the
// reference kernel applied layer by layer (ReLU between), keeps what it is asked to keep,
// reports progress and cancels.
#include "network.h"
#include "random_tensor.h"
#include "receptivefield.h"
#include "reference_conv.h"
#include "shape.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <thread>

using namespace convscope::core;
using convscope::test::hasSubstr;
using convscope::test::randomTensor;

namespace {

Conv2dParams conv(int in, int out, int k, int stride = 1, int pad = 0, int groups = 1)
{
    Conv2dParams p;
    p.inChannels = in;
    p.outChannels = out;
    p.kernel = {k, k};
    p.stride = {stride, stride};
    p.padding = {pad, pad};
    p.groups = groups;
    return p;
}

Layer convLayer(const Conv2dParams &p, unsigned seed)
{
    return makeConv2d(p, randomTensor(weightShape(p), seed),
                      randomTensor({p.outChannels}, seed + 1000));
}

Tensor reluOf(Tensor t)
{
    for (float &v : t.data)
        v = std::max(v, 0.0f);
    return t;
}

double maxAbsDiff(const Tensor &a, const Tensor &b)
{
    double m = 0.0;
    for (std::size_t i = 0; i < a.data.size(); ++i)
        m = std::max(m, std::abs(double(a.data[i]) - double(b.data[i])));
    return m;
}

std::string describe(const Network &net, const Shape &in)
{
    std::ostringstream s;
    s << "input " << formatShape(in) << ":";
    for (const Layer &l : net.layers)
        s << " " << torchRepr(l);
    return s.str();
}

} // namespace

TEST(Network, randomStacks_forwardMatchesReferenceLayerByLayer)
{
    std::mt19937 rng(20261203);
    const PaddingMode modes[] = {PaddingMode::Zeros, PaddingMode::Reflect, PaddingMode::Replicate,
                                 PaddingMode::Circular};
    int checked = 0;
    for (int draw = 0; draw < 60; ++draw) {
        Network net;
        int channels = std::uniform_int_distribution<int>(1, 4)(rng);
        const Shape input{1, channels, std::uniform_int_distribution<int>(6, 14)(rng),
                          std::uniform_int_distribution<int>(6, 14)(rng)};
        const int convs = std::uniform_int_distribution<int>(1, 3)(rng);
        for (int c = 0; c < convs; ++c) {
            if (c > 0 && rng() % 2)
                net.layers.emplace_back(ReluLayer{});
            const int groups = channels % 2 == 0 && rng() % 3 == 0 ? 2 : 1;
            const int out = groups * std::uniform_int_distribution<int>(1, 3)(rng);
            Conv2dParams p =
                conv(channels, out, 1 + int(rng() % 3), 1 + int(rng() % 2), int(rng() % 2), groups);
            p.paddingMode = modes[rng() % 4];
            p.bias = rng() % 2;
            net.layers.push_back(convLayer(p, unsigned(draw * 10 + c)));
            channels = out;
        }
        if (validate(net, input))
            continue; // a draw whose kernels no longer fit: validate's own tests cover those
        const Tensor x = randomTensor(input, unsigned(draw));
        std::vector<Tensor> outputs;
        NetworkOptions options;
        options.keep.assign(net.size(), true);
        ASSERT_EQ(forward(net, x, outputs, options), ForwardStatus::Done) << describe(net, input);
        Tensor expected = x;
        for (std::size_t i = 0; i < net.size(); ++i) {
            if (const auto *c = std::get_if<Conv2dLayer>(&net.layers[i]))
                expected = referenceConv2d(expected, *c->weight,
                                           c->params.bias ? c->bias.get() : nullptr, c->params);
            else
                expected = reluOf(expected);
            ASSERT_EQ(outputs[i].shape, expected.shape)
                << describe(net, input) << " layer " << i + 1;
            EXPECT_LT(maxAbsDiff(outputs[i], expected), 1e-4)
                << describe(net, input) << " layer " << i + 1;
        }
        ++checked;
    }
    EXPECT_GT(checked, 30);
}

TEST(Network, keepEmpty_handsBackOnlyTheLastOutput)
{
    Network net{{convLayer(conv(2, 3, 3, 1, 1), 1), ReluLayer{}, convLayer(conv(3, 2, 3), 2)}};
    const Tensor x = randomTensor({1, 2, 9, 9}, 7u);
    std::vector<Tensor> outputs;
    ASSERT_EQ(forward(net, x, outputs), ForwardStatus::Done);
    ASSERT_EQ(outputs.size(), 3u);
    EXPECT_TRUE(outputs[0].data.empty());
    EXPECT_TRUE(outputs[1].data.empty());
    EXPECT_EQ(outputs[2].shape, (Shape{1, 2, 7, 7}));
    EXPECT_EQ(layerShapes(net, x.shape),
              (std::vector<Shape>{{1, 3, 9, 9}, {1, 3, 9, 9}, {1, 2, 7, 7}}));
}

TEST(Network, channelRanges_matchTheKeptOutputs)
{
    Network net{{convLayer(conv(1, 2, 3, 1, 1), 3), ReluLayer{}}};
    const Tensor x = randomTensor({1, 1, 8, 8}, 9u);
    std::vector<Tensor> outputs;
    std::vector<std::vector<MinMax>> ranges;
    NetworkOptions options;
    options.keep = {true, true};
    options.channelRanges = &ranges;
    ASSERT_EQ(forward(net, x, outputs, options), ForwardStatus::Done);
    ASSERT_EQ(ranges.size(), 2u);
    for (std::size_t l = 0; l < 2; ++l) {
        ASSERT_EQ(ranges[l].size(), 2u);
        for (int c = 0; c < 2; ++c) {
            const float *v = outputs[l].data.data() + std::ptrdiff_t(c) * 64;
            EXPECT_EQ(ranges[l][std::size_t(c)].lo, *std::min_element(v, v + 64));
            EXPECT_EQ(ranges[l][std::size_t(c)].hi, *std::max_element(v, v + 64));
        }
    }
    EXPECT_GE(ranges[1][0].lo, 0.0f); // after the ReLU
}

TEST(Network, progressIsMonotoneAndEndsAtOne_cancelStops)
{
    Network net{
        {convLayer(conv(3, 8, 3, 1, 1), 1), ReluLayer{}, convLayer(conv(8, 8, 3, 1, 1), 2)}};
    const Tensor x = randomTensor({1, 3, 64, 64}, 3u);
    std::vector<double> seen;
    NetworkOptions options;
    options.progress = [&](double f) {
        seen.push_back(f);
        return true;
    };
    std::vector<Tensor> outputs;
    ASSERT_EQ(forward(net, x, outputs, options), ForwardStatus::Done);
    ASSERT_FALSE(seen.empty());
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_DOUBLE_EQ(seen.back(), 1.0);

    // Cancelled in the middle of the second conv: forward says so.
    int calls = 0;
    options.progress = [&](double f) { return ++calls < 3 || f < 0.6; };
    EXPECT_EQ(forward(net, x, outputs, options), ForwardStatus::Cancelled);
}

// The GUI's policy in miniature: a run on a worker thread, a newer edit on the caller's
// thread bumps a generation counter, the run's progress callback sees it and stops; the next
// run reuses the first run's output buffers. Under the tsan preset this checks the contract
// the live view and the Layers dock rely on (atomics, the engine's pool, buffer hand-off).
TEST(Network, cancelFromAnotherThread_stopsTheRunAndTheBuffersAreReusable)
{
    Network net{
        {convLayer(conv(3, 8, 5, 1, 2), 1), ReluLayer{}, convLayer(conv(8, 8, 5, 1, 2), 2)}};
    const Tensor x = randomTensor({1, 3, 192, 192}, 4u);
    std::atomic<std::uint64_t> generation{0};
    std::atomic<bool> started{false};
    std::vector<Tensor> outputs;
    ForwardStatus status = ForwardStatus::Done;
    std::thread worker([&] {
        NetworkOptions options;
        options.threads = 2;
        const std::uint64_t mine = generation.load();
        options.progress = [&](double) {
            started.store(true);
            return generation.load() == mine;
        };
        status = forward(net, x, outputs, options);
    });
    while (!started.load())
        std::this_thread::yield();
    generation.fetch_add(1); // the newer edit
    worker.join();
    EXPECT_EQ(status, ForwardStatus::Cancelled);

    // The next run, on another thread again, into the same buffers: the reference result.
    std::thread second([&] {
        NetworkOptions options;
        options.threads = 2;
        status = forward(net, x, outputs, options);
    });
    second.join();
    ASSERT_EQ(status, ForwardStatus::Done);
    std::vector<Tensor> expected;
    NetworkOptions single;
    single.threads = 1;
    ASSERT_EQ(forward(net, x, expected, single), ForwardStatus::Done);
    EXPECT_EQ(outputs.back(), expected.back());
}

TEST(Network, validate_namesTheLayerCountedFromOneAndItsKind)
{
    // 8 -> 3 after a k4/s2 valid layer (with a ReLU between); a k5 kernel no longer fits.
    Network net{{convLayer(conv(1, 2, 4, 2), 1), ReluLayer{}, convLayer(conv(2, 2, 5), 2)}};
    const auto e = validate(net, {1, 1, 8, 8});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->layer, 3u);
    EXPECT_EQ(e->kind, "Conv2d");
    EXPECT_EQ(e->error.field, Field::Kernel);
    EXPECT_TRUE(hasSubstr(e->message(), "layer 3 (Conv2d): "));
    EXPECT_FALSE(validateModules(net)); // nothing wrong without an input
    std::vector<Tensor> outputs;
    EXPECT_THROW(forward(net, randomTensor({1, 1, 8, 8}, 1u), outputs), std::invalid_argument);
}

TEST(Network, validate_channelChainWeightAndBiasShapes)
{
    Network chain{{convLayer(conv(3, 4, 3), 1), convLayer(conv(3, 2, 3), 2)}};
    for (const auto &e : {validate(chain, {1, 3, 16, 16}), validateModules(chain)}) {
        ASSERT_TRUE(e);
        EXPECT_EQ(e->layer, 2u);
        EXPECT_EQ(e->error.field, Field::InChannels);
        EXPECT_TRUE(hasSubstr(e->error.message, "in_channels=4")) << e->error.message;
    }

    const Conv2dParams p = conv(1, 2, 3);
    Network wrongWeight{{makeConv2d(p, Tensor({2, 1, 2, 2}), Tensor({2}))}};
    auto e = validateModules(wrongWeight);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->error.field, Field::Weight);
    EXPECT_TRUE(hasSubstr(e->error.message, "[2, 1, 3, 3]"));
    EXPECT_TRUE(hasSubstr(e->error.message, "[2, 1, 2, 2]"));

    Network wrongBias{{makeConv2d(p, Tensor(weightShape(p)), Tensor({3}))}};
    e = validateModules(wrongBias);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->error.field, Field::Bias);

    Conv2dParams bad = p;
    bad.groups = 2; // does not divide in_channels=1
    e = validateModules(Network{{makeConv2d(bad, Tensor({2, 0, 3, 3}), Tensor({2}))}});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->error.field, Field::Groups);
    EXPECT_EQ(validateModule(bad)->message, e->error.message);
}

TEST(Network, validateStack_isTheNetworkCheckOnGeometry)
{
    const LayerStack stack{conv(1, 2, 4, 2), conv(2, 2, 5)};
    const auto a = validateStack(stack, {8, 8});
    const auto b = validate(geometryNetwork(stack), {1, 1, 8, 8});
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_EQ(a->layer, b->layer);
    EXPECT_EQ(a->error.message, b->error.message);
    EXPECT_EQ(convParams(geometryNetwork(stack)), stack);
}

TEST(Network, equality_comparesTensorValuesNotPointers)
{
    const Conv2dParams p = conv(1, 1, 3);
    const Network a{{makeConv2d(p, Tensor(weightShape(p), 0.5f), Tensor({1})), ReluLayer{}}};
    Network b{{makeConv2d(p, Tensor(weightShape(p), 0.5f), Tensor({1})), ReluLayer{}}};
    EXPECT_EQ(a, b);
    b.layers[0] = makeConv2d(p, Tensor(weightShape(p), 0.25f), Tensor({1}));
    EXPECT_FALSE(a == b);
    b.layers.pop_back();
    EXPECT_FALSE(a == b);
    EXPECT_EQ(torchRepr(a.layers[1]), "ReLU()");
    EXPECT_EQ(kindName(a.layers[0]), "Conv2d");
}
