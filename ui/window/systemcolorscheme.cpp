// SPDX-License-Identifier: GPL-3.0-or-later
#include "systemcolorscheme.h"

#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QDBusVariant>
#include <QThread>

#include <atomic>
#include <memory>

namespace convscope::ui {

namespace {

const QString kPortalService = QStringLiteral("org.freedesktop.portal.Desktop");
const QString kPortalPath = QStringLiteral("/org/freedesktop/portal/desktop");
const QString kSettingsInterface = QStringLiteral("org.freedesktop.portal.Settings");
const QString kAppearance = QStringLiteral("org.freedesktop.appearance");
const QString kColorScheme = QStringLiteral("color-scheme");

// A portal that does not answer must not leave "System" waiting long: the fallbacks apply
// meanwhile anyway, and a late answer would only flip the palette after the user has begun.
constexpr int kReadTimeoutMs = 2000;

} // namespace

ColorSchemePreference parsePortalColorScheme(const QVariant &value)
{
    QVariant v = value;
    // Read() returns v; xdg-desktop-portal's Read wraps the setting's own v inside it, so
    // two levels are normal. A few more cost nothing; an endless chain cannot occur.
    for (int depth = 0; depth < 4 && v.metaType() == QMetaType::fromType<QDBusVariant>(); ++depth)
        v = qvariant_cast<QDBusVariant>(v).variant();

    qlonglong n = -1;
    switch (v.metaType().id()) {
    // The spec says uint32; other integer widths are accepted because some settings daemons
    // have sent int32. Strings and booleans are not a colour scheme, even if they convert.
    case QMetaType::UInt:
    case QMetaType::Int:
    case QMetaType::UShort:
    case QMetaType::Short:
    case QMetaType::UChar:
    case QMetaType::ULongLong:
    case QMetaType::LongLong: n = v.toLongLong(); break;
    default: return ColorSchemePreference::NoPreference;
    }
    switch (n) {
    case 1: return ColorSchemePreference::Dark;
    case 2: return ColorSchemePreference::Light;
    default: return ColorSchemePreference::NoPreference; // 0, and values from a newer spec
    }
}

SystemPalette resolveSystemPalette(ColorSchemePreference preference, const QString &gtkTheme,
                                   bool platformPaletteIsDark)
{
    bool wantDark = platformPaletteIsDark;
    switch (preference) {
    case ColorSchemePreference::Dark: wantDark = true; break;
    case ColorSchemePreference::Light: wantDark = false; break;
    case ColorSchemePreference::NoPreference:
        // GTK_THEME=Adwaita:dark only ever asked for dark; it never turned a dark palette
        // light, so without it the platform palette decides.
        if (gtkTheme.endsWith(QLatin1String(":dark")))
            wantDark = true;
        break;
    }
    if (wantDark == platformPaletteIsDark)
        return SystemPalette::Platform; // keeps the platform theme's own colours
    return wantDark ? SystemPalette::Dark : SystemPalette::Light;
}

SystemColorScheme::SystemColorScheme(QObject *parent) : QObject(parent) {}

void SystemColorScheme::start()
{
    if (m_started)
        return;
    m_started = true;
    // QDBusConnection::sessionBus() blocks the calling thread while libdbus connects and
    // says Hello (up to its 25 s default when the address accepts but never answers), so the
    // first call happens on a thread of its own; later calls return the cached connection.
    // Not the global QThreadPool: a hung connect would hold one of the compute threads.
    auto connected = std::make_shared<std::atomic<bool>>(false);
    QThread *thread = QThread::create(
        [connected] { connected->store(QDBusConnection::sessionBus().isConnected()); });
    // The thread deletes itself: if this object goes first (window closed while the bus
    // still hangs), the connection below is dropped and nothing touches a dead object.
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    connect(thread, &QThread::finished, this, [this, connected] { onBusReady(connected->load()); });
    thread->start();
}

void SystemColorScheme::onBusReady(bool connected)
{
    if (!connected) {
        markSettled();
        return;
    }
    QDBusConnection bus = QDBusConnection::sessionBus();
    // No service name: naming one makes QtDBus ask the bus for its owner synchronously. The
    // path and interface are the portal's own, so no other sender emits this signal.
    bus.connect(QString(), kPortalPath, kSettingsInterface, QStringLiteral("SettingChanged"), this,
                SLOT(onSettingChanged(QString, QString, QDBusVariant)));

    QDBusMessage read = QDBusMessage::createMethodCall(kPortalService, kPortalPath,
                                                       kSettingsInterface, QStringLiteral("Read"));
    read << kAppearance << kColorScheme;
    auto *watcher = new QDBusPendingCallWatcher(bus.asyncCall(read, kReadTimeoutMs), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, &SystemColorScheme::onReadFinished);
}

void SystemColorScheme::onReadFinished(QDBusPendingCallWatcher *call)
{
    call->deleteLater();
    // An error (no portal, an old portal without the appearance namespace, a timeout) is
    // "no preference": the fallbacks decide.
    const QDBusMessage reply = call->reply();
    if (reply.type() == QDBusMessage::ReplyMessage && !reply.arguments().isEmpty())
        setPreference(parsePortalColorScheme(reply.arguments().constFirst()));
    markSettled();
}

void SystemColorScheme::onSettingChanged(const QString &nameSpace, const QString &key,
                                         const QDBusVariant &value)
{
    if (nameSpace == kAppearance && key == kColorScheme)
        setPreference(parsePortalColorScheme(value.variant()));
}

void SystemColorScheme::overridePreference(ColorSchemePreference preference)
{
    m_overridden = false;
    setPreference(preference);
    m_overridden = true;
    markSettled();
}

void SystemColorScheme::setPreference(ColorSchemePreference preference)
{
    if (m_overridden || preference == m_preference)
        return;
    m_preference = preference;
    emit changed();
}

void SystemColorScheme::markSettled()
{
    if (m_settled)
        return;
    m_settled = true;
    emit settled();
}

} // namespace convscope::ui
