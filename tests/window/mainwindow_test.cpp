// SPDX-License-Identifier: GPL-3.0-or-later
// The main window end to end (offscreen): every parameter control reaches the shape panel
// and the map grid, invalid combinations are marked and dim the maps, bad images are
// refused without losing the current one, and undo/redo restores parameters.
#include "uitest_util.h"

#include "inputview.h"
#include "parameterpanel.h"
#include "qcustomplot.h"
#include "shape.h"
#include "shapepanel.h"
#include "systemcolorscheme.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QLabel>
#include <QMenuBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QToolButton>
#include <QToolTip>
#include <QUndoStack>

using namespace convscope;
using convscope::uitest::settled;

namespace {

// Height in pixels of the text painted in a dock's title bar (rows that hold pixels far from
// the bar's background), from a grab of the bar's left half (the buttons are on the right).
int dockTitleTextHeight(QDockWidget *dock)
{
    QCoreApplication::processEvents();
    const int barHeight = dock->widget()->geometry().top();
    const QImage img = dock->grab(QRect(0, 0, dock->width() / 2, barHeight)).toImage();
    const int bgLight = img.pixelColor(img.width() - 1, img.height() / 2).lightness();
    int first = -1, last = -1;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x)
            if (std::abs(img.pixelColor(x, y).lightness() - bgLight) > 90) {
                if (first < 0)
                    first = y;
                last = y;
                break;
            }
    return first < 0 ? 0 : last - first + 1;
}

bool darkPalette(const QPalette &p)
{
    return p.color(QPalette::Window).lightness() < p.color(QPalette::WindowText).lightness();
}

// Lightness of a plot's background (its top-left corner, outside the axis rect) and the
// lightest pixel of its title row: the text must stand out from the background.
std::pair<int, int> plotBackgroundAndText(QCustomPlot *plot)
{
    plot->replot();
    const QImage img = plot->grab().toImage();
    const int bg = img.pixelColor(1, 1).lightness();
    int far = 0;
    for (int y = 0; y < std::min(img.height(), QFontMetrics(plot->font()).height() + 4); ++y)
        for (int x = 0; x < img.width(); ++x)
            far = std::max(far, std::abs(img.pixelColor(x, y).lightness() - bg));
    return {bg, far};
}

} // namespace

class MainWindowTest : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<ui::MainWindow> m_w;

    template <typename T> T *child(const char *name)
    {
        auto *c = m_w->findChild<T *>(QString::fromLatin1(name));
        if (!c)
            qFatal("no child named %s", name);
        return c;
    }
    // The output shape the core computes for the session's current state.
    core::Shape expectedOut()
    {
        return core::outputShape(m_w->session()->params(), m_w->session()->inputTensor()->shape);
    }
    // Shape panel and grid both agree with the core's arithmetic.
    void checkShownShape()
    {
        QTRY_VERIFY_WITH_TIMEOUT(settled(*m_w), 10000);
        QVERIFY(!m_w->session()->validationError());
        const core::Shape out = expectedOut();
        const QString want = QString::fromStdString(core::formatShape(out));
        QVERIFY2(m_w->shapePanel()->shapeLine().endsWith(QStringLiteral("Output ") + want),
                 qPrintable(m_w->shapePanel()->shapeLine()));
        QVERIFY(m_w->shapePanel()->html().contains(want.toHtmlEscaped()));
        QCOMPARE(m_w->grid()->mapCount(), int(out[1]));
        QCOMPARE(m_w->grid()->visibleMapCount(), std::min(int(out[1]), m_w->grid()->mapsPerPage()));
        QCOMPARE(m_w->session()->result()->output.shape, out);
        QVERIFY(!m_w->grid()->isDimmed());
    }

private slots:
    void initTestCase()
    {
        // Never touch the user's settings.
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("convscope-tests"));
        QCoreApplication::setApplicationName(QStringLiteral("mainwindow_test"));
        QSettings().clear();
        // No desktop portal: the machine's own light/dark setting must not reach the theme
        // tests, and start-up must cope with a session bus that is not there. QtDBus connects
        // once per process, so this has to precede the first window.
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/convscope-test-bus");
    }

    void init()
    {
        m_w = uitest::openTestWindow();
        QVERIFY(settled(*m_w));
    }
    void cleanup() { m_w.reset(); }

    void firstLaunchSize_fitsTheScreen()
    {
        // A projector, a 2x laptop (2560x1600 is 1280x800 logical) and a desktop.
        for (const QSize screen : {QSize(1024, 768), QSize(1280, 800), QSize(1366, 768)}) {
            const QSize s = convscope::ui::MainWindow::firstLaunchSize(screen);
            QVERIFY2(s.width() <= screen.width() - 16 && s.height() <= screen.height() - 40,
                     qPrintable(QStringLiteral("%1x%2 on %3x%4")
                                    .arg(s.width())
                                    .arg(s.height())
                                    .arg(screen.width())
                                    .arg(screen.height())));
        }
        QCOMPARE(convscope::ui::MainWindow::firstLaunchSize({1920, 1080}), QSize(1500, 920));
    }

    void startsWithMaps()
    {
        checkShownShape();
        QCOMPARE(m_w->grid()->mapCount(), 8);
        QVERIFY(m_w->shapePanel()->reprLine().startsWith(QStringLiteral("Conv2d(3, 8")));
    }

    void outChannelsControl()
    {
        child<QSpinBox>("outChannels")->setValue(5);
        checkShownShape();
        QCOMPARE(m_w->grid()->mapCount(), 5);
        // The slider drives the same parameter.
        child<QSlider>("outChannelsSlider")->setValue(11);
        checkShownShape();
        QCOMPARE(m_w->grid()->mapCount(), 11);
    }

    void kernelControlLinkedAndUnlinked()
    {
        child<QSpinBox>("kernelH")->setValue(5); // linked by default: square
        checkShownShape();
        QCOMPARE(m_w->session()->params().kernel, (core::Hw{5, 5}));
        QCOMPARE(child<QSpinBox>("kernelW")->value(), 5);
        child<QToolButton>("kernelLink")->setChecked(false);
        child<QSpinBox>("kernelW")->setValue(1);
        checkShownShape();
        QCOMPARE(m_w->session()->params().kernel, (core::Hw{5, 1}));
        QVERIFY(m_w->shapePanel()->formulaW().endsWith(QStringLiteral("= 42")));
        child<QSlider>("kernelSlider")->setValue(7); // unlinked slider: height only
        checkShownShape();
        QCOMPARE(m_w->session()->params().kernel, (core::Hw{7, 1}));
    }

    void strideControl()
    {
        child<QSpinBox>("strideH")->setValue(2);
        checkShownShape();
        QCOMPARE(expectedOut()[2], 15);
        QCOMPARE(expectedOut()[3], 20);
        QVERIFY(m_w->shapePanel()->formulaH().endsWith(QStringLiteral("= 15")));
    }

    void paddingControls()
    {
        child<QSpinBox>("paddingH")->setValue(3);
        checkShownShape();
        QCOMPARE(expectedOut()[2], 34);
        child<QComboBox>("paddingKind")->setCurrentIndex(2); // 'valid'
        checkShownShape();
        QCOMPARE(expectedOut()[2], 28);
        QVERIFY(!child<QSpinBox>("paddingH")->isEnabled());
        child<QComboBox>("paddingKind")->setCurrentIndex(1); // 'same'
        checkShownShape();
        QCOMPARE(expectedOut()[2], 30);
        QVERIFY(m_w->shapePanel()->reprLine().contains(QStringLiteral("padding=same")));
    }

    void paddingModeControl()
    {
        child<QComboBox>("paddingMode")->setCurrentIndex(1);
        checkShownShape();
        QVERIFY(m_w->session()->params().paddingMode == core::PaddingMode::Reflect);
        QVERIFY(m_w->shapePanel()->reprLine().contains(QStringLiteral("padding_mode=reflect")));
        QVERIFY(m_w->inputView()->caption().contains(QStringLiteral("reflect")));
    }

    void dilationControl()
    {
        child<QSpinBox>("dilationW")->setValue(3);
        checkShownShape();
        QCOMPARE(m_w->session()->params().dilation, (core::Hw{3, 3}));
        QCOMPARE(expectedOut()[3], 36); // 40 + 2 - 3*2 - 1 + 1
    }

    void groupsAndBiasAndInputControls()
    {
        child<QSpinBox>("outChannels")->setValue(6);
        child<QSpinBox>("groups")->setValue(3);
        checkShownShape();
        QVERIFY(m_w->shapePanel()->html().contains(QStringLiteral("[6, 1, 3, 3]")));
        child<QCheckBox>("bias")->setChecked(false);
        checkShownShape();
        QVERIFY(m_w->shapePanel()->reprLine().contains(QStringLiteral("bias=False")));
        child<QSpinBox>("groups")->setValue(1);
        child<QComboBox>("inputMode")->setCurrentIndex(0); // grayscale
        checkShownShape();
        QCOMPARE(m_w->session()->inputTensor()->shape, (core::Shape{1, 1, 30, 40}));
        QVERIFY(m_w->shapePanel()->shapeLine().startsWith(QStringLiteral("Input [1, 1, 30, 40]")));
    }

    void invalidGroupsIsMarkedAndDimmed()
    {
        const auto before = m_w->session()->result();
        child<QSpinBox>("groups")->setValue(2); // 3 input channels
        QTRY_VERIFY(settled(*m_w));
        auto *panel = m_w->parameterPanel();
        QVERIFY(panel->isMarked(core::Field::Groups));
        QVERIFY(!panel->isMarked(core::Field::Kernel));
        QVERIFY2(panel->errorText().contains(QStringLiteral("divisible by groups")),
                 qPrintable(panel->errorText()));
        QVERIFY(child<QLabel>("errorLabel")->isVisible());
        QVERIFY(child<QSpinBox>("groups")->property("invalid").toBool());
        QVERIFY(m_w->grid()->isDimmed());
        QVERIFY(child<QLabel>("invalidBanner")->isVisible());
        QVERIFY(m_w->shapePanel()->shapeLine().endsWith(QStringLiteral("(invalid)")));
        QCOMPARE(m_w->session()->result(), before); // the last valid result stays, dimmed
        QVERIFY(!m_w->session()->resultIsCurrent());

        child<QSpinBox>("groups")->setValue(1);
        checkShownShape();
        QVERIFY(!panel->isMarked(core::Field::Groups));
        QVERIFY(!child<QLabel>("errorLabel")->isVisible());
        QVERIFY(!child<QLabel>("invalidBanner")->isVisible());
    }

    void kernelLargerThanInputIsMarked()
    {
        child<QComboBox>("paddingKind")->setCurrentIndex(2); // 'valid'
        child<QSpinBox>("kernelH")->setValue(31);            // > 30 rows
        QTRY_VERIFY(settled(*m_w));
        QVERIFY(m_w->parameterPanel()->isMarked(core::Field::Kernel));
        QVERIFY(m_w->grid()->isDimmed());
    }

    void corruptAndMissingImagesKeepTheCurrentOne()
    {
        QTemporaryDir dir;
        const QString corrupt = dir.filePath(QStringLiteral("corrupt.png"));
        {
            QFile f(corrupt);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("\x89PNG\r\n\x1a\nthis is not a png at all");
        }
        const QImage before = m_w->session()->image();
        const QString source = m_w->session()->imageSource();
        QSignalSpy errors(m_w.get(), &ui::MainWindow::errorShown);
        QSignalSpy images(m_w->session(), &ui::Session::imageChanged);

        QVERIFY(!m_w->openImage(corrupt));
        QCOMPARE(errors.count(), 1);
        QVERIFY2(m_w->lastError().contains(QStringLiteral("corrupt.png")),
                 qPrintable(m_w->lastError()));

        QVERIFY(!m_w->openImage(dir.filePath(QStringLiteral("missing.jpg"))));
        QCOMPARE(errors.count(), 2);
        QVERIFY(m_w->lastError().contains(QStringLiteral("no such file")));

        QCOMPARE(images.count(), 0);
        QCOMPARE(m_w->session()->image(), before);
        QCOMPARE(m_w->session()->imageSource(), source);
        QVERIFY(settled(*m_w));
        QVERIFY(m_w->session()->resultIsCurrent());
    }

    void goodImageLoadsAndAppliesExifOrientation()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("ok.png"));
        QVERIFY(uitest::testImage(24, 16).save(path));
        QVERIFY(m_w->openImage(path));
        QTRY_VERIFY(settled(*m_w));
        QCOMPARE(m_w->session()->inputTensor()->shape, (core::Shape{1, 3, 16, 24}));
    }

    void previewLimitDownscalesVisibly()
    {
        m_w->session()->setPreviewLimit(20);
        QTRY_VERIFY(settled(*m_w));
        QVERIFY(m_w->session()->isDownscaled());
        QCOMPARE(m_w->session()->image().size(), QSize(40, 30)); // the full image is kept
        QCOMPARE(m_w->session()->inputTensor()->shape, (core::Shape{1, 3, 15, 20}));
        QVERIFY(child<QLabel>("previewLabel")->text().contains(QStringLiteral("20×15")));
        m_w->session()->setPreviewLimit(0);
        QTRY_VERIFY(settled(*m_w));
        QVERIFY(!m_w->session()->isDownscaled());
    }

    void undoRedoRestoresParameters()
    {
        QUndoStack *undo = m_w->undoStack();
        const core::Conv2dParams start = m_w->session()->params();
        child<QSpinBox>("kernelH")->setValue(5);
        child<QSpinBox>("strideW")->setValue(2); // linked: both
        child<QComboBox>("paddingMode")->setCurrentIndex(3);
        QCOMPARE(undo->count(), 3);
        const core::Conv2dParams end = m_w->session()->params();
        QCOMPARE(end.stride, (core::Hw{2, 2}));

        undo->undo();
        QVERIFY(m_w->session()->params().paddingMode == core::PaddingMode::Zeros);
        QCOMPARE(child<QComboBox>("paddingMode")->currentIndex(), 0); // the panel follows
        undo->undo();
        QCOMPARE(m_w->session()->params().stride, (core::Hw{1, 1}));
        QCOMPARE(child<QSpinBox>("strideH")->value(), 1);
        undo->undo();
        QCOMPARE(m_w->session()->params(), start);
        QCOMPARE(child<QSpinBox>("kernelW")->value(), 3);
        checkShownShape();

        undo->redo();
        undo->redo();
        undo->redo();
        QCOMPARE(m_w->session()->params(), end);
        checkShownShape();
        QCOMPARE(undo->count(), 3); // undo/redo pushed nothing new
    }

    void sliderDragIsOneUndoStep()
    {
        QUndoStack *undo = m_w->undoStack();
        auto *slider = child<QSlider>("kernelSlider");
        const int before = undo->count();
        slider->setSliderDown(true); // as when the user holds the handle
        emit slider->sliderPressed();
        for (int v : {4, 5, 6, 7})
            slider->setValue(v);
        slider->setSliderDown(false);
        QCOMPARE(undo->count(), before + 1);
        QCOMPARE(m_w->session()->params().kernel, (core::Hw{7, 7}));
        undo->undo();
        QCOMPARE(m_w->session()->params().kernel, (core::Hw{3, 3}));
        // A second drag is a separate step.
        slider->setSliderDown(true);
        emit slider->sliderPressed();
        slider->setValue(2);
        slider->setSliderDown(false);
        QCOMPARE(undo->count(), before + 1); // the undone step was replaced
        QCOMPARE(undo->index(), before + 1);
    }

    void settingsRoundTripParameters()
    {
        child<QSpinBox>("outChannels")->setValue(12);
        child<QComboBox>("paddingMode")->setCurrentIndex(2);
        m_w->writeSettings();
        ui::MainWindow other;
        other.readSettings();
        QCOMPARE(other.session()->params(), m_w->session()->params());
        QCOMPARE(other.undoStack()->count(), 0);
    }

    void settingsOfTheUnversionedLayout_restoreTheUsersParameters()
    {
        // What the window wrote before the settings had a version: a params/* group.
        QSettings().clear();
        {
            QSettings s;
            s.setValue(QStringLiteral("display/gradient"), QStringLiteral("viridis"));
            s.beginGroup(QStringLiteral("params"));
            s.setValue(QStringLiteral("inChannels"), 1);
            s.setValue(QStringLiteral("outChannels"), 6);
            s.setValue(QStringLiteral("kernel"), QVariantList{5, 3});
            s.setValue(QStringLiteral("stride"), QVariantList{1, 1});
            s.setValue(QStringLiteral("padding"), QVariantList{0, 0});
            s.setValue(QStringLiteral("dilation"), QVariantList{1, 1});
            s.setValue(QStringLiteral("paddingKind"), 1); // 'same'
            s.setValue(QStringLiteral("paddingMode"), QStringLiteral("replicate"));
            s.setValue(QStringLiteral("groups"), 1);
            s.setValue(QStringLiteral("bias"), false);
            s.endGroup();
        }
        ui::MainWindow other;
        other.readSettings();
        core::Conv2dParams expected;
        expected.inChannels = 1;
        expected.outChannels = 6;
        expected.kernel = {5, 3};
        expected.paddingKind = core::PaddingKind::Same;
        expected.paddingMode = core::PaddingMode::Replicate;
        expected.bias = false;
        QCOMPARE(other.session()->params(), expected);
        QCOMPARE(other.session()->gradient(), ui::Gradient::Viridis);
        QCOMPARE(other.undoStack()->count(), 0);
        // Saved again in the current layout, they come back the same.
        other.writeSettings();
        QVERIFY(!QSettings().contains(QStringLiteral("params/outChannels")));
        ui::MainWindow third;
        third.readSettings();
        QCOMPARE(third.session()->params(), expected);
    }

    void presentationModeEnlargesFonts()
    {
        const qreal normal = QApplication::font().pointSizeF();
        m_w->setPresentationMode(true);
        QVERIFY(QApplication::font().pointSizeF() > normal * 1.5);
        m_w->setPresentationMode(false);
        QCOMPARE(QApplication::font().pointSizeF(), normal);
    }

    void themeOverrideReachesEveryPanelAndPersists()
    {
        QTRY_VERIFY_WITH_TIMEOUT(settled(*m_w), 10000);
        const bool systemDark = darkPalette(QApplication::palette());
        for (auto theme : {ui::MainWindow::Theme::Dark, ui::MainWindow::Theme::Light}) {
            const bool dark = theme == ui::MainWindow::Theme::Dark;
            m_w->setTheme(theme);
            QCoreApplication::processEvents();
            QCOMPARE(darkPalette(QApplication::palette()), dark);
            for (QDockWidget *dock : m_w->findChildren<QDockWidget *>())
                QVERIFY2(darkPalette(dock->widget()->palette()) == dark,
                         qPrintable(dock->objectName()));
            QCOMPARE(darkPalette(m_w->grid()->palette()), dark);
            // Tooltips keep the palette they were first shown with unless told.
            const QPalette tip = QToolTip::palette();
            QCOMPARE(tip.color(QPalette::ToolTipBase).lightness()
                         < tip.color(QPalette::ToolTipText).lightness(),
                     dark);
            // Roles the dark palette must set itself rather than inherit from a light one:
            // placeholder text readable on Base, bevels darker than the window.
            const QPalette pal = QApplication::palette();
            const int base = pal.color(QPalette::Base).lightness();
            QVERIFY(std::abs(pal.color(QPalette::PlaceholderText).lightness() - base) > 60);
            QVERIFY(pal.color(QPalette::PlaceholderText).alpha() == 255
                    || !dark); // a translucent black vanishes on a dark Base
            if (dark)
                QVERIFY(pal.color(QPalette::Light).lightness() < 160);
            // Feature maps are QCustomPlots with their own background and text colours.
            const auto [bg, text] = plotBackgroundAndText(m_w->grid()->plot(0));
            QVERIFY2(dark ? bg < 100 : bg > 155, qPrintable(QString::number(bg)));
            QVERIFY2(text > 100, qPrintable(QString::number(text)));

            m_w->writeSettings();
            ui::MainWindow other;
            other.readSettings();
            QCOMPARE(other.theme(), theme);
            QCOMPARE(darkPalette(QApplication::palette()), dark);
        }
        m_w->setTheme(ui::MainWindow::Theme::System);
        QCOMPARE(darkPalette(QApplication::palette()), systemDark);
        m_w->writeSettings();
        ui::MainWindow other;
        other.readSettings();
        QCOMPARE(other.theme(), ui::MainWindow::Theme::System);
    }

    void systemThemeFollowsPortalPreference()
    {
        using Pref = ui::ColorSchemePreference;
        ui::SystemColorScheme *scheme = m_w->systemColorScheme();
        QVERIFY(scheme);
        // Without a preference "System" is the platform palette (GTK_THEME aside).
        qunsetenv("GTK_THEME");
        m_w->setTheme(ui::MainWindow::Theme::System);
        const bool platformDark = darkPalette(QApplication::palette());

        scheme->overridePreference(Pref::Dark);
        QVERIFY(darkPalette(QApplication::palette()));
        QCoreApplication::processEvents();
        QVERIFY(darkPalette(m_w->grid()->palette()));
        QVERIFY(darkPalette(QToolTip::palette()));
        const int bg = plotBackgroundAndText(m_w->grid()->plot(0)).first;
        QVERIFY2(bg < 100, qPrintable(QString::number(bg)));

        scheme->overridePreference(Pref::Light);
        QVERIFY(!darkPalette(QApplication::palette()));
        QCoreApplication::processEvents();
        QVERIFY(!darkPalette(m_w->grid()->palette()));

        scheme->overridePreference(Pref::NoPreference);
        QCOMPARE(darkPalette(QApplication::palette()), platformDark);

        // A theme the user forced stays whatever the desktop says.
        m_w->setTheme(ui::MainWindow::Theme::Light);
        scheme->overridePreference(Pref::Dark);
        QVERIFY(!darkPalette(QApplication::palette()));
        QCOMPARE(m_w->theme(), ui::MainWindow::Theme::Light);
        m_w->setTheme(ui::MainWindow::Theme::Dark);
        scheme->overridePreference(Pref::Light);
        QVERIFY(darkPalette(QApplication::palette()));
        QCOMPARE(m_w->theme(), ui::MainWindow::Theme::Dark);
        // Back to System: the preference that arrived meanwhile applies at once.
        m_w->setTheme(ui::MainWindow::Theme::System);
        QVERIFY(!darkPalette(QApplication::palette()));
        scheme->overridePreference(Pref::Dark);
        QVERIFY(darkPalette(QApplication::palette()));
        m_w->setTheme(ui::MainWindow::Theme::Light);
    }

    void startsWithoutSessionBusWithoutWaiting()
    {
        // initTestCase pointed DBUS_SESSION_BUS_ADDRESS at a socket that does not exist.
        QElapsedTimer t;
        t.start();
        ui::MainWindow w;
        const qint64 constructed = t.elapsed();
        QVERIFY2(constructed < 500, qPrintable(QStringLiteral("%1 ms").arg(constructed)));
        // The missing bus is noticed quickly and means "no preference".
        QTRY_VERIFY_WITH_TIMEOUT(w.systemColorScheme()->isSettled(), 1000);
        QCOMPARE(w.systemColorScheme()->preference(), ui::ColorSchemePreference::NoPreference);
    }

    void presentationModeEnlargesDockTitlesMenuAndStatusBar()
    {
        // Dock titles kept the font they were created with (Qt copies it once).
        QList<QDockWidget *> docks;
        QList<int> normal;
        for (const char *name : {"parametersDock", "inputDock", "shapeDock", "kernelDock"}) {
            docks << child<QDockWidget>(name);
            normal << dockTitleTextHeight(docks.back());
            QVERIFY2(normal.back() > 3, name);
        }
        const qreal menuNormal = QFontInfo(m_w->menuBar()->font()).pixelSize();
        const qreal statusNormal = QFontInfo(m_w->statusBar()->font()).pixelSize();

        m_w->setPresentationMode(true);
        for (int i = 0; i < docks.size(); ++i) {
            const int big = dockTitleTextHeight(docks[i]);
            QVERIFY2(big > normal[i] * 1.4,
                     qPrintable(QStringLiteral("%1: title text %2 px -> %3 px")
                                    .arg(docks[i]->objectName())
                                    .arg(normal[i])
                                    .arg(big)));
        }
        QVERIFY(QFontInfo(m_w->menuBar()->font()).pixelSize() > menuNormal * 1.4);
        QVERIFY(QFontInfo(m_w->statusBar()->font()).pixelSize() > statusNormal * 1.4);

        m_w->setPresentationMode(false);
        for (int i = 0; i < docks.size(); ++i)
            QCOMPARE(dockTitleTextHeight(docks[i]), normal[i]);
        QCOMPARE(QFontInfo(m_w->menuBar()->font()).pixelSize(), menuNormal);
        QCOMPARE(QFontInfo(m_w->statusBar()->font()).pixelSize(), statusNormal);
    }
};

QTEST_MAIN(MainWindowTest)
#include "mainwindow_test.moc"
