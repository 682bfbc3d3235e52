// SPDX-License-Identifier: GPL-3.0-or-later
// The fast paths of the non-conv layers against their plain references: the row-wise,
// threaded max-pool against maxPool2dReference over a parameter grid, and the fused
// network forward (a Conv2d with the BatchNorm2d and activations after it run on its output
// bands, runs of element-wise layers in one pass) against the same network run layer by
// layer with every output kept.
#include "layers.h"
#include "network.h"
#include "random_tensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>

using namespace convscope::core;
using convscope::test::randomTensor;

namespace {

std::string describe(const MaxPool2dLayer &l, const Shape &in, int threads)
{
    std::ostringstream s;
    s << "input " << formatShape(in) << " " << torchRepr(l) << " threads " << threads;
    return s.str();
}

// Equal values, NaN equal to NaN (which NaN wins is not specified).
bool sameValues(const Tensor &a, const Tensor &b, std::size_t &where)
{
    if (a.shape != b.shape)
        return false;
    for (std::size_t i = 0; i < a.data.size(); ++i) {
        const float x = a.data[i], y = b.data[i];
        if (!(x == y || (std::isnan(x) && std::isnan(y)))) {
            where = i;
            return false;
        }
    }
    return true;
}

// Bit for bit (0.0 and -0.0 differ).
bool sameBits(const Tensor &a, const Tensor &b)
{
    return a.shape == b.shape
           && std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0;
}

} // namespace

TEST(LayersFast, maxPoolGrid_matchesReference)
{
    int cases = 0;
    for (const Shape &in : {Shape{1, 3, 9, 11}, Shape{2, 2, 7, 7}, Shape{1, 1, 16, 5},
                            Shape{3, 13, 6}, Shape{1, 2, 1, 12}})
        for (int kh : {1, 2, 3})
            for (int kw : {1, 2, 3, 4})
                for (int s : {0, 1, 2, 3}) // 0: the kernel size
                    for (int pad : {0, 1, 2})
                        for (int dil : {1, 2})
                            for (bool ceil : {false, true}) {
                                MaxPool2dLayer l;
                                l.kernel = {kh, kw};
                                if (s > 0)
                                    l.stride = Hw{s, s + (kw % 2)};
                                l.padding = {std::min(pad, kh / 2), std::min(pad, kw / 2)};
                                l.dilation = {dil, dil};
                                l.ceilMode = ceil;
                                if (validateModule(l) || validate(l, in))
                                    continue;
                                Tensor x = randomTensor(in, static_cast<unsigned>(cases));
                                // NaN, infinities and signed zeros where windows read them.
                                x.data[0] = std::numeric_limits<float>::quiet_NaN();
                                if (x.data.size() > 5)
                                    x.data[5] = -std::numeric_limits<float>::infinity();
                                if (x.data.size() > 9)
                                    x.data[9] = std::numeric_limits<float>::infinity();
                                if (x.data.size() > 14)
                                    x.data[14] = -0.0f;
                                Tensor ref;
                                maxPool2dReference(x, l, ref, {});
                                for (int threads : {1, 2, 3}) {
                                    Tensor fast({1}, 7.0f); // a stale buffer to overwrite
                                    ASSERT_EQ(maxPool2d(x, l, fast, {}, threads),
                                              ForwardStatus::Done)
                                        << describe(l, in, threads);
                                    std::size_t where = 0;
                                    ASSERT_TRUE(sameValues(fast, ref, where))
                                        << describe(l, in, threads) << "\n  element " << where
                                        << ": fast " << fast.data[where] << " reference "
                                        << ref.data[where] << " (shapes " << formatShape(fast.shape)
                                        << ", " << formatShape(ref.shape) << ")";
                                }
                                ++cases;
                            }
    EXPECT_GT(cases, 1000);
}

TEST(LayersFast, maxPoolProgress_endsAtOneAndCancels)
{
    MaxPool2dLayer l;
    l.kernel = {3, 3};
    l.stride = Hw{2, 2};
    l.padding = {1, 1};
    const Tensor x = randomTensor({1, 8, 40, 40}, 3u);
    Tensor out;
    double last = 0.0;
    int calls = 0;
    ASSERT_EQ(maxPool2d(
                  x, l, out,
                  [&](double f) {
                      EXPECT_GE(f, last);
                      last = f;
                      ++calls;
                      return true;
                  },
                  2),
              ForwardStatus::Done);
    EXPECT_DOUBLE_EQ(last, 1.0);
    EXPECT_GE(calls, 2);
    EXPECT_EQ(maxPool2d(
                  x, l, out, [](double) { return false; }, 2),
              ForwardStatus::Cancelled);
}

namespace {

Layer conv(int in, int out, int k, int stride, int pad, bool bias, unsigned seed)
{
    Conv2dParams p;
    p.inChannels = in;
    p.outChannels = out;
    p.kernel = {k, k};
    p.stride = {stride, stride};
    p.padding = {pad, pad};
    p.bias = bias;
    return makeConv2d(p, randomTensor(weightShape(p), seed), randomTensor({out}, seed + 1));
}

Layer batchNorm(int c, unsigned seed, bool affine = true)
{
    return makeBatchNorm2d(randomTensor({c}, seed), randomTensor({c}, seed + 1, 0.5f, 2.0f), affine,
                           randomTensor({c}, seed + 2, 0.5f, 1.5f), randomTensor({c}, seed + 3));
}

MaxPool2dLayer pool(int k, int s, int pad)
{
    MaxPool2dLayer l;
    l.kernel = {k, k};
    l.stride = Hw{s, s};
    l.padding = {pad, pad};
    return l;
}

std::string describe(const Network &net, const Shape &in, int threads)
{
    std::string s = "input " + formatShape(in) + " threads " + std::to_string(threads) + ":";
    for (const Layer &l : net.layers)
        s += " " + torchRepr(l);
    return s;
}

} // namespace

TEST(LayersFast, fusedNetwork_equalsLayerByLayerBitForBit)
{
    const std::vector<Network> nets{
        // the resnet stem: conv (no bias) -> BN -> ReLU -> max-pool
        Network{{conv(3, 8, 7, 2, 3, false, 1), batchNorm(8, 10), ReluLayer{}, pool(3, 2, 1)}},
        // VGG: conv -> ReLU -> conv -> ReLU -> pool
        Network{{conv(3, 5, 3, 1, 1, true, 2), ReluLayer{}, conv(5, 6, 3, 1, 1, true, 3),
                 ReluLayer{}, pool(2, 2, 0)}},
        // every activation after a conv, and a BN-first chain without a conv before it
        Network{{batchNorm(3, 20, false), SiluLayer{}, conv(3, 4, 3, 1, 1, true, 4),
                 LeakyReluLayer{0.2}, Relu6Layer{}, GeluLayer{}, SigmoidLayer{}, TanhLayer{},
                 batchNorm(4, 30), ReluLayer{}}},
        // element-wise layers after a pool and after a padding layer, a conv last
        Network{{conv(3, 4, 1, 1, 0, true, 5), pool(2, 1, 1), batchNorm(4, 40), ReluLayer{},
                 ZeroPad2dLayer{}, TanhLayer{}, conv(4, 2, 3, 2, 0, true, 6)}},
    };
    for (const Shape &in : {Shape{1, 3, 23, 19}, Shape{2, 3, 16, 16}, Shape{3, 11, 9}})
        for (const Network &net : nets)
            for (int threads : {1, 2, 3}) {
                SCOPED_TRACE(describe(net, in, threads));
                if (validate(net, in)) { // BatchNorm2d takes batched input only
                    ASSERT_EQ(in.size(), 3u);
                    continue;
                }
                const Tensor x = randomTensor(in, 99u, -2.0f, 2.0f);
                // The reference: every output kept, so nothing is fused, and each layer's
                // own plain loop (maxPool2dReference for the pools).
                std::vector<Tensor> ref(net.size());
                const Tensor *prev = &x;
                bool refused = false;
                for (std::size_t i = 0; i < net.size() && !refused; ++i) {
                    // The network's check takes an unbatched conv's output as batched (as
                    // layerShapes does), so a BatchNorm2d behind one passes there but not
                    // alone: such a case has no layer-by-layer reference.
                    if (validate(Network{{net.layers[i]}}, prev->shape)) {
                        ASSERT_EQ(in.size(), 3u);
                        refused = true;
                        break;
                    }
                    if (const auto *m = std::get_if<MaxPool2dLayer>(&net.layers[i])) {
                        maxPool2dReference(*prev, *m, ref[i], {});
                    } else {
                        std::vector<Tensor> one;
                        ASSERT_EQ(forward(Network{{net.layers[i]}}, *prev, one),
                                  ForwardStatus::Done);
                        ref[i] = one.back();
                    }
                    prev = &ref[i];
                }
                if (refused)
                    continue;
                // Fused: only the last output kept; and every output kept.
                std::vector<Tensor> fused;
                std::vector<std::vector<MinMax>> ranges;
                NetworkOptions o;
                o.threads = threads;
                o.channelRanges = &ranges;
                ASSERT_EQ(forward(net, x, fused, o), ForwardStatus::Done);
                EXPECT_TRUE(sameBits(fused.back(), ref.back())) << describe(net, in, threads);
                for (std::size_t i = 0; i + 1 < net.size(); ++i)
                    EXPECT_TRUE(fused[i].data.empty()) << "layer " << i + 1 << " kept";
                o.keep.assign(net.size(), true);
                std::vector<Tensor> all;
                ASSERT_EQ(forward(net, x, all, o), ForwardStatus::Done);
                for (std::size_t i = 0; i < net.size(); ++i)
                    EXPECT_TRUE(sameBits(all[i], ref[i]))
                        << "layer " << i + 1 << " of " << describe(net, in, threads);
                // Keeping one output in the middle splits the fusion there.
                for (std::size_t k = 0; k + 1 < net.size(); ++k) {
                    o.keep.assign(net.size(), false);
                    o.keep[k] = true;
                    o.keep.back() = true;
                    std::vector<Tensor> some;
                    ASSERT_EQ(forward(net, x, some, o), ForwardStatus::Done);
                    EXPECT_TRUE(sameBits(some[k], ref[k]))
                        << "kept layer " << k + 1 << " of " << describe(net, in, threads);
                    EXPECT_TRUE(sameBits(some.back(), ref.back()))
                        << "last layer, layer " << k + 1 << " kept, of "
                        << describe(net, in, threads);
                }
            }
}

TEST(LayersFast, fusedConvEpilogue_rangesDescribeTheFinalOutput)
{
    const Network net{{conv(3, 4, 3, 1, 1, true, 7), batchNorm(4, 50), ReluLayer{}}};
    const Tensor x = randomTensor({1, 3, 12, 12}, 8u);
    std::vector<Tensor> outputs;
    std::vector<std::vector<MinMax>> ranges;
    NetworkOptions o;
    o.channelRanges = &ranges;
    ASSERT_EQ(forward(net, x, outputs, o), ForwardStatus::Done);
    ASSERT_EQ(ranges.back().size(), 4u);
    const Tensor &y = outputs.back();
    for (std::size_t c = 0; c < 4; ++c) {
        float lo = std::numeric_limits<float>::max(), hi = -lo;
        for (std::size_t i = 0; i < 144; ++i) {
            lo = std::min(lo, y.data[c * 144 + i]);
            hi = std::max(hi, y.data[c * 144 + i]);
        }
        EXPECT_EQ(ranges.back()[c].lo, lo) << "channel " << c;
        EXPECT_EQ(ranges.back()[c].hi, hi) << "channel " << c;
        EXPECT_GE(lo, 0.0f) << "channel " << c << ": the ReLU ran before the ranges";
    }
}
