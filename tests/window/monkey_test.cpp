// SPDX-License-Identifier: GPL-3.0-or-later
// A seeded GUI monkey: thousands of random clicks, double clicks, drags, wheel turns and key
// presses (undo and redo among them) on every visible part of the main window. Nothing may
// crash (the asan preset runs this suite too) and no event may keep the event loop from
// answering longer than a bound. Every dialog a click opens is dismissed unanswered, and the
// process's home, working and temporary folders are a temporary folder, so nothing is
// written outside it.
//   CONVSCOPE_MONKEY_SEED=N   another sequence (default 1)
//   CONVSCOPE_MONKEY_EVENTS=N another length (default 2000)
#include "uitest_util.h"

#include <QApplication>
#include <QDialog>
#include <QDir>
#include <QElapsedTimer>
#include <QMenu>
#include <QTemporaryDir>
#include <QTimer>
#include <QWheelEvent>
#include <QtTest>

#include <algorithm>
#include <deque>
#include <random>

using namespace convscope;
using namespace convscope::ui;

namespace {

// The longest one event may hold the event loop, including what it starts on the GUI
// thread (a recompute is off the thread; a dialog it opens is dismissed within ~20 ms).
// Measured on the 2-core machine: release, seed 1, longest 31-35 ms (seeds 2-6 with 5000
// events each: 15-281 ms); ASan + UBSan, seed 1, longest 147-280 ms. The bound leaves room
// for a loaded CI machine and still catches a freeze.
constexpr qint64 kStallBoundMs = 3000;

// The offscreen platform says, for every popup and dock the monkey opens, that it cannot
// grab the keyboard or raise a window: true and harmless, and thousands of lines of it
// would bury a real warning.
QtMessageHandler g_testHandler = nullptr; // QtTest's own, which logs and counts

void quietOffscreenNotes(QtMsgType type, const QMessageLogContext &context, const QString &msg)
{
    if (type == QtWarningMsg && msg.startsWith(QLatin1String("This plugin does not support")))
        return;
    g_testHandler(type, context, msg);
}

int envInt(const char *name, int fallback)
{
    bool ok = false;
    const int v = qEnvironmentVariableIntValue(name, &ok);
    return ok && v > 0 ? v : fallback;
}

} // namespace

class MonkeyTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void randomEvents_neverCrashOrStall();

private:
    QTemporaryDir m_home;
};

void MonkeyTest::initTestCase()
{
    QVERIFY(m_home.isValid());
    g_testHandler = qInstallMessageHandler(quietOffscreenNotes);
    uitest::isolateSettings(m_home.filePath("settings"), "monkey_test");
    // Where a dialog or a default path would point: all inside the temporary folder.
    for (const char *var : {"HOME", "TMPDIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME",
                            "XDG_DOCUMENTS_DIR", "XDG_PICTURES_DIR"})
        qputenv(var, m_home.path().toLocal8Bit());
    QVERIFY(QDir::setCurrent(m_home.path()));
}

void MonkeyTest::randomEvents_neverCrashOrStall()
{
    const int seed = envInt("CONVSCOPE_MONKEY_SEED", 1);
    const int events = envInt("CONVSCOPE_MONKEY_EVENTS", 2000);
    std::mt19937 rng(static_cast<std::uint32_t>(seed));
    auto pick = [&rng](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };

    auto w = uitest::openTestWindow();
    QVERIFY(uitest::settled(*w));

    // Dialogs run their own event loop: this timer runs inside it and dismisses them, so a
    // click on "Open..." or "Export..." neither blocks the monkey nor writes anything.
    int dismissed = 0;
    QTimer closer;
    closer.setInterval(10);
    QObject::connect(&closer, &QTimer::timeout, [&dismissed] {
        if (QWidget *modal = QApplication::activeModalWidget()) {
            if (auto *d = qobject_cast<QDialog *>(modal))
                d->reject();
            else
                modal->close();
            ++dismissed;
        }
        if (QWidget *popup = QApplication::activePopupWidget()) {
            popup->close();
            ++dismissed;
        }
    });
    closer.start();

    static const int keys[] = {Qt::Key_Left,      Qt::Key_Right,   Qt::Key_Up,       Qt::Key_Down,
                               Qt::Key_Tab,       Qt::Key_Backtab, Qt::Key_Return,   Qt::Key_Escape,
                               Qt::Key_Space,     Qt::Key_PageUp,  Qt::Key_PageDown, Qt::Key_Home,
                               Qt::Key_End,       Qt::Key_Plus,    Qt::Key_Minus,    Qt::Key_0,
                               Qt::Key_1,         Qt::Key_3,       Qt::Key_7,        Qt::Key_9,
                               Qt::Key_Backspace, Qt::Key_Delete,  Qt::Key_F5,       Qt::Key_F11,
                               Qt::Key_A,         Qt::Key_S,       Qt::Key_Period};
    std::deque<QString> recent; // the last events, printed when one fails
    qint64 longest = 0;
    QString longestEvent;
    int reshown = 0;
    QElapsedTimer clock;
    for (int i = 0; i < events; ++i) {
        // A click may have closed (File > Quit) or hidden the window: bring it back.
        if (!w->isVisible()) {
            w->show();
            ++reshown;
        }
        QList<QWidget *> targets;
        for (QWidget *c : w->findChildren<QWidget *>())
            if (c->isVisible() && c->width() > 0 && c->height() > 0 && !qobject_cast<QMenu *>(c))
                targets << c;
        targets << w.get();
        QWidget *target = targets[pick(static_cast<int>(targets.size()))];
        const QPoint at(pick(target->width()), pick(target->height()));
        const int kind = pick(100);
        QString what;
        clock.start();
        if (kind < 40) {
            const Qt::MouseButton button = pick(10) == 0 ? Qt::RightButton : Qt::LeftButton;
            what = QStringLiteral("click %1").arg(button == Qt::LeftButton ? "left" : "right");
            QTest::mouseClick(target, button, Qt::NoModifier, at);
        } else if (kind < 50) {
            what = QStringLiteral("double click");
            QTest::mouseDClick(target, Qt::LeftButton, Qt::NoModifier, at);
        } else if (kind < 65) {
            const QPoint to(pick(target->width()), pick(target->height()));
            what = QStringLiteral("drag to (%1, %2)").arg(to.x()).arg(to.y());
            QTest::mousePress(target, Qt::LeftButton, Qt::NoModifier, at);
            for (int s = 1; s <= 4; ++s)
                QTest::mouseMove(target, at + (to - at) * s / 4);
            QTest::mouseRelease(target, Qt::LeftButton, Qt::NoModifier, to);
        } else if (kind < 80) {
            const int delta = pick(2) ? 120 : -120;
            const Qt::KeyboardModifiers mods = pick(4) == 0 ? Qt::ControlModifier : Qt::NoModifier;
            what = QStringLiteral("wheel %1%2").arg(delta).arg(mods ? " with Ctrl" : "");
            QWheelEvent wheel(QPointF(at), QPointF(target->mapToGlobal(at)), QPoint(),
                              QPoint(0, delta), Qt::NoButton, mods, Qt::NoScrollPhase, false);
            QApplication::sendEvent(target, &wheel);
        } else {
            QWidget *focus = QApplication::focusWidget() ? QApplication::focusWidget() : w.get();
            const int r = pick(10);
            if (r < 2) { // undo and redo, as often as any edit
                const bool redo = r == 1;
                what = redo ? QStringLiteral("Ctrl+Shift+Z") : QStringLiteral("Ctrl+Z");
                QTest::keyClick(focus, Qt::Key_Z,
                                redo ? Qt::ControlModifier | Qt::ShiftModifier
                                     : Qt::ControlModifier);
            } else {
                const int key = keys[pick(static_cast<int>(std::size(keys)))];
                const Qt::KeyboardModifiers mods =
                    pick(5) == 0 ? Qt::ShiftModifier : Qt::NoModifier;
                what = QStringLiteral("key %1").arg(
                    QKeySequence(QKeyCombination(mods, static_cast<Qt::Key>(key))).toString());
                QTest::keyClick(focus, static_cast<Qt::Key>(key), mods);
            }
        }
        QCoreApplication::processEvents();
        const qint64 took = clock.elapsed();
        what = QStringLiteral("#%1 %2 on %3 at (%4, %5): %6 ms")
                   .arg(i)
                   .arg(what, QString::fromLatin1(target->metaObject()->className()))
                   .arg(at.x())
                   .arg(at.y())
                   .arg(took);
        recent.push_back(what);
        if (recent.size() > 12)
            recent.pop_front();
        if (took > longest) {
            longest = took;
            longestEvent = what;
        }
        if (took > kStallBoundMs) {
            QStringList lines(recent.begin(), recent.end());
            QFAIL(qPrintable(QStringLiteral("seed %1: the event loop stalled %2 ms (bound %3 ms); "
                                            "the last events:\n%4")
                                 .arg(seed)
                                 .arg(took)
                                 .arg(kStallBoundMs)
                                 .arg(lines.join('\n'))));
        }
        // Now and then let the background computation finish, as a user pausing would.
        if (i % 100 == 99)
            (void)QTest::qWaitFor([&] { return uitest::settled(*w); }, 5000);
    }
    closer.stop();
    qInfo("seed %d: %d events, longest %lld ms (%s), %d dialogs or menus dismissed, window "
          "shown again %d times",
          seed, events, longest, qPrintable(longestEvent), dismissed, reshown);
    // The window still works: an edit computes.
    QVERIFY(QTest::qWaitFor([&] { return uitest::settled(*w); }, 10000));
}

QTEST_MAIN(MonkeyTest)
#include "monkey_test.moc"
