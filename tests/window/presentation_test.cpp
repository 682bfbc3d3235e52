// SPDX-License-Identifier: GPL-3.0-or-later
// Presentation mode on a projector: at 1024x768 and 1280x720, with a lesson step revealed,
// the window keeps its size and state, every control of the lesson and the verdict are on
// screen, the caption is not clipped, the step-through grid gets most of the height, and the
// transport buttons grow with the fonts. F11 keeps a maximised window maximised.
#include "uitest_util.h"

#include "lesson.h"
#include "quiz.h"
#include "stepthroughview.h"
#include "teachingmode.h"
#include "teachingpanel.h"

#include <QAbstractButton>
#include <QAbstractSpinBox>
#include <QAction>
#include <QDockWidget>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QSettings>
#include <QStandardPaths>
#include <QTextBrowser>
#include <QToolButton>

using namespace convscope;
using convscope::uitest::settled;

namespace {

// Whether all of `w` lies inside the window's area.
bool inside(const QWidget *w, const QWidget *window)
{
    const QRect r(w->mapTo(window, QPoint(0, 0)), w->size());
    return window->rect().contains(r);
}

} // namespace

class PresentationTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("convscope-tests"));
        QCoreApplication::setApplicationName(QStringLiteral("presentation_test"));
        QSettings().clear();
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/convscope-test-bus");
    }

    void revealedLessonStep_fitsTheProjector_data()
    {
        QTest::addColumn<QSize>("screen");
        QTest::addColumn<bool>("presenting");
        QTest::newRow("1024x768") << QSize(1024, 768) << true;
        QTest::newRow("1280x720") << QSize(1280, 720) << true;
        // The teacher's own layout on the same screens: the lesson below the maps, beside the
        // Parameters and Input docks.
        QTest::newRow("1024x768 normal") << QSize(1024, 768) << false;
        QTest::newRow("1280x720 normal") << QSize(1280, 720) << false;
    }
    void revealedLessonStep_fitsTheProjector()
    {
        QFETCH(QSize, screen);
        QFETCH(bool, presenting);
        auto w = uitest::openTestWindow();
        QVERIFY(settled(*w));
        // The window the window manager gives on that screen (title bar and panel taken).
        const QSize size(screen.width(), screen.height() - 40);
        w->resize(size);
        QString path;
        for (const QString &p : ui::shippedLessonPaths())
            if (p.contains(QLatin1String("dilation")))
                path = p;
        QVERIFY(w->openFile(path));
        w->setPresentationMode(presenting);
        ui::TeachingPanel *panel = w->teaching()->panel();
        QVERIFY(panel->question());
        QVERIFY(panel->revealWith(core::correctAnswer(*panel->question()))->correct);
        QTest::qWait(300);
        QCOMPARE(w->size(), size);

        // Every control of the lesson is on screen, visible.
        const QList<QWidget *> controls = panel->findChildren<QWidget *>();
        int checked = 0;
        for (QWidget *c : controls) {
            if (!c->isVisibleTo(w.get())
                || !(qobject_cast<QAbstractButton *>(c) || qobject_cast<QLineEdit *>(c)
                     || qobject_cast<QTextBrowser *>(c))
                || qobject_cast<QAbstractSpinBox *>(c->parentWidget())) // a spin box's own edit
                continue;
            ++checked;
            QVERIFY2(inside(c, w.get()), qPrintable(c->metaObject()->className()
                                                    + QStringLiteral(" ") + c->accessibleName()));
            QVERIFY2(c->height() >= c->minimumSizeHint().height() - 1,
                     qPrintable(QStringLiteral("%1 %2: %3 < %4")
                                    .arg(c->metaObject()->className(), c->accessibleName())
                                    .arg(c->height())
                                    .arg(c->minimumSizeHint().height())));
        }
        QVERIFY(checked >= 9); // previous, next, five transport buttons, ask, reveal, ...

        // No dock is squeezed below what its content needs (its rows would be drawn over the
        // next dock's title): a short one scrolls instead.
        for (QDockWidget *d : w->findChildren<QDockWidget *>()) {
            if (!d->isVisibleTo(w.get()) || !d->widget())
                continue;
            QVERIFY2(d->widget()->height() >= d->widget()->minimumSizeHint().height(),
                     qPrintable(QStringLiteral("%1: %2 < %3")
                                    .arg(d->windowTitle())
                                    .arg(d->widget()->height())
                                    .arg(d->widget()->minimumSizeHint().height())));
        }

        // The verdict is the first thing in the quiz text, seen without scrolling.
        auto *quiz = panel->findChild<QTextBrowser *>(QStringLiteral("quizText"));
        QVERIFY(quiz);
        QCOMPARE(quiz->verticalScrollBar()->value(), 0);
        QVERIFY2(quiz->toPlainText().startsWith(QStringLiteral("✔")),
                 qPrintable(quiz->toPlainText()));
        QVERIFY(quiz->height() >= 3 * quiz->fontMetrics().lineSpacing());

        // The caption is shown whole.
        auto *caption = panel->findChild<QLabel *>(QStringLiteral("lessonCaption"));
        QVERIFY(caption);
        QVERIFY(inside(caption, w.get()));
        QVERIFY2(caption->height() >= caption->heightForWidth(caption->width()),
                 qPrintable(QStringLiteral("%1 < %2")
                                .arg(caption->height())
                                .arg(caption->heightForWidth(caption->width()))));

        if (!presenting)
            return;
        // The grid has the room: most of the window's height, cells a class can read.
        ui::StepThroughView *view = panel->view();
        QVERIFY2(view->height() >= size.height() / 2, qPrintable(QString::number(view->height())));
        const QRect cell = view->cellRect(panel->stepper()->frame().firstInputChannel, 0, 0);
        QVERIFY2(cell.height() >= 28, qPrintable(QString::number(cell.height())));

        // Transport buttons grow with the fonts.
        for (QToolButton *b : panel->findChildren<QToolButton *>())
            if (!b->icon().isNull())
                QVERIFY(b->iconSize().height() >= panel->fontMetrics().height());
        w->setPresentationMode(false);
    }

    void presentationAndFullScreen_keepTheWindowState()
    {
        auto w = uitest::openTestWindow();
        QVERIFY(settled(*w));
        w->showMaximized();
        QTRY_VERIFY(w->windowState() & Qt::WindowMaximized);
        w->setPresentationMode(true);
        QTest::qWait(100);
        QVERIFY(w->windowState() & Qt::WindowMaximized);
        QCOMPARE(w->minimumSize(), QSize(640, 480)); // not grown to the panels' minimum
        w->setPresentationMode(false);
        QVERIFY(w->windowState() & Qt::WindowMaximized);
        QAction *full = w->action(ui::ActionId::FullScreen);
        full->trigger();
        QTRY_VERIFY(w->windowState() & Qt::WindowFullScreen);
        full->trigger();
        QTRY_VERIFY(!(w->windowState() & Qt::WindowFullScreen));
        QVERIFY(w->windowState() & Qt::WindowMaximized);
    }
};

QTEST_MAIN(PresentationTest)
#include "presentation_test.moc"
