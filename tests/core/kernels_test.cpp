// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels.h"

#include "shape.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

using namespace convscope::core;

namespace {

Conv2dParams params(int cin, int cout, int kh, int kw, int groups = 1)
{
    Conv2dParams p;
    p.inChannels = cin;
    p.outChannels = cout;
    p.kernel = {kh, kw};
    p.groups = groups;
    return p;
}

double sum(const std::vector<float> &v)
{
    return std::accumulate(v.begin(), v.end(), 0.0);
}

float at(const std::vector<float> &k, int kw, int y, int x)
{
    return k[static_cast<std::size_t>(y) * static_cast<std::size_t>(kw)
             + static_cast<std::size_t>(x)];
}

// All (kH, kW) combinations from 1 to 6, including even and non-square ones.
std::vector<std::pair<int, int>> sizes()
{
    std::vector<std::pair<int, int>> s;
    for (int h = 1; h <= 6; ++h)
        for (int w = 1; w <= 6; ++w)
            s.emplace_back(h, w);
    return s;
}

} // namespace

TEST(KernelPresets, namesRoundTripAndAreUnique)
{
    std::set<std::string> ids;
    std::set<std::string> names;
    for (KernelPreset p : allKernelPresets()) {
        ids.insert(identifier(p));
        names.insert(displayName(p));
        EXPECT_EQ(parseKernelPreset(identifier(p)), p);
        EXPECT_EQ(parseKernelPreset(displayName(p)), p);
    }
    EXPECT_EQ(ids.size(), allKernelPresets().size());
    EXPECT_EQ(names.size(), allKernelPresets().size());
    EXPECT_EQ(parseKernelPreset("SOBEL-X"), KernelPreset::SobelX);
    EXPECT_FALSE(parseKernelPreset("sobel").has_value());
}

TEST(KernelPresets, anchorMatchesSamePaddingBeforeSide)
{
    // 'same' pads total = k - 1 and puts total / 2 (rounded down) before the input: the tap
    // at that index lines up with the output pixel.
    for (int k = 1; k <= 8; ++k) {
        Conv2dParams p = params(1, 1, k, k);
        p.paddingKind = PaddingKind::Same;
        EXPECT_EQ(kernelAnchor(k), effectivePadding(p).top) << "k=" << k;
    }
}

TEST(KernelPresets, textbook3x3Kernels)
{
    using V = std::vector<float>;
    EXPECT_EQ(presetKernel(KernelPreset::Identity, 3, 3), (V{0, 0, 0, 0, 1, 0, 0, 0, 0}));
    EXPECT_EQ(presetKernel(KernelPreset::SobelX, 3, 3), (V{-1, 0, 1, -2, 0, 2, -1, 0, 1}));
    EXPECT_EQ(presetKernel(KernelPreset::SobelY, 3, 3), (V{-1, -2, -1, 0, 0, 0, 1, 2, 1}));
    EXPECT_EQ(presetKernel(KernelPreset::Laplacian, 3, 3), (V{0, 1, 0, 1, -4, 1, 0, 1, 0}));
    EXPECT_EQ(presetKernel(KernelPreset::Sharpen, 3, 3), (V{0, -1, 0, -1, 5, -1, 0, -1, 0}));
    EXPECT_EQ(presetKernel(KernelPreset::Edge, 3, 3), (V{-1, -1, -1, -1, 8, -1, -1, -1, -1}));
    EXPECT_EQ(presetKernel(KernelPreset::Emboss, 3, 3), (V{-2, -1, 0, -1, 1, 1, 0, 1, 2}));
    for (float v : presetKernel(KernelPreset::BoxBlur, 3, 3))
        EXPECT_FLOAT_EQ(v, 1.0f / 9.0f);
}

TEST(KernelPresets, gaussian3x3IsSeparableSampledBell)
{
    // sigma = 0.3 * ((3 - 1) / 2 - 1) + 0.8 = 0.8: 1-D taps exp(-1/1.28), 1, exp(-1/1.28).
    const double e = std::exp(-1.0 / (2 * 0.8 * 0.8));
    const double n = 1 + 2 * e;
    const auto k = presetKernel(KernelPreset::Gaussian, 3, 3);
    EXPECT_NEAR(at(k, 3, 1, 1), 1 / (n * n), 1e-6);
    EXPECT_NEAR(at(k, 3, 0, 1), e / (n * n), 1e-6);
    EXPECT_NEAR(at(k, 3, 0, 0), e * e / (n * n), 1e-6);
}

TEST(KernelPresets, largerSobelIsOpenCvsExtendedSobel)
{
    // cv2.getDerivKernels(1, 0, 5): derivative -1 -2 0 2 1, smoothing 1 4 6 4 1.
    const auto k = presetKernel(KernelPreset::SobelX, 5, 5);
    const float deriv[5] = {-1, -2, 0, 2, 1};
    const float smooth[5] = {1, 4, 6, 4, 1};
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 5; ++x)
            EXPECT_EQ(at(k, 5, y, x), smooth[y] * deriv[x]) << y << "," << x;
    // Even extent 2: a forward difference.
    EXPECT_EQ(presetKernel(KernelPreset::SobelX, 1, 2), (std::vector<float>{-1, 1}));
    // No room to difference along x: all zeros, by documented choice.
    const auto flat = presetKernel(KernelPreset::SobelX, 3, 1);
    EXPECT_TRUE(std::all_of(flat.begin(), flat.end(), [](float v) { return v == 0.0f; }));
}

TEST(KernelPresets, stencilsCentreInLargerKernelsAndShrinkInSmaller)
{
    const auto k = presetKernel(KernelPreset::Laplacian, 5, 5);
    EXPECT_EQ(at(k, 5, 2, 2), -4.0f);
    EXPECT_EQ(at(k, 5, 1, 2), 1.0f);
    EXPECT_EQ(at(k, 5, 0, 0), 0.0f);
    EXPECT_EQ(at(k, 5, 0, 2), 0.0f);
    EXPECT_EQ(presetKernel(KernelPreset::Laplacian, 1, 3), (std::vector<float>{1, -2, 1}));
    EXPECT_EQ(presetKernel(KernelPreset::Edge, 2, 2), (std::vector<float>{3, -1, -1, -1}));
    EXPECT_EQ(presetKernel(KernelPreset::Sharpen, 1, 1), (std::vector<float>{1}));
}

TEST(KernelPresets, sumsHoldForEverySize)
{
    for (auto [h, w] : sizes()) {
        SCOPED_TRACE(std::to_string(h) + "x" + std::to_string(w));
        for (KernelPreset p : allKernelPresets())
            EXPECT_EQ(presetKernel(p, h, w).size(), static_cast<std::size_t>(h * w))
                << displayName(p);
        EXPECT_NEAR(sum(presetKernel(KernelPreset::Identity, h, w)), 1.0, 1e-6);
        EXPECT_NEAR(sum(presetKernel(KernelPreset::BoxBlur, h, w)), 1.0, 1e-5);
        EXPECT_NEAR(sum(presetKernel(KernelPreset::Gaussian, h, w)), 1.0, 1e-5);
        EXPECT_NEAR(sum(presetKernel(KernelPreset::Sharpen, h, w)), 1.0, 1e-6);
        EXPECT_NEAR(sum(presetKernel(KernelPreset::Emboss, h, w)), 1.0, 1e-5);
        EXPECT_NEAR(sum(presetKernel(KernelPreset::SobelX, h, w)), 0.0, 1e-6);
        EXPECT_NEAR(sum(presetKernel(KernelPreset::SobelY, h, w)), 0.0, 1e-6);
        EXPECT_NEAR(sum(presetKernel(KernelPreset::Laplacian, h, w)), 0.0, 1e-6);
        EXPECT_NEAR(sum(presetKernel(KernelPreset::Edge, h, w)), 0.0, 1e-6);
        const auto id = presetKernel(KernelPreset::Identity, h, w);
        EXPECT_EQ(at(id, w, kernelAnchor(h), kernelAnchor(w)), 1.0f);
    }
}

TEST(KernelPresets, gaussianIsSymmetricAndPeaksInTheMiddle)
{
    for (auto [h, w] : sizes()) {
        const auto k = presetKernel(KernelPreset::Gaussian, h, w);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                EXPECT_NEAR(at(k, w, y, x), at(k, w, h - 1 - y, w - 1 - x), 1e-7);
                EXPECT_LE(at(k, w, y, x), at(k, w, kernelAnchor(h), kernelAnchor(w)) + 1e-7);
            }
    }
}

TEST(KernelPresets, sobelRespondsPositivelyToRisingIntensity)
{
    // Cross-correlate each kernel with a ramp that rises to the right (x) or downwards (y).
    for (int k = 2; k <= 6; ++k) {
        const auto sx = presetKernel(KernelPreset::SobelX, k, k);
        const auto sy = presetKernel(KernelPreset::SobelY, k, k);
        double rx = 0, ry = 0, cross = 0;
        for (int y = 0; y < k; ++y)
            for (int x = 0; x < k; ++x) {
                rx += at(sx, k, y, x) * x;
                ry += at(sy, k, y, x) * y;
                cross += at(sx, k, y, x) * y;
            }
        EXPECT_GT(rx, 0) << k;
        EXPECT_GT(ry, 0) << k;
        EXPECT_NEAR(cross, 0, 1e-6) << k;
    }
}

TEST(PresetWeights, shapeFollowsGroups)
{
    EXPECT_EQ(presetWeights(params(3, 16, 3, 3), KernelPreset::SobelX).shape, (Shape{16, 3, 3, 3}));
    EXPECT_EQ(presetWeights(params(6, 4, 2, 5, 2), KernelPreset::Gaussian).shape,
              (Shape{4, 3, 2, 5}));
    EXPECT_EQ(presetWeights(params(4, 4, 3, 3, 4), KernelPreset::Identity).shape,
              (Shape{4, 1, 3, 3}));
}

TEST(PresetWeights, eachInputChannelGetsTheKernelOverChannelsPerGroup)
{
    const Conv2dParams p = params(6, 4, 3, 2, 2); // 3 input channels per group
    const Tensor w = presetWeights(p, KernelPreset::SobelX);
    const auto k = presetKernel(KernelPreset::SobelX, 3, 2);
    for (int o = 0; o < 4; ++o)
        for (int i = 0; i < 3; ++i)
            for (int y = 0; y < 3; ++y)
                for (int x = 0; x < 2; ++x)
                    EXPECT_FLOAT_EQ(w.at(o, i, y, x), at(k, 2, y, x) / 3.0f);
    // So the box blur of a group's channels sums to 1 per output channel: brightness kept.
    const Tensor box = presetWeights(params(3, 2, 4, 4), KernelPreset::BoxBlur);
    EXPECT_NEAR(std::accumulate(box.data.begin(), box.data.begin() + 48, 0.0), 1.0, 1e-5);
}

TEST(PresetWeights, depthwiseFiltersEachChannelUnscaled)
{
    const Tensor w = presetWeights(params(3, 3, 3, 3, 3), KernelPreset::Identity);
    for (int o = 0; o < 3; ++o)
        EXPECT_EQ(w.at(o, 0, 1, 1), 1.0f);
}

TEST(PresetWeights, invalidParametersDoNotCrash)
{
    EXPECT_EQ(presetWeights(params(3, 2, 3, 3, 0), KernelPreset::Identity).shape,
              (Shape{2, 3, 3, 3})); // weightShape() treats groups <= 0 as 1
    EXPECT_EQ(presetWeights(params(2, 4, 3, 3, 4), KernelPreset::BoxBlur).size(), 0);
    EXPECT_EQ(presetWeights(params(1, 1, 0, 3), KernelPreset::SobelX).size(), 0);
    EXPECT_EQ(kaimingUniformWeights(params(2, 4, 3, 3, 4), 1).size(), 0);
    EXPECT_EQ(kaimingBound(params(2, 4, 3, 3, 4)), 0.0);
}

TEST(ZeroBias, isOnePerOutputChannel)
{
    const Tensor b = zeroBias(params(3, 5, 3, 3));
    EXPECT_EQ(b.shape, (Shape{5}));
    EXPECT_TRUE(std::all_of(b.data.begin(), b.data.end(), [](float v) { return v == 0.0f; }));
}

TEST(KaimingUniform, fanInAndBoundAreTorchs)
{
    // nn.Conv2d(6, 8, (3, 5), groups=2): fan_in = 3 * 3 * 5 = 45, bound = 1 / sqrt(45).
    const Conv2dParams p = params(6, 8, 3, 5, 2);
    EXPECT_EQ(fanIn(p), 45);
    EXPECT_DOUBLE_EQ(kaimingBound(p), 1.0 / std::sqrt(45.0));
    // The kaiming_uniform_(a=sqrt(5)) derivation: gain * sqrt(3 / fan_in).
    const double gain = std::sqrt(2.0 / (1.0 + 5.0));
    EXPECT_NEAR(kaimingBound(p), gain * std::sqrt(3.0 / 45.0), 1e-15);
}

TEST(KaimingUniform, valuesStayInsideTheBoundAndFillIt)
{
    const Conv2dParams p = params(4, 32, 3, 3);
    const Tensor w = kaimingUniformWeights(p, 42);
    const Tensor b = defaultBias(p, 42);
    EXPECT_EQ(w.shape, (Shape{32, 4, 3, 3}));
    EXPECT_EQ(b.shape, (Shape{32}));
    const auto bound = static_cast<float>(kaimingBound(p));
    for (const Tensor *t : {&w, &b})
        for (float v : t->data) {
            EXPECT_GE(v, -bound);
            EXPECT_LE(v, bound);
        }
    // 1152 uniform draws: the extremes come close to the bound, the mean close to 0
    // (the mean of U(-b, b) over n draws has standard deviation b / sqrt(3 n) ~ 0.0028).
    const auto [lo, hi] = std::minmax_element(w.data.begin(), w.data.end());
    EXPECT_LT(*lo, -0.98f * bound);
    EXPECT_GT(*hi, 0.98f * bound);
    EXPECT_NEAR(sum(w.data) / double(w.size()), 0.0, 0.02);
    // Roughly uniform: each quarter of [-b, b] holds about a quarter of the values.
    int quarters[4] = {};
    for (float v : w.data)
        ++quarters[std::clamp(int((v + bound) / (2 * bound) * 4), 0, 3)];
    for (int q : quarters)
        EXPECT_NEAR(q, 288, 60);
}

TEST(KaimingUniform, sameSeedSameTensorDifferentSeedDifferentTensor)
{
    const Conv2dParams p = params(3, 8, 3, 3);
    EXPECT_EQ(kaimingUniformWeights(p, 7), kaimingUniformWeights(p, 7));
    EXPECT_EQ(defaultBias(p, 7), defaultBias(p, 7));
    EXPECT_NE(kaimingUniformWeights(p, 7), kaimingUniformWeights(p, 8));
    EXPECT_NE(defaultBias(p, 7), defaultBias(p, 8));
    // The bias does not just repeat the first weights.
    const Tensor w = kaimingUniformWeights(p, 7);
    const Tensor b = defaultBias(p, 7);
    EXPECT_FALSE(std::equal(b.data.begin(), b.data.end(), w.data.begin()));
}

TEST(KaimingUniform, isMt19937_64WithA53BitMapping)
{
    // The standard fixes mt19937_64's sequence, so pinning the mapping (top 53 bits -> [0, 1)
    // -> [-b, b)) pins the numbers on every platform; a class's seed keeps its meaning.
    std::mt19937_64 ref(5489u);
    const Conv2dParams p = params(1, 1, 1, 4); // fan_in 4, bound 0.5
    const Tensor w = kaimingUniformWeights(p, 5489u);
    for (int i = 0; i < 4; ++i) {
        const double u = static_cast<double>(ref() >> 11) / 9007199254740992.0; // 2^53
        EXPECT_EQ(w.data[static_cast<std::size_t>(i)], static_cast<float>(-0.5 + u));
    }
}

TEST(StartupWeights, channelsCycleBlurEdgesIdentityOverInputChannelsPerGroup)
{
    Conv2dParams p;
    p.inChannels = 4;
    p.outChannels = 5;
    p.groups = 2; // 2 input channels per group
    p.kernel = {3, 3};
    const auto weights = startupWeights(p);
    const Tensor &w = weights.first;
    ASSERT_EQ(w.shape, weightShape(p));
    EXPECT_EQ(weights.second, Tensor(Shape{5}));
    const auto at = [&w](std::size_t o, std::size_t i, std::size_t y, std::size_t x) {
        return w.data[((o * 2 + i) * 3 + y) * 3 + x];
    };
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_FLOAT_EQ(at(0, i, 1, 1), 1.0f / 9 / 2);  // box blur
        EXPECT_FLOAT_EQ(at(1, i, 0, 1), -1.0f / 3 / 2); // horizontal edge: top row negative
        EXPECT_FLOAT_EQ(at(1, i, 1, 1), 0.0f);
        EXPECT_FLOAT_EQ(at(1, i, 2, 1), 1.0f / 3 / 2);
        EXPECT_FLOAT_EQ(at(2, i, 1, 0), -1.0f / 3 / 2); // vertical edge: left column negative
        EXPECT_FLOAT_EQ(at(2, i, 1, 2), 1.0f / 3 / 2);
        EXPECT_FLOAT_EQ(at(3, i, 1, 1), 1.0f / 2); // identity
        EXPECT_FLOAT_EQ(at(3, i, 0, 0), 0.0f);
        EXPECT_FLOAT_EQ(at(4, i, 2, 2), 1.0f / 9 / 2); // channel 4 is a blur again
    }
}
