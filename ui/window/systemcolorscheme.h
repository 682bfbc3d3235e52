// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The desktop's light/dark preference as the XDG desktop portal publishes it
// (org.freedesktop.appearance / color-scheme, GNOME 42+, KDE 5.24+). Qt 6.4 has no
// colour-scheme query (QStyleHints::colorScheme is 6.5+), so we ask the portal ourselves.
#include <QObject>
#include <QString>
#include <QVariant>

class QDBusMessage;
class QDBusPendingCallWatcher;
class QDBusVariant;

namespace convscope::ui {

// The portal's values: 0 = no preference, 1 = prefer dark, 2 = prefer light.
enum class ColorSchemePreference { NoPreference = 0, Dark = 1, Light = 2 };

// Which palette "follow the system" should apply.
enum class SystemPalette {
    Platform, // the platform theme's palette already matches (or nothing says otherwise)
    Dark,     // our dark palette: the desktop wants dark, the platform palette is light
    Light     // the style's standard (light) palette: the desktop wants light, the palette is dark
};

// Decodes the value of Read("org.freedesktop.appearance", "color-scheme") or of a
// SettingChanged signal. The portal's Read wraps the uint32 in a variant and, for its
// historical signature, in a second one; anything that is not an integer 0..2 under at most
// a few levels of QDBusVariant is "no preference".
ColorSchemePreference parsePortalColorScheme(const QVariant &value);

// The portal's explicit choice wins; without one, GTK_THEME=...:dark asks for dark, and
// otherwise the platform theme's palette is the system's choice.
SystemPalette resolveSystemPalette(ColorSchemePreference preference, const QString &gtkTheme,
                                   bool platformPaletteIsDark);

class SystemColorScheme : public QObject {
    Q_OBJECT
public:
    explicit SystemColorScheme(QObject *parent = nullptr);

    // Asks the portal once and subscribes to its changes, all asynchronously: connecting to
    // the session bus happens on a worker thread (libdbus blocks while it connects) and the
    // Read call has a timeout. No bus, no portal, an error or a timeout leave "no preference".
    void start();

    ColorSchemePreference preference() const { return m_preference; }
    // True once the first answer (or its absence) is known.
    bool isSettled() const { return m_settled; }

    // For tests: sets the preference as if the portal had said so, and ignores the real
    // portal from now on so a late reply cannot undo it.
    void overridePreference(ColorSchemePreference preference);

signals:
    void changed();
    // The first answer (or its absence) is known; emitted once.
    void settled();

private slots:
    void onSettingChanged(const QString &nameSpace, const QString &key, const QDBusVariant &value);

private:
    void onBusReady(bool connected);
    void onReadFinished(QDBusPendingCallWatcher *call);
    void setPreference(ColorSchemePreference preference);
    void markSettled();

    ColorSchemePreference m_preference = ColorSchemePreference::NoPreference;
    bool m_started = false;
    bool m_settled = false;
    bool m_overridden = false;
};

} // namespace convscope::ui
