// SPDX-License-Identifier: GPL-3.0-or-later
// Receptive fields in the main window: clicking an output selects the right input box and taps and
// explains the value the map shows; clicking an input pixel highlights its projective field
// in every map; a stacked layer's outputs map back through the whole stack.
#include "uitest_util.h"

#include "commands.h"
#include "connectivityview.h"
#include "explainpanel.h"
#include "inputview.h"
#include "layerstackmodel.h"
#include "padding.h"
#include "receptivefieldcontroller.h"
#include "reference_conv.h"
#include "shapepanel.h"

#include <QSignalSpy>
#include <QUndoStack>

#include <array>
#include <qcustomplot.h>

using namespace convscope;
using namespace convscope::ui;

class ReceptiveFieldTest : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void clickingAnOutputSelectsItsBoxTapsAndArithmetic();
    void clickingAnInputPixelHighlightsItsProjectiveField();
    void pixelThatFeedsRowsButNoColumns_saysNothingDependsOnIt();
    void stackedLayerFieldSpansTheStack();
    void shapePanelExplainsTheFloor();
    void hoverSelectsOnlyWhenFollowing();
    void paddedImageCopiesWhatEachModeReads();

private:
    void setParams(const core::Conv2dParams &p)
    {
        m_w->undoStack()->push(
            new SetParamsCommand(m_w->session(), m_w->session()->params(), p, "test"));
        QTRY_VERIFY_WITH_TIMEOUT(uitest::settled(*m_w), 10000);
        QTRY_COMPARE(m_w->grid()->mapCount(), p.outChannels);
    }
    MainWindow *m_w = nullptr;
};

void ReceptiveFieldTest::init()
{
    m_w = new MainWindow;
    m_w->session()->setImage(uitest::testImage(40, 30), QStringLiteral("test"));
    m_w->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_w));
    QTRY_VERIFY_WITH_TIMEOUT(uitest::settled(*m_w), 10000);
}

void ReceptiveFieldTest::cleanup()
{
    // Leave the undo stack clean first: a dirty stack emits cleanChanged from its destructor,
    // which reaches MainWindow::updateTitle after ~MainWindow has run.
    m_w->undoStack()->clear();
    delete m_w;
    m_w = nullptr;
}

void ReceptiveFieldTest::clickingAnOutputSelectsItsBoxTapsAndArithmetic()
{
    core::Conv2dParams p = m_w->session()->params();
    p.outChannels = 4;
    p.kernel = {3, 3};
    p.stride = {2, 2};
    p.padding = {2, 1};
    p.dilation = {2, 1};
    p.paddingMode = core::PaddingMode::Reflect;
    setParams(p);
    FeatureMapGrid *grid = m_w->grid();
    QCOMPARE(grid->visibleMapCount(), 4);

    // Click out[2, 0, 3] on map slot 2: a position whose taps reach into the padding.
    QCustomPlot *plot = grid->plot(2);
    QTest::mouseClick(plot, Qt::LeftButton, {}, grid->pixelCentre(2, 0, 3));
    const auto &sel = m_w->receptiveField()->selection();
    QVERIFY(sel);
    QCOMPARE(*sel, (ReceptiveFieldController::Selection{0, 2, 0, 3}));

    // The input view shows that output's field: box rows 0*2-2 .. +4, cols 3*2-1 .. +2.
    const ReceptiveFieldOverlay &o = m_w->inputView()->overlay();
    QVERIFY(o.isField());
    QCOMPARE(o.box(), (core::InputBox{-2, 5, 2, 7}));
    QCOMPARE(o.tapRows(), (std::vector<std::int64_t>{-2, 0, 2})); // dilation 2: gaps
    QCOMPARE(o.tapCols(), (std::vector<std::int64_t>{5, 6, 7}));
    QCOMPARE(o.tapsInPadding(), 3);
    // Reflect: row -2 copies row 2, so the value depends on rows 0 and 2 only.
    QCOMPARE(o.sourceRows(), (std::vector<std::int64_t>{0, 2}));
    QCOMPARE(o.inputChannels(), (core::ChannelRange{0, 3}));

    // The explain panel breaks down exactly the value the map shows.
    ExplainPanel *explain = m_w->explainPanel();
    QVERIFY(explain->explanation());
    const auto &e = *explain->explanation();
    QCOMPARE(e.o, 2);
    QCOMPARE(e.y, 0);
    QCOMPARE(e.x, 3);
    QCOMPARE(explain->mapValue(), grid->displayedValue(2, 0, 3));
    QVERIFY(explain->matchesMap());
    const auto result = m_w->session()->result();
    const core::Tensor ref =
        core::referenceConv2d(*result->input, *result->weight, result->bias.get(), result->params);
    QCOMPARE(e.value, ref.at(0, 2, 0, 3));
    QVERIFY(explain->plainText().contains(QStringLiteral("(-2, 5)\nreflect ← (2, 5)")));

    // The clicked output is outlined on its map.
    QCOMPARE(grid->highlight().channel, std::optional<std::int64_t>(2));
    QCOMPARE(grid->highlight().y, std::optional<std::int64_t>(0));

    // A drag (pan) is not a click.
    const QPoint a = grid->pixelCentre(1, 1, 1);
    QTest::mousePress(plot, Qt::LeftButton, {}, a);
    QTest::mouseMove(plot, a + QPoint(30, 20));
    QTest::mouseRelease(plot, Qt::LeftButton, {}, a + QPoint(30, 20));
    QCOMPARE(m_w->receptiveField()->selection()->channel, 2);

    // A parameter edit keeps the selection on the new numbers.
    p.bias = !p.bias;
    setParams(p);
    QTRY_COMPARE(explain->mapValue(), grid->displayedValue(2, 0, 3));
    QVERIFY(explain->matchesMap());
}

void ReceptiveFieldTest::clickingAnInputPixelHighlightsItsProjectiveField()
{
    core::Conv2dParams p = m_w->session()->params();
    p.outChannels = 2;
    p.kernel = {3, 3};
    p.stride = {2, 2};
    p.padding = {1, 1};
    setParams(p);
    InputView *input = m_w->inputView();
    input->repaint(); // the click maps through the geometry of the last paint
    QCustomPlot *plot = m_w->grid()->plot(1);
    const QImage before = plot->grab().toImage();
    // Input pixel (7, 12): rows 7 feeds outputs 3 and 4 (windows 2i-1..2i+1), col 12 feeds 6.
    const QPointF at = input->inputToWidget(7.5, 12.5);
    QTest::mouseClick(input, Qt::LeftButton, {}, at.toPoint());
    QCOMPARE(m_w->receptiveField()->inputPixel(), std::optional<QPoint>(QPoint(12, 7)));
    const MapHighlight &h = m_w->grid()->highlight();
    QCOMPARE(h.rows, (std::vector<std::int64_t>{3, 4}));
    QCOMPARE(h.cols, (std::vector<std::int64_t>{6}));
    QVERIFY(!h.channel); // every map
    // ... and drawn on them: the highlighted cells change colour, the others do not.
    QTest::qWait(50); // queued replot
    const QImage after = plot->grab().toImage();
    const QPoint in = m_w->grid()->pixelCentre(1, 4, 6), out = m_w->grid()->pixelCentre(1, 0, 0);
    QVERIFY(before.pixelColor(in) != after.pixelColor(in));
    QCOMPARE(before.pixelColor(out), after.pixelColor(out));
    QVERIFY(!m_w->receptiveField()->selection());
    QVERIFY(!m_w->explainPanel()->explanation());
    // The marker sits on the clicked pixel.
    QVERIFY(!input->overlay().isField());
    QCOMPARE(input->overlay().box(), (core::InputBox{7, 12, 7, 12}));
    // Clicking in the padding band is not an input pixel.
    QTest::mouseClick(input, Qt::LeftButton, {}, input->inputToWidget(-0.5, 3.5).toPoint());
    QCOMPARE(m_w->receptiveField()->inputPixel(), std::optional<QPoint>(QPoint(12, 7)));
}

// Stride 1 x 3 with a 1 x 1 kernel reads every row but only columns 0, 3, 6, ...: the pixel at
// column 1 feeds some rows and no column. The GUI monkey found this read the first of no
// columns (undefined behaviour, UBSan's "reference binding to null pointer").
void ReceptiveFieldTest::pixelThatFeedsRowsButNoColumns_saysNothingDependsOnIt()
{
    core::Conv2dParams p = m_w->session()->params();
    p.outChannels = 1;
    p.kernel = {1, 1};
    p.stride = {1, 3};
    p.padding = {0, 0};
    setParams(p);
    InputView *input = m_w->inputView();
    input->repaint();
    QSignalSpy status(m_w->receptiveField(), &ReceptiveFieldController::status);
    QTest::mouseClick(input, Qt::LeftButton, {}, input->inputToWidget(5.5, 1.5).toPoint());
    QCOMPARE(m_w->receptiveField()->inputPixel(), std::optional<QPoint>(QPoint(1, 5)));
    QVERIFY(m_w->grid()->highlight().cols.empty());
    QVERIFY(!status.isEmpty());
    QVERIFY2(status.last().at(0).toString().startsWith("Nothing in layer 1 depends"),
             qPrintable(status.last().at(0).toString()));
}

void ReceptiveFieldTest::stackedLayerFieldSpansTheStack()
{
    core::Conv2dParams p = m_w->session()->params();
    p.outChannels = 2;
    p.kernel = {3, 3};
    p.stride = {1, 1};
    p.padding = {1, 1};
    setParams(p);
    LayerStackModel *model = m_w->layerStack();
    model->addLayer();
    core::Conv2dParams p2 = model->params(1);
    p2.outChannels = 3;
    p2.stride = {2, 2};
    model->setLayerParams(1, p2);
    model->setShownLayer(1);
    QTRY_VERIFY(model->result(1));
    QTRY_COMPARE(m_w->grid()->mapCount(), 3);
    QCOMPARE(m_w->grid()->displayedValue(1, 2, 2), model->result(1)->output.at(0, 1, 2, 2));

    QTest::mouseClick(m_w->grid()->plot(1), Qt::LeftButton, {}, m_w->grid()->pixelCentre(1, 2, 2));
    const auto &o = m_w->inputView()->overlay();
    QVERIFY(o.isField());
    QCOMPARE(o.layer(), std::size_t(1));
    // Two 3x3 layers, the second with stride 2: r = 5, j = 2, start = -2; output 2 -> 2..6.
    QCOMPARE(o.box(), (core::InputBox{2, 2, 6, 6}));
    QCOMPARE(o.tapCount(), 25);
    // The explanation is of layer 2's value, computed from ReLU(layer 1's output).
    const auto &e = *m_w->explainPanel()->explanation();
    QCOMPARE(e.channels.size(), std::size_t(2));
    QCOMPARE(m_w->explainPanel()->mapValue(), model->result(1)->output.at(0, 1, 2, 2));
    QVERIFY(m_w->explainPanel()->matchesMap());

    // Back to layer 1: the selection is dropped (its positions meant layer 2's).
    model->setShownLayer(0);
    QVERIFY(!m_w->receptiveField()->selection());
    QTRY_COMPARE(m_w->grid()->mapCount(), 2);
}

void ReceptiveFieldTest::shapePanelExplainsTheFloor()
{
    m_w->session()->setImage(uitest::testImage(32, 32), QStringLiteral("test"));
    core::Conv2dParams p = m_w->session()->params();
    p.kernel = {3, 3};
    p.stride = {2, 2};
    p.padding = {3, 3};
    setParams(p);
    const QString html = m_w->shapePanel()->html();
    QVERIFY2(html.contains(QStringLiteral("Why H_out = 18 and not 19?")), qPrintable(html));
    QCOMPARE(m_w->inputView()->unreachedBands().rows, 1);
    QCOMPARE(m_w->inputView()->unreachedBands().firstRow, 34);
    p.padding = {1, 1}; // 32 + 2 - 3 = 31, odd: row 32 (padding) is left over
    setParams(p);
    QCOMPARE(m_w->inputView()->unreachedBands().rows, 1);
    p.stride = {1, 1};
    setParams(p);
    QVERIFY(m_w->inputView()->unreachedBands().isEmpty());
    QVERIFY(!m_w->shapePanel()->html().contains(QStringLiteral("Why H_out")));
}

void ReceptiveFieldTest::hoverSelectsOnlyWhenFollowing()
{
    core::Conv2dParams p = m_w->session()->params();
    p.outChannels = 3;
    p.groups = 3; // depthwise on RGB: out[c] reads in[c] only
    setParams(p);
    // The Connectivity dock follows the edit: a diagonal 3 x 3 matrix.
    ConnectivityView *connectivity = m_w->connectivityView();
    QCOMPARE(connectivity->params().groups, 3);
    QVERIFY(connectivity->isConnected(1, 1));
    QVERIFY(!connectivity->isConnected(1, 0));
    FeatureMapGrid *grid = m_w->grid();
    QCustomPlot *plot = grid->plot(1);
    QTest::mouseMove(plot, grid->pixelCentre(1, 4, 5));
    QVERIFY(!m_w->receptiveField()->selection()); // hovering alone selects nothing
    m_w->receptiveField()->setFollowHover(true);
    QTest::mouseMove(plot, grid->pixelCentre(1, 6, 7));
    QTRY_VERIFY(m_w->receptiveField()->selection());
    QCOMPARE(*m_w->receptiveField()->selection(),
             (ReceptiveFieldController::Selection{0, 1, 6, 7}));
    QCOMPARE(m_w->inputView()->overlay().inputChannels(), (core::ChannelRange{1, 1}));
    QCOMPARE(m_w->explainPanel()->explanation()->channels.size(), std::size_t(1));
    QCOMPARE(m_w->explainPanel()->explanation()->channels[0].inputChannel, 1);
    QVERIFY(m_w->inputView()->overlay().summary().contains(QStringLiteral("← in[1]")));
}

void ReceptiveFieldTest::paddedImageCopiesWhatEachModeReads()
{
    // The input view's padded picture, pixel by pixel against core::sourceIndex (the
    // engine's own padding rule): zeros black, the other modes the pixel they copy, and
    // positions that invalid parameters cannot reach transparent. Uneven sides, grayscale.
    QImage src(7, 5, QImage::Format_RGB32);
    for (int y = 0; y < src.height(); ++y)
        for (int x = 0; x < src.width(); ++x)
            src.setPixel(x, y, qRgb(30 * x + 5, 40 * y + 7, (11 * x * y) % 256));
    for (core::PaddingMode mode : {core::PaddingMode::Zeros, core::PaddingMode::Reflect,
                                   core::PaddingMode::Replicate, core::PaddingMode::Circular})
        for (bool gray : {false, true})
            for (const auto &[t, b, l, r] :
                 {std::array{1, 2, 3, 0}, std::array{4, 4, 6, 6}, std::array{0, 0, 0, 0}}) {
                const QImage out = buildPaddedImage(src, gray, t, b, l, r, mode);
                QCOMPARE(out.size(), QSize(7 + l + r, 5 + t + b));
                for (int y = 0; y < out.height(); ++y)
                    for (int x = 0; x < out.width(); ++x) {
                        const auto sy = core::sourceIndex(y - t, 5, mode);
                        const auto sx = core::sourceIndex(x - l, 7, mode);
                        QRgb want = qRgba(0, 0, 0, 0);
                        if (sy == -1 || sx == -1) {
                            want = qRgb(0, 0, 0);
                        } else if (sy >= 0 && sy < 5 && sx >= 0 && sx < 7) {
                            want = src.pixel(int(sx), int(sy));
                            if (gray) {
                                const int g =
                                    (299 * qRed(want) + 587 * qGreen(want) + 114 * qBlue(want))
                                    / 1000;
                                want = qRgb(g, g, g);
                            }
                        }
                        // reflect with a pad >= the size is invalid: -2 marks it transparent
                        if (sy < -1 || sy >= 5 || sx < -1 || sx >= 7)
                            want = qRgba(0, 0, 0, 0);
                        QVERIFY2(out.pixel(x, y) == want,
                                 qPrintable(QStringLiteral("mode %1 gray %2 pads %3 %4 %5 %6 at "
                                                           "(%7, %8): %9 expected %10")
                                                .arg(int(mode))
                                                .arg(gray)
                                                .arg(t)
                                                .arg(b)
                                                .arg(l)
                                                .arg(r)
                                                .arg(y)
                                                .arg(x)
                                                .arg(out.pixel(x, y), 8, 16)
                                                .arg(want, 8, 16)));
                    }
            }
}

QTEST_MAIN(ReceptiveFieldTest)
#include "receptivefield_test.moc"
