// SPDX-License-Identifier: GPL-3.0-or-later
// What the feature-map grid shows is the engine's output: values equal the reference
// convolution for the same parameters, pixels carry the gradient colour of those values,
// hovering reports them, pages cover every channel and zoom is linked.
#include "uitest_util.h"

#include "commands.h"
#include "reference_conv.h"

#include <QComboBox>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QStatusBar>
#include <QUndoStack>

#include <qcustomplot.h>

#include <cmath>

using namespace convscope;
using convscope::uitest::settled;

namespace {

core::Tensor reference(const ui::Session &s)
{
    const auto &p = s.params();
    return core::referenceConv2d(*s.inputTensor(), *s.weight(), p.bias ? s.bias().get() : nullptr,
                                 p);
}

// Non-trivial weights and bias so a mix-up of channels or taps cannot go unnoticed.
void randomWeights(ui::Session &s, unsigned seed)
{
    core::Tensor w = *s.weight();
    core::Tensor b = *s.bias();
    unsigned x = seed;
    auto next = [&x] {
        x = x * 1664525u + 1013904223u;
        return float((x >> 8) & 0xffff) / 65535.0f - 0.5f;
    };
    for (auto &v : w.data)
        v = next();
    for (auto &v : b.data)
        v = next();
    QVERIFY(s.setWeights(std::move(w), std::move(b)));
}

} // namespace

class FeatureMapGridTest : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<ui::MainWindow> m_w;

    void setParams(const core::Conv2dParams &p)
    {
        m_w->undoStack()->push(new ui::SetParamsCommand(m_w->session(), m_w->session()->params(), p,
                                                        QStringLiteral("test")));
        QTRY_VERIFY_WITH_TIMEOUT(settled(*m_w), 10000);
    }

    // Every value of every visible map equals the reference output.
    void checkValuesAgainstReference()
    {
        const auto &s = *m_w->session();
        QVERIFY(s.resultIsCurrent());
        const core::Tensor ref = reference(s);
        const auto *grid = m_w->grid();
        QCOMPARE(grid->mapCount(), int(ref.dim(1)));
        double worst = 0;
        for (int c = 0; c < grid->mapCount(); ++c)
            for (int y = 0; y < ref.dim(2); ++y)
                for (int x = 0; x < ref.dim(3); ++x) {
                    const double want = ref.at(0, c, y, x);
                    const double got = grid->displayedValue(c, y, x);
                    worst = std::max(worst, std::fabs(want - got) / (1.0 + std::fabs(want)));
                }
        QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
    }

private slots:
    void init()
    {
        m_w = uitest::openTestWindow();
        QVERIFY(settled(*m_w));
    }
    void cleanup() { m_w.reset(); }

    void valuesEqualReference_data()
    {
        QTest::addColumn<int>("groups");
        QTest::addColumn<int>("stride");
        QTest::addColumn<int>("padding");
        QTest::addColumn<int>("mode");
        QTest::addColumn<int>("dilation");
        QTest::addColumn<bool>("bias");
        QTest::newRow("default") << 1 << 1 << 1 << 0 << 1 << true;
        QTest::newRow("stride2 reflect") << 1 << 2 << 2 << 1 << 1 << true;
        QTest::newRow("grouped circular dilated") << 3 << 1 << 3 << 3 << 2 << false;
        QTest::newRow("replicate stride3") << 1 << 3 << 4 << 2 << 1 << true;
    }
    void valuesEqualReference()
    {
        QFETCH(int, groups);
        QFETCH(int, stride);
        QFETCH(int, padding);
        QFETCH(int, mode);
        QFETCH(int, dilation);
        QFETCH(bool, bias);
        core::Conv2dParams p = m_w->session()->params();
        p.outChannels = 6;
        p.kernel = {3, 5};
        p.groups = groups;
        p.stride = {stride, stride};
        p.padding = {padding, padding};
        p.paddingMode = static_cast<core::PaddingMode>(mode);
        p.dilation = {dilation, 1};
        p.bias = bias;
        setParams(p);
        randomWeights(*m_w->session(), 7u + unsigned(groups));
        QTRY_VERIFY_WITH_TIMEOUT(settled(*m_w), 10000);
        checkValuesAgainstReference();
    }

    void pixelsCarryTheGradientColourOfTheValue()
    {
        randomWeights(*m_w->session(), 3u);
        QTRY_VERIFY_WITH_TIMEOUT(settled(*m_w), 10000);
        auto *grid = m_w->grid();
        for (auto mode : {ui::RangeMode::PerMap, ui::RangeMode::Global}) {
            m_w->session()->setRangeMode(mode);
            for (int c : {0, 5}) {
                const QImage img = grid->mapImage(c);
                const ui::ValueRange r = grid->displayedRange(c);
                QCOMPARE(img.size(), QSize(40, 30));
                for (int y : {0, 13, 29})
                    for (int x : {0, 21, 39}) {
                        const float v = grid->displayedValue(c, y, x);
                        const int idx = int(
                            std::clamp((v - r.lo) * 255.0f / (r.hi - r.lo) + 0.5f, 0.0f, 255.0f));
                        QCOMPARE(img.pixel(x, y) | 0xff000000u,
                                 ui::lut(m_w->session()->gradient())[std::size_t(idx)]);
                    }
            }
        }
        // And on screen: the plot (magnified here, 40x30 values in a few hundred pixels)
        // paints each value as a square of exactly that colour.
        m_w->session()->setRangeMode(ui::RangeMode::PerMap);
        for (int slot : {0, 3}) {
            QCustomPlot *plot = grid->plot(slot);
            QVERIFY(plot->axisRect()->width() > 80);
            const QImage shot = plot->grab().toImage();
            const QImage full = grid->mapImage(slot);
            for (int y : {0, 11, 29})
                for (int x : {0, 17, 39}) {
                    const QPoint at(int(plot->xAxis->coordToPixel(x + 0.5)),
                                    int(plot->yAxis->coordToPixel(y + 0.5)));
                    QCOMPARE(shot.pixel(at) | 0xff000000u, full.pixel(x, y) | 0xff000000u);
                }
        }
        // Diverging: symmetric range, so zero is the middle colour.
        const ui::ValueRange r = grid->displayedRange(0);
        QCOMPARE(r.lo, -r.hi);
    }

    void workerPreviewsAreWhatTheGridShows()
    {
        // A photo-sized input, so every map is shrunk into its plot: the worker colours the
        // visible maps of the next result for the view they had when the run started, and
        // the plots draw those images. Each must carry the grid's own region and range, and
        // each pixel the colour of the mean of the 2x2 values under it.
        m_w->session()->setImage(uitest::testImage(400, 300), QStringLiteral("big"));
        QTRY_VERIFY_WITH_TIMEOUT(settled(*m_w), 10000);
        randomWeights(*m_w->session(), 11u);
        QTRY_VERIFY_WITH_TIMEOUT(settled(*m_w), 10000);
        core::Conv2dParams p = m_w->session()->params();
        p.paddingMode = p.paddingMode == core::PaddingMode::Reflect ? core::PaddingMode::Zeros
                                                                    : core::PaddingMode::Reflect;
        setParams(p); // same map size: the requested views still apply
        auto *grid = m_w->grid();
        const auto result = m_w->session()->result();
        const std::vector<ui::MapRequest> shown = grid->mapRequests();
        QCOMPARE(int(shown.size()), grid->visibleMapCount());
        QCOMPARE(result->previews.size(), shown.size());
        const int w = int(result->output.dim(3));
        const std::size_t plane = std::size_t(w) * std::size_t(result->output.dim(2));
        const ui::Lut &table = ui::lut(m_w->session()->gradient());
        for (std::size_t i = 0; i < shown.size(); ++i) {
            const ui::MapPreview &pv = result->previews[i];
            QCOMPARE(pv.channel, shown[i].channel);
            QVERIFY(pv.region == shown[i].region);
            QVERIFY(pv.range == grid->displayedRange(pv.channel));
            const ui::MapRegion &r = pv.region;
            QVERIFY(r.ow < r.sw); // shrunk
            QCOMPARE(pv.image.size(), QSize(r.ow, r.oh));
            const float *v = result->output.data.data() + std::size_t(pv.channel) * plane;
            for (int y : {0, r.oh / 2, r.oh - 1})
                for (int x : {0, r.ow / 3, r.ow - 1}) {
                    const int ya = r.y0 + int((y + 0.25) * r.sh / r.oh);
                    const int yb = r.y0 + std::min(r.sh - 1, int((y + 0.75) * r.sh / r.oh));
                    const int xa = r.x0 + int((x + 0.25) * r.sw / r.ow);
                    const int xb = r.x0 + std::min(r.sw - 1, int((x + 0.75) * r.sw / r.ow));
                    const float mean =
                        0.25f * (v[ya * w + xa] + v[ya * w + xb] + v[yb * w + xa] + v[yb * w + xb]);
                    const int idx = int(std::clamp(
                        (mean - pv.range.lo) * 255.0f / (pv.range.hi - pv.range.lo) + 0.5f, 0.0f,
                        255.0f));
                    QCOMPARE(pv.image.pixel(x, y) | 0xff000000u, table[std::size_t(idx)]);
                }
        }
        // A display change after the run (another gradient) makes the previews stale: the
        // plots must not draw them.
        m_w->session()->setGradient(ui::Gradient::Grayscale);
        QCustomPlot *plot = grid->plot(0);
        const QImage shot = plot->grab().toImage();
        const ui::MapPreview &pv = result->previews[0];
        const QPoint centre(int(plot->xAxis->coordToPixel(pv.region.x0 + pv.region.sw / 2.0)),
                            int(plot->yAxis->coordToPixel(pv.region.y0 + pv.region.sh / 2.0)));
        const QRgb onScreen = shot.pixel(centre) | 0xff000000u;
        QCOMPARE(qRed(onScreen), qGreen(onScreen)); // gray, not the diverging preview
        QCOMPARE(qGreen(onScreen), qBlue(onScreen));
    }

    void toolbarWrapsInsteadOfSqueezingItsControls()
    {
        // Presentation fonts in a 1200 px window: the colour and page controls no longer fit
        // on one line, so they take two rather than cutting "Diverging (signed)" short.
        m_w->setMaximumSize(1200, 800); // like a screen: the offscreen window would just grow
        m_w->setPresentationMode(true);
        for (const char *name : {"gradient", "rangeMode", "perPage"}) {
            auto *box = m_w->grid()->findChild<QComboBox *>(QLatin1String(name));
            QVERIFY(box);
            QTRY_VERIFY2(box->width() >= box->sizeHint().width(),
                         qPrintable(QStringLiteral("%1: %2 px for a %3 px text")
                                        .arg(QLatin1String(name))
                                        .arg(box->width())
                                        .arg(box->sizeHint().width())));
        }
        m_w->setPresentationMode(false);
    }

    void hoverShowsValueInStatusBar()
    {
        auto *grid = m_w->grid();
        QCustomPlot *plot = grid->plot(2);
        QVERIFY(plot);
        // Centre of pixel (x=10, y=7) of map 2.
        const QPointF pos(plot->xAxis->coordToPixel(10.5), plot->yAxis->coordToPixel(7.5));
        QMouseEvent move(QEvent::MouseMove, pos, plot->mapToGlobal(pos), Qt::NoButton, Qt::NoButton,
                         Qt::NoModifier);
        QSignalSpy hovered(grid, &ui::FeatureMapGrid::hovered);
        QApplication::sendEvent(plot, &move);
        QCOMPARE(hovered.count(), 1);
        const QString text = hovered.at(0).at(0).toString();
        QCOMPARE(text, grid->hoverText(2, 7, 10));
        QVERIFY(text.startsWith(QStringLiteral("out[2, 7, 10] = ")));
        const double shown = text.section(QLatin1Char('='), 1).trimmed().toDouble();
        QVERIFY(std::fabs(shown - reference(*m_w->session()).at(0, 2, 7, 10)) < 1e-4);
        QCOMPARE(m_w->statusBar()->currentMessage(), text);
    }

    void manyChannelsArePaged()
    {
        core::Conv2dParams p = m_w->session()->params();
        p.outChannels = 64;
        setParams(p);
        auto *grid = m_w->grid();
        QCOMPARE(grid->mapCount(), 64);
        QCOMPARE(grid->visibleMapCount(), grid->mapsPerPage());
        QCOMPARE(grid->pageCount(), 64 / grid->mapsPerPage());
        grid->setPage(grid->pageCount() - 1);
        QCOMPARE(grid->firstChannel(), 64 - grid->mapsPerPage());
        QCOMPARE(grid->displayedValue(63, 4, 4), reference(*m_w->session()).at(0, 63, 4, 4));
        grid->setMapsPerPage(64);
        QCOMPARE(grid->visibleMapCount(), 64);
        QCOMPARE(grid->pageCount(), 1);
    }

    void zoomIsLinked()
    {
        auto *grid = m_w->grid();
        QVERIFY(grid->visibleMapCount() >= 2);
        grid->plot(0)->xAxis->setRange(5, 15);
        grid->plot(0)->yAxis->setRange(2, 9);
        for (int i = 1; i < grid->visibleMapCount(); ++i) {
            QCOMPARE(grid->plot(i)->xAxis->range().lower, 5.0);
            QCOMPARE(grid->plot(i)->yAxis->range().upper, 9.0);
        }
        grid->resetZoom();
        QCOMPARE(grid->plot(1)->xAxis->range().upper, 40.0);
    }

    void staleResultsAreNeverPublished()
    {
        // Many edits in a row: every published result matches the parameters of its time.
        auto *s = m_w->session();
        int published = 0;
        bool allCurrent = true;
        connect(s, &ui::Session::resultChanged, this, [&] {
            ++published;
            allCurrent = allCurrent && s->resultIsCurrent();
        });
        const int runsBefore = m_w->controller()->runsStarted();
        for (int k = 1; k <= 9; ++k) {
            core::Conv2dParams p = s->params();
            p.kernel = {k, k};
            s->setParams(p);
        }
        QTRY_VERIFY_WITH_TIMEOUT(settled(*m_w), 10000);
        QVERIFY(allCurrent);
        QVERIFY(published >= 1);
        QCOMPARE(s->result()->params.kernel, (core::Hw{9, 9}));
        // Edits made in one event-loop turn coalesce into one run.
        QCOMPARE(m_w->controller()->runsStarted() - runsBefore, 1);
        checkValuesAgainstReference();
    }

    void slowRunShowsProgressAndNewerEditCancelsIt()
    {
        // A run long enough to be caught in flight: 1200x1200 RGB -> 64 maps, 7x7 kernel
        // (~2.5G multiply-adds, hundreds of ms here).
        auto *s = m_w->session();
        auto *c = m_w->controller();
        c->setProgressDelayMs(20);
        QSignalSpy shown(c, &ui::ComputeController::progressVisible);
        core::Conv2dParams p = s->params();
        p.outChannels = 64;
        p.kernel = {7, 7};
        p.padding = {3, 3};
        s->setParams(p);
        s->setImage(uitest::testImage(1200, 1200), QStringLiteral("big"));
        QTRY_VERIFY_WITH_TIMEOUT(c->isBusy() && shown.count() >= 1, 20000);
        QCOMPARE(shown.at(0).at(0).toBool(), true);
        // A newer edit while the run is in flight: the stale run stops, the new one wins.
        const int cancelledBefore = c->runsCancelled();
        const int stoppedBefore = c->runsStoppedEarly();
        p.outChannels = 2;
        s->setParams(p);
        QTRY_VERIFY_WITH_TIMEOUT(settled(*m_w), 60000);
        QVERIFY(c->runsCancelled() > cancelledBefore);
        // ... and it stopped inside conv2d (progress callback returned false), not after.
        QVERIFY(c->runsStoppedEarly() > stoppedBefore);
        QCOMPARE(s->result()->params.outChannels, 2);
        QCOMPARE(shown.last().at(0).toBool(), false); // the bar went away again
        QCOMPARE(m_w->grid()->mapCount(), 2);
    }
};

QTEST_MAIN(FeatureMapGridTest)
#include "featuremapgrid_test.moc"
