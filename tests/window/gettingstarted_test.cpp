// SPDX-License-Identifier: GPL-3.0-or-later
// Help > Getting Started opens a guide beside the window that names each of the eight
// start-up maps by the kernel that makes it (checked against core::startupWeights) and the
// main controls; pressing it again brings the same guide back rather than another one.
#include "uitest_util.h"

#include "gettingstarted.h"
#include "kernels.h"

#include <QAction>
#include <QApplication>
#include <QTextBrowser>

using namespace convscope;
using convscope::uitest::settled;

class GettingStartedTest : public QObject {
    Q_OBJECT
private slots:
    void helpMenu_opensTheGuideOnce()
    {
        auto w = uitest::openTestWindow();
        QVERIFY(settled(*w));
        QAction *action = w->action(ui::ActionId::GettingStarted);
        QVERIFY(action);
        QCOMPARE(action->shortcut(), QKeySequence(QKeySequence::HelpContents));
        action->trigger();
        auto guides = [&] { return w->findChildren<ui::GettingStartedDialog *>(); };
        QTRY_COMPARE(guides().size(), 1);
        ui::GettingStartedDialog *guide = guides().front();
        QVERIFY(guide->isVisible());
        QVERIFY(!guide->isModal()); // the controls it names can be tried while reading
        auto *text = guide->findChild<QTextBrowser *>(QStringLiteral("gettingStartedText"));
        QVERIFY(text);
        const QString plain = text->toPlainText();
        for (const char *control : {"Parameters", "Kernel", "Explain", "Fit", "Teaching Mode",
                                    "Presentation Mode", "Undo"})
            QVERIFY2(plain.contains(QLatin1String(control)), control);
        if (const QString dir = qEnvironmentVariable("CONVSCOPE_SHOT_DIR"); !dir.isEmpty())
            guide->grab().save(dir + QStringLiteral("/getting-started.png"));
        guide->close();
        action->trigger();
        QTRY_VERIFY(guide->isVisible());
        QCOMPARE(guides().size(), 1);
    }

    void eachStartupMap_isNamedByItsKernel()
    {
        // The window's start-up weights: channel c's kernel on an RGB input, whose taps tell
        // which of the four the guide must name.
        core::Conv2dParams p;
        p.inChannels = 3;
        p.outChannels = 8;
        p.kernel = {3, 3};
        const core::Tensor w = core::startupWeights(p).first;
        const QString html = ui::GettingStartedDialog::guideHtml(8);
        for (int c = 0; c < 8; ++c) {
            auto tap = [&](int y, int x) { return w.at(c, 0, y, x); };
            QString kind;
            if (tap(0, 0) > 0 && tap(0, 0) == tap(2, 2))
                kind = QStringLiteral("box blur");
            else if (tap(0, 1) < 0 && tap(2, 1) > 0)
                kind = QStringLiteral("horizontal edge");
            else if (tap(1, 0) < 0 && tap(1, 2) > 0)
                kind = QStringLiteral("vertical edge");
            else if (tap(1, 1) > 0 && tap(0, 0) == 0)
                kind = QStringLiteral("identity");
            QVERIFY2(!kind.isEmpty(), qPrintable(QString::number(c)));
            const QString item = QStringLiteral("<code>out[%1]</code>: <b>%2</b>").arg(c).arg(kind);
            QVERIFY2(html.contains(item), qPrintable(item));
        }
    }
};

QTEST_MAIN(GettingStartedTest)
#include "gettingstarted_test.moc"
