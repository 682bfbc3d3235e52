// SPDX-License-Identifier: GPL-3.0-or-later
// The explain panel: the total it prints is the value the map shows (the engine's output) and
// the reference convolution's; padded taps are labelled with the mode and the pixel copied.
#include "explainpanel.h"

#include "conv2d.h"
#include "kernels.h"
#include "reference_conv.h"
#include "session.h"
#include "shape.h"

#include <QTest>

#include <memory>

using namespace convscope;
using namespace convscope::ui;

namespace {

// A finished result the way the compute controller makes one: engine output for an input,
// weights and bias.
std::shared_ptr<ComputeResult> compute(const core::Conv2dParams &p, int h, int w,
                                       std::uint64_t seed)
{
    auto r = std::make_shared<ComputeResult>();
    r->params = p;
    core::Tensor input({1, p.inChannels, h, w});
    for (std::size_t i = 0; i < input.data.size(); ++i)
        input.data[i] = float((i * 37 + seed * 11) % 101) / 100.0f; // in [0, 1], no pattern
    r->input = std::make_shared<const core::Tensor>(std::move(input));
    r->weight = std::make_shared<const core::Tensor>(core::kaimingUniformWeights(p, seed));
    if (p.bias)
        r->bias = std::make_shared<const core::Tensor>(core::defaultBias(p, seed));
    if (core::conv2d(*r->input, *r->weight, r->bias.get(), p, r->output)
        != core::ForwardStatus::Done)
        return nullptr;
    return r;
}

} // namespace

class ExplainPanelTest : public QObject {
    Q_OBJECT
private slots:
    void totalMatchesMapAndReference_data();
    void totalMatchesMapAndReference();
    void paddedTapsSayWhatTheyCopy();
    void groupsListOnlyTheGroupsChannels();
    void positionOutsideTheOutputIsRefused();
};

void ExplainPanelTest::totalMatchesMapAndReference_data()
{
    QTest::addColumn<int>("mode");
    QTest::addColumn<int>("groups");
    QTest::addColumn<int>("stride");
    QTest::addColumn<int>("dilation");
    QTest::addColumn<bool>("bias");
    for (int mode = 0; mode < 4; ++mode)
        for (int groups : {1, 2, 4})
            QTest::addRow("mode%d-g%d", mode, groups)
                << mode << groups << 1 + mode % 2 << 1 + groups % 2 << (mode != 2);
}

void ExplainPanelTest::totalMatchesMapAndReference()
{
    QFETCH(int, mode);
    QFETCH(int, groups);
    QFETCH(int, stride);
    QFETCH(int, dilation);
    QFETCH(bool, bias);
    core::Conv2dParams p;
    p.inChannels = 4;
    p.outChannels = 4;
    p.kernel = {3, 3};
    p.padding = {2, 1};
    p.stride = {stride, stride};
    p.dilation = {dilation, dilation};
    p.groups = groups;
    p.bias = bias;
    p.paddingMode = static_cast<core::PaddingMode>(mode);
    const auto r = compute(p, 9, 8, 7 + std::uint64_t(mode));
    QVERIFY(r);
    const core::Tensor ref = core::referenceConv2d(*r->input, *r->weight, r->bias.get(), p);

    ExplainPanel panel;
    panel.resize(600, 800);
    const auto &out = r->output;
    int checked = 0;
    for (int o = 0; o < out.dim(1); ++o)
        for (int y = 0; y < out.dim(2); ++y)
            for (int x = 0; x < out.dim(3); x += 2) {
                QVERIFY(panel.explain(*r, 0, o, y, x));
                const auto &e = *panel.explanation();
                QCOMPARE(panel.mapValue(), out.at(0, o, y, x));
                QVERIFY2(panel.matchesMap(), qPrintable(panel.plainText()));
                // Bit-identical to the reference convolution (its summation order).
                QCOMPARE(e.value, ref.at(0, o, y, x));
                // The printed total is the printed map value, and the panel says it matches.
                QCOMPARE(panel.totalText(), ExplainPanel::formatNumber(out.at(0, o, y, x)));
                QVERIFY(panel.plainText().contains(QStringLiteral("✓ equals the map value")));
                QVERIFY(panel.plainText().contains(panel.totalText()));
                ++checked;
            }
    QVERIFY(checked > 20);
}

void ExplainPanelTest::paddedTapsSayWhatTheyCopy()
{
    core::Conv2dParams p;
    p.inChannels = 1;
    p.outChannels = 1;
    p.kernel = {3, 3};
    p.padding = {1, 1};
    p.paddingMode = core::PaddingMode::Reflect;
    const auto r = compute(p, 5, 6, 3);
    ExplainPanel panel;
    QVERIFY(panel.explain(*r, 0, 0, 0, 0));
    const QString text = panel.plainText();
    // Tap (ky 0, kx 0) of output (0, 0) sits at (-1, -1); reflect copies pixel (1, 1).
    QVERIFY2(text.contains(QStringLiteral("(-1, -1)\nreflect ← (1, 1)")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("(-1, 0)\nreflect ← (1, 0)")));
    QVERIFY(text.contains(QStringLiteral("bias[0]")));

    p.paddingMode = core::PaddingMode::Zeros;
    const auto z = compute(p, 5, 6, 3);
    QVERIFY(panel.explain(*z, 0, 0, 4, 5));
    QVERIFY(panel.plainText().contains(QStringLiteral("(5, 6)\nzeros padding")));
    QVERIFY(!panel.plainText().contains(QStringLiteral("←")));

    p.paddingMode = core::PaddingMode::Circular;
    const auto c = compute(p, 5, 6, 3);
    QVERIFY(panel.explain(*c, 0, 0, 4, 5));
    // Circular wraps around: row 5 copies row 0, column 6 copies column 0.
    QVERIFY(panel.plainText().contains(QStringLiteral("(5, 6)\ncircular ← (0, 0)")));
}

void ExplainPanelTest::groupsListOnlyTheGroupsChannels()
{
    core::Conv2dParams p;
    p.inChannels = 6;
    p.outChannels = 6;
    p.groups = 3;
    p.padding = {1, 1};
    const auto r = compute(p, 4, 4, 5);
    ExplainPanel panel;
    QVERIFY(panel.explain(*r, 0, 5, 1, 2));
    const auto &e = *panel.explanation();
    QCOMPARE(e.group, 2);
    QCOMPARE(e.channels.size(), std::size_t(2));
    QCOMPARE(e.channels[0].inputChannel, 4);
    const QString text = panel.plainText();
    QVERIFY(text.contains(QStringLiteral("in[4]")));
    QVERIFY(text.contains(QStringLiteral("in[5]")));
    QVERIFY(!text.contains(QStringLiteral("in[3]")));
    QVERIFY(text.contains(QStringLiteral("group 2 reads input channels 4–5")));
}

void ExplainPanelTest::positionOutsideTheOutputIsRefused()
{
    core::Conv2dParams p;
    const auto r = compute(p, 5, 5, 1); // no padding: output 3 x 3
    ExplainPanel panel;
    QVERIFY(!panel.explain(*r, 0, 0, 3, 0));
    QVERIFY(!panel.explanation());
    QVERIFY(!panel.explain(*r, 0, 1, 0, 0));
    QVERIFY(panel.explain(*r, 0, 0, 2, 2));
}

QTEST_MAIN(ExplainPanelTest)
#include "explainpanel_test.moc"
