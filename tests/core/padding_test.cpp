// SPDX-License-Identifier: GPL-3.0-or-later
// Padding modes as an index mapping, and the reference convolution on examples small enough
// to compute by hand. Each expected output is worked out in the comment above it (and was
// cross-checked once with torch.nn.functional.conv2d / F.pad in float64).
#include "padding.h"
#include "reference_conv.h"
#include "shape.h"
#include "validate.h"

#include <gtest/gtest.h>

#include <numeric>

using namespace convscope::core;

namespace {

// 1..9 as a [1, 1, 3, 3] image:
//   1 2 3
//   4 5 6
//   7 8 9
Tensor oneToNine()
{
    return Tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
}

// 0..n-1 in C order.
Tensor iota(Shape shape)
{
    Tensor t(std::move(shape));
    std::iota(t.data.begin(), t.data.end(), 0.0f);
    return t;
}

Conv2dParams paramsFor(const Tensor &weight, int groups = 1)
{
    Conv2dParams p;
    p.outChannels = static_cast<int>(weight.dim(0));
    p.inChannels = static_cast<int>(weight.dim(1)) * groups;
    p.kernel = {static_cast<int>(weight.dim(2)), static_cast<int>(weight.dim(3))};
    p.groups = groups;
    return p;
}

// Runs validate first, as every caller must, then the oracle.
Tensor run(const Tensor &input, const Tensor &weight, const Tensor *bias, const Conv2dParams &p)
{
    const auto e = validate(p, input.shape, weight.shape, bias ? &bias->shape : nullptr);
    EXPECT_FALSE(e.has_value()) << (e ? e->message : "");
    return referenceConv2d(input, weight, bias, p);
}

Conv2dParams pad1(const Tensor &weight, PaddingMode mode)
{
    Conv2dParams p = paramsFor(weight);
    p.padding = {1, 1};
    p.paddingMode = mode;
    return p;
}

// A 3x3 kernel with two taps: 1 at the top-left, 10 at the bottom-right. With padding 1,
// output (y, x) = padded(y - 1, x - 1) + 10 * padded(y + 1, x + 1), so the result shows the
// padded border on all four sides.
Tensor twoTapKernel()
{
    return Tensor({1, 1, 3, 3}, {1, 0, 0, 0, 0, 0, 0, 0, 10});
}

Tensor onesKernel(Shape shape)
{
    return Tensor(std::move(shape), 1.0f);
}

} // namespace

// ---- sourceIndex on a row of size 4 (a b c d) ----

TEST(SourceIndex, insideTheInput_isIdentityForEveryMode)
{
    for (auto m :
         {PaddingMode::Zeros, PaddingMode::Reflect, PaddingMode::Replicate, PaddingMode::Circular})
        for (int i = 0; i < 4; ++i)
            EXPECT_EQ(sourceIndex(i, 4, m), i);
}

TEST(SourceIndex, zeros_readsNothingOutside)
{
    EXPECT_EQ(sourceIndex(-1, 4, PaddingMode::Zeros), -1);
    EXPECT_EQ(sourceIndex(4, 4, PaddingMode::Zeros), -1);
    EXPECT_EQ(sourceIndex(-7, 4, PaddingMode::Zeros), -1);
}

TEST(SourceIndex, reflect_mirrorsWithoutRepeatingTheEdge)
{
    // d c b | a b c d | c b a
    EXPECT_EQ(sourceIndex(-1, 4, PaddingMode::Reflect), 1);
    EXPECT_EQ(sourceIndex(-2, 4, PaddingMode::Reflect), 2);
    EXPECT_EQ(sourceIndex(-3, 4, PaddingMode::Reflect), 3);
    EXPECT_EQ(sourceIndex(4, 4, PaddingMode::Reflect), 2);
    EXPECT_EQ(sourceIndex(5, 4, PaddingMode::Reflect), 1);
    EXPECT_EQ(sourceIndex(6, 4, PaddingMode::Reflect), 0);
}

TEST(SourceIndex, replicate_clampsToTheEdge)
{
    EXPECT_EQ(sourceIndex(-1, 4, PaddingMode::Replicate), 0);
    EXPECT_EQ(sourceIndex(-9, 4, PaddingMode::Replicate), 0);
    EXPECT_EQ(sourceIndex(4, 4, PaddingMode::Replicate), 3);
    EXPECT_EQ(sourceIndex(12, 4, PaddingMode::Replicate), 3);
}

TEST(SourceIndex, circular_wrapsAround)
{
    // b c d | a b c d | a b c d (circular allows padding up to the size)
    EXPECT_EQ(sourceIndex(-1, 4, PaddingMode::Circular), 3);
    EXPECT_EQ(sourceIndex(-3, 4, PaddingMode::Circular), 1);
    EXPECT_EQ(sourceIndex(-4, 4, PaddingMode::Circular), 0);
    EXPECT_EQ(sourceIndex(4, 4, PaddingMode::Circular), 0);
    EXPECT_EQ(sourceIndex(7, 4, PaddingMode::Circular), 3);
}

TEST(SourceIndex, sizeOne_everyNonZeroModeReadsTheOnlyPixel)
{
    EXPECT_EQ(sourceIndex(-1, 1, PaddingMode::Replicate), 0);
    EXPECT_EQ(sourceIndex(1, 1, PaddingMode::Circular), 0);
    EXPECT_EQ(sourceIndex(-1, 1, PaddingMode::Circular), 0);
}

// ---- each padding mode on 1..9 with padding 1 ----

TEST(ReferenceConv2d, zerosPadding_twoTapKernelSeesZeroBorder)
{
    // padded:       TL window (y-1, x-1)   BR window (y+1, x+1)
    // 0 0 0 0 0     0 0 0                  5 6 0
    // 0 1 2 3 0     0 1 2                  8 9 0
    // 0 4 5 6 0     0 4 5                  0 0 0
    // 0 7 8 9 0
    // 0 0 0 0 0     out = TL + 10 * BR
    const Tensor w = twoTapKernel();
    const Tensor out = run(oneToNine(), w, nullptr, pad1(w, PaddingMode::Zeros));
    EXPECT_EQ(out, Tensor({1, 1, 3, 3}, {50, 60, 0, 80, 91, 2, 0, 4, 5}));
}

TEST(ReferenceConv2d, zerosPadding_onesKernelSumsNeighbours)
{
    // corner: 1+2+4+5 = 12, edge: 1+2+3+4+5+6 = 21, centre: 45, ...
    const Tensor w = onesKernel({1, 1, 3, 3});
    const Tensor out = run(oneToNine(), w, nullptr, pad1(w, PaddingMode::Zeros));
    EXPECT_EQ(out, Tensor({1, 1, 3, 3}, {12, 21, 16, 27, 45, 33, 24, 39, 28}));
}

TEST(ReferenceConv2d, reflectPadding_mirrorsWithoutTheEdge)
{
    // padded:       TL         BR
    // 5 4 5 6 5     5 4 5      5 6 5
    // 2 1 2 3 2     2 1 2      8 9 8
    // 5 4 5 6 5     5 4 5      5 6 5
    // 8 7 8 9 8
    // 5 4 5 6 5
    const Tensor w = twoTapKernel();
    const Tensor out = run(oneToNine(), w, nullptr, pad1(w, PaddingMode::Reflect));
    EXPECT_EQ(out, Tensor({1, 1, 3, 3}, {55, 64, 55, 82, 91, 82, 55, 64, 55}));
}

TEST(ReferenceConv2d, reflectPadding_onesKernel)
{
    // top-left window of the padded image above: (5+4+5) + (2+1+2) + (5+4+5) = 33
    const Tensor w = onesKernel({1, 1, 3, 3});
    const Tensor out = run(oneToNine(), w, nullptr, pad1(w, PaddingMode::Reflect));
    EXPECT_EQ(out, Tensor({1, 1, 3, 3}, {33, 36, 39, 42, 45, 48, 51, 54, 57}));
}

TEST(ReferenceConv2d, replicatePadding_repeatsTheEdge)
{
    // padded:       TL         BR
    // 1 1 2 3 3     1 1 2      5 6 6
    // 1 1 2 3 3     1 1 2      8 9 9
    // 4 4 5 6 6     4 4 5      8 9 9
    // 7 7 8 9 9
    // 7 7 8 9 9
    const Tensor w = twoTapKernel();
    const Tensor out = run(oneToNine(), w, nullptr, pad1(w, PaddingMode::Replicate));
    EXPECT_EQ(out, Tensor({1, 1, 3, 3}, {51, 61, 62, 81, 91, 92, 84, 94, 95}));
}

TEST(ReferenceConv2d, replicatePadding_onesKernel)
{
    // top-left: (1+1+2) * 2 + (4+4+5) = 21
    const Tensor w = onesKernel({1, 1, 3, 3});
    const Tensor out = run(oneToNine(), w, nullptr, pad1(w, PaddingMode::Replicate));
    EXPECT_EQ(out, Tensor({1, 1, 3, 3}, {21, 27, 33, 39, 45, 51, 57, 63, 69}));
}

TEST(ReferenceConv2d, circularPadding_wrapsAround)
{
    // padded:       TL         BR
    // 9 7 8 9 7     9 7 8      5 6 4
    // 3 1 2 3 1     3 1 2      8 9 7
    // 6 4 5 6 4     6 4 5      2 3 1
    // 9 7 8 9 7
    // 3 1 2 3 1
    const Tensor w = twoTapKernel();
    const Tensor out = run(oneToNine(), w, nullptr, pad1(w, PaddingMode::Circular));
    EXPECT_EQ(out, Tensor({1, 1, 3, 3}, {59, 67, 48, 83, 91, 72, 26, 34, 15}));
}

TEST(ReferenceConv2d, replicatePaddingLargerThanInput_isAllowedAndClamps)
{
    // A single pixel 7 padded by 2 with replicate is a 5x5 field of 7; a 3x3 ones kernel
    // gives 63 everywhere on the 3x3 output.
    const Tensor in({1, 1, 1, 1}, {7});
    const Tensor w = onesKernel({1, 1, 3, 3});
    Conv2dParams p = paramsFor(w);
    p.padding = {2, 2};
    p.paddingMode = PaddingMode::Replicate;
    EXPECT_EQ(run(in, w, nullptr, p), Tensor({1, 1, 3, 3}, 63.0f));
}

TEST(ReferenceConv2d, circularPaddingEqualToInput_wrapsOnce)
{
    // row (1 2) circular-padded by 2 on the width: 1 2 | 1 2 | 1 2; kernel (1, 2) = [1, 10]
    // windows: 1+20, 2+10, 1+20, 2+10, 1+20 (height 1, no height padding)
    const Tensor in({1, 1, 1, 2}, {1, 2});
    const Tensor w({1, 1, 1, 2}, {1, 10});
    Conv2dParams p = paramsFor(w);
    p.padding = {0, 2};
    p.paddingMode = PaddingMode::Circular;
    EXPECT_EQ(run(in, w, nullptr, p), Tensor({1, 1, 1, 5}, {21, 12, 21, 12, 21}));
}

// ---- 'same' and 'valid' ----

TEST(ReferenceConv2d, sameEvenKernel_padsBottomRightOnly)
{
    // kernel 2x2 ones, 'same': no padding top/left, one zero row/column bottom/right, so
    // out(y, x) = in(y, x) + in(y, x+1) + in(y+1, x) + in(y+1, x+1) with zeros past the edge.
    const Tensor w = onesKernel({1, 1, 2, 2});
    Conv2dParams p = paramsFor(w);
    p.paddingKind = PaddingKind::Same;
    EXPECT_EQ(run(oneToNine(), w, nullptr, p),
              Tensor({1, 1, 3, 3}, {12, 16, 9, 24, 28, 15, 15, 17, 9}));
}

TEST(ReferenceConv2d, valid_usesNoPadding)
{
    const Tensor w = onesKernel({1, 1, 2, 2});
    Conv2dParams p = paramsFor(w);
    p.paddingKind = PaddingKind::Valid;
    EXPECT_EQ(run(oneToNine(), w, nullptr, p), Tensor({1, 1, 2, 2}, {12, 16, 24, 28}));
}

// ---- stride and dilation on 0..15 (4x4) and 0..24 (5x5) ----

TEST(ReferenceConv2d, stride2_sumsDisjointBlocks)
{
    //  0  1  2  3
    //  4  5  6  7   2x2 blocks: 0+1+4+5 = 10, 2+3+6+7 = 18, 8+9+12+13 = 42, 10+11+14+15 = 50
    //  8  9 10 11
    // 12 13 14 15
    const Tensor w = onesKernel({1, 1, 2, 2});
    Conv2dParams p = paramsFor(w);
    p.stride = {2, 2};
    EXPECT_EQ(run(iota({1, 1, 4, 4}), w, nullptr, p), Tensor({1, 1, 2, 2}, {10, 18, 42, 50}));
}

TEST(ReferenceConv2d, asymmetricStride_stepsEachDimensionOnItsOwn)
{
    // stride (1, 2): rows 0..2, columns 0 and 2; row 1: 4+5+8+9 = 26, 6+7+10+11 = 34
    const Tensor w = onesKernel({1, 1, 2, 2});
    Conv2dParams p = paramsFor(w);
    p.stride = {1, 2};
    EXPECT_EQ(run(iota({1, 1, 4, 4}), w, nullptr, p),
              Tensor({1, 1, 3, 2}, {10, 18, 26, 34, 42, 50}));
}

TEST(ReferenceConv2d, dilation2_tapsSkipAPixel)
{
    // v(y, x) = 5y + x; taps (y, x), (y, x+2), (y+2, x), (y+2, x+2) sum to 20y + 4x + 24
    const Tensor w = onesKernel({1, 1, 2, 2});
    Conv2dParams p = paramsFor(w);
    p.dilation = {2, 2};
    EXPECT_EQ(run(iota({1, 1, 5, 5}), w, nullptr, p),
              Tensor({1, 1, 3, 3}, {24, 28, 32, 44, 48, 52, 64, 68, 72}));
}

TEST(ReferenceConv2d, asymmetricDilation_spreadsOnlyTheHeight)
{
    // dilation (2, 1): taps (y, x), (y, x+1), (y+2, x), (y+2, x+1) sum to 20y + 4x + 22
    const Tensor w = onesKernel({1, 1, 2, 2});
    Conv2dParams p = paramsFor(w);
    p.dilation = {2, 1};
    EXPECT_EQ(run(iota({1, 1, 5, 5}), w, nullptr, p),
              Tensor({1, 1, 3, 4}, {22, 26, 30, 34, 42, 46, 50, 54, 62, 66, 70, 74}));
}

TEST(ReferenceConv2d, kernelIsNotFlipped)
{
    // Cross-correlation: kernel [1, 10] on row (1 2 3) gives 1*1 + 10*2 = 21, 2 + 30 = 32.
    const Tensor in({1, 1, 1, 3}, {1, 2, 3});
    const Tensor w({1, 1, 1, 2}, {1, 10});
    EXPECT_EQ(run(in, w, nullptr, paramsFor(w)), Tensor({1, 1, 1, 2}, {21, 32}));
}

// ---- channels, groups, depthwise ----

TEST(ReferenceConv2d, multipleInputChannels_areSummed)
{
    // 1x1 kernel: out = 2 * c0 + 3 * c1 per pixel
    const Tensor in({1, 2, 1, 2}, {1, 2, 10, 20});
    const Tensor w({1, 2, 1, 1}, {2, 3});
    EXPECT_EQ(run(in, w, nullptr, paramsFor(w)), Tensor({1, 1, 1, 2}, {32, 64}));
}

TEST(ReferenceConv2d, groups2_eachOutputReadsOnlyItsGroupsChannels)
{
    // input channels [1, 2 | 3, 4]; out0 = 10*1 + 100*2 = 210, out1 = 1000*3 + 10000*4 = 43000
    const Tensor in({1, 4, 1, 1}, {1, 2, 3, 4});
    const Tensor w({2, 2, 1, 1}, {10, 100, 1000, 10000});
    EXPECT_EQ(run(in, w, nullptr, paramsFor(w, 2)), Tensor({1, 2, 1, 1}, {210, 43000}));
}

TEST(ReferenceConv2d, groups2TwoOutputsPerGroup_splitOutputsInOrder)
{
    // C_out 4, groups 2: outputs 0, 1 read channels 0, 1; outputs 2, 3 read channels 2, 3.
    // weights: o0 = [1, 0], o1 = [0, 1], o2 = [1, 1], o3 = [1, -1]
    const Tensor in({1, 4, 1, 1}, {1, 2, 30, 40});
    const Tensor w({4, 2, 1, 1}, {1, 0, 0, 1, 1, 1, 1, -1});
    EXPECT_EQ(run(in, w, nullptr, paramsFor(w, 2)), Tensor({1, 4, 1, 1}, {1, 2, 70, -10}));
}

TEST(ReferenceConv2d, depthwise_eachChannelHasItsOwnKernel)
{
    // channel c holds 10c + (1 2 / 3 4); 2x2 kernel of value c+1: (c+1) * (40c + 10)
    const Tensor in({1, 3, 2, 2}, {1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24});
    const Tensor w({3, 1, 2, 2}, {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3});
    EXPECT_EQ(run(in, w, nullptr, paramsFor(w, 3)), Tensor({1, 3, 1, 1}, {10, 100, 270}));
}

TEST(ReferenceConv2d, depthwiseMultiplier2_outputPairsShareAnInputChannel)
{
    // groups 2, C_in 2, C_out 4: outputs 0, 1 read channel 0 (= 5), outputs 2, 3 channel 1 (= 7)
    const Tensor in({1, 2, 1, 1}, {5, 7});
    const Tensor w({4, 1, 1, 1}, {1, 2, 3, 4});
    EXPECT_EQ(run(in, w, nullptr, paramsFor(w, 2)), Tensor({1, 4, 1, 1}, {5, 10, 21, 28}));
}

// ---- bias, batch, empty batch, unbatched ----

TEST(ReferenceConv2d, bias_isAddedPerOutputChannel)
{
    // 1x1 kernels 1 and 2 on (1 2); bias 0.5 and -1
    const Tensor in({1, 1, 1, 2}, {1, 2});
    const Tensor w({2, 1, 1, 1}, {1, 2});
    const Tensor b({2}, {0.5f, -1.0f});
    Conv2dParams p = paramsFor(w);
    EXPECT_EQ(run(in, w, &b, p), Tensor({1, 2, 1, 2}, {1.5f, 2.5f, 1, 3}));
    p.bias = false;
    EXPECT_EQ(run(in, w, nullptr, p), Tensor({1, 2, 1, 2}, {1, 2, 2, 4}));
}

TEST(ReferenceConv2d, batch2_eachImageIsIndependent)
{
    // image 0 is 1..9, image 1 is 1..9 times 10: zero-padded 3x3 sums, the second scaled by 10
    Tensor in({2, 1, 3, 3});
    for (int i = 0; i < 9; ++i) {
        in.data[static_cast<std::size_t>(i)] = float(i + 1);
        in.data[std::size_t{9} + static_cast<std::size_t>(i)] = float(10 * (i + 1));
    }
    const Tensor w = onesKernel({1, 1, 3, 3});
    const Tensor out = run(in, w, nullptr, pad1(w, PaddingMode::Zeros));
    EXPECT_EQ(out, Tensor({2, 1, 3, 3}, {12, 21, 16, 27, 45, 33, 24, 39, 28, 120, 210, 160, 270,
                                         450, 330, 240, 390, 280}));
}

TEST(ReferenceConv2d, emptyBatch_givesEmptyOutputOfTheRightShape)
{
    const Tensor in({0, 2, 5, 5});
    const Tensor w = onesKernel({3, 2, 3, 3});
    const Tensor b({3}, {1, 2, 3});
    const Tensor out = run(in, w, &b, paramsFor(w));
    EXPECT_EQ(out.shape, (Shape{0, 3, 3, 3}));
    EXPECT_TRUE(out.data.empty());
}

TEST(ReferenceConv2d, unbatched3dInput_gives3dOutput)
{
    const Tensor in({1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    const Tensor w = onesKernel({1, 1, 3, 3});
    const Tensor out = run(in, w, nullptr, pad1(w, PaddingMode::Zeros));
    EXPECT_EQ(out, Tensor({1, 3, 3}, {12, 21, 16, 27, 45, 33, 24, 39, 28}));
}
