// SPDX-License-Identifier: GPL-3.0-or-later
// A screen reader can name every control: the main window is walked through QAccessible (as
// AT-SPI sees it) and every interactive widget and view must have a name, and a value where
// it holds one. Teaching mode and a deeper layer stack are switched on first, so their
// panels are walked too.
#include "uitest_util.h"

#include "featuremapgrid.h"
#include "inputview.h"
#include "layerstackmodel.h"
#include "lesson.h"
#include "qcustomplot.h"

#include <QAbstractButton>
#include <QAbstractItemView>
#include <QAbstractSlider>
#include <QAbstractSpinBox>
#include <QAccessible>
#include <QAccessibleValueInterface>
#include <QComboBox>
#include <QDockWidget>
#include <QLineEdit>
#include <QScrollBar>
#include <QSettings>
#include <QStandardPaths>
#include <QTabBar>
#include <QTextEdit>

using namespace convscope;
using convscope::uitest::settled;

namespace {

// What a user can operate or focus. The parts Qt builds inside a control (a spin box's line
// edit, a combo box's popup, scroll bars) are named through the control itself.
bool interactive(const QWidget *w)
{
    if (qobject_cast<const QScrollBar *>(w))
        return false;
    // Parts of a control: a spin box's line edit, a combo box's popup, a table's headers and
    // corner button; and a tab bar of docked panels, whose tabs carry the panels' titles.
    const QWidget *parent = w->parentWidget();
    if (parent
        && (qobject_cast<const QAbstractSpinBox *>(parent)
            || qobject_cast<const QComboBox *>(parent)
            || qobject_cast<const QAbstractItemView *>(parent)))
        return false;
    if (qobject_cast<const QTabBar *>(w))
        return false;
    if (w->objectName().startsWith(QLatin1String("qt_"))) // Qt's own, e.g. the menu bar's »
        return false;
    if (qobject_cast<const QAbstractButton *>(w) || qobject_cast<const QAbstractSlider *>(w)
        || qobject_cast<const QAbstractSpinBox *>(w) || qobject_cast<const QComboBox *>(w)
        || qobject_cast<const QAbstractItemView *>(w) || qobject_cast<const QLineEdit *>(w)
        || qobject_cast<const QTextEdit *>(w))
        return true;
    // The views: the maps (QCustomPlot), the input, the step-through grid, the matrices.
    const QString cls = QString::fromLatin1(w->metaObject()->className());
    if (qobject_cast<const QCustomPlot *>(w)
        || (cls.startsWith(QLatin1String("convscope::ui::"))
            && cls.endsWith(QLatin1String("View"))))
        return true;
    return (w->focusPolicy() & Qt::TabFocus) != 0;
}

QString describe(const QWidget *w)
{
    QStringList path;
    for (const QObject *o = w; o; o = o->parent())
        path.prepend(o->objectName().isEmpty() ? QString::fromLatin1(o->metaObject()->className())
                                               : o->objectName());
    return path.join(QLatin1Char('/'));
}

} // namespace

class AccessibilityTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("convscope-tests"));
        QCoreApplication::setApplicationName(QStringLiteral("accessibility_test"));
        QSettings().clear();
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/convscope-test-bus");
    }

    void everyInteractiveWidget_hasAnAccessibleName()
    {
        auto w = uitest::openTestWindow();
        QVERIFY(settled(*w));
        // Two more layers (their forms and the per-layer table), and teaching mode (its
        // panel, the step-through grid and the quiz); every dock shown.
        w->layerStack()->addLayer();
        w->layerStack()->addLayer();
        const QStringList lessons = ui::shippedLessonPaths();
        QVERIFY(!lessons.isEmpty());
        QVERIFY(w->openFile(lessons.front()));
        QVERIFY(w->teachingActive());
        for (QDockWidget *d : w->findChildren<QDockWidget *>())
            d->show();
        QTRY_VERIFY(settled(*w));

        QStringList unnamed, noValue;
        int checked = 0;
        for (QWidget *widget : w->findChildren<QWidget *>()) {
            if (!interactive(widget) || widget->window() != w.get())
                continue;
            QAccessibleInterface *iface = QAccessible::queryAccessibleInterface(widget);
            QVERIFY2(iface, qPrintable(describe(widget)));
            ++checked;
            if (iface->text(QAccessible::Name).trimmed().isEmpty())
                unnamed << describe(widget);
            // A control with a value (a spin box, a slider) reports it.
            if (QAccessibleValueInterface *value = iface->valueInterface())
                if (!value->currentValue().isValid())
                    noValue << describe(widget);
        }
        QVERIFY2(checked > 60, qPrintable(QString::number(checked)));
        for (const QString &name : unnamed)
            qWarning("no accessible name: %s", qPrintable(name));
        for (const QString &name : noValue)
            qWarning("no value: %s", qPrintable(name));
        // The views' value: what the input view feeds, the range of each map.
        auto description = [](QWidget *view) {
            return QAccessible::queryAccessibleInterface(view)->text(QAccessible::Description);
        };
        QVERIFY2(description(w->inputView()).contains(QLatin1String("fed")),
                 qPrintable(description(w->inputView())));
        QVERIFY(w->grid()->visibleMapCount() > 0);
        for (int slot = 0; slot < w->grid()->visibleMapCount(); ++slot)
            QVERIFY2(description(w->grid()->plot(slot)).contains(QLatin1String("values")),
                     qPrintable(description(w->grid()->plot(slot))));
        QVERIFY2(unnamed.isEmpty(),
                 "interactive widgets without an accessible name (listed above)");
        QVERIFY2(noValue.isEmpty(), "controls without a value (listed above)");
    }
};

QTEST_MAIN(AccessibilityTest)
#include "accessibility_test.moc"
