// SPDX-License-Identifier: GPL-3.0-or-later
#include "receptivefield.h"

#include "padding.h"
#include "reference_conv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <set>
#include <string>

using namespace convscope::core;

namespace {

Conv2dParams conv(int k, int s, int p, int d = 1)
{
    Conv2dParams c;
    c.kernel = {k, k};
    c.stride = {s, s};
    c.padding = {p, p};
    c.dilation = {d, d};
    c.bias = false;
    return c;
}

// ---------------------------------------------------------------------------------------
// Brute force, written without the recurrences of receptivefield.cpp.

// Back-projects output i of layer `last` along one axis as a set of coordinates on the
// unbounded network-input axis, treating every padded position of an inner layer as an
// ordinary one (the geometric field Distill's r, j and start describe).
std::set<std::int64_t> geometricBackProjection(const LayerStack &stack, bool rows, std::size_t last,
                                               std::int64_t i)
{
    std::set<std::int64_t> positions{i};
    for (std::size_t l = last + 1; l-- > 0;) {
        const Conv2dParams &p = stack[l];
        const SidePadding pad = effectivePadding(p);
        const int k = rows ? p.kernel.h : p.kernel.w;
        const int s = rows ? p.stride.h : p.stride.w;
        const int d = rows ? p.dilation.h : p.dilation.w;
        const int before = rows ? pad.top : pad.left;
        std::set<std::int64_t> next;
        for (std::int64_t m : positions)
            for (int t = 0; t < k; ++t)
                next.insert(m * s - before + static_cast<std::int64_t>(t) * d);
        positions = std::move(next);
    }
    return positions;
}

// The indicator trick: a batch of one-hot images (image q lights input pixel q) run through
// the stack with the reference convolution and all-ones weights. Every weight is positive,
// so out[q, 0, y, x] > 0 exactly when output (y, x) depends on input pixel q, through every
// padding mode as the engine implements it. Returns the output of every layer.
std::vector<Tensor> indicatorRun(const LayerStack &stack, PlaneSize input)
{
    Tensor x({input.h * input.w, 1, input.h, input.w});
    for (std::int64_t q = 0; q < input.h * input.w; ++q)
        x.at(q, 0, q / input.w, q % input.w) = 1.0f;
    std::vector<Tensor> outs;
    for (const Conv2dParams &p : stack) {
        const Tensor w({1, 1, p.kernel.h, p.kernel.w}, 1.0f);
        x = referenceConv2d(x, w, nullptr, p);
        outs.push_back(x);
    }
    return outs;
}

using PixelSet = std::set<std::pair<std::int64_t, std::int64_t>>;

// The per-axis sets are documented as ascending and distinct; a PixelSet would hide repeats.
PixelSet product(const std::vector<std::int64_t> &rows, const std::vector<std::int64_t> &cols)
{
    EXPECT_TRUE(std::adjacent_find(rows.begin(), rows.end(), std::greater_equal<>()) == rows.end());
    EXPECT_TRUE(std::adjacent_find(cols.begin(), cols.end(), std::greater_equal<>()) == cols.end());
    PixelSet s;
    for (auto r : rows)
        for (auto c : cols)
            s.insert({r, c});
    return s;
}

// A random layer with 1 channel. Kernels 1..4 (even ones included), stride 1..4 (so stride
// can exceed the kernel), dilation 1..3, explicit / 'same' (asymmetric for even k_eff - 1
// totals that are odd) / 'valid' padding, and every padding mode.
Conv2dParams randomLayer(std::mt19937 &rng)
{
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    Conv2dParams p;
    p.bias = false;
    p.kernel = {pick(1, 4), pick(1, 4)};
    p.dilation = {pick(1, 3), pick(1, 3)};
    p.paddingMode = static_cast<PaddingMode>(pick(0, 3));
    const int kind = pick(0, 5);
    if (kind <= 2) {
        p.paddingKind = PaddingKind::Explicit;
        p.padding = {pick(0, 3), pick(0, 3)};
        p.stride = {pick(1, 4), pick(1, 4)};
    } else if (kind <= 4) {
        p.paddingKind = PaddingKind::Same; // PyTorch allows 'same' with stride 1 only
    } else {
        p.paddingKind = PaddingKind::Valid;
        p.stride = {pick(1, 4), pick(1, 4)};
    }
    return p;
}

struct RandomStack {
    LayerStack stack;
    PlaneSize input;
};

// What the random stacks exercised, so the tests can insist that the cases mattered.
struct Coverage {
    int dilated = 0, evenKernel = 0, asymmetricSame = 0, strideOverKernel = 0, nonZeroMode = 0;
    void add(const Conv2dParams &p)
    {
        const SidePadding pad = effectivePadding(p);
        dilated += p.dilation.h > 1 || p.dilation.w > 1;
        evenKernel += p.kernel.h % 2 == 0 || p.kernel.w % 2 == 0;
        asymmetricSame +=
            p.paddingKind == PaddingKind::Same && (pad.top != pad.bottom || pad.left != pad.right);
        strideOverKernel += p.stride.h > p.kernel.h || p.stride.w > p.kernel.w;
        nonZeroMode += p.paddingMode != PaddingMode::Zeros;
    }
    void expectAll(int atLeast) const
    {
        EXPECT_GE(dilated, atLeast);
        EXPECT_GE(evenKernel, atLeast);
        EXPECT_GE(asymmetricSame, atLeast);
        EXPECT_GE(strideOverKernel, atLeast);
        EXPECT_GE(nonZeroMode, atLeast);
    }
};

RandomStack randomStack(std::mt19937 &rng, int maxSize, Coverage &coverage)
{
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    for (;;) {
        RandomStack r;
        r.input = {pick(3, maxSize), pick(3, maxSize)};
        const int layers = pick(1, 4);
        for (int l = 0; l < layers; ++l)
            r.stack.push_back(randomLayer(rng));
        if (!validateStack(r.stack, r.input)) {
            for (const auto &p : r.stack)
                coverage.add(p);
            return r;
        }
    }
}

std::string describe(const RandomStack &r)
{
    std::string s = "input " + std::to_string(r.input.h) + "x" + std::to_string(r.input.w);
    for (const auto &p : r.stack)
        s += " -> " + torchRepr(p) + " " + toString(p.paddingMode);
    return s;
}

} // namespace

// ---------------------------------------------------------------------------------------

TEST(ReceptiveField, distillExample_matchesIssueNumbers)
{
    // conv k3/s1/p1 -> conv k3/s2/p1 -> k2/s2 -> conv k3/d2/p2.
    const LayerStack stack{conv(3, 1, 1), conv(3, 2, 1), conv(2, 2, 0), conv(3, 1, 2, 2)};
    const auto table = receptiveFields(stack, {32, 32});
    ASSERT_EQ(table.size(), 4u);
    const std::int64_t r[] = {3, 5, 7, 23}, j[] = {1, 2, 4, 4};
    // Starts by hand: -1; -1 - 1*1; unchanged (no padding); -2 - 2*4.
    const std::int64_t start[] = {-1, -2, -2, -10};
    const std::int64_t out[] = {32, 16, 8, 8};
    for (std::size_t l = 0; l < 4; ++l) {
        for (const AxisField *a : {&table[l].h, &table[l].w}) {
            EXPECT_EQ(a->r, r[l]) << "layer " << l + 1;
            EXPECT_EQ(a->j, j[l]) << "layer " << l + 1;
            EXPECT_EQ(a->start, start[l]) << "layer " << l + 1;
            EXPECT_EQ(a->outSize, out[l]) << "layer " << l + 1;
        }
    }
    EXPECT_EQ(table[3].h.kernelEff, 5);
    EXPECT_DOUBLE_EQ(table[3].h.centre, 1.0); // -10 + 22/2
    // Output (2, 3) of the last layer: start + i*j, r wide.
    EXPECT_EQ(inputBox(table[3], 2, 3), (InputBox{-2, 2, 20, 24}));
}

TEST(ReceptiveField, sameWithEvenKernel_putsOddPixelBottomRight)
{
    Conv2dParams p = conv(4, 1, 0);
    p.paddingKind = PaddingKind::Same;
    p.kernel = {4, 2};
    const auto table = receptiveFields({p}, {9, 9});
    EXPECT_EQ(table[0].h.padBefore, 1);
    EXPECT_EQ(table[0].h.padAfter, 2);
    EXPECT_EQ(table[0].w.padBefore, 0);
    EXPECT_EQ(table[0].w.padAfter, 1);
    EXPECT_EQ(table[0].h.start, -1);
    EXPECT_EQ(table[0].w.start, 0);
    EXPECT_EQ(table[0].h.outSize, 9);
    EXPECT_DOUBLE_EQ(table[0].h.centre, 0.5);
}

TEST(ReceptiveField, strideFloor_reportsUnreachedTail)
{
    // 32 + 2*3 - 3 = 35 = 17*2 + 1: the last padded row is never reached.
    const auto table = receptiveFields({conv(3, 2, 3)}, {32, 32});
    EXPECT_EQ(table[0].h.outSize, 18);
    EXPECT_EQ(table[0].h.unreached, 1);
}

TEST(ReceptiveField, invalidStack_namesLayerAndReason)
{
    // 8 -> 3 after a k4/s2 valid layer; a k5 kernel no longer fits.
    const LayerStack stack{conv(4, 2, 0), conv(5, 1, 0)};
    const auto e = validateStack(stack, {8, 8});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->layer, 2u); // counted from 1
    EXPECT_EQ(e->error.field, Field::Kernel);
    EXPECT_THROW(receptiveFields(stack, {8, 8}), std::invalid_argument);

    LayerStack channels{conv(3, 1, 1), conv(3, 1, 1)};
    channels[0].outChannels = 4;
    const auto c = validateStack(channels, {8, 8});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->layer, 2u);
    EXPECT_EQ(c->error.field, Field::InChannels);
    EXPECT_NE(c->error.message.find("in_channels=4"), std::string::npos) << c->error.message;
}

TEST(ReceptiveField, layerTaps_dilationGapsAndReflectSources)
{
    Conv2dParams p = conv(3, 1, 2, 2);
    p.paddingMode = PaddingMode::Reflect;
    const auto taps = layerTaps(p, {5, 5}, 0, 1);
    ASSERT_EQ(taps.size(), 9u);
    // Rows -2, 0, 2 (gaps of 2); columns -1, 1, 3. Reflect copies -2 -> 2 and -1 -> 1.
    EXPECT_EQ(taps[0], (Tap{0, 0, -2, -1, true, 2, 1}));
    EXPECT_EQ(taps[4], (Tap{1, 1, 0, 1, false, 0, 1}));
    EXPECT_EQ(taps[8], (Tap{2, 2, 2, 3, false, 2, 3}));
    p.paddingMode = PaddingMode::Zeros;
    const auto zeros = layerTaps(p, {5, 5}, 0, 1);
    EXPECT_TRUE(zeros[0].inPadding);
    EXPECT_TRUE(zeros[0].readsZero());
    EXPECT_TRUE(zeros[1].readsZero()); // row -2 is padding even though column 1 is not
    EXPECT_EQ(zeros[1].sx, -1);        // a zero tap names no source on either axis
    EXPECT_FALSE(zeros[4].readsZero());
    EXPECT_THROW(layerTaps(p, {5, 5}, 5, 0), std::out_of_range);
}

TEST(ReceptiveField, circularPadding_sourcesEscapeTheBox)
{
    Conv2dParams p = conv(3, 1, 1);
    p.paddingMode = PaddingMode::Circular;
    const auto table = receptiveFields({p}, {5, 5});
    EXPECT_EQ(inputBox(table[0], 0, 0), (InputBox{-1, -1, 1, 1}));
    const Reach reach = reachedInputs({p}, {5, 5}, 0, 0, 0);
    EXPECT_EQ(reach.h.taps, (std::vector<std::int64_t>{-1, 0, 1}));
    // Row -1 wraps to row 4, far outside the box.
    EXPECT_EQ(reach.h.sources, (std::vector<std::int64_t>{0, 1, 4}));
}

TEST(ReceptiveField, randomStacks_rjStartMatchGeometricBackProjection)
{
    std::mt19937 rng(20261125);
    Coverage coverage;
    for (int trial = 0; trial < 500; ++trial) {
        const RandomStack rs = randomStack(rng, 40, coverage);
        const auto table = receptiveFields(rs.stack, rs.input);
        for (std::size_t l = 0; l < rs.stack.size(); ++l) {
            for (bool rows : {true, false}) {
                const AxisField &a = rows ? table[l].h : table[l].w;
                const auto first = geometricBackProjection(rs.stack, rows, l, 0);
                const auto second = geometricBackProjection(rs.stack, rows, l, 1);
                ASSERT_EQ(a.start, *first.begin()) << describe(rs) << " layer " << l;
                ASSERT_EQ(a.r, *first.rbegin() - *first.begin() + 1) << describe(rs);
                ASSERT_EQ(a.j, *second.begin() - *first.begin()) << describe(rs);
                // Every output position's box is its back-projection's bounding box.
                for (std::int64_t i = 0; i < a.outSize; ++i) {
                    const auto all = geometricBackProjection(rs.stack, rows, l, i);
                    const InputBox b = inputBox(table[l], i, i);
                    ASSERT_EQ(rows ? b.top : b.left, *all.begin()) << describe(rs);
                    ASSERT_EQ(rows ? b.bottom : b.right, *all.rbegin()) << describe(rs);
                }
            }
        }
    }
    coverage.expectAll(40);
}

TEST(ReceptiveField, randomStacks_reachedAndProjectiveMatchIndicatorConvolution)
{
    std::mt19937 rng(7);
    Coverage coverage;
    int interiorOutputs = 0, escapes = 0;
    for (int trial = 0; trial < 250; ++trial) {
        const RandomStack rs = randomStack(rng, 12, coverage);
        const auto table = receptiveFields(rs.stack, rs.input);
        const auto outs = indicatorRun(rs.stack, rs.input);
        const PlaneSize in = rs.input;
        bool allZeros = true;
        for (std::size_t l = 0; l < rs.stack.size(); ++l) {
            allZeros = allZeros && rs.stack[l].paddingMode == PaddingMode::Zeros;
            const Tensor &o = outs[l];
            ASSERT_EQ(o.dim(2), table[l].h.outSize) << describe(rs);
            ASSERT_EQ(o.dim(3), table[l].w.outSize) << describe(rs);
            for (std::int64_t y = 0; y < o.dim(2); ++y)
                for (std::int64_t x = 0; x < o.dim(3); ++x) {
                    PixelSet expected;
                    for (std::int64_t q = 0; q < in.h * in.w; ++q)
                        if (o.at(q, 0, y, x) > 0.0f)
                            expected.insert({q / in.w, q % in.w});
                    const Reach reach = reachedInputs(rs.stack, in, l, y, x);
                    const PixelSet got = product(reach.h.sources, reach.w.sources);
                    ASSERT_EQ(got, expected)
                        << describe(rs) << " layer " << l << " at (" << y << ", " << x << ")";
                    const InputBox box = inputBox(table[l], y, x);
                    bool outside = false;
                    for (const auto &[py, px] : got)
                        outside = outside || py < box.top || py > box.bottom || px < box.left
                                  || px > box.right;
                    // Zero padding adds nothing, so the box holds every source; copies made
                    // by the other modes may come from outside it.
                    if (allZeros) {
                        ASSERT_FALSE(outside) << describe(rs);
                    }
                    escapes += outside;
                    // A box inside the image touches no padding: its bounds are reached.
                    if (box.top >= 0 && box.left >= 0 && box.bottom < in.h && box.right < in.w) {
                        ++interiorOutputs;
                        ASSERT_FALSE(got.empty());
                        ASSERT_EQ(reach.h.sources.front(), box.top) << describe(rs);
                        ASSERT_EQ(reach.h.sources.back(), box.bottom) << describe(rs);
                        ASSERT_EQ(reach.w.sources.front(), box.left) << describe(rs);
                        ASSERT_EQ(reach.w.sources.back(), box.right) << describe(rs);
                    }
                }
        }
        // The projective field of each pixel is the transpose of the same relation.
        for (std::int64_t q = 0; q < in.h * in.w; ++q) {
            const auto field = projectiveField(rs.stack, in, q / in.w, q % in.w);
            ASSERT_EQ(field.size(), rs.stack.size());
            for (std::size_t l = 0; l < rs.stack.size(); ++l) {
                PixelSet expected;
                for (std::int64_t y = 0; y < outs[l].dim(2); ++y)
                    for (std::int64_t x = 0; x < outs[l].dim(3); ++x)
                        if (outs[l].at(q, 0, y, x) > 0.0f)
                            expected.insert({y, x});
                ASSERT_EQ(product(field[l].rows, field[l].cols), expected)
                    << describe(rs) << " pixel " << q << " layer " << l;
            }
        }
    }
    coverage.expectAll(20);
    EXPECT_GT(interiorOutputs, 100);
    EXPECT_GT(escapes, 0); // the non-zero modes really do reach outside the box
}

TEST(ReceptiveField, randomStacks_inputTapsAreFirstLayerTapsOfReachedOutputs)
{
    std::mt19937 rng(99);
    Coverage coverage;
    for (int trial = 0; trial < 60; ++trial) {
        const RandomStack rs = randomStack(rng, 10, coverage);
        const auto table = receptiveFields(rs.stack, rs.input);
        const std::size_t last = rs.stack.size() - 1;
        // Which first-layer outputs feed the last layer: the indicator trick on the rest of
        // the stack, whose input is the first layer's output.
        const PlaneSize mid{table[0].h.outSize, table[0].w.outSize};
        const LayerStack rest(rs.stack.begin() + 1, rs.stack.end());
        const std::vector<Tensor> outs =
            rest.empty() ? std::vector<Tensor>{} : indicatorRun(rest, mid);
        for (std::int64_t y = 0; y < table[last].h.outSize; ++y)
            for (std::int64_t x = 0; x < table[last].w.outSize; ++x) {
                PixelSet expected;
                for (std::int64_t q = 0; q < mid.h * mid.w; ++q) {
                    const bool feeds =
                        rest.empty() ? q == y * mid.w + x : outs.back().at(q, 0, y, x) > 0.0f;
                    if (!feeds)
                        continue;
                    for (const Tap &t : layerTaps(rs.stack[0], rs.input, q / mid.w, q % mid.w))
                        expected.insert({t.py, t.px});
                }
                const Reach reach = reachedInputs(rs.stack, rs.input, last, y, x);
                ASSERT_EQ(product(reach.h.taps, reach.w.taps), expected) << describe(rs);
            }
    }
}

TEST(ReceptiveField, outOfRangeQueries_throw)
{
    const LayerStack stack{conv(3, 2, 1)};
    EXPECT_THROW(reachedInputs(stack, {8, 8}, 1, 0, 0), std::out_of_range);
    EXPECT_THROW(reachedInputs(stack, {8, 8}, 0, 4, 0), std::out_of_range);
    EXPECT_THROW(projectiveField(stack, {8, 8}, 0, 8), std::out_of_range);
    EXPECT_NO_THROW(projectiveField(stack, {8, 8}, 7, 7));
}
