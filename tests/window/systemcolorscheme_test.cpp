// SPDX-License-Identifier: GPL-3.0-or-later
// The desktop portal's light/dark preference: decoding the portal's reply, deciding the
// palette, and (where dbus-daemon is installed) a fake portal on a private session bus.
#include "systemcolorscheme.h"

#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusVariant>
#include <QElapsedTimer>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace convscope::ui;
using Pref = ColorSchemePreference;

namespace {

QVariant wrap(const QVariant &v, int levels)
{
    QVariant out = v;
    for (int i = 0; i < levels; ++i)
        out = QVariant::fromValue(QDBusVariant(out));
    return out;
}

const QString kPath = QStringLiteral("/org/freedesktop/portal/desktop");
const QString kInterface = QStringLiteral("org.freedesktop.portal.Settings");

// Answers Read() like xdg-desktop-portal: the setting's variant inside the reply's variant.
class FakePortal : public QObject {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.portal.Settings")
public:
    uint m_value = 1;
    int m_reads = 0;

public slots:
    QDBusVariant Read(const QString &nameSpace, const QString &key)
    {
        ++m_reads;
        if (nameSpace != QLatin1String("org.freedesktop.appearance")
            || key != QLatin1String("color-scheme"))
            return QDBusVariant(QVariant(QString()));
        return QDBusVariant(QVariant::fromValue(QDBusVariant(QVariant(m_value))));
    }
};

} // namespace

Q_DECLARE_METATYPE(convscope::ui::ColorSchemePreference)
Q_DECLARE_METATYPE(convscope::ui::SystemPalette)

class SystemColorSchemeTest : public QObject {
    Q_OBJECT
private:
    QProcess m_bus;
    QString m_address;

private slots:
    void initTestCase()
    {
        // A private session bus, so no real portal on the developer's desktop takes part
        // and the test can publish its own. It must be chosen before anything in this
        // process touches the session bus (QtDBus connects once and keeps it).
        const QString daemon = QStandardPaths::findExecutable(QStringLiteral("dbus-daemon"));
        if (daemon.isEmpty()) {
            qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/convscope-test-bus");
            return;
        }
        m_bus.start(daemon, {QStringLiteral("--session"), QStringLiteral("--nofork"),
                             QStringLiteral("--print-address")});
        QVERIFY(m_bus.waitForStarted(5000));
        QElapsedTimer t;
        t.start();
        while (!m_bus.canReadLine() && t.elapsed() < 5000)
            m_bus.waitForReadyRead(100);
        m_address = QString::fromUtf8(m_bus.readLine()).trimmed();
        QVERIFY2(!m_address.isEmpty(), "dbus-daemon printed no address");
        qputenv("DBUS_SESSION_BUS_ADDRESS", m_address.toUtf8());
    }

    void cleanupTestCase()
    {
        if (m_bus.state() != QProcess::NotRunning) {
            m_bus.terminate();
            m_bus.waitForFinished(3000);
        }
    }

    void parsesPortalValue_data()
    {
        QTest::addColumn<QVariant>("value");
        QTest::addColumn<Pref>("expected");
        QTest::newRow("uint 0") << QVariant(0u) << Pref::NoPreference;
        QTest::newRow("uint 1") << QVariant(1u) << Pref::Dark;
        QTest::newRow("uint 2") << QVariant(2u) << Pref::Light;
        QTest::newRow("int 1") << QVariant(1) << Pref::Dark;
        QTest::newRow("uint 3 (newer spec)") << QVariant(3u) << Pref::NoPreference;
        QTest::newRow("int -1") << QVariant(-1) << Pref::NoPreference;
        QTest::newRow("1 level dark") << wrap(QVariant(1u), 1) << Pref::Dark;
        QTest::newRow("2 levels light") << wrap(QVariant(2u), 2) << Pref::Light;
        QTest::newRow("2 levels 0") << wrap(QVariant(0u), 2) << Pref::NoPreference;
        QTest::newRow("3 levels dark") << wrap(QVariant(1u), 3) << Pref::Dark;
        QTest::newRow("too deep") << wrap(QVariant(1u), 8) << Pref::NoPreference;
        QTest::newRow("invalid") << QVariant() << Pref::NoPreference;
        QTest::newRow("empty QDBusVariant") << wrap(QVariant(), 1) << Pref::NoPreference;
        QTest::newRow("string \"1\"") << QVariant(QStringLiteral("1")) << Pref::NoPreference;
        QTest::newRow("wrapped string")
            << wrap(QVariant(QStringLiteral("prefer-dark")), 2) << Pref::NoPreference;
        QTest::newRow("bool") << QVariant(true) << Pref::NoPreference;
        QTest::newRow("double") << QVariant(1.0) << Pref::NoPreference;
        QTest::newRow("list") << QVariant(QVariantList{1u}) << Pref::NoPreference;
    }
    void parsesPortalValue()
    {
        QFETCH(QVariant, value);
        QFETCH(Pref, expected);
        QCOMPARE(parsePortalColorScheme(value), expected);
    }

    void resolvesPalette_data()
    {
        QTest::addColumn<Pref>("pref");
        QTest::addColumn<QString>("gtkTheme");
        QTest::addColumn<bool>("platformDark");
        QTest::addColumn<SystemPalette>("expected");
        const QString none, gtkDark = QStringLiteral("Adwaita:dark"),
                            gtkLight = QStringLiteral("Adwaita");
        // The portal's choice wins over GTK_THEME and over the platform palette.
        QTest::newRow("dark, light palette") << Pref::Dark << none << false << SystemPalette::Dark;
        QTest::newRow("dark, dark palette")
            << Pref::Dark << none << true << SystemPalette::Platform;
        QTest::newRow("light, dark palette") << Pref::Light << none << true << SystemPalette::Light;
        QTest::newRow("light, light palette")
            << Pref::Light << none << false << SystemPalette::Platform;
        QTest::newRow("light beats GTK dark")
            << Pref::Light << gtkDark << false << SystemPalette::Platform;
        QTest::newRow("light beats GTK dark, dark palette")
            << Pref::Light << gtkDark << true << SystemPalette::Light;
        QTest::newRow("dark beats GTK light")
            << Pref::Dark << gtkLight << false << SystemPalette::Dark;
        // No preference: the fallbacks of before.
        QTest::newRow("none, GTK dark, light palette")
            << Pref::NoPreference << gtkDark << false << SystemPalette::Dark;
        QTest::newRow("none, GTK dark, dark palette")
            << Pref::NoPreference << gtkDark << true << SystemPalette::Platform;
        QTest::newRow("none, light palette")
            << Pref::NoPreference << none << false << SystemPalette::Platform;
        QTest::newRow("none, dark palette")
            << Pref::NoPreference << none << true << SystemPalette::Platform;
        QTest::newRow("none, GTK light, dark palette")
            << Pref::NoPreference << gtkLight << true << SystemPalette::Platform;
        QTest::newRow("none, GTK \"dark\" without colon")
            << Pref::NoPreference << QStringLiteral("Mydark") << false << SystemPalette::Platform;
    }
    void resolvesPalette()
    {
        QFETCH(Pref, pref);
        QFETCH(QString, gtkTheme);
        QFETCH(bool, platformDark);
        QFETCH(SystemPalette, expected);
        QCOMPARE(resolveSystemPalette(pref, gtkTheme, platformDark), expected);
    }

    void overrideEmitsOnlyOnChange()
    {
        SystemColorScheme s;
        QSignalSpy changed(&s, &SystemColorScheme::changed);
        QCOMPARE(s.preference(), Pref::NoPreference);
        s.overridePreference(Pref::NoPreference);
        QCOMPARE(changed.count(), 0);
        QVERIFY(s.isSettled());
        s.overridePreference(Pref::Dark);
        QCOMPARE(changed.count(), 1);
        s.overridePreference(Pref::Dark);
        QCOMPARE(changed.count(), 1);
        s.overridePreference(Pref::Light);
        QCOMPARE(changed.count(), 2);
        QCOMPARE(s.preference(), Pref::Light);
    }

    // Everything below talks to the private bus.
    void noPortalMeansNoPreference()
    {
        if (m_address.isEmpty())
            QSKIP("dbus-daemon is not installed");
        SystemColorScheme s;
        QSignalSpy changed(&s, &SystemColorScheme::changed);
        QElapsedTimer t;
        t.start();
        s.start();
        QVERIFY2(t.elapsed() < 200, "start() must not wait for the bus");
        QTRY_VERIFY_WITH_TIMEOUT(s.isSettled(), 3000);
        QCOMPARE(s.preference(), Pref::NoPreference);
        QCOMPARE(changed.count(), 0);
    }

    void readsAndFollowsFakePortal()
    {
        if (m_address.isEmpty())
            QSKIP("dbus-daemon is not installed");
        QDBusConnection portalBus =
            QDBusConnection::connectToBus(m_address, QStringLiteral("fakeportal"));
        QVERIFY(portalBus.isConnected());
        FakePortal portal;
        QVERIFY(portalBus.registerObject(kPath, &portal, QDBusConnection::ExportAllSlots));
        QVERIFY(portalBus.registerService(QStringLiteral("org.freedesktop.portal.Desktop")));

        SystemColorScheme s;
        QSignalSpy changed(&s, &SystemColorScheme::changed);
        s.start();
        QTRY_VERIFY_WITH_TIMEOUT(s.isSettled(), 3000);
        QCOMPARE(portal.m_reads, 1);
        QCOMPARE(s.preference(), Pref::Dark); // the doubly wrapped uint 1
        QCOMPARE(changed.count(), 1);

        auto emitSetting = [&](const QString &ns, const QString &key, uint value) {
            QDBusMessage m =
                QDBusMessage::createSignal(kPath, kInterface, QStringLiteral("SettingChanged"));
            m << ns << key << QVariant::fromValue(QDBusVariant(QVariant(value)));
            QVERIFY(portalBus.send(m));
        };
        const QString appearance = QStringLiteral("org.freedesktop.appearance");
        emitSetting(appearance, QStringLiteral("color-scheme"), 2);
        QTRY_COMPARE_WITH_TIMEOUT(s.preference(), Pref::Light, 3000);
        QCOMPARE(changed.count(), 2);
        // Other settings do not touch the colour scheme.
        emitSetting(appearance, QStringLiteral("accent-color"), 1);
        emitSetting(QStringLiteral("org.gnome.desktop.interface"), QStringLiteral("color-scheme"),
                    1);
        emitSetting(appearance, QStringLiteral("color-scheme"), 0);
        QTRY_COMPARE_WITH_TIMEOUT(s.preference(), Pref::NoPreference, 3000);
        QCOMPARE(changed.count(), 3);

        // An injected preference is not undone by the portal.
        s.overridePreference(Pref::Dark);
        emitSetting(appearance, QStringLiteral("color-scheme"), 2);
        QTest::qWait(200);
        QCOMPARE(s.preference(), Pref::Dark);

        portalBus.unregisterService(QStringLiteral("org.freedesktop.portal.Desktop"));
        portalBus.unregisterObject(kPath);
        QDBusConnection::disconnectFromBus(QStringLiteral("fakeportal"));
    }
};

QTEST_MAIN(SystemColorSchemeTest)
#include "systemcolorscheme_test.moc"
