// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// How the window looks: the light/dark theme (palettes, tooltips) and presentation mode's
// large fonts, including the dock titles that would otherwise keep their first font. The
// desktop's own light/dark preference comes from systemcolorscheme.h; this applies it.
#include "settings.h"
#include "systemcolorscheme.h"

#include <QFont>
#include <QPalette>

class QMainWindow;

namespace convscope::ui {

using Theme = Settings::Theme;

namespace appearance {

// A complete dark palette (every role set: none inherited from the light one in use).
QPalette darkPalette();
bool isDark(const QPalette &palette);

// Sets the application palette for `theme`: Theme::System follows the portal's preference,
// then GTK_THEME, then `platform` (the platform theme's palette). Tooltips follow too.
void applyTheme(Theme theme, ColorSchemePreference portal, const QPalette &platform);

// The application font for presentation mode on or off, from the desktop's `normal` one.
QFont presentationFont(const QFont &normal, bool on);
// Sets it application-wide, dock titles of `window` included.
void applyPresentationFont(QMainWindow *window, const QFont &normal, bool on);

// Makes the docks of `window` paint their titles in their current font (docks added later
// need another call; a dock already done is left alone).
void followFontInDockTitles(QMainWindow *window);

} // namespace appearance
} // namespace convscope::ui
