// SPDX-License-Identifier: GPL-3.0-or-later
#include "appearance.h"

#include <QApplication>
#include <QDockWidget>
#include <QMainWindow>
#include <QPainter>
#include <QProxyStyle>
#include <QStyle>
#include <QStyleFactory>
#include <QStyleOption>
#include <QToolTip>

namespace convscope::ui::appearance {

namespace {

// QDockWidget paints its title in a font it copies once, when it is created (the
// "QDockWidgetTitle" application font), while the title bar's height follows the dock's
// font: presentation mode's larger application font left small titles in tall bars. This
// style, set on each dock, paints the title in the dock's current font.
class DockTitleStyle : public QProxyStyle {
public:
    using QProxyStyle::QProxyStyle;

    void drawControl(ControlElement element, const QStyleOption *option, QPainter *painter,
                     const QWidget *widget) const override
    {
        const auto *title = qstyleoption_cast<const QStyleOptionDockWidget *>(option);
        if (element != CE_DockWidgetTitle || !title || !widget) {
            QProxyStyle::drawControl(element, option, painter, widget);
            return;
        }
        QStyleOptionDockWidget opt(*title);
        opt.fontMetrics = widget->fontMetrics(); // the title is elided with these
        painter->save();
        painter->setFont(widget->font());
        QProxyStyle::drawControl(element, &opt, painter, widget);
        painter->restore();
    }
};

} // namespace

QPalette darkPalette()
{
    QPalette p;
    const QColor window(45, 45, 48), base(30, 30, 32), text(230, 230, 230);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::red);
    p.setColor(QPalette::Link, QColor(90, 160, 255));
    p.setColor(QPalette::Highlight, QColor(42, 130, 218));
    p.setColor(QPalette::HighlightedText, Qt::black);
    p.setColor(QPalette::Mid, QColor(90, 90, 95));
    // Roles left unset would be inherited from the (light) palette in use when this is
    // built: a translucent black placeholder on the dark Base, white bevels.
    p.setColor(QPalette::Light, QColor(75, 75, 80));
    p.setColor(QPalette::Midlight, QColor(60, 60, 64));
    p.setColor(QPalette::Dark, QColor(25, 25, 27));
    p.setColor(QPalette::Shadow, QColor(10, 10, 10));
    p.setColor(QPalette::PlaceholderText, QColor(140, 140, 140));
    p.setColor(QPalette::LinkVisited, QColor(170, 130, 255));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(127, 127, 127));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(127, 127, 127));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(127, 127, 127));
    return p;
}

bool isDark(const QPalette &p)
{
    return p.color(QPalette::Window).lightness() < p.color(QPalette::WindowText).lightness();
}

void applyTheme(Theme theme, ColorSchemePreference portal, const QPalette &platform)
{
    switch (theme) {
    case Theme::System:
        // Qt 6.4 has no colour-scheme query: the desktop portal's setting decides, then
        // GTK_THEME=...:dark, then the platform theme's palette (GNOME/KDE integration).
        switch (resolveSystemPalette(portal, qEnvironmentVariable("GTK_THEME"), isDark(platform))) {
        case SystemPalette::Platform: QApplication::setPalette(platform); break;
        case SystemPalette::Dark: QApplication::setPalette(darkPalette()); break;
        case SystemPalette::Light:
            QApplication::setPalette(QApplication::style()->standardPalette());
            break;
        }
        break;
    case Theme::Light: QApplication::setPalette(QApplication::style()->standardPalette()); break;
    case Theme::Dark: QApplication::setPalette(darkPalette()); break;
    }
    // QToolTip keeps the palette it was first shown with; without this, tooltips stay in
    // the theme of the first one shown.
    QToolTip::setPalette(QApplication::palette());
}

QFont presentationFont(const QFont &normal, bool on)
{
    QFont f = normal;
    if (on) {
        // Readable from the back of a lecture hall: about 1.7x the desktop size.
        if (f.pointSizeF() > 0)
            f.setPointSizeF(f.pointSizeF() * 1.7);
        else
            f.setPixelSize(int(f.pixelSize() * 1.7));
    }
    return f;
}

void applyPresentationFont(QMainWindow *window, const QFont &normal, bool on)
{
    followFontInDockTitles(window); // docks added since the last call
    QApplication::setFont(presentationFont(normal, on));
}

void followFontInDockTitles(QMainWindow *window)
{
    for (QDockWidget *dock : window->findChildren<QDockWidget *>()) {
        if (dynamic_cast<DockTitleStyle *>(dock->style()))
            continue;
        // A fresh instance of the application's style (Fusion) under the proxy: the proxy
        // owns and deletes its base, so it must not be the application's own.
        QStyle *base = QStyleFactory::create(QApplication::style()->name());
        if (!base)
            continue; // a style the factory cannot make: keep Qt's title painting
        auto *style = new DockTitleStyle(base);
        style->setParent(dock);
        dock->setStyle(style);
    }
}

} // namespace convscope::ui::appearance
