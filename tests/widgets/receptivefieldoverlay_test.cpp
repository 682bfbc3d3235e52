// SPDX-License-Identifier: GPL-3.0-or-later
// The receptive-field overlay: the box, taps and sources it holds for an output position,
// what it paints where, the unreached bands and the projective-field highlight.
#include "receptivefieldoverlay.h"

#include <QImage>
#include <QPainter>
#include <QTest>

using namespace convscope;
using namespace convscope::ui;

namespace {

core::Conv2dParams layer(int k, int s, int p, int d = 1)
{
    core::Conv2dParams c;
    c.inChannels = 1;
    c.outChannels = 1;
    c.kernel = {k, k};
    c.stride = {s, s};
    c.padding = {p, p};
    c.dilation = {d, d};
    return c;
}

std::vector<std::int64_t> range(std::int64_t a, std::int64_t b, std::int64_t step = 1)
{
    std::vector<std::int64_t> v;
    for (std::int64_t i = a; i <= b; i += step)
        v.push_back(i);
    return v;
}

} // namespace

class ReceptiveFieldOverlayTest : public QObject {
    Q_OBJECT
private slots:
    void dilatedLayerHasGapsAndPaddedTaps();
    void reflectSourcesLieOutsideTheBox();
    void stackFieldMatchesTheDistillExample();
    void paintsSourcesTapsAndBoxWhereTheyAre();
    void unreachedBands();
    void projectiveHighlight();
};

void ReceptiveFieldOverlayTest::dilatedLayerHasGapsAndPaddedTaps()
{
    // k3, d2, p2 on 10 x 12: output (0, 5) samples rows -2, 0, 2 and cols 3, 5, 7.
    const auto o = ReceptiveFieldOverlay::forOutput({layer(3, 1, 2, 2)}, {10, 12}, 0, 0, 0, 5);
    QCOMPARE(o.box(), (core::InputBox{-2, 3, 2, 7}));
    QCOMPARE(o.tapRows(), (std::vector<std::int64_t>{-2, 0, 2}));
    QCOMPARE(o.tapCols(), (std::vector<std::int64_t>{3, 5, 7}));
    QCOMPARE(o.tapCount(), 9);
    QCOMPARE(o.tapsInPadding(), 3);
    // Zero padding: the padded row contributes nothing.
    QCOMPARE(o.sourceRows(), (std::vector<std::int64_t>{0, 2}));
    QCOMPARE(o.sourceCount(), 6);
    QCOMPARE(o.firstLayerTaps().size(), std::size_t(9));
    QCOMPARE(o.extent(), QRectF(3, -2, 5, 5));
    QVERIFY(o.summary().contains(QStringLiteral("9 taps (3 in padding)")));
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, ReceptiveFieldOverlay::forOutput(
                                                    {layer(3, 1, 2, 2)}, {10, 12}, 0, 0, 10, 0));
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, ReceptiveFieldOverlay::forOutput(
                                                    {layer(3, 1, 2, 2)}, {10, 12}, 0, 1, 0, 0));
}

void ReceptiveFieldOverlayTest::reflectSourcesLieOutsideTheBox()
{
    auto p = layer(3, 1, 1);
    p.paddingMode = core::PaddingMode::Reflect;
    const auto o = ReceptiveFieldOverlay::forOutput({p}, {6, 6}, 0, 0, 0, 0);
    QCOMPARE(o.box(), (core::InputBox{-1, -1, 1, 1}));
    QCOMPARE(o.tapRows(), (std::vector<std::int64_t>{-1, 0, 1}));
    // Row -1 reflects row 1: the sources are rows 0..1, all inside here ...
    QCOMPARE(o.sourceRows(), (std::vector<std::int64_t>{0, 1}));
    // ... but circular wraps around to the far side, outside the box.
    p.paddingMode = core::PaddingMode::Circular;
    const auto c = ReceptiveFieldOverlay::forOutput({p}, {6, 6}, 0, 0, 0, 0);
    QCOMPARE(c.sourceRows(), (std::vector<std::int64_t>{0, 1, 5}));
    QCOMPARE(c.extent(), QRectF(-1, -1, 7, 7)); // the extent covers the wrapped sources
}

void ReceptiveFieldOverlayTest::stackFieldMatchesTheDistillExample()
{
    // conv k3/s1/p1 -> conv k3/s2/p1 -> k2/s2 -> conv k3/d2/p2 on 32 x 32 (README example).
    const core::LayerStack stack{layer(3, 1, 1), layer(3, 2, 1), layer(2, 2, 0), layer(3, 1, 2, 2)};
    const auto o = ReceptiveFieldOverlay::forOutput(stack, {32, 32}, 3, 0, 2, 3);
    QCOMPARE(o.box(), (core::InputBox{-2, 2, 20, 24}));
    QCOMPARE(o.box().height(), 23);
    QCOMPARE(o.tapCount(), 420);
    QCOMPARE(o.tapsInPadding(), 21);
    QCOMPARE(o.sourceCount(), 399);
    QVERIFY(o.firstLayerTaps().empty()); // arrows only for a single layer
    auto rows = range(0, 4);
    for (auto v : {range(6, 12), range(14, 20)})
        rows.insert(rows.end(), v.begin(), v.end());
    QCOMPARE(o.sourceRows(), rows);
}

void ReceptiveFieldOverlayTest::paintsSourcesTapsAndBoxWhereTheyAre()
{
    // 10 widget pixels per input pixel, image origin at (50, 50).
    const auto o = ReceptiveFieldOverlay::forOutput({layer(3, 1, 2, 2)}, {10, 12}, 0, 0, 0, 5);
    QImage img(300, 250, QImage::Format_RGB32);
    img.fill(Qt::black);
    {
        QPainter painter(&img);
        o.paint(painter, QRectF(50, 50, 120, 100), 10.0);
    }
    auto px = [&](double col, double row) {
        return img.pixelColor(QPoint(int(50 + col * 10), int(50 + row * 10)));
    };
    // A tap on the image (row 0, col 3): cyan dot at the pixel centre.
    QCOMPARE(px(3.5, 0.5), QColor(0, 229, 255));
    // A source pixel that is no tap (row 0, col 4: inside the dilation gap? no: col 4 is a
    // gap, row 0 is sampled, so (0, 4) is not a source): stays black.
    QCOMPARE(px(4.5, 0.5), QColor(Qt::black));
    // A source away from its tap centre: greenish tint over black.
    const QColor src = px(5.15, 0.85); // row 0, col 5, away from dot and box edges
    QVERIFY2(src.green() > 40 && src.red() < 40 && src.blue() < 60, qPrintable(src.name()));
    // The padded tap at (-2, 5): hollow ring, centre not filled cyan.
    QVERIFY(px(5.5, -1.5) != QColor(0, 229, 255));
    // The box's left edge passes through x = 50 + 3*10, dashed yellow somewhere along it.
    bool yellow = false;
    for (int y = 30; y < 100; ++y)
        for (int dx = -2; dx <= 2; ++dx)
            yellow |= img.pixelColor(80 + dx, y) == QColor(255, 214, 0);
    QVERIFY(yellow);
    // Far away from everything: untouched.
    QCOMPARE(img.pixelColor(250, 200), QColor(Qt::black));
    // An empty overlay draws nothing.
    QImage blank(40, 40, QImage::Format_RGB32);
    blank.fill(Qt::black);
    {
        QPainter painter(&blank);
        ReceptiveFieldOverlay().paint(painter, QRectF(0, 0, 40, 40), 4.0);
    }
    QCOMPARE(blank.pixelColor(20, 20), QColor(Qt::black));
}

void ReceptiveFieldOverlayTest::unreachedBands()
{
    // The README's "why 18 and not 19": 32 px, k3, s2, p3 -> 18 outputs, 1 padded row unused.
    const auto table = core::receptiveFields({layer(3, 2, 3)}, {32, 32});
    const auto b = UnreachedBands::of(table[0]);
    QCOMPARE(b.rows, 1);
    QCOMPARE(b.cols, 1);
    QCOMPARE(b.firstRow, 34); // the last of rows -3 .. 34 of the padded input
    // k3, s2, p0 on 32: windows reach rows 0..30, row 31 is never read.
    const auto t2 = core::receptiveFields({layer(3, 2, 0)}, {32, 20});
    const auto b2 = UnreachedBands::of(t2[0]);
    QCOMPARE(b2.rows, 1);
    QCOMPARE(b2.firstRow, 31);
    QCOMPARE(b2.cols, 1);
    QCOMPARE(b2.firstCol, 19);
    QVERIFY(UnreachedBands::of(core::receptiveFields({layer(3, 1, 1)}, {8, 8})[0]).isEmpty());
}

void ReceptiveFieldOverlayTest::projectiveHighlight()
{
    // k3/s2/p1 on 9 x 9: input row 4 feeds outputs 2 (taps 3..5) only; row 3 feeds 1 and 2.
    const auto h = MapHighlight::projective({layer(3, 2, 1)}, {9, 9}, 0, 3, 4);
    QCOMPARE(h.rows, (std::vector<std::int64_t>{1, 2}));
    QCOMPARE(h.cols, (std::vector<std::int64_t>{2}));
    QVERIFY(h.contains(2, 2));
    QVERIFY(!h.contains(0, 2));
    QImage img(50, 50, QImage::Format_RGB32);
    img.fill(Qt::black);
    {
        QPainter painter(&img);
        h.paint(painter, 0, [](std::int64_t r, std::int64_t c) {
            return QRectF(double(c) * 10, double(r) * 10, 10, 10);
        });
    }
    QVERIFY(img.pixelColor(25, 15).red() > 60);        // (1, 2) highlighted
    QCOMPARE(img.pixelColor(5, 5), QColor(Qt::black)); // (0, 0) not
    QCOMPARE(runsOf({1, 2, 3, 5, 7, 8}),
             (std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 3}, {5, 5}, {7, 8}}));
}

QTEST_MAIN(ReceptiveFieldOverlayTest)
#include "receptivefieldoverlay_test.moc"
