// SPDX-License-Identifier: GPL-3.0-or-later
#include "random_tensor.h"
#include "stepper.h"

#include "conv2d.h"
#include "reference_conv.h"
#include "shape.h"
#include "validate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

using namespace convscope::core;

namespace {

using convscope::test::randomTensor;

std::string describe(const Conv2dParams &p, const Shape &in)
{
    return torchRepr(p) + " padding_mode=" + toString(p.paddingMode) + " input " + formatShape(in);
}

// Steps through every position of one configuration and checks the order, the frame's
// taps and channels, and that the sum shown equals the reference bit for bit and the
// engine to 1e-5 relative.
void expectStepsMatchEngine(const Conv2dParams &p, const Shape &inShape, std::mt19937 &rng)
{
    const std::string what = describe(p, inShape);
    const Tensor x = randomTensor(inShape, rng);
    const Tensor w = randomTensor(weightShape(p), rng);
    std::optional<Tensor> b;
    if (p.bias)
        b = randomTensor({p.outChannels}, rng);
    ASSERT_FALSE(validate(p, inShape).has_value()) << what;
    const Tensor ref = referenceConv2d(x, w, b ? &*b : nullptr, p);
    Tensor engine;
    conv2d(x, w, b ? &*b : nullptr, p, engine);

    Stepper s(x, w, b, p);
    ASSERT_EQ(s.output().shape, ref.shape) << what;
    ASSERT_EQ(s.count(), numel(ref.shape)) << what;
    const std::int64_t N = ref.dim(0), O = ref.dim(1), H = ref.dim(2), W = ref.dim(3);
    s.first();
    std::int64_t expected = 0;
    // Nested loops in the documented order: the stepper must visit exactly these.
    for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t o = 0; o < O; ++o)
            for (std::int64_t y = 0; y < H; ++y)
                for (std::int64_t xx = 0; xx < W; ++xx, ++expected) {
                    ASSERT_EQ(s.index(), expected) << what;
                    const OutputPosition pos = s.position();
                    ASSERT_EQ(pos, (OutputPosition{n, o, y, xx})) << what << " step " << expected;
                    ASSERT_EQ(s.indexOf(pos), expected);
                    const StepFrame f = s.frame();
                    ASSERT_EQ(f.position, pos);
                    ASSERT_EQ(f.taps.size(), std::size_t(p.kernel.h * p.kernel.w)) << what;
                    // Which channels feed o: C_in/groups of them, o's group.
                    ASSERT_EQ(f.inputChannelCount, p.inChannels / p.groups) << what;
                    ASSERT_EQ(f.firstInputChannel,
                              o / (p.outChannels / p.groups) * (p.inChannels / p.groups))
                        << what;
                    ASSERT_EQ(f.explanation.channels.size(), std::size_t(f.inputChannelCount));
                    for (std::size_t c = 0; c < f.explanation.channels.size(); ++c)
                        ASSERT_EQ(f.explanation.channels[c].inputChannel,
                                  f.firstInputChannel + std::int64_t(c));
                    const float r = ref.at(n, o, y, xx);
                    const float e = engine.at(n, o, y, xx);
                    ASSERT_EQ(f.sum(), r)
                        << what << " at " << n << "," << o << "," << y << "," << xx;
                    ASSERT_LE(std::abs(double(f.sum()) - e),
                              1e-5 * std::max(1.0, std::abs(double(e))))
                        << what << " at " << n << "," << o << "," << y << "," << xx;
                    ASSERT_EQ(s.output().at(n, o, y, xx), e);
                    const bool moved = s.forward();
                    ASSERT_EQ(moved, expected + 1 < s.count()) << what;
                }
    ASSERT_EQ(expected, s.count());
    EXPECT_TRUE(s.atEnd());
}

} // namespace

TEST(Stepper, everyConfiguration_visitsEveryPositionInOrderWithTheEngineValue)
{
    std::mt19937 rng(20261125);
    const PaddingMode modes[] = {PaddingMode::Zeros, PaddingMode::Reflect, PaddingMode::Replicate,
                                 PaddingMode::Circular};
    int tested = 0;
    for (PaddingMode mode : modes)
        for (int stride : {1, 2, 3})
            for (int dilation : {1, 2})
                for (int groupLayout = 0; groupLayout < 3; ++groupLayout)
                    for (PaddingKind kind :
                         {PaddingKind::Explicit, PaddingKind::Same, PaddingKind::Valid}) {
                        // PyTorch refuses padding='same' with stride > 1.
                        if (kind == PaddingKind::Same && stride > 1)
                            continue;
                        Conv2dParams p;
                        p.paddingMode = mode;
                        p.paddingKind = kind;
                        p.stride = {stride, stride == 3 ? 2 : stride};
                        p.dilation = {dilation, 1};
                        p.kernel = {3, 2};
                        p.padding = {1, 2};
                        p.bias = (tested % 2) == 0;
                        if (groupLayout == 0) { // dense
                            p.inChannels = 2;
                            p.outChannels = 3;
                            p.groups = 1;
                        } else if (groupLayout == 1) { // two groups
                            p.inChannels = 4;
                            p.outChannels = 2;
                            p.groups = 2;
                        } else { // depthwise with multiplier 2
                            p.inChannels = 3;
                            p.outChannels = 6;
                            p.groups = 3;
                        }
                        const Shape in{tested % 3 == 0 ? 2 : 1, p.inChannels, 7, 6};
                        expectStepsMatchEngine(p, in, rng);
                        if (HasFatalFailure())
                            return;
                        ++tested;
                    }
    EXPECT_GT(tested, 100);
}

TEST(Stepper, forwardBackSeek_clampOrWrap)
{
    Conv2dParams p; // 1 -> 1 channel, 3x3, no padding: a 4x4 input gives a 2x2 output
    const Tensor x({1, 1, 4, 4}, 1.0f);
    const Tensor w({1, 1, 3, 3}, 1.0f);
    Stepper s(x, w, Tensor({1}, 0.5f), p);
    ASSERT_EQ(s.count(), 4);
    EXPECT_EQ(s.index(), 0);
    EXPECT_FALSE(s.back());
    EXPECT_EQ(s.index(), 0);
    EXPECT_TRUE(s.back(/*loop=*/true));
    EXPECT_EQ(s.index(), 3);
    EXPECT_FALSE(s.forward());
    EXPECT_EQ(s.index(), 3);
    EXPECT_TRUE(s.forward(/*loop=*/true));
    EXPECT_EQ(s.index(), 0);
    s.seek(99);
    EXPECT_EQ(s.index(), 3);
    s.seek(-5);
    EXPECT_EQ(s.index(), 0);
    s.last();
    EXPECT_EQ(s.position(), (OutputPosition{0, 0, 1, 1}));
    EXPECT_FLOAT_EQ(s.frame().sum(), 9.5f);
    EXPECT_THROW(s.frameAt(4), std::out_of_range);
    EXPECT_THROW(s.indexOf({0, 1, 0, 0}), std::out_of_range);
}

TEST(Stepper, invalidConfiguration_throwsTheValidationMessage)
{
    Conv2dParams p;
    p.kernel = {5, 5};
    const Tensor x({1, 1, 3, 3}, 1.0f);
    const Tensor w({1, 1, 5, 5}, 1.0f);
    try {
        Stepper s(x, w, std::nullopt, p);
        FAIL() << "a 5x5 kernel on a 3x3 input was accepted";
    } catch (const std::invalid_argument &e) {
        EXPECT_NE(std::string(e.what()).find("Kernel size"), std::string::npos) << e.what();
    }
}
