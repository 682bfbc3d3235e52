// SPDX-License-Identifier: GPL-3.0-or-later
// Teaching mode inside the main window: a lesson step reaches the session as one undoable
// edit, locked controls are disabled and given back, Page Down works from anywhere in the
// window, the stepping reports full-size positions, and presentation mode leaves only the
// lesson's panels.
#include "uitest_util.h"

#include "commands.h"
#include "kernelpanel.h"
#include "layerstackmodel.h"
#include "lesson.h"
#include "parameterpanel.h"
#include "receptivefieldcontroller.h"
#include "stepthroughview.h"
#include "teachingmode.h"
#include "teachingpanel.h"

#include <QDir>
#include <QDockWidget>
#include <QLineEdit>
#include <QMainWindow>
#include <QMenuBar>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

using namespace convscope;
using namespace convscope::ui;

namespace {

QString shipped(const QString &part)
{
    for (const QString &p : shippedLessonPaths())
        if (p.contains(part))
            return p;
    return {};
}

QAction *menuAction(QMenuBar *bar, const QString &menu, const QString &text)
{
    for (QAction *m : bar->actions())
        if (m->menu() && m->text().remove('&') == menu)
            for (QAction *a : m->menu()->actions())
                if (a->text().remove('&').startsWith(text))
                    return a;
    return nullptr;
}

} // namespace

class TeachingModeTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void menus_exist();
    void lessonStep_appliedAsOneUndoableEdit();
    void lockedControls_disabledAndGivenBack();
    void lockedControls_stayLockedThroughParameterEdits();
    void host_getsLocksAsFieldsAndMenusAtItsAnchors();
    void presentationSwitch_reachesTheLessonPanel();
    void pageDown_fromAnywhereInTheWindow();
    void stepping_selectsTheOutputInTheFullSizeView();
    void stepping_reportsFullSizePositions();
    void presentation_showsOnlyTheLessonPanels();
    void saveStateAsStep_appendsALoadableStep();
    void toggling_doesNotGrowTheWindow();
    void restoredLayout_isAdopted();
    void screenshots();
    void cleanupTestCase();

private:
    std::unique_ptr<MainWindow> m_w;
    TeachingMode *m_t = nullptr;
};

void TeachingModeTest::initTestCase()
{
    m_w = std::make_unique<MainWindow>();
    m_w->session()->setImage(uitest::testImage(), QStringLiteral("test"));
    m_t = m_w->findChild<TeachingMode *>(); // the window makes its own
    QVERIFY(m_t);
    m_w->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_w.get()));
}

void TeachingModeTest::menus_exist()
{
    QVERIFY(menuAction(m_w->menuBar(), "View", "Teaching Mode"));
    QVERIFY(menuAction(m_w->menuBar(), "File", "Open Lesson"));
    QVERIFY(menuAction(m_w->menuBar(), "Lesson", "Save Current State as Step"));
    QVERIFY(menuAction(m_w->menuBar(), "Lesson", "Next Step"));
}

void TeachingModeTest::lessonStep_appliedAsOneUndoableEdit()
{
    const core::Conv2dParams before = m_w->session()->params();
    const int undoBefore = m_w->undoStack()->count();
    QString error;
    QVERIFY2(m_t->openLessonFile(shipped("stride-and-padding"), &error), qPrintable(error));
    QVERIFY(m_t->isOn());
    const LessonStep &step = m_t->panel()->lesson()->steps[0];
    QCOMPARE(m_w->session()->params(), step.params);
    const auto [w, b] = lessonWeights(step.params, step.kernel);
    QCOMPARE(*m_w->session()->weight(), w);
    QCOMPARE(m_w->undoStack()->count(), undoBefore + 1); // one macro for params + weights
    // The panel steps through the session's configuration on its own grid.
    QCOMPARE(m_t->panel()->params(), step.params);
    m_w->undoStack()->undo();
    QCOMPARE(m_w->session()->params(), before);
    m_w->undoStack()->redo();
    QCOMPARE(m_w->session()->params(), step.params);
}

void TeachingModeTest::lockedControls_disabledAndGivenBack()
{
    QString error;
    QVERIFY(m_t->openLessonFile(shipped("stride-and-padding"), &error));
    // Step 1 locks kernel_size, in_channels and out_channels.
    auto *kernelH = m_w->parameterPanel()->findChild<QSpinBox *>("kernelH");
    auto *strideH = m_w->parameterPanel()->findChild<QSpinBox *>("strideH");
    auto *outChannels = m_w->parameterPanel()->findChild<QSpinBox *>("outChannels");
    QVERIFY(kernelH && strideH && outChannels);
    QVERIFY(!kernelH->isEnabled());
    QVERIFY(!outChannels->isEnabled());
    QVERIFY(strideH->isEnabled());
    m_t->panel()->goToLessonStep(2); // locks nothing
    QVERIFY(kernelH->isEnabled());
    m_t->panel()->goToLessonStep(0);
    QVERIFY(!kernelH->isEnabled());
    m_t->setOn(false); // leaving teaching mode unlocks everything
    QVERIFY(kernelH->isEnabled());
    QVERIFY(outChannels->isEnabled());
}

void TeachingModeTest::lockedControls_stayLockedThroughParameterEdits()
{
    QString error;
    QVERIFY(m_t->openLessonFile(shipped("stride-and-padding"), &error));
    auto *kernelH = m_w->parameterPanel()->findChild<QSpinBox *>("kernelH");
    auto *kernelSlider = m_w->parameterPanel()->findChild<QWidget *>("kernelSlider");
    auto *outSlider = m_w->parameterPanel()->findChild<QWidget *>("outChannelsSlider");
    QVERIFY(kernelH && kernelSlider && outSlider);
    QVERIFY(m_w->parameterPanel()->isLocked(core::Field::Kernel));
    QVERIFY(!kernelH->isEnabled());
    QVERIFY(!kernelSlider->isEnabled());
    QVERIFY(!outSlider->isEnabled()); // out_channels is locked, its slider too
    // An edit of another field re-syncs every control: the locked ones stay locked.
    core::Conv2dParams p = m_w->session()->params();
    p.stride = {p.stride.h + 1, p.stride.w + 1};
    m_w->undoStack()->push(new SetParamsCommand(m_w->session(), m_w->session()->params(), p,
                                                QStringLiteral("stride")));
    QVERIFY(!kernelH->isEnabled());
    QVERIFY(!kernelSlider->isEnabled());
    m_w->undoStack()->undo();
    QVERIFY(!kernelH->isEnabled());
    m_t->setOn(false);
    QVERIFY(!m_w->parameterPanel()->isLocked(core::Field::Kernel));
    QVERIFY(kernelH->isEnabled());
    QVERIFY(outSlider->isEnabled());
}

void TeachingModeTest::host_getsLocksAsFieldsAndMenusAtItsAnchors()
{
    // Teaching mode in a bare QMainWindow: it needs only what the host hands it.
    QMainWindow window;
    Session session;
    session.setImage(uitest::testImage(), QStringLiteral("test"));
    QUndoStack undo;
    KernelPanel kernel;
    QMenu *file = window.menuBar()->addMenu(QStringLiteral("F"));
    QAction *open = file->addAction(QStringLiteral("open"));
    QAction *fileEnd = file->addSeparator();
    QMenu *view = window.menuBar()->addMenu(QStringLiteral("V"));
    QAction *present = view->addAction(QStringLiteral("present"));
    QAction *full = view->addAction(QStringLiteral("full"));
    QMenu *help = window.menuBar()->addMenu(QStringLiteral("H"));
    std::map<core::Field, bool> locks;
    TeachingHost host;
    host.window = &window;
    host.session = &session;
    host.undoStack = &undo;
    host.kernelPanel = &kernel;
    host.lockParameter = [&](core::Field f, bool on) { locks[f] = on; };
    host.viewMenu = view;
    host.viewBefore = full;
    host.fileMenu = file;
    host.fileBefore = fileEnd;
    host.menuBarBefore = help->menuAction();
    auto *t = new TeachingMode(host);
    QCOMPARE(t->parent(), &window);

    QCOMPARE(view->actions().indexOf(t->toggleAction()), view->actions().indexOf(present) + 1);
    const QList<QAction *> fileActions = file->actions();
    QCOMPARE(fileActions.indexOf(open), 0);
    QVERIFY(fileActions.indexOf(fileEnd) > 2); // the lesson entries went in before it
    const QList<QAction *> bar = window.menuBar()->actions();
    QCOMPARE(bar.indexOf(help->menuAction()), bar.size() - 1);
    QVERIFY(bar.at(bar.size() - 2)->menu()); // the Lesson menu, before Help

    QString error;
    QVERIFY2(t->openLessonFile(shipped("stride-and-padding"), &error), qPrintable(error));
    QCOMPARE(session.params(), t->panel()->lesson()->steps[0].params);
    QCOMPARE(undo.count(), 1);
    QVERIFY(locks[core::Field::Kernel]);
    QVERIFY(locks[core::Field::InChannels]);
    QVERIFY(locks[core::Field::OutChannels]);
    QVERIFY(!locks[core::Field::Stride]);
    QVERIFY(!locks.count(core::Field::Weight)); // the kernel panel is not a parameter control
    QVERIFY(!locks.count(core::Field::Input));  // the teaching panel's own
    QVERIFY(kernel.isEnabled());
    t->setOn(false);
    QVERIFY(!locks[core::Field::Kernel]);
    undo.clear();
}

void TeachingModeTest::presentationSwitch_reachesTheLessonPanel()
{
    QAction *present = m_w->action(ActionId::PresentationMode);
    QVERIFY(present);
    QVERIFY(!m_t->panel()->isPresentationMode());
    present->toggle();
    QVERIFY(m_w->isPresentationMode());
    QVERIFY(m_t->panel()->isPresentationMode());
    present->toggle();
    QVERIFY(!m_w->isPresentationMode());
    QVERIFY(!m_t->panel()->isPresentationMode());
}

void TeachingModeTest::pageDown_fromAnywhereInTheWindow()
{
    QString error;
    QVERIFY(m_t->openLessonFile(shipped("dilation"), &error));
    QCOMPARE(m_t->panel()->lessonStepIndex(), 0);
    // Focus in the parameter panel, not the teaching panel: a presenter remote still works.
    m_w->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_w.get()));
    auto *strideH = m_w->parameterPanel()->findChild<QSpinBox *>("strideH");
    strideH->setFocus();
    QTRY_VERIFY(strideH->hasFocus());
    QTest::keyClick(strideH, Qt::Key_PageDown);
    QCOMPARE(m_t->panel()->lessonStepIndex(), 1);
    QCOMPARE(m_w->session()->params().dilation, (core::Hw{2, 2}));
    QTest::keyClick(strideH, Qt::Key_PageUp);
    QCOMPARE(m_t->panel()->lessonStepIndex(), 0);
}

void TeachingModeTest::stepping_selectsTheOutputInTheFullSizeView()
{
    QString error;
    QVERIFY(m_t->openLessonFile(shipped("stride-and-padding"), &error));
    m_t->panel()->goToLessonStep(3); // stride 1, zero padding 1: grid and image agree
    QTRY_VERIFY_WITH_TIMEOUT(uitest::settled(*m_w), 10000);
    ReceptiveFieldController *rf = m_w->receptiveField();
    QVERIFY(rf);
    for (int step : {0, 7, 20}) {
        m_t->panel()->seek(step);
        const core::OutputPosition p = m_t->panel()->stepper()->position();
        QTRY_VERIFY(rf->selection().has_value());
        QCOMPARE(rf->selection()->channel, int(p.o));
        QCOMPARE(rf->selection()->y, int(p.y));
        QCOMPARE(rf->selection()->x, int(p.x));
    }
    // With a deeper layer shown in the maps, a position of layer 1 selects nothing there.
    LayerStackModel *layers = m_w->layerStack();
    layers->addLayer();
    layers->setShownLayer(1);
    QTRY_VERIFY_WITH_TIMEOUT(layers->result(1) != nullptr && !layers->isComputing(), 10000);
    rf->clearSelection();
    m_t->panel()->seek(3);
    QTest::qWait(50);
    QVERIFY(!rf->selection().has_value());
    layers->setShownLayer(0);
    layers->removeLayer(1);
}

void TeachingModeTest::stepping_reportsFullSizePositions()
{
    QString error;
    QVERIFY(m_t->openLessonFile(shipped("stride-and-padding"), &error));
    m_t->panel()->goToLessonStep(1); // stride 2
    QList<std::tuple<int, int, int>> selected;
    m_t->setOutputSelector([&](int c, int y, int x) { selected.append({c, y, x}); });
    LessonInput crop = m_t->panel()->gridInput();
    crop.source = GridSource::Image;
    crop.cropY = 5; // snapped to the stride: 4, i.e. output row 2
    crop.cropX = 8; // output column 4
    m_t->panel()->setGridInput(crop);
    QVERIFY2(m_t->panel()->problem().isEmpty(), qPrintable(m_t->panel()->problem()));
    selected.clear();
    m_t->panel()->goFirst();
    m_t->panel()->stepForward();
    QVERIFY(!selected.isEmpty());
    QCOMPARE(selected.last(), std::make_tuple(0, 2, 5));
    ReceptiveFieldController *rf = m_w->receptiveField();
    m_t->setOutputSelector([rf](int c, int y, int x) { rf->selectOutput(c, y, x); });
}

void TeachingModeTest::presentation_showsOnlyTheLessonPanels()
{
    m_t->setOn(false);
    QList<QDockWidget *> all;
    for (QDockWidget *d : m_w->findChildren<QDockWidget *>())
        if (d != m_t->dock() && d->isVisible())
            all << d;
    QVERIFY(all.size() >= 3);
    // Teaching: the parameters and the input stay, the rest makes room.
    m_t->setOn(true);
    QList<QDockWidget *> teaching;
    for (QDockWidget *d : all) {
        const bool kept = d->objectName() == "parametersDock" || d->objectName() == "inputDock";
        QCOMPARE(d->isVisible(), kept);
        if (kept)
            teaching << d;
    }
    QCOMPARE(teaching.size(), 2);
    // Presenting: only the lesson.
    m_w->setPresentationMode(true);
    QVERIFY(m_t->panel()->isPresentationMode());
    for (QDockWidget *d : all)
        QVERIFY2(!d->isVisible(), qPrintable(d->objectName()));
    QVERIFY(m_t->dock()->isVisible());
    QVERIFY(!m_w->centralWidget()->isVisible());
    m_w->setPresentationMode(false);
    QVERIFY(!m_t->panel()->isPresentationMode());
    QVERIFY(m_w->centralWidget()->isVisible());
    for (QDockWidget *d : teaching)
        QVERIFY2(d->isVisible(), qPrintable(d->objectName()));
    // Leaving teaching mode gives the window back as it was.
    m_t->setOn(false);
    for (QDockWidget *d : all)
        QVERIFY2(d->isVisible(), qPrintable(d->objectName()));
}

void TeachingModeTest::saveStateAsStep_appendsALoadableStep()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("class.json");
    QString error;
    QVERIFY2(m_t->saveStateAsStep(path, &error), qPrintable(error));
    QVERIFY2(m_t->saveStateAsStep(path, &error), qPrintable(error));
    const auto lesson = loadLesson(path, &error);
    QVERIFY2(lesson.has_value(), qPrintable(error));
    QCOMPARE(lesson->steps.size(), 2);
    QCOMPARE(lesson->steps[0].params, m_t->panel()->params());
}

void TeachingModeTest::toggling_doesNotGrowTheWindow()
{
    // Whatever the window needs without teaching mode, switching teaching mode on (which
    // hides docks to make room before its own shows) must not grow it, nor must switching
    // back and forth.
    m_t->setOn(false);
    m_w->resize(1400, 1050);
    QTest::qWait(50);
    const QSize size = m_w->size();
    for (int i = 0; i < 3; ++i) {
        m_t->setOn(true);
        QTest::qWait(20);
        QCOMPARE(m_w->size(), size);
        m_t->setOn(false);
        QTest::qWait(20);
        QCOMPARE(m_w->size(), size);
    }
}

void TeachingModeTest::restoredLayout_isAdopted()
{
    // Quitting while teaching saves a layout with the teaching dock shown and others hidden;
    // restoring it must count as teaching mode, and leaving it must bring the docks back.
    m_t->setOn(false);
    QList<QDockWidget *> all;
    for (QDockWidget *d : m_w->findChildren<QDockWidget *>())
        if (d != m_t->dock() && !d->isHidden())
            all << d;
    m_t->setOn(true);
    const QByteArray state = m_w->saveState();
    m_t->setOn(false);
    QVERIFY(!m_t->isOn());
    QVERIFY(m_w->restoreState(state));
    QTRY_VERIFY(m_t->isOn());
    QVERIFY(m_t->toggleAction()->isChecked());
    m_t->setOn(false);
    for (QDockWidget *d : all)
        QVERIFY2(!d->isHidden(), qPrintable(d->objectName()));
}

// Not a check: with CONVSCOPE_SHOT_DIR set (run under xvfb-run with QT_QPA_PLATFORM=xcb)
// it saves the README's pictures of the real window.
void TeachingModeTest::screenshots()
{
    const QString dir = qEnvironmentVariable("CONVSCOPE_SHOT_DIR");
    if (dir.isEmpty())
        QSKIP("set CONVSCOPE_SHOT_DIR to save screenshots");
    m_w->openSample();
    m_w->resize(1600, 1000);
    QString error;
    QVERIFY(m_t->openLessonFile(shipped("stride-and-padding"), &error));
    m_t->panel()->goToLessonStep(5); // stride 2, replicate padding, Sobel x, asks H_out
    m_w->resize(1600, 1000);
    m_t->setOn(true);
    // A crop of the sample picture (the house's wall and the left edge of its window)
    // instead of the pattern.
    LessonInput crop = m_t->panel()->gridInput();
    crop.source = GridSource::Image;
    crop.cropY = 166;
    crop.cropX = 54;
    m_t->panel()->setGridInput(crop);
    QVERIFY(m_t->panel()->ask(core::QuizKind::OutputHeight));
    auto *answer = m_t->panel()->findChild<QLineEdit *>("answer");
    QTest::keyClicks(answer, "4");
    QTest::keyClick(answer, Qt::Key_Return);
    m_t->panel()->seek(8); // out[0, 0, 2, 0]: replicated padding and a vertical edge
    QTest::qWait(600);
    QTRY_VERIFY_WITH_TIMEOUT(uitest::settled(*m_w), 10000);
    QTest::qWait(200);
    m_w->grab().save(QDir(dir).filePath("teaching-step.png"));

    QVERIFY(m_t->openLessonFile(shipped("groups"), &error));
    m_t->panel()->goToLessonStep(2); // depthwise, reflect padding, read-pixels quiz
    m_w->setPresentationMode(true);
    const core::Answer right = core::correctAnswer(*m_t->panel()->question());
    QTest::qWait(300);
    for (const core::Pixel &px : right.pixels) {
        const QRect r = m_t->panel()->view()->cellRect(
            m_t->panel()->stepper()->frame().firstInputChannel, px.y, px.x);
        if (!r.isEmpty())
            QTest::mouseClick(m_t->panel()->view(), Qt::LeftButton, {}, r.center());
    }
    m_t->panel()->reveal();
    QTest::qWait(600);
    m_w->grab().save(QDir(dir).filePath("presentation.png"));
    m_w->setPresentationMode(false);
}

void TeachingModeTest::cleanupTestCase()
{
    // A non-clean undo stack emits cleanChanged() from its destructor, after MainWindow's
    // own part is gone (its slot then asserts); leave it empty.
    m_w->undoStack()->clear();
    m_w.reset();
}

QTEST_MAIN(TeachingModeTest)
#include "teachingmode_test.moc"
