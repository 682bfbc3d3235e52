// SPDX-License-Identifier: GPL-3.0-or-later
// The window's appearance on its own: the dark palette sets every role itself, the themes
// reach the application and the tooltips, presentation fonts scale and come back exactly,
// and dock titles follow the font once their style is in place (docks added later too).
#include "appearance.h"

#include <QApplication>
#include <QDockWidget>
#include <QLabel>
#include <QMainWindow>
#include <QStyle>
#include <QTest>
#include <QToolTip>

using namespace convscope;
using namespace convscope::ui;

class AppearanceTest : public QObject {
    Q_OBJECT
private slots:
    void darkPalette_setsEveryRoleItself();
    void applyTheme_reachesTheApplicationAndTheTooltips();
    void presentationFont_scalesAndComesBackExactly();
    void followFontInDockTitles_stylesEachDockOnce();
};

void AppearanceTest::darkPalette_setsEveryRoleItself()
{
    const QPalette p = appearance::darkPalette();
    QVERIFY(appearance::isDark(p));
    QVERIFY(!appearance::isDark(QApplication::style()->standardPalette()));
    for (QPalette::ColorRole role : {QPalette::Window,
                                     QPalette::WindowText,
                                     QPalette::Base,
                                     QPalette::AlternateBase,
                                     QPalette::ToolTipBase,
                                     QPalette::ToolTipText,
                                     QPalette::Text,
                                     QPalette::Button,
                                     QPalette::ButtonText,
                                     QPalette::BrightText,
                                     QPalette::Link,
                                     QPalette::Highlight,
                                     QPalette::HighlightedText,
                                     QPalette::Mid,
                                     QPalette::Light,
                                     QPalette::Midlight,
                                     QPalette::Dark,
                                     QPalette::Shadow,
                                     QPalette::PlaceholderText,
                                     QPalette::LinkVisited})
        QVERIFY2(p.isBrushSet(QPalette::Active, role), qPrintable(QString::number(role)));
    QVERIFY(p.isBrushSet(QPalette::Disabled, QPalette::Text));
}

void AppearanceTest::applyTheme_reachesTheApplicationAndTheTooltips()
{
    const QPalette platform = QApplication::palette();
    appearance::applyTheme(Theme::Dark, ColorSchemePreference::NoPreference, platform);
    QVERIFY(appearance::isDark(QApplication::palette()));
    QVERIFY(appearance::isDark(QToolTip::palette()));
    appearance::applyTheme(Theme::Light, ColorSchemePreference::NoPreference, platform);
    QVERIFY(!appearance::isDark(QApplication::palette()));
    QVERIFY(!appearance::isDark(QToolTip::palette()));
    // System: the portal's explicit choice wins over a light platform palette.
    appearance::applyTheme(Theme::System, ColorSchemePreference::Dark,
                           QApplication::style()->standardPalette());
    QVERIFY(appearance::isDark(QApplication::palette()));
    appearance::applyTheme(Theme::System, ColorSchemePreference::Light, appearance::darkPalette());
    QVERIFY(!appearance::isDark(QApplication::palette()));
    QApplication::setPalette(platform);
}

void AppearanceTest::presentationFont_scalesAndComesBackExactly()
{
    QFont points;
    points.setPointSizeF(10);
    QCOMPARE(appearance::presentationFont(points, true).pointSizeF(), 17.0);
    QCOMPARE(appearance::presentationFont(points, false), points);
    QFont pixels;
    pixels.setPixelSize(20);
    QCOMPARE(appearance::presentationFont(pixels, true).pixelSize(), 34);

    QMainWindow window;
    const QFont normal = QApplication::font();
    appearance::applyPresentationFont(&window, normal, true);
    QVERIFY(QApplication::font().pointSizeF() > normal.pointSizeF() * 1.5
            || QApplication::font().pixelSize() > normal.pixelSize());
    appearance::applyPresentationFont(&window, normal, false);
    QCOMPARE(QApplication::font(), normal);
}

void AppearanceTest::followFontInDockTitles_stylesEachDockOnce()
{
    QMainWindow window;
    auto *first = new QDockWidget(QStringLiteral("first"), &window);
    window.addDockWidget(Qt::LeftDockWidgetArea, first);
    QStyle *app = QApplication::style();
    QCOMPARE(first->style(), app);
    appearance::followFontInDockTitles(&window);
    QStyle *styled = first->style();
    QVERIFY(styled != app);
    QCOMPARE(styled->parent(), first); // the dock owns it
    auto *later = new QDockWidget(QStringLiteral("later"), &window);
    window.addDockWidget(Qt::RightDockWidgetArea, later);
    appearance::applyPresentationFont(&window, QApplication::font(), false);
    QCOMPARE(first->style(), styled); // not styled twice
    QVERIFY(later->style() != app);
}

QTEST_MAIN(AppearanceTest)
#include "appearance_test.moc"
