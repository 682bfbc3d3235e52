// SPDX-License-Identifier: GPL-3.0-or-later
// The weight recipe without a panel: what each recipe makes, which preset weights are, and
// the tracker's rule for the recipe of the weights in use (made, edited, brought back).
#include "weightrecipe.h"

#include "kernels.h"
#include "session.h"
#include "shape.h"

#include <QTest>

using namespace convscope;
using namespace convscope::ui;

namespace {

core::Conv2dParams params(int in, int out, int k)
{
    core::Conv2dParams p;
    p.inChannels = in;
    p.outChannels = out;
    p.kernel = {k, k};
    return p;
}

WeightRecipe preset(core::KernelPreset k, std::uint64_t seed = 0)
{
    return WeightRecipe{WeightRecipe::Kind::Preset, k, seed};
}

WeightRecipe kaiming(std::uint64_t seed)
{
    return WeightRecipe{WeightRecipe::Kind::Kaiming, core::KernelPreset::Identity, seed};
}

} // namespace

class WeightRecipeTest : public QObject {
    Q_OBJECT
private slots:
    void makeWeightsFollowsTheKind();
    void weightsFitOnlyTheirOwnShape();
    void presetMakingNamesTheWholeTensorOrOneChannel();
    void presetMakingIgnoresAnUnusedBias();
    void reproducesComparesWithTheRecipesWeights();
    void adoptNamesTheRecipeThatMakesTheWeights();
    void aSeedIsKnownOnlyOnceSeen();
    void anEditKeepsTheOriginUnlessItIsARecipeItself();
    void resetForgetsEverything();
};

void WeightRecipeTest::makeWeightsFollowsTheKind()
{
    const core::Conv2dParams p = params(2, 3, 5);
    QVERIFY(makeWeights(WeightRecipe{}, p).first.size() == 0);
    QVERIFY(makeWeights(WeightRecipe{}, p).second.size() == 0);
    const auto [pw, pb] = makeWeights(preset(core::KernelPreset::SobelX), p);
    QVERIFY(pw == core::presetWeights(p, core::KernelPreset::SobelX));
    QVERIFY(pb == core::zeroBias(p));
    const auto [kw, kb] = makeWeights(kaiming(7), p);
    QVERIFY(kw == core::kaimingUniformWeights(p, 7));
    QVERIFY(kb == core::defaultBias(p, 7));
    QCOMPARE(kw.shape, core::weightShape(p));
}

void WeightRecipeTest::weightsFitOnlyTheirOwnShape()
{
    const core::Conv2dParams p = params(2, 3, 3);
    const auto [w, b] = makeWeights(kaiming(1), p);
    QVERIFY(weightsFit(p, w, b));
    QVERIFY(!weightsFit(params(2, 3, 5), w, b));
    QVERIFY(!weightsFit(p, w, core::Tensor({2})));
    QVERIFY(!weightsFit(p, core::Tensor(), b));
}

void WeightRecipeTest::presetMakingNamesTheWholeTensorOrOneChannel()
{
    const core::Conv2dParams p = params(1, 2, 3);
    core::Tensor w = core::presetWeights(p, core::KernelPreset::Laplacian);
    const core::Tensor b = core::zeroBias(p);
    QCOMPARE(presetMaking(p, w, b, true, 0), std::optional(core::KernelPreset::Laplacian));
    // Channel 1 becomes Sobel x: the tensor is no preset, channel 0 still is one.
    const core::Tensor sobel = core::presetWeights(p, core::KernelPreset::SobelX);
    std::copy(sobel.data.begin() + 9, sobel.data.end(), w.data.begin() + 9);
    QVERIFY(!presetMaking(p, w, b, true, 0));
    QCOMPARE(presetMaking(p, w, b, false, 0), std::optional(core::KernelPreset::Laplacian));
    QCOMPARE(presetMaking(p, w, b, false, 1), std::optional(core::KernelPreset::SobelX));
    // A preset sets the bias to 0.
    core::Tensor nb = b;
    nb.data[1] = 0.5f;
    QVERIFY(!presetMaking(p, w, nb, false, 1));
    QCOMPARE(presetMaking(p, w, nb, false, 0), std::optional(core::KernelPreset::Laplacian));
}

void WeightRecipeTest::presetMakingIgnoresAnUnusedBias()
{
    core::Conv2dParams p = params(1, 1, 3);
    p.bias = false;
    const core::Tensor w = core::presetWeights(p, core::KernelPreset::Identity);
    core::Tensor b = core::zeroBias(p);
    b.data[0] = 3.0f;
    QCOMPARE(presetMaking(p, w, b, true, 0), std::optional(core::KernelPreset::Identity));
}

void WeightRecipeTest::reproducesComparesWithTheRecipesWeights()
{
    const core::Conv2dParams p = params(3, 4, 3);
    const auto [dw, db] = core::startupWeights(p);
    QVERIFY(reproduces(WeightRecipe{}, p, dw, db));
    QVERIFY(!reproduces(kaiming(3), p, dw, db));
    const auto [kw, kb] = makeWeights(kaiming(3), p);
    QVERIFY(reproduces(kaiming(3), p, kw, kb));
    QVERIFY(!reproduces(kaiming(4), p, kw, kb));
    // Weights of another shape are never a recipe's.
    QVERIFY(!reproduces(kaiming(3), params(3, 4, 5), kw, kb));
}

void WeightRecipeTest::adoptNamesTheRecipeThatMakesTheWeights()
{
    const core::Conv2dParams p = params(3, 4, 3);
    WeightRecipeTracker t;
    const auto [pw, pb] = makeWeights(preset(core::KernelPreset::SobelY), p);
    t.adopt(p, pw, pb);
    QCOMPARE(t.recipe(), preset(core::KernelPreset::SobelY));
    const auto [dw, db] = core::startupWeights(p);
    t.adopt(p, dw, db);
    QCOMPARE(t.recipe(), WeightRecipe{});
    // Values no recipe makes and never seen: the start-up mix, as in a fresh window.
    core::Tensor odd = dw;
    odd.data[0] = 42.0f;
    t.adopt(p, odd, db);
    QCOMPARE(t.recipe(), WeightRecipe{});
}

void WeightRecipeTest::aSeedIsKnownOnlyOnceSeen()
{
    const core::Conv2dParams p = params(3, 4, 3);
    const auto [kw, kb] = makeWeights(kaiming(11), p);
    WeightRecipeTracker fresh;
    fresh.adopt(p, kw, kb);
    QCOMPARE(fresh.recipe().kind, WeightRecipe::Kind::Builtin);

    WeightRecipeTracker t;
    t.edited(p, kw, kb, kaiming(11));
    QCOMPARE(t.recipe(), kaiming(11));
    // Another shape, then undo back to the seeded weights: the seed comes back with them.
    const core::Conv2dParams p5 = params(3, 4, 5);
    const auto [w5, b5] = makeWeights(t.recipe(), p5);
    t.adopt(p5, w5, b5);
    QCOMPARE(t.recipe(), kaiming(11));
    const auto [dw, db] = core::startupWeights(p);
    t.adopt(p, dw, db);
    QCOMPARE(t.recipe(), WeightRecipe{});
    t.adopt(p, kw, kb);
    QCOMPARE(t.recipe(), kaiming(11));
}

void WeightRecipeTest::anEditKeepsTheOriginUnlessItIsARecipeItself()
{
    const core::Conv2dParams p = params(1, 2, 3);
    WeightRecipeTracker t;
    const auto [lw, lb] = makeWeights(preset(core::KernelPreset::Laplacian, 5), p);
    t.edited(p, lw, lb, preset(core::KernelPreset::Laplacian, 5));
    core::Tensor edited = lw;
    edited.data[4] = 9.0f;
    t.edited(p, edited, lb, std::nullopt);
    QCOMPARE(t.recipe(), preset(core::KernelPreset::Laplacian, 5));
    // Edited into another preset's weights: that preset, keeping the seed.
    const core::Tensor box = core::presetWeights(p, core::KernelPreset::BoxBlur);
    t.edited(p, box, lb, std::nullopt);
    QCOMPARE(t.recipe(), preset(core::KernelPreset::BoxBlur, 5));
    // Undo brings the hand-edited weights back, and their origin with them.
    t.adopt(p, edited, lb);
    QCOMPARE(t.recipe(), preset(core::KernelPreset::Laplacian, 5));
}

void WeightRecipeTest::resetForgetsEverything()
{
    const core::Conv2dParams p = params(3, 4, 3);
    const auto [kw, kb] = makeWeights(kaiming(2), p);
    WeightRecipeTracker t;
    t.edited(p, kw, kb, kaiming(2));
    t.reset();
    QCOMPARE(t.recipe(), WeightRecipe{});
    t.adopt(p, kw, kb);
    QCOMPARE(t.recipe(), WeightRecipe{});
}

QTEST_GUILESS_MAIN(WeightRecipeTest)
#include "weightrecipe_test.moc"
