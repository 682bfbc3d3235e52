// SPDX-License-Identifier: GPL-3.0-or-later
// The step-through canvas paints what is on screen: a padded grid far larger than the
// widget (the widest the editors allow) costs no more than the cells that are visible, so
// the window keeps answering.
#include "stepthroughview.h"

#include <QElapsedTimer>
#include <QImage>
#include <QTest>

using namespace convscope;
using namespace convscope::ui;

class StepThroughViewTest : public QObject {
    Q_OBJECT
private slots:
    void hugePaddedGrid_paintsInUnder200ms();
    void visibleCells_areStillDrawn();
};

namespace {

// 16x16 input, kernel 31, dilation 16, padding 'same': 240 padded cells on every side, a
// 496 x 496 grid of 6 px cells (2976 px) in a 1000 x 640 canvas.
std::shared_ptr<const core::Stepper> widestStepper()
{
    core::Conv2dParams p;
    p.kernel = {31, 31};
    p.dilation = {16, 16};
    p.paddingKind = core::PaddingKind::Same;
    core::Tensor in({1, 1, 16, 16});
    for (std::size_t i = 0; i < in.data.size(); ++i)
        in.data[i] = static_cast<float>(i % 10);
    return std::make_shared<core::Stepper>(in, core::Tensor({1, 1, 31, 31}, 1.0f), std::nullopt, p);
}

} // namespace

void StepThroughViewTest::hugePaddedGrid_paintsInUnder200ms()
{
    StepThroughView view;
    view.resize(1000, 640);
    view.setStepper(widestStepper());
    QVERIFY(view.frame().has_value());
    view.grab(); // fonts and caches warm
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < 3; ++i)
        view.grab();
    const qint64 perPaint = t.elapsed() / 3;
    // 200 ms is the bound for the app as shipped. Measured: release 58 ms (with other builds
    // running; 3425 ms before only the visible cells were painted), ASan + UBSan at -O1
    // 400 ms, so a sanitizer build is held to 1 s.
#ifdef CONVSCOPE_SANITIZED
    constexpr qint64 kBoundMs = 1000;
#else
    constexpr qint64 kBoundMs = 200;
#endif
    qInfo("one paint of the 496 x 496 padded grid: %lld ms (bound %lld ms)", perPaint, kBoundMs);
    QVERIFY2(perPaint < kBoundMs, qPrintable(QStringLiteral("a paint took %1 ms").arg(perPaint)));
}

void StepThroughViewTest::visibleCells_areStillDrawn()
{
    StepThroughView view;
    view.resize(1000, 640);
    view.setStepper(widestStepper());
    const QImage img = view.grab().toImage();
    // The first padded cell on screen is drawn (hatched padding is not the background),
    // and the unclipped grid reaches past the canvas.
    const QRect cell = view.cellRect(0, -240, -240);
    QVERIFY(!cell.isEmpty());
    QVERIFY(view.cellRect(0, 255, 255).right() > view.width());
    const QRect inside = cell.adjusted(1, 1, -1, -1).intersected(img.rect());
    QVERIFY(!inside.isEmpty());
    const QRgb background = qRgb(255, 255, 255); // the canvas's normal-mode background
    bool drawn = false;
    for (int y = inside.top(); y <= inside.bottom() && !drawn; ++y)
        for (int x = inside.left(); x <= inside.right() && !drawn; ++x)
            drawn = img.pixel(x, y) != background;
    QVERIFY2(drawn, "the top-left visible padded cell is not painted");
}

QTEST_MAIN(StepThroughViewTest)
#include "stepthroughview_test.moc"
