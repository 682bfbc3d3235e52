// SPDX-License-Identifier: GPL-3.0-or-later
// The settings: every value survives a save and load, a first run gets the defaults, the
// layout written before the version key (parameters as a params/* group) carries over and is
// replaced by the next save, and stored parameters outside the editor ranges come back
// clamped into them.
#include "settings.h"

#include "paramlimits.h"

#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace convscope;
using namespace convscope::ui;

class SettingsTest : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_file = 0;

    // A fresh INI file per test: nothing leaks from one test into the next.
    std::unique_ptr<QSettings> freshStore()
    {
        return std::make_unique<QSettings>(m_dir.filePath(QStringLiteral("s%1.ini").arg(++m_file)),
                                           QSettings::IniFormat);
    }

    static Settings loadedFrom(QSettings &store)
    {
        Settings s;
        s.load(store);
        return s;
    }

    // What MainWindow::writeSettings stored before the settings had a version.
    static void writeVersion1Params(QSettings &store, const core::Conv2dParams &p)
    {
        const auto hw = [](core::Hw v) { return QVariantList{v.h, v.w}; };
        store.beginGroup(QStringLiteral("params"));
        store.setValue(QStringLiteral("inChannels"), p.inChannels);
        store.setValue(QStringLiteral("outChannels"), p.outChannels);
        store.setValue(QStringLiteral("kernel"), hw(p.kernel));
        store.setValue(QStringLiteral("stride"), hw(p.stride));
        store.setValue(QStringLiteral("padding"), hw(p.padding));
        store.setValue(QStringLiteral("dilation"), hw(p.dilation));
        store.setValue(QStringLiteral("paddingKind"), static_cast<int>(p.paddingKind));
        store.setValue(QStringLiteral("paddingMode"),
                       QString::fromStdString(core::toString(p.paddingMode)));
        store.setValue(QStringLiteral("groups"), p.groups);
        store.setValue(QStringLiteral("bias"), p.bias);
        store.endGroup();
    }

    static core::Conv2dParams editedParams()
    {
        core::Conv2dParams p;
        p.inChannels = 3;
        p.outChannels = 12;
        p.kernel = {5, 3};
        p.stride = {2, 1};
        p.padding = {2, 1};
        p.paddingMode = core::PaddingMode::Reflect;
        p.dilation = {1, 2};
        p.groups = 3;
        p.bias = false;
        return p;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void firstRun_givesTheDefaults()
    {
        auto store = freshStore();
        const Settings s = loadedFrom(*store);
        QCOMPARE(s, Settings());
        QVERIFY(!s.params);
        QCOMPARE(s.previewLimit, 2048);
        QCOMPARE(s.exportFormats, Settings::defaultExportFormats());
        QVERIFY(s.exportFullResolution);
    }

    void roundTrip_keepsEveryValue()
    {
        Settings s;
        s.windowGeometry = QByteArray("\x01\x02geometry", 10);
        s.windowState = QByteArray("state\x00\xff", 7);
        s.recentFiles = {QStringLiteral("/tmp/a.png"), QStringLiteral("/tmp/b c.jpg")};
        s.previewLimit = 512;
        s.gradient = Gradient::Viridis;
        s.rangeMode = RangeMode::Global;
        s.theme = Settings::Theme::Dark;
        s.presentation = true;
        s.params = editedParams();
        s.sessionFolder = QStringLiteral("/tmp/sessions");
        s.weightsFolder = QStringLiteral("/tmp/weights");
        s.pytorchFolder = QStringLiteral("/tmp/pytorch");
        s.exportFormats = ExportFormats{};
        s.exportFormats.png16 = s.exportFormats.pdf = s.exportFormats.pytorch = true;
        s.exportFolder = QStringLiteral("/tmp/export");
        s.exportSheetWidth = 2400;
        s.exportFullResolution = false;
        QVERIFY(!(s == Settings())); // every field above differs from its default

        auto store = freshStore();
        s.save(*store);
        store->sync();
        QCOMPARE(loadedFrom(*store), s);
        // A new QSettings on the same file reads what the first one wrote.
        QSettings again(store->fileName(), QSettings::IniFormat);
        QCOMPARE(loadedFrom(again), s);
        QCOMPARE(again.value(QStringLiteral("settings/version")).toInt(), Settings::kVersion);
    }

    void roundTrip_keepsEveryPaddingKind()
    {
        for (auto kind : {core::PaddingKind::Same, core::PaddingKind::Valid}) {
            core::Conv2dParams p = editedParams();
            p.paddingKind = kind;
            p.padding = {0, 0};
            Settings s;
            s.params = p;
            auto store = freshStore();
            s.save(*store);
            QCOMPARE(loadedFrom(*store).params, std::optional(p));
        }
    }

    void migration_keepsTheParametersOfTheVersion1Layout()
    {
        auto store = freshStore();
        // Keys whose names did not change, written by the old window.
        store->setValue(QStringLiteral("display/gradient"), QStringLiteral("grayscale"));
        store->setValue(QStringLiteral("display/theme"), 2);
        store->setValue(QStringLiteral("previewLimit"), 1024);
        store->setValue(QStringLiteral("session/lastFolder"), QStringLiteral("/tmp/old"));
        writeVersion1Params(*store, editedParams());

        Settings s = loadedFrom(*store);
        QCOMPARE(s.params, std::optional(editedParams()));
        QCOMPARE(s.gradient, Gradient::Grayscale);
        QCOMPARE(s.theme, Settings::Theme::Dark);
        QCOMPARE(s.previewLimit, 1024);
        QCOMPARE(s.sessionFolder, QStringLiteral("/tmp/old"));

        // The next save writes the current layout and drops the old group.
        s.save(*store);
        QVERIFY(!store->contains(QStringLiteral("params/outChannels")));
        QVERIFY(store->childGroups().contains(QStringLiteral("conv2d")));
        QVERIFY(!store->childGroups().contains(QStringLiteral("params")));
        QCOMPARE(store->value(QStringLiteral("settings/version")).toInt(), Settings::kVersion);
        QCOMPARE(loadedFrom(*store), s);
    }

    void migration_readsVersion1PaddingKinds()
    {
        for (auto kind : {core::PaddingKind::Same, core::PaddingKind::Valid}) {
            core::Conv2dParams p = editedParams();
            p.paddingKind = kind;
            auto store = freshStore();
            writeVersion1Params(*store, p);
            const Settings s = loadedFrom(*store);
            QVERIFY(s.params);
            QCOMPARE(s.params->paddingKind, kind);
        }
    }

    void migration_withoutAParametersGroupLeavesThemUnset()
    {
        auto store = freshStore();
        store->setValue(QStringLiteral("recentFiles"), QStringList{QStringLiteral("/tmp/x.png")});
        const Settings s = loadedFrom(*store);
        QVERIFY(!s.params);
        QCOMPARE(s.recentFiles, QStringList{QStringLiteral("/tmp/x.png")});
    }

    void clamp_bringsStoredParametersIntoTheEditorRanges()
    {
        auto store = freshStore();
        store->setValue(QStringLiteral("settings/version"), Settings::kVersion);
        store->setValue(QStringLiteral("conv2d/params"),
                        QStringLiteral("{\"in_channels\": 2, \"out_channels\": 5000, "
                                       "\"kernel_size\": [0, 99], \"stride\": 40, "
                                       "\"padding\": [-2, 500], \"padding_mode\": \"zeros\", "
                                       "\"dilation\": [0, 17], \"groups\": 300, \"bias\": true}"));
        const Settings s = loadedFrom(*store);
        QVERIFY(s.params);
        QCOMPARE(s.params->inChannels, 3); // the window has grayscale (1) or RGB (3)
        QCOMPARE(s.params->outChannels, limits::kChannels.hi);
        QCOMPARE(s.params->kernel, (core::Hw{limits::kKernel.lo, limits::kKernel.hi}));
        QCOMPARE(s.params->stride, (core::Hw{limits::kStride.hi, limits::kStride.hi}));
        QCOMPARE(s.params->padding, (core::Hw{limits::kPadding.lo, limits::kPadding.hi}));
        QCOMPARE(s.params->dilation, (core::Hw{limits::kDilation.lo, limits::kDilation.hi}));
        QCOMPARE(s.params->groups, limits::kGroups.hi);
    }

    void clamp_appliesToTheVersion1LayoutToo()
    {
        core::Conv2dParams p = editedParams();
        p.inChannels = 7;
        p.outChannels = 0;
        p.kernel = {64, 2};
        p.groups = -4;
        auto store = freshStore();
        writeVersion1Params(*store, p);
        const Settings s = loadedFrom(*store);
        QVERIFY(s.params);
        QCOMPARE(s.params->inChannels, 3);
        QCOMPARE(s.params->outChannels, limits::kChannels.lo);
        QCOMPARE(s.params->kernel, (core::Hw{limits::kKernel.hi, 2}));
        QCOMPARE(s.params->groups, limits::kGroups.lo);
    }

    void unreadableValues_fallBackToTheDefaults()
    {
        auto store = freshStore();
        store->setValue(QStringLiteral("settings/version"), Settings::kVersion);
        store->setValue(QStringLiteral("conv2d/params"), QStringLiteral("{not json"));
        store->setValue(QStringLiteral("display/theme"), 9);
        store->setValue(QStringLiteral("display/gradient"), QStringLiteral("jet"));
        store->setValue(QStringLiteral("export/formats"), QStringLiteral("gif"));
        store->setValue(QStringLiteral("previewLimit"), -5);
        const Settings s = loadedFrom(*store);
        QVERIFY(!s.params);
        QCOMPARE(s.theme, Settings::Theme::Dark); // clamped into System..Dark, as before
        QCOMPARE(s.gradient, Gradient::Diverging);
        QCOMPARE(s.exportFormats, Settings::defaultExportFormats());
        QCOMPARE(s.previewLimit, 0);

        store->setValue(QStringLiteral("conv2d/params"), QStringLiteral("{\"groups\": 1.5}"));
        QVERIFY(!loadedFrom(*store).params); // a type error is not clamped away
    }
};

QTEST_GUILESS_MAIN(SettingsTest)
#include "settings_test.moc"
