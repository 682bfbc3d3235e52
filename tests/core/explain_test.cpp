// SPDX-License-Identifier: GPL-3.0-or-later
#include "explain.h"
#include "random_tensor.h"

#include "conv2d.h"
#include "padding.h"
#include "reference_conv.h"
#include "shape.h"
#include "validate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace convscope::core;

namespace {

using convscope::test::randomTensor;

} // namespace

TEST(Explain, replicatePadding_handComputedValue)
{
    // input [[1, 2], [3, 4]], weight [[1, 10], [100, 1000]], padding 1 replicate, bias 0.5.
    const Tensor input({1, 1, 2, 2}, {1, 2, 3, 4});
    const Tensor weight({1, 1, 2, 2}, {1, 10, 100, 1000});
    const Tensor bias({1}, {0.5f});
    Conv2dParams p;
    p.kernel = {2, 2};
    p.padding = {1, 1};
    p.paddingMode = PaddingMode::Replicate;
    // Output (0, 0) reads rows -1, 0 and columns -1, 0: all copies of pixel (0, 0) = 1.
    const Explanation e = explainOutput(input, weight, &bias, p, 0, 0, 0, 0);
    EXPECT_DOUBLE_EQ(e.total, 1 + 10 + 100 + 1000 + 0.5);
    ASSERT_EQ(e.channels.size(), 1u);
    ASSERT_EQ(e.channels[0].terms.size(), 4u);
    const ExplainTerm &corner = e.channels[0].terms[0];
    EXPECT_TRUE(corner.tap.inPadding);
    EXPECT_EQ(corner.tap.py, -1);
    EXPECT_EQ(corner.tap.sy, 0);
    EXPECT_EQ(corner.tap.sx, 0);
    EXPECT_EQ(corner.input, 1.0f);
    // Output (0, 1): rows -1, 0 -> 0, 0; columns 0, 1: 1*1 + 2*10 + 1*100 + 2*1000 + 0.5.
    EXPECT_DOUBLE_EQ(explainOutput(input, weight, &bias, p, 0, 0, 0, 1).total, 2121.5);
    // Zero padding: only pixel (0, 0) under weight 1000 is real.
    p.paddingMode = PaddingMode::Zeros;
    const Explanation z = explainOutput(input, weight, &bias, p, 0, 0, 0, 0);
    EXPECT_DOUBLE_EQ(z.total, 1000.5);
    EXPECT_TRUE(z.channels[0].terms[0].tap.readsZero());
    EXPECT_EQ(z.channels[0].terms[0].input, 0.0f);
}

TEST(Explain, groups_listOnlyTheOutputsGroupChannels)
{
    std::mt19937 rng(3);
    Conv2dParams p;
    p.inChannels = 6;
    p.outChannels = 9;
    p.groups = 3;
    const Tensor input = randomTensor({1, 6, 5, 5}, rng);
    const Tensor weight = randomTensor(weightShape(p), rng);
    // Output channel 7 is in group 7 / (9 / 3) = 2, which reads input channels 4 and 5.
    const Explanation e = explainOutput(input, weight, nullptr, p, 0, 7, 1, 1);
    EXPECT_EQ(e.group, 2);
    ASSERT_EQ(e.channels.size(), 2u);
    EXPECT_EQ(e.channels[0].inputChannel, 4);
    EXPECT_EQ(e.channels[1].inputChannel, 5);
    EXPECT_EQ(e.channels[1].weightChannel, 1);
    EXPECT_FALSE(e.bias);
    EXPECT_EQ(inputChannelsOf(p, 7), (ChannelRange{4, 2}));
    EXPECT_EQ(inputChannelsOf(p, 2), (ChannelRange{0, 2}));
    // Depthwise with a multiplier of 2: outputs 4 and 5 both read input channel 2 only.
    p.inChannels = 4;
    p.outChannels = 8;
    p.groups = 4;
    EXPECT_EQ(inputChannelsOf(p, 4), (ChannelRange{2, 1}));
    EXPECT_EQ(inputChannelsOf(p, 5), (ChannelRange{2, 1}));
}

TEST(Explain, everyModeAndGroups_totalEqualsEngineOutput)
{
    std::mt19937 rng(1125);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    int checked = 0, paddedTerms = 0;
    for (PaddingMode mode :
         {PaddingMode::Zeros, PaddingMode::Reflect, PaddingMode::Replicate, PaddingMode::Circular})
        for (int groups : {1, 2, 4}) // 4 = depthwise on 4 input channels
            for (int trial = 0; trial < 6; ++trial) {
                Conv2dParams p;
                p.inChannels = 4;
                p.outChannels = groups * pick(1, 2);
                p.groups = groups;
                p.kernel = {pick(1, 4), pick(1, 4)};
                p.dilation = {pick(1, 2), pick(1, 2)};
                p.paddingMode = mode;
                p.bias = trial % 2 == 0;
                if (trial % 3 == 0) {
                    p.paddingKind = PaddingKind::Same;
                } else {
                    p.stride = {pick(1, 3), pick(1, 3)};
                    p.padding = {pick(0, 2), pick(0, 2)};
                }
                const Shape inShape{2, 4, pick(5, 8), pick(5, 8)};
                ASSERT_FALSE(validate(p, inShape)) << torchRepr(p);
                const Tensor input = randomTensor(inShape, rng);
                const Tensor weight = randomTensor(weightShape(p), rng);
                const Tensor bias = randomTensor({p.outChannels}, rng);
                const Tensor *b = p.bias ? &bias : nullptr;
                const Tensor ref = referenceConv2d(input, weight, b, p);
                Tensor fast;
                ASSERT_EQ(conv2d(input, weight, b, p, fast), ForwardStatus::Done);
                ASSERT_EQ(fast.shape, ref.shape);
                for (std::int64_t n = 0; n < ref.dim(0); ++n)
                    for (std::int64_t o = 0; o < ref.dim(1); ++o)
                        for (std::int64_t y = 0; y < ref.dim(2); ++y)
                            for (std::int64_t x = 0; x < ref.dim(3); ++x) {
                                const Explanation e =
                                    explainOutput(input, weight, b, p, n, o, y, x);
                                // The oracle accumulates in the same order: bit-identical.
                                ASSERT_EQ(e.value, ref.at(n, o, y, x))
                                    << torchRepr(p) << " " << toString(mode);
                                // The fast engine may sum in another order and in float:
                                // allow a few ulps of the largest partial sum.
                                double magnitude = b ? std::abs(bias.data[std::size_t(o)]) : 0.0;
                                double subtotals = b ? bias.data[std::size_t(o)] : 0.0;
                                for (const auto &ch : e.channels) {
                                    subtotals += ch.subtotal;
                                    for (const auto &t : ch.terms) {
                                        magnitude += std::abs(t.product);
                                        paddedTerms += t.tap.inPadding;
                                        // Each term reads what the padding mode puts there.
                                        const std::int64_t H = inShape[2], W = inShape[3];
                                        const std::int64_t sy = sourceIndex(t.tap.py, H, mode);
                                        const std::int64_t sx = sourceIndex(t.tap.px, W, mode);
                                        const float want =
                                            sy < 0 || sx < 0 ? 0.0f
                                                             : input.at(n, ch.inputChannel, sy, sx);
                                        ASSERT_EQ(t.input, want);
                                        ASSERT_EQ(t.weight, weight.at(o, ch.weightChannel, t.tap.ky,
                                                                      t.tap.kx));
                                    }
                                }
                                ASSERT_NEAR(e.value, fast.at(n, o, y, x), 1e-6 * magnitude + 1e-7)
                                    << torchRepr(p) << " " << toString(mode);
                                ASSERT_NEAR(subtotals, e.total, 1e-12 * magnitude + 1e-15);
                                ASSERT_EQ(e.channels.size(), std::size_t(4 / groups));
                                const ChannelRange feeds = inputChannelsOf(p, o);
                                ASSERT_EQ(e.channels.front().inputChannel, feeds.first);
                                ASSERT_EQ(std::int64_t(e.channels.size()), feeds.count);
                                ++checked;
                            }
            }
    EXPECT_GT(checked, 5000);
    EXPECT_GT(paddedTerms, 1000);
}

TEST(Explain, unbatchedInputAndBadPosition)
{
    std::mt19937 rng(5);
    Conv2dParams p;
    p.inChannels = 2;
    p.outChannels = 3;
    p.padding = {1, 1};
    p.paddingMode = PaddingMode::Circular;
    const Tensor input = randomTensor({2, 4, 4}, rng);
    const Tensor weight = randomTensor(weightShape(p), rng);
    const Tensor ref = referenceConv2d(input, weight, nullptr, p);
    const Explanation e = explainOutput(input, weight, nullptr, p, 0, 2, 3, 0);
    EXPECT_EQ(e.value, ref.data[std::size_t((2 * 4 + 3) * 4 + 0)]);
    EXPECT_NE(formatExplanation(e).find("copies (0, 3)"), std::string::npos)
        << formatExplanation(e); // column -1 wraps to 3, row 4 to 0
    EXPECT_THROW(explainOutput(input, weight, nullptr, p, 1, 0, 0, 0), std::out_of_range);
    EXPECT_THROW(explainOutput(input, weight, nullptr, p, 0, 3, 0, 0), std::out_of_range);
    EXPECT_THROW(explainOutput(input, weight, nullptr, p, 0, 0, 4, 0), std::out_of_range);
}

TEST(Explain, agreeingDecimals_printedProductsMultiplyOut)
{
    // out = 6 * w + 3 * w with w = 1/27: at 2 decimals 6 x 0.04 would print 0.22, at 3
    // 6 x 0.037 = 0.222 and 3 x 0.037 = 0.111.
    Explanation e;
    ExplainChannel ch;
    const float w = 1.0f / 27.0f;
    for (float in : {6.0f, 3.0f}) {
        ExplainTerm t;
        t.input = in;
        t.weight = w;
        t.product = double(in) * double(w);
        ch.subtotal += t.product;
        ch.terms.push_back(t);
    }
    e.channels.push_back(ch);
    e.total = ch.subtotal;
    e.value = static_cast<float>(e.total);
    EXPECT_EQ(agreeingDecimals(e), 3);

    // Whole numbers agree at the fewest decimals asked for.
    for (auto &t : e.channels[0].terms) {
        t.weight = -2.0f;
        t.product = double(t.input) * -2.0;
    }
    e.channels[0].subtotal = -18.0;
    e.bias = 4.0f;
    e.value = -14.0f;
    EXPECT_EQ(agreeingDecimals(e), 2);
    EXPECT_EQ(agreeingDecimals(e, 0), 0);

    // A bias that would print as 0 hides a term.
    e.bias = 0.004f;
    e.value = -17.996f;
    EXPECT_EQ(agreeingDecimals(e), 3);
    e.bias = 0.0f;
    EXPECT_EQ(agreeingDecimals(e), 2);
    EXPECT_EQ(agreeingDecimals(e, 0), 0);

    // Digits no few decimals carry: 9 x 0.2345678 is 2.111110, but 9 x 0.234568 prints
    // 2.111112 (and 9 x 0.23 = 2.07, not 2.11). The caller prints every digit.
    e.bias.reset();
    e.channels[0].terms[0].input = 9.0f;
    e.channels[0].terms[0].weight = 0.2345678f;
    e.channels[0].terms[0].product = 9.0 * double(0.2345678f);
    EXPECT_EQ(agreeingDecimals(e), std::nullopt);
}
