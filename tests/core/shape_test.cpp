// SPDX-License-Identifier: GPL-3.0-or-later
// Output-size, 'same'-padding and cost arithmetic. Expected values are computed by hand from
// the formula in the PyTorch docs (noted next to each), or copied from torch's own output
// (the torch_repr strings of ../shared/conformance/cases/*/params.json).
#include "shape.h"

#include <gtest/gtest.h>

using namespace convscope::core;

namespace {

Conv2dParams conv(int in, int out, Hw kernel)
{
    Conv2dParams p;
    p.inChannels = in;
    p.outChannels = out;
    p.kernel = kernel;
    return p;
}

Conv2dParams same(Hw kernel, Hw dilation = {1, 1})
{
    Conv2dParams p = conv(2, 3, kernel);
    p.paddingKind = PaddingKind::Same;
    p.dilation = dilation;
    return p;
}

} // namespace

// ---- outputSize: floor((in + padBefore + padAfter - dilation*(k-1) - 1) / stride) + 1 ----

TEST(OutputSize, tutorialExample_is18)
{
    // (32 + 3 + 3 - 3) / 2 = 17.5 -> 17, + 1
    EXPECT_EQ(outputSize(32, 3, 3, 3, 2, 1), 18);
}

TEST(OutputSize, noPaddingStride1_shrinksByKernelMinusOne)
{
    EXPECT_EQ(outputSize(7, 0, 0, 3, 1, 1), 5);
    EXPECT_EQ(outputSize(9, 0, 0, 1, 1, 1), 9);
}

TEST(OutputSize, strideRemainder_isFloored)
{
    EXPECT_EQ(outputSize(10, 0, 0, 3, 3, 1), 3); // 7 / 3 = 2.33 -> 2, + 1
    EXPECT_EQ(outputSize(11, 0, 0, 3, 4, 1), 3); // 8 / 4 = 2, + 1
    EXPECT_EQ(outputSize(14, 0, 0, 3, 4, 1), 3); // 11 / 4 = 2.75 -> 2, + 1
}

TEST(OutputSize, dilation_widensTheKernel)
{
    EXPECT_EQ(outputSize(10, 0, 0, 3, 1, 2), 6); // span 5
    EXPECT_EQ(outputSize(10, 2, 2, 3, 2, 2), 5); // (14 - 5) / 2 = 4.5 -> 4, + 1
}

TEST(OutputSize, asymmetricPadding_countsBothSides)
{
    EXPECT_EQ(outputSize(7, 1, 2, 4, 1, 1), 7); // 'same' for an even kernel
    EXPECT_EQ(outputSize(7, 0, 3, 4, 1, 1), 7);
}

TEST(OutputSize, kernelExactlyFits_isOne)
{
    EXPECT_EQ(outputSize(3, 0, 0, 3, 1, 1), 1);
    EXPECT_EQ(outputSize(5, 0, 0, 3, 7, 2), 1);
}

TEST(OutputSize, kernelLargerThanPaddedInput_isNotPositive)
{
    EXPECT_LE(outputSize(2, 0, 0, 3, 1, 1), 0);
    EXPECT_LE(outputSize(4, 0, 0, 3, 1, 2), 0); // span 5 > 4
}

// ---- effectiveKernel: dilation * (k - 1) + 1 ----

TEST(EffectiveKernel, dilationOne_isTheKernel)
{
    EXPECT_EQ(effectiveKernel(3, 1), 3);
    EXPECT_EQ(effectiveKernel(1, 1), 1);
}

TEST(EffectiveKernel, dilated_spansGapsBetweenTaps)
{
    EXPECT_EQ(effectiveKernel(3, 2), 5);
    EXPECT_EQ(effectiveKernel(4, 3), 10);
    EXPECT_EQ(effectiveKernel(1, 5), 1); // a single tap has no gaps
}

// ---- effectivePadding ----

TEST(EffectivePadding, valid_isZeroOnEverySide)
{
    Conv2dParams p = conv(3, 4, {5, 3});
    p.paddingKind = PaddingKind::Valid;
    p.padding = {7, 7}; // ignored for 'valid'
    EXPECT_EQ(effectivePadding(p), (SidePadding{0, 0, 0, 0}));
}

TEST(EffectivePadding, explicitPair_isSymmetricPerDimension)
{
    Conv2dParams p = conv(3, 4, {3, 3});
    p.padding = {2, 3};
    EXPECT_EQ(effectivePadding(p), (SidePadding{2, 2, 3, 3}));
}

TEST(EffectivePadding, sameOddKernel_isSymmetric)
{
    EXPECT_EQ(effectivePadding(same({3, 3})), (SidePadding{1, 1, 1, 1}));
    EXPECT_EQ(effectivePadding(same({7, 7})), (SidePadding{3, 3, 3, 3}));
}

TEST(EffectivePadding, sameKernelOne_isZero)
{
    EXPECT_EQ(effectivePadding(same({1, 1}, {4, 4})), (SidePadding{0, 0, 0, 0}));
}

TEST(EffectivePadding, samePaddingOddTotal_putsExtraPixelBottomRight)
{
    // kernel 4: total 3 -> top 1, bottom 2
    EXPECT_EQ(effectivePadding(same({4, 4})), (SidePadding{1, 2, 1, 2}));
    // kernel 2: total 1 -> nothing on top, one pixel at the bottom
    EXPECT_EQ(effectivePadding(same({2, 2})), (SidePadding{0, 1, 0, 1}));
}

TEST(EffectivePadding, sameEvenKernelEvenDilation_isSymmetric)
{
    // kernel 2, dilation 2: total 2 -> 1 and 1
    EXPECT_EQ(effectivePadding(same({2, 2}, {2, 2})), (SidePadding{1, 1, 1, 1}));
}

TEST(EffectivePadding, sameEvenKernelOddDilation_putsExtraPixelBottomRight)
{
    // kernel 2, dilation 3: total 3 -> 1 and 2 (conformance case "same k2 dilation 3")
    EXPECT_EQ(effectivePadding(same({2, 2}, {3, 3})), (SidePadding{1, 2, 1, 2}));
}

TEST(EffectivePadding, sameOddKernelDilated_isSymmetric)
{
    // kernel 5, dilation 2: total 8 -> 4 and 4
    EXPECT_EQ(effectivePadding(same({5, 5}, {2, 2})), (SidePadding{4, 4, 4, 4}));
}

TEST(EffectivePadding, sameNonSquareKernel_resolvesEachDimensionOnItsOwn)
{
    // torch's effective_padding for conformance case_014: k (3, 4), dilation (2, 1)
    EXPECT_EQ(effectivePadding(same({3, 4}, {2, 1})), (SidePadding{2, 2, 1, 2}));
    // k (4, 3), dilation (1, 2): H total 3 -> 1/2, W total 4 -> 2/2
    EXPECT_EQ(effectivePadding(same({4, 3}, {1, 2})), (SidePadding{1, 2, 2, 2}));
    // k (2, 4): H total 1 -> 0/1, W total 3 -> 1/2
    EXPECT_EQ(effectivePadding(same({2, 4})), (SidePadding{0, 1, 1, 2}));
}

// ---- outputShape ----

TEST(OutputShape, tutorialExample_matchesTorch)
{
    Conv2dParams p = conv(40, 100, {3, 3});
    p.stride = {2, 2};
    p.padding = {3, 3};
    EXPECT_EQ(outputShape(p, {40, 40, 32, 32}), (Shape{40, 100, 18, 18}));
}

TEST(OutputShape, sameWithEveryKernelAndDilation_keepsHeightAndWidth)
{
    for (int kh = 1; kh <= 6; ++kh)
        for (int kw = 1; kw <= 6; ++kw)
            for (int d = 1; d <= 3; ++d) {
                const Conv2dParams p = same({kh, kw}, {d, 4 - d});
                EXPECT_EQ(outputShape(p, {2, 2, 9, 10}), (Shape{2, 3, 9, 10}))
                    << "kernel (" << kh << ", " << kw << ") dilation (" << d << ", " << 4 - d
                    << ")";
            }
}

TEST(OutputShape, valid_shrinksByTheKernelSpan)
{
    Conv2dParams p = conv(3, 4, {3, 5});
    p.paddingKind = PaddingKind::Valid;
    EXPECT_EQ(outputShape(p, {1, 3, 9, 7}), (Shape{1, 4, 7, 3}));
}

TEST(OutputShape, asymmetricStrideAndPadding_perDimension)
{
    // conformance case_003: [1, 2, 13, 17], k3, stride (2, 3), padding (0, 1) -> [1, 3, 6, 6]
    Conv2dParams p = conv(2, 3, {3, 3});
    p.stride = {2, 3};
    p.padding = {0, 1};
    EXPECT_EQ(outputShape(p, {1, 2, 13, 17}), (Shape{1, 3, 6, 6}));
}

TEST(OutputShape, emptyBatch_keepsNZero)
{
    Conv2dParams p = conv(2, 3, {3, 3});
    EXPECT_EQ(outputShape(p, {0, 2, 5, 5}), (Shape{0, 3, 3, 3}));
}

// ---- weight shape, parameters and MACs ----

TEST(WeightShape, groups_divideInputChannels)
{
    Conv2dParams p = conv(4, 6, {3, 2});
    p.groups = 2;
    EXPECT_EQ(weightShape(p), (Shape{6, 2, 3, 2}));
}

TEST(ParameterCount, tutorialExample_weightsPlusBias)
{
    // 100 * 40 * 3 * 3 + 100
    EXPECT_EQ(parameterCount(conv(40, 100, {3, 3})), 36100);
}

TEST(ParameterCount, noBias_isWeightsOnly)
{
    Conv2dParams p = conv(40, 100, {3, 3});
    p.bias = false;
    EXPECT_EQ(parameterCount(p), 36000);
}

TEST(ParameterCount, groupsAndDepthwise_shrinkTheWeight)
{
    Conv2dParams g = conv(4, 6, {3, 3});
    g.groups = 2;
    EXPECT_EQ(parameterCount(g), 6 * 2 * 9 + 6);
    Conv2dParams dw = conv(8, 8, {3, 3});
    dw.groups = 8;
    EXPECT_EQ(parameterCount(dw), 8 * 9 + 8);
}

TEST(MacCount, tutorialExample_outputsTimesTapsPerOutput)
{
    Conv2dParams p = conv(40, 100, {3, 3});
    p.stride = {2, 2};
    p.padding = {3, 3};
    // 40 * 100 * 18 * 18 outputs, each 40 * 3 * 3 taps
    EXPECT_EQ(macCount(p, {40, 40, 32, 32}), 466560000);
}

TEST(MacCount, groups_countOnlyTheGroupsChannels)
{
    Conv2dParams p = conv(4, 6, {3, 3});
    p.padding = {1, 1};
    p.groups = 2;
    // 6 * 5 * 5 outputs, each 2 * 3 * 3 taps
    EXPECT_EQ(macCount(p, {1, 4, 5, 5}), 150 * 18);
}

TEST(MacCount, emptyBatch_isZero)
{
    EXPECT_EQ(macCount(conv(2, 3, {3, 3}), {0, 2, 8, 8}), 0);
}

// ---- unreachedTail: padded input rows no window reaches because of the floor ----

TEST(UnreachedTail, tutorialExample_leavesOneRow)
{
    // padded 38, 18 windows reach (18 - 1) * 2 + 3 = 37 rows
    EXPECT_EQ(unreachedTail(32, 3, 3, 3, 2, 1), 1);
}

TEST(UnreachedTail, exactFit_isZero)
{
    EXPECT_EQ(unreachedTail(7, 0, 0, 3, 2, 1), 0);  // windows at 0, 2, 4 reach row 6
    EXPECT_EQ(unreachedTail(11, 0, 0, 3, 4, 1), 0); // windows at 0, 4, 8 reach row 10
    EXPECT_EQ(unreachedTail(9, 0, 0, 1, 1, 1), 0);  // stride 1 reaches everything
}

TEST(UnreachedTail, strideRemainder_isTheRowsPastTheLastWindow)
{
    EXPECT_EQ(unreachedTail(14, 0, 0, 3, 4, 1), 3); // last window covers rows 8..10
    EXPECT_EQ(unreachedTail(10, 0, 0, 3, 3, 1), 1); // last window covers rows 6..8
    EXPECT_EQ(unreachedTail(12, 0, 0, 3, 2, 2), 1); // span 5, windows at 0..6, reach 10
}

TEST(UnreachedTail, kernelDoesNotFit_isZero)
{
    EXPECT_EQ(unreachedTail(2, 0, 0, 3, 1, 1), 0);
}

// ---- torchRepr: strings copied from torch's str(module) in the conformance kit ----

TEST(TorchRepr, defaults_printStrideOnly)
{
    Conv2dParams p = conv(3, 4, {5, 5});
    EXPECT_EQ(torchRepr(p), "Conv2d(3, 4, kernel_size=(5, 5), stride=(1, 1))");
}

TEST(TorchRepr, tutorialExample_printsPadding)
{
    Conv2dParams p = conv(40, 100, {3, 3});
    p.stride = {2, 2};
    p.padding = {3, 3};
    EXPECT_EQ(torchRepr(p), "Conv2d(40, 100, kernel_size=(3, 3), stride=(2, 2), padding=(3, 3))");
}

TEST(TorchRepr, noBias_printsBiasFalse)
{
    Conv2dParams p = conv(2, 3, {3, 3});
    p.bias = false;
    EXPECT_EQ(torchRepr(p), "Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), bias=False)");
}

TEST(TorchRepr, sameWithDilationAndMode_printsInTorchOrder)
{
    Conv2dParams p = same({3, 4}, {2, 1});
    p.paddingMode = PaddingMode::Reflect;
    EXPECT_EQ(torchRepr(p), "Conv2d(2, 3, kernel_size=(3, 4), stride=(1, 1), padding=same, "
                            "dilation=(2, 1), padding_mode=reflect)");
}

TEST(TorchRepr, groupsAndCircular_printGroupsBeforeMode)
{
    Conv2dParams p = conv(5, 5, {3, 4});
    p.paddingKind = PaddingKind::Same;
    p.groups = 5;
    p.paddingMode = PaddingMode::Circular;
    EXPECT_EQ(torchRepr(p), "Conv2d(5, 5, kernel_size=(3, 4), stride=(1, 1), padding=same, "
                            "groups=5, padding_mode=circular)");
}

TEST(TorchRepr, groupsNoBias_printsBiasAfterGroups)
{
    Conv2dParams p = conv(4, 6, {2, 2});
    p.paddingKind = PaddingKind::Same;
    p.groups = 2;
    p.bias = false;
    EXPECT_EQ(torchRepr(p), "Conv2d(4, 6, kernel_size=(2, 2), stride=(1, 1), padding=same, "
                            "groups=2, bias=False)");
}

TEST(TorchRepr, validString_isPrintedEvenThoughItMeansZero)
{
    Conv2dParams p = conv(2, 3, {3, 3});
    p.paddingKind = PaddingKind::Valid;
    p.paddingMode = PaddingMode::Reflect;
    EXPECT_EQ(torchRepr(p), "Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=valid, "
                            "padding_mode=reflect)");
}

TEST(TorchRepr, stridedDilated_printsPaddingThenDilation)
{
    Conv2dParams p = conv(3, 4, {3, 3});
    p.stride = {2, 2};
    p.padding = {2, 2};
    p.dilation = {2, 2};
    EXPECT_EQ(torchRepr(p), "Conv2d(3, 4, kernel_size=(3, 3), stride=(2, 2), padding=(2, 2), "
                            "dilation=(2, 2))");
}

TEST(TorchRepr, asymmetricPaddingReplicate_printsPairAndMode)
{
    Conv2dParams p = conv(6, 9, {3, 3});
    p.padding = {1, 2};
    p.groups = 3;
    p.paddingMode = PaddingMode::Replicate;
    EXPECT_EQ(torchRepr(p), "Conv2d(6, 9, kernel_size=(3, 3), stride=(1, 1), padding=(1, 2), "
                            "groups=3, padding_mode=replicate)");
}

TEST(TorchRepr, paddingZeroOnOneSide_isStillPrinted)
{
    Conv2dParams p = conv(2, 3, {3, 3});
    p.stride = {2, 3};
    p.padding = {0, 1};
    EXPECT_EQ(torchRepr(p), "Conv2d(2, 3, kernel_size=(3, 3), stride=(2, 3), padding=(0, 1))");
}

// ---- padding mode names ----

TEST(PaddingModeName, everyMode_roundTripsThroughItsTorchName)
{
    for (auto m :
         {PaddingMode::Zeros, PaddingMode::Reflect, PaddingMode::Replicate, PaddingMode::Circular})
        EXPECT_EQ(parsePaddingMode(toString(m)), m);
    EXPECT_EQ(toString(PaddingMode::Circular), "circular");
}

TEST(PaddingModeName, unknownOrWrongCase_isRejected)
{
    EXPECT_FALSE(parsePaddingMode("foo").has_value());
    EXPECT_FALSE(parsePaddingMode("Reflect").has_value());
    EXPECT_FALSE(parsePaddingMode("").has_value());
}
