// SPDX-License-Identifier: GPL-3.0-or-later
// The main window from the keyboard and the wheel: Ctrl+Z right after typing a parameter
// undoes it, scrolling the Layers dock over a spin box edits nothing, Tab leaves the kernel
// grid, and the arrow keys on a focused map select outputs for the receptive field and
// Explain.
#include "uitest_util.h"

#include "explainpanel.h"
#include "kernelpanel.h"
#include "layerstackmodel.h"
#include "layerstackpanel.h"
#include "parameterpanel.h"
#include "qcustomplot.h"
#include "receptivefieldcontroller.h"

#include <QDockWidget>
#include <QListWidget>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QUndoStack>
#include <QWheelEvent>
#include <QtTest/qtestspontaneevent.h>

using namespace convscope;
using convscope::uitest::settled;

class KeyboardTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("convscope-tests"));
        QCoreApplication::setApplicationName(QStringLiteral("keyboard_test"));
        QSettings().clear();
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/convscope-test-bus");
    }
    void init()
    {
        m_w = uitest::openTestWindow();
        QVERIFY(settled(*m_w));
        QApplication::setActiveWindow(m_w.get());
        QVERIFY(QTest::qWaitForWindowActive(m_w.get()));
    }
    void cleanup() { m_w.reset(); }

    void ctrlZAfterTypingAParameter_undoesIt()
    {
        auto *kernel = m_w->parameterPanel()->findChild<QSpinBox *>(QStringLiteral("kernelH"));
        QVERIFY(kernel);
        const int before = m_w->session()->params().kernel.h;
        kernel->setFocus();
        kernel->selectAll();
        QTest::keyClicks(kernel, "7");
        QTest::keyClick(kernel, Qt::Key_Tab);
        QTRY_COMPARE(m_w->session()->params().kernel.h, 7);
        QWidget *focused = QApplication::focusWidget();
        QVERIFY(focused && focused != kernel);
        QTest::keyClick(focused, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(m_w->session()->params().kernel.h, before);
        QVERIFY(m_w->undoStack()->canRedo());
    }

    void wheelOverTheLayersDock_editsNothing()
    {
        m_w->layerStack()->addLayer();
        m_w->layerStack()->addLayer();
        QDockWidget *dock = m_w->dock(ui::DockId::Layers);
        dock->show();
        dock->raise();
        QTRY_VERIFY(settled(*m_w));
        auto *out =
            m_w->layerStackPanel()->findChild<QSpinBox *>(QStringLiteral("layerOutChannels"));
        QVERIFY(out);
        // Layer 3 in the editor (layer 1 is edited in the Parameters dock).
        auto *list = m_w->layerStackPanel()->findChild<QListWidget *>(QStringLiteral("layerList"));
        QVERIFY(list);
        list->setCurrentRow(2);
        QTRY_VERIFY(out->isVisible());
        QVERIFY(out->isEnabled());
        const int value = out->value();
        QVERIFY(value < out->maximum()); // the wheel up would raise it
        const int undoIndex = m_w->undoStack()->index();
        for (int i = 0; i < 5; ++i) {
            const QPointF pos = QRectF(out->rect()).center();
            QWheelEvent e(pos, out->mapToGlobal(pos), QPoint(), QPoint(0, 120), Qt::NoButton,
                          Qt::NoModifier, Qt::NoScrollPhase, false);
            QSpontaneKeyEvent::setSpontaneous(&e); // as the window system delivers it
            qApp->notify(out, &e);
        }
        QCOMPARE(out->value(), value);
        QCOMPARE(m_w->undoStack()->index(), undoIndex);
    }

    void tab_leavesTheKernelGrid()
    {
        auto *kernel = m_w->findChild<ui::KernelPanel *>();
        QVERIFY(kernel);
        m_w->dock(ui::DockId::Kernel)->raise();
        QTableWidget *table = kernel->kernelTable();
        QTRY_VERIFY(table->isVisible());
        table->setFocus();
        QTRY_VERIFY(table->hasFocus());
        QTest::keyClick(table, Qt::Key_Tab);
        QVERIFY(!table->hasFocus());
        QVERIFY(QApplication::focusWidget() != nullptr);
        table->setFocus();
        QTest::keyClick(table, Qt::Key_Tab, Qt::ShiftModifier);
        QVERIFY(!table->hasFocus());
    }

    void arrowsOnAFocusedMap_selectOutputs()
    {
        ui::FeatureMapGrid *grid = m_w->grid();
        QVERIFY(grid->visibleMapCount() >= 2);
        QCustomPlot *map = grid->plot(1);
        QCOMPARE(map->focusPolicy(), Qt::StrongFocus);
        map->setFocus();
        QTRY_VERIFY(map->hasFocus());
        QTest::keyClick(map, Qt::Key_Home);
        auto sel = m_w->receptiveField()->selection();
        QVERIFY(sel);
        QCOMPARE(sel->channel, grid->firstChannel() + 1);
        QCOMPARE(sel->y, 0);
        QCOMPARE(sel->x, 0);
        QTest::keyClick(map, Qt::Key_Right);
        QTest::keyClick(map, Qt::Key_Right);
        QTest::keyClick(map, Qt::Key_Down);
        sel = m_w->receptiveField()->selection();
        QVERIFY(sel);
        QCOMPARE(sel->y, 1);
        QCOMPARE(sel->x, 2);
        // Explain follows the keyboard's selection, as it follows a click.
        QTRY_VERIFY(m_w->explainPanel()->explanation().has_value());
        QCOMPARE(m_w->explainPanel()->explanation()->o, grid->firstChannel() + 1);
        QCOMPARE(m_w->explainPanel()->explanation()->y, 1);
        QCOMPARE(m_w->explainPanel()->explanation()->x, 2);
        // The arrows stop at the map's edge.
        QTest::keyClick(map, Qt::Key_Up);
        QTest::keyClick(map, Qt::Key_Up);
        QCOMPARE(m_w->receptiveField()->selection()->y, 0);
        QTest::keyClick(map, Qt::Key_End);
        const auto &out = m_w->session()->result()->output;
        QCOMPARE(m_w->receptiveField()->selection()->y, int(out.dim(2)) - 1);
        QCOMPARE(m_w->receptiveField()->selection()->x, int(out.dim(3)) - 1);
    }

    void tab_reachesTheMaps()
    {
        // From the map toolbar, Tab goes on to the first map.
        QCustomPlot *first = m_w->grid()->plot(0);
        QWidget *w = QApplication::focusWidget();
        for (int i = 0; i < 200 && !first->hasFocus(); ++i) {
            w = QApplication::focusWidget() ? QApplication::focusWidget() : m_w.get();
            QTest::keyClick(w, Qt::Key_Tab);
        }
        QVERIFY(first->hasFocus());
    }

private:
    std::unique_ptr<ui::MainWindow> m_w;
};

QTEST_MAIN(KeyboardTest)
#include "keyboard_test.moc"
