// SPDX-License-Identifier: GPL-3.0-or-later
// The Effective field dock: selecting an output shows core's gradient of it (the numbers the
// CLI gives), follows edits of the stack, publishes only the newest selection's result when
// selections come faster than runs, and says why when there is nothing to show.
#include "uitest_util.h"

#include "backward.h"
#include "commands.h"
#include "erfmodel.h"
#include "erfpanel.h"
#include "erfview.h"
#include "layerstackmodel.h"
#include "receptivefieldcontroller.h"

#include <QComboBox>
#include <QSignalSpy>
#include <QUndoStack>

using namespace convscope;
using namespace convscope::ui;

class EffectiveFieldTest : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void selectingAnOutput_showsCoresGradientOfIt();
    void editingTheStack_recomputesTheField();
    void fastSelections_publishOnlyTheNewest();
    void pathsAndCoverage_countWhatTheGeometryReads();

private:
    void setParams(const core::Conv2dParams &p)
    {
        m_w->undoStack()->push(
            new SetParamsCommand(m_w->session(), m_w->session()->params(), p, "test"));
        QTRY_VERIFY_WITH_TIMEOUT(uitest::settled(*m_w), 10000);
    }
    void waitForField() { QTRY_VERIFY_WITH_TIMEOUT(!m_w->erfModel()->isBusy(), 10000); }
    MainWindow *m_w = nullptr;
};

void EffectiveFieldTest::init()
{
    m_w = new MainWindow;
    m_w->session()->setImage(uitest::testImage(40, 30), QStringLiteral("test"));
    m_w->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_w));
    QTRY_VERIFY_WITH_TIMEOUT(uitest::settled(*m_w), 10000);
}

void EffectiveFieldTest::cleanup()
{
    m_w->undoStack()->clear();
    delete m_w;
    m_w = nullptr;
}

void EffectiveFieldTest::selectingAnOutput_showsCoresGradientOfIt()
{
    core::Conv2dParams p = m_w->session()->params();
    p.outChannels = 4;
    p.kernel = {3, 3};
    p.padding = {1, 1};
    setParams(p);
    ErfModel *erf = m_w->erfModel();
    QVERIFY(!erf->result());
    QVERIFY(m_w->erfPanel()->caption().contains("Click an output"));
    QSignalSpy spy(erf, &ErfModel::resultChanged);
    QVERIFY(m_w->receptiveField()->selectOutput(2, 10, 12));
    QTRY_VERIFY_WITH_TIMEOUT(erf->result() != nullptr, 10000);
    QVERIFY(spy.count() >= 1);
    const auto r = erf->result();
    QCOMPARE(r->target, (ErfTarget{0, 2, 10, 12}));
    QCOMPARE(r->h, 30);
    QCOMPARE(r->w, 40);
    // The same numbers as core on the same network and input.
    core::Tensor grad;
    QCOMPARE(core::inputGradient(m_w->layerStack()->network(), *m_w->session()->inputTensor(),
                                 core::GradientTarget::at(1, 2, 10, 12), grad),
             core::ForwardStatus::Done);
    const std::vector<double> want = core::channelMagnitude(grad);
    QCOMPARE(r->map.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        QCOMPARE(r->map[i], want[i]);
    // The box of a 3 x 3 window at (10, 12) with padding 1, and only it is drawn with a margin.
    QCOMPARE(r->box, (core::Box{9, 11, 12, 14}));
    QVERIFY(m_w->erfPanel()->view()->shownRegion().contains(QRect(11, 9, 3, 3)));
    QVERIFY(m_w->erfPanel()->caption().contains("box 3 × 3"));
    QVERIFY(m_w->erfPanel()->caption().contains("ERF radius"));
}

void EffectiveFieldTest::editingTheStack_recomputesTheField()
{
    ErfModel *erf = m_w->erfModel();
    QVERIFY(m_w->receptiveField()->selectOutput(0, 8, 8));
    waitForField();
    QTRY_VERIFY_WITH_TIMEOUT(erf->result() != nullptr, 10000);
    const core::Box before = erf->result()->box;
    core::Conv2dParams p = m_w->session()->params();
    p.kernel = {5, 5};
    p.padding = {2, 2};
    setParams(p);
    // The selection survives the edit; the field is the new kernel's.
    QTRY_VERIFY_WITH_TIMEOUT(erf->result() && erf->result()->box.height() == 5, 10000);
    QVERIFY(!(erf->result()->box == before));
}

void EffectiveFieldTest::fastSelections_publishOnlyTheNewest()
{
    ErfModel *erf = m_w->erfModel();
    QSignalSpy spy(erf, &ErfModel::resultChanged);
    for (int x = 0; x < 10; ++x)
        erf->setTarget(ErfTarget{0, 0, 5, x});
    waitForField();
    QTRY_VERIFY_WITH_TIMEOUT(erf->result() != nullptr, 10000);
    QCOMPARE(erf->result()->target, (ErfTarget{0, 0, 5, 9}));
    // Stale runs are dropped, not published one after another.
    QVERIFY(spy.count() < 10);
    // A target outside the layer says why instead of showing a stale field.
    erf->setTarget(ErfTarget{0, 0, 500, 0});
    waitForField();
    QTRY_VERIFY_WITH_TIMEOUT(!erf->error().isEmpty(), 10000);
    QVERIFY(erf->error().contains("rows [500, 501) are outside"));
    QVERIFY(m_w->erfPanel()->caption().contains("rows [500, 501)"));
}

void EffectiveFieldTest::pathsAndCoverage_countWhatTheGeometryReads()
{
    core::Conv2dParams p = m_w->session()->params();
    p.kernel = {2, 2};
    p.stride = {3, 3};
    p.padding = {0, 0};
    setParams(p);
    ErfModel *erf = m_w->erfModel();
    QComboBox *mode = m_w->erfPanel()->modeBox();
    mode->setCurrentIndex(mode->findData(int(ErfMode::Coverage)));
    QCOMPARE(erf->mode(), ErfMode::Coverage);
    waitForField();
    QTRY_VERIFY_WITH_TIMEOUT(erf->result() && erf->result()->mode == ErfMode::Coverage, 10000);
    // Windows at 0, 3, 6, ...: every third row and column is never read.
    const auto c = erf->result();
    QCOMPARE(c->map[static_cast<std::size_t>(0)], 1.0);
    QCOMPARE(c->map[static_cast<std::size_t>(2)], 0.0);
    QCOMPARE(c->maxValue, 1.0);
    QVERIFY(m_w->erfPanel()->caption().contains("pixels never"));

    mode->setCurrentIndex(mode->findData(int(ErfMode::Paths)));
    QVERIFY(m_w->receptiveField()->selectOutput(0, 2, 3));
    waitForField();
    QTRY_VERIFY_WITH_TIMEOUT(erf->result() && erf->result()->mode == ErfMode::Paths, 10000);
    // out[0, 2, 3] of a 2 x 2 window reads rows 6-7, columns 9-10, once per input channel.
    const auto r = erf->result();
    QCOMPARE(r->box, (core::Box{6, 9, 8, 11}));
    QCOMPARE(r->map[static_cast<std::size_t>(6 * 40 + 9)], 3.0);
    QCOMPARE(r->boxZeros, 0);
}

QTEST_MAIN(EffectiveFieldTest)
#include "effectivefield_test.moc"
