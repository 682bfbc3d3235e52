// SPDX-License-Identifier: GPL-3.0-or-later
#include "quiz.h"

#include "kernels.h"
#include "receptivefield.h"
#include "shape.h"
#include "validate.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

using namespace convscope::core;

namespace {

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

// Valid random configurations: every padding mode and kind, stride, dilation, groups.
std::vector<QuizSetup> drawSetups(int count, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    std::vector<QuizSetup> setups;
    while (static_cast<int>(setups.size()) < count) {
        QuizSetup s;
        Conv2dParams &p = s.params;
        p.groups = pick(1, 3);
        p.inChannels = p.groups * pick(1, 2);
        p.outChannels = p.groups * pick(1, 3);
        p.kernel = {pick(1, 4), pick(1, 4)};
        p.stride = {pick(1, 3), pick(1, 3)};
        p.dilation = {pick(1, 3), pick(1, 2)};
        p.paddingMode = static_cast<PaddingMode>(pick(0, 3));
        p.paddingKind = static_cast<PaddingKind>(pick(0, 2));
        if (p.paddingKind == PaddingKind::Same)
            p.stride = {1, 1};
        p.padding = {pick(0, 3), pick(0, 3)};
        p.bias = pick(0, 1) == 1;
        s.input = {pick(1, 12), pick(1, 12)};
        if (!validate(p, {1, p.inChannels, s.input.h, s.input.w}))
            setups.push_back(s);
    }
    return setups;
}

// np.pad's definition of each mode, written out index list by index list, independent of
// padding.h's formula: the padded axis as the list of source indices (-1 = zero).
std::vector<std::int64_t> paddedAxis(std::int64_t size, int before, int after, PaddingMode mode)
{
    std::vector<std::int64_t> axis;
    for (int k = before; k >= 1; --k) {
        switch (mode) {
        case PaddingMode::Zeros: axis.push_back(-1); break;
        case PaddingMode::Reflect: axis.push_back(k); break;
        case PaddingMode::Replicate: axis.push_back(0); break;
        case PaddingMode::Circular: axis.push_back(size - k); break;
        }
    }
    for (std::int64_t i = 0; i < size; ++i)
        axis.push_back(i);
    for (int k = 1; k <= after; ++k) {
        switch (mode) {
        case PaddingMode::Zeros: axis.push_back(-1); break;
        case PaddingMode::Reflect: axis.push_back(size - 1 - k); break;
        case PaddingMode::Replicate: axis.push_back(size - 1); break;
        case PaddingMode::Circular: axis.push_back(k - 1); break;
        }
    }
    return axis;
}

} // namespace

TEST(Quiz, outputSizeAndParameters_matchShapeArithmetic)
{
    int n = 0;
    for (const QuizSetup &s : drawSetups(300, 7)) {
        const Shape out = outputShape(s.params, {1, s.params.inChannels, s.input.h, s.input.w});
        const Question qh = makeQuestion(QuizKind::OutputHeight, s, n);
        const Question qw = makeQuestion(QuizKind::OutputWidth, s, n);
        const Question qp = makeQuestion(QuizKind::ParameterCount, s, n);
        ++n;
        EXPECT_EQ(correctAnswer(qh).number, out[2]);
        EXPECT_EQ(correctAnswer(qw).number, out[3]);
        EXPECT_EQ(correctAnswer(qp).number, parameterCount(s.params));
        const Verdict right = check(qh, {out[2], {}});
        EXPECT_TRUE(right.correct);
        // The explanation ends in the substituted result.
        EXPECT_TRUE(contains(right.explanation, ") + 1 = " + std::to_string(out[2]) + "."))
            << right.explanation;
        EXPECT_FALSE(check(qh, {out[2] + 1, {}}).correct);
        EXPECT_FALSE(check(qw, {out[3] - 1, {}}).correct);
        EXPECT_FALSE(check(qp, {}).correct) << "no answer is not a right answer";
        EXPECT_TRUE(check(qp, {parameterCount(s.params), {}}).correct);
        EXPECT_FALSE(check(qp, {parameterCount(s.params) + 1, {}}).correct);
    }
}

TEST(Quiz, readPixels_matchReceptiveFieldOfOneLayer)
{
    int n = 0;
    for (const QuizSetup &s : drawSetups(300, 11)) {
        const Question q = makeQuestion(QuizKind::ReadPixels, s, 1000 + n++);
        // The reached set of a one-layer stack is the product of the row and column sources.
        const Reach reach = reachedInputs({s.params}, s.input, 0, q.y, q.x);
        std::vector<Pixel> expected;
        for (std::int64_t r : reach.h.sources)
            for (std::int64_t c : reach.w.sources)
                expected.push_back({r, c});
        const Answer a = correctAnswer(q);
        EXPECT_EQ(a.pixels, expected) << q.prompt;
        // Order and repeats do not matter; a missing or extra pixel does.
        Answer shuffled;
        shuffled.pixels.assign(expected.rbegin(), expected.rend());
        if (!expected.empty())
            shuffled.pixels.push_back(expected.front());
        EXPECT_TRUE(check(q, shuffled).correct) << q.prompt;
        if (!expected.empty()) {
            Answer missing;
            missing.pixels.assign(expected.begin() + 1, expected.end());
            EXPECT_FALSE(check(q, missing).correct) << q.prompt;
        }
        Answer extra{std::nullopt, expected};
        extra.pixels.push_back({s.input.h, 0}); // a row past the image is never read
        EXPECT_FALSE(check(q, extra).correct) << q.prompt;
    }
}

TEST(Quiz, readPixels_handWorkedExample)
{
    // 3x3 kernel, stride 2, padding 1 (zeros) on 5x5: out[0, 0, 0, 1] covers rows -1..1,
    // columns 1..3; row -1 is zero padding, so it reads rows 0..1 x columns 1..3.
    QuizSetup s;
    s.params.stride = {2, 2};
    s.params.padding = {1, 1};
    s.input = {5, 5};
    Question q = makeQuestion(QuizKind::ReadPixels, s, 0);
    q.channel = 0;
    q.y = 0;
    q.x = 1;
    const Answer a = correctAnswer(q);
    const std::vector<Pixel> expected{{0, 1}, {0, 2}, {0, 3}, {1, 1}, {1, 2}, {1, 3}};
    EXPECT_EQ(a.pixels, expected);
    const Verdict v = check(q, a);
    EXPECT_TRUE(v.correct);
    EXPECT_TRUE(contains(v.explanation, "rows: 0*2 - 1 + {0, 1, 2} = {-1, 0, 1}")) << v.explanation;
    EXPECT_TRUE(contains(v.explanation, "Row -1 is zero padding")) << v.explanation;
    EXPECT_TRUE(contains(v.explanation, "6 pixels")) << v.explanation;
}

TEST(Quiz, paddedValue_matchesNumpyPadDefinition)
{
    int n = 0;
    int asked = 0;
    for (const QuizSetup &s : drawSetups(300, 13)) {
        const Question q = makeQuestion(QuizKind::PaddedValue, s, 5000 + n++);
        ASSERT_NE(q.mode, PaddingMode::Zeros) << "zeros padding copies no pixel to ask about";
        const bool inside = q.py >= 0 && q.py < s.input.h && q.px >= 0 && q.px < s.input.w;
        EXPECT_FALSE(inside) << "(" << q.py << ", " << q.px << ") is not in the padding";
        const auto rows = paddedAxis(s.input.h, q.padding.top, q.padding.bottom, q.mode);
        const auto cols = paddedAxis(s.input.w, q.padding.left, q.padding.right, q.mode);
        const std::int64_t sy = rows.at(static_cast<std::size_t>(q.py + q.padding.top));
        const std::int64_t sx = cols.at(static_cast<std::size_t>(q.px + q.padding.left));
        const Answer a = correctAnswer(q);
        ASSERT_EQ(a.pixels.size(), 1u);
        EXPECT_EQ(a.pixels[0], (Pixel{sy, sx})) << q.prompt;
        EXPECT_TRUE(check(q, {std::nullopt, {{sy, sx}}}).correct);
        // A second, different pixel makes the answer wrong.
        EXPECT_FALSE(check(q, {std::nullopt, {{sy, sx}, {sy == 0 ? 1 : 0, sx}}}).correct);
        // The layer's own padding is asked about when it copies pixels.
        const SidePadding own = effectivePadding(s.params);
        if (s.params.paddingMode != PaddingMode::Zeros
            && own.top + own.bottom + own.left + own.right > 0) {
            EXPECT_EQ(q.mode, s.params.paddingMode);
            EXPECT_EQ(q.padding, own);
            ++asked;
        }
    }
    EXPECT_GT(asked, 50);
}

TEST(Quiz, paddedValue_reflectExplanationSubstitutesTheNumbers)
{
    QuizSetup s;
    s.params.padding = {2, 2};
    s.params.paddingMode = PaddingMode::Reflect;
    s.input = {6, 6};
    Question q = makeQuestion(QuizKind::PaddedValue, s, 3);
    q.py = -2;
    q.px = 7;
    const Verdict v = check(q, {std::nullopt, {{2, 3}}});
    EXPECT_TRUE(v.correct) << v.explanation;
    EXPECT_TRUE(contains(v.explanation, "-(-2) = 2")) << v.explanation;
    EXPECT_TRUE(contains(v.explanation, "2*5 - 7 = 3")) << v.explanation;
}

TEST(Quiz, parameterExplanation_substitutesTheNumbers)
{
    QuizSetup s;
    s.params.inChannels = 4;
    s.params.outChannels = 8;
    s.params.groups = 2;
    s.input = {5, 5};
    const Question q = makeQuestion(QuizKind::ParameterCount, s, 0);
    const Verdict v = check(q, {8 * 2 * 9 + 8, {}});
    EXPECT_TRUE(v.correct);
    EXPECT_TRUE(contains(v.explanation, "8 * 2 * 3 * 3 = 144")) << v.explanation;
    EXPECT_TRUE(contains(v.explanation, "144 + 8 = 152")) << v.explanation;
}

TEST(Quiz, sameSeed_sameQuestion_invalidSetupRejected)
{
    const QuizSetup s = drawSetups(1, 3).front();
    const Question a = makeQuestion(QuizKind::ReadPixels, s, 42);
    const Question b = makeQuestion(QuizKind::ReadPixels, s, 42);
    EXPECT_EQ(a.prompt, b.prompt);
    QuizSetup bad;
    bad.params.kernel = {5, 5};
    bad.input = {3, 3};
    EXPECT_THROW(makeQuestion(QuizKind::OutputHeight, bad, 0), std::invalid_argument);
    for (QuizKind k : allQuizKinds())
        EXPECT_EQ(parseQuizKind(identifier(k)), k);
    EXPECT_FALSE(parseQuizKind("H_out").has_value());
}

TEST(Quiz, coverageCount_countsTheWindowsThatReadThePixel)
{
    // Over random setups: the answer is the number of output positions whose taps (padding
    // copies included) read the pixel, counted by brute force over layerTaps.
    int checked = 0;
    for (const QuizSetup &s : drawSetups(60, 77)) {
        const Question q = makeQuestion(QuizKind::CoverageCount, s, 5);
        ASSERT_TRUE(q.py >= 0 && q.py < s.input.h && q.px >= 0 && q.px < s.input.w);
        const Shape out =
            outputShape(s.params, Shape{1, s.params.inChannels, s.input.h, s.input.w});
        std::int64_t windows = 0;
        for (std::int64_t y = 0; y < out[2]; ++y)
            for (std::int64_t x = 0; x < out[3]; ++x) {
                bool reads = false;
                for (const Tap &t : layerTaps(s.params, s.input, y, x))
                    reads = reads || (!t.readsZero() && t.sy == q.py && t.sx == q.px);
                windows += reads ? 1 : 0;
            }
        const Answer a = correctAnswer(q);
        // A window may read the pixel twice (a reflected tap): it still counts per tap there.
        if (s.params.paddingMode == PaddingMode::Zeros) {
            EXPECT_EQ(a.number, windows) << torchRepr(s.params) << " pixel " << q.py << "," << q.px;
            ++checked;
        }
        EXPECT_TRUE(check(q, a).correct);
        EXPECT_TRUE(
            contains(check(q, a).explanation, " = " + std::to_string(*a.number) + " reads"));
    }
    EXPECT_GE(checked, 10);
}

TEST(Quiz, unreadPixels_areThoseNoWindowReads)
{
    QuizSetup s;
    s.params.kernel = {2, 2};
    s.params.stride = {3, 3};
    s.input = {8, 7};
    const Question q = makeQuestion(QuizKind::UnreadPixels, s, 0);
    const Answer a = correctAnswer(q);
    // Windows start at 0 and 3 (and 6 down the rows): rows 2 and 5, columns 2, 5 and 6 unread.
    for (std::int64_t y = 0; y < 8; ++y)
        for (std::int64_t x = 0; x < 7; ++x) {
            const bool unread = y == 2 || y == 5 || x == 2 || x == 5 || x == 6;
            EXPECT_EQ(std::count(a.pixels.begin(), a.pixels.end(), Pixel{y, x}) == 1, unread)
                << y << "," << x;
        }
    const Verdict v = check(q, a);
    EXPECT_TRUE(v.correct);
    EXPECT_TRUE(contains(v.explanation, "Rows no window reads: 2, 5; columns: 2, 5, 6"))
        << v.explanation;
    // Overlapping windows read everything: the answer is no pixel at all.
    s.params.kernel = {3, 3};
    s.params.stride = {1, 1};
    EXPECT_TRUE(correctAnswer(makeQuestion(QuizKind::UnreadPixels, s, 0)).pixels.empty());
    EXPECT_TRUE(check(makeQuestion(QuizKind::UnreadPixels, s, 0), Answer{}).correct);
}

TEST(Quiz, effectivePixels_countTheLargestWeightsThatMakeHalf)
{
    QuizSetup s;
    s.input = {7, 7};
    // A box blur: nine equal taps, four make 4/9 < 1/2, five make 5/9.
    s.weight = presetWeights(s.params, KernelPreset::BoxBlur);
    Question q = makeQuestion(QuizKind::EffectivePixels, s, 3);
    Answer a = correctAnswer(q);
    EXPECT_EQ(a.number, 5);
    Verdict v = check(q, a);
    EXPECT_TRUE(v.correct);
    EXPECT_TRUE(contains(v.explanation, "5 of the 9 pixels of the box")) << v.explanation;
    // Sobel x: |weights| 1 2 1 in the outer columns, 0 in the middle; the two 2s make half.
    s.weight = presetWeights(s.params, KernelPreset::SobelX);
    q = makeQuestion(QuizKind::EffectivePixels, s, 3);
    EXPECT_EQ(correctAnswer(q).number, 2);
    EXPECT_TRUE(contains(check(q, correctAnswer(q)).explanation, "2 + 2 = 4"))
        << check(q, correctAnswer(q)).explanation;
    // Without the weights there is nothing to ask.
    s.weight.reset();
    EXPECT_THROW(makeQuestion(QuizKind::EffectivePixels, s, 3), std::invalid_argument);
}
