// SPDX-License-Identifier: GPL-3.0-or-later
#include "guiapp.h"

#include "benchui.h"
#include "cli/cli.h"
#include "commands.h"
#include "computecontroller.h"
#include "convmatrixview.h"
#include "erfmodel.h"
#include "erfpanel.h"
#include "explainpanel.h"
#include "featuremapgrid.h"
#include "ids.h"
#include "kernels.h"
#include "layerstackmodel.h"
#include "lesson.h"
#include "mainwindow.h"
#include "quiz.h"
#include "receptivefieldcontroller.h"
#include "teachingmode.h"
#include "teachingpanel.h"

#ifdef __GLIBC__
#endif
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QSaveFile>
#include <QScreen>
#include <QTimer>
#include <QUndoStack>

#include <iostream>

namespace convscope::ui {

GuiOptions takeGuiOptions(std::vector<std::string> &args)
{
    GuiOptions o;
    for (std::size_t i = 0; i + 1 < args.size();) {
        if (args[i] == "--screenshot" || args[i] == "--screenshot-state") {
            (args[i] == "--screenshot" ? o.screenshot : o.screenshotState) = args[i + 1];
            args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                       args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
        } else {
            ++i;
        }
    }
    if (!args.empty() && args.front() == "--" && args.size() > 1)
        o.image = args[1]; // "convscope -- -odd-name.png"
    else if (!args.empty() && args.front().rfind('-', 0) != 0)
        o.image = args.front();
    return o;
}

namespace {

void applyScreenshotState(MainWindow &w, const QString &state)
{
    core::Conv2dParams p = w.session()->params();
    if (state == QLatin1String("presentation")) {
        w.setPresentationMode(true);
    } else if (state == QLatin1String("invalid")) {
        p.groups = 2; // 3 input channels are not divisible by 2
    } else if (state == QLatin1String("many")) {
        p.outChannels = 64;
        p.kernel = {5, 5};
        p.padding = {2, 2};
    } else if (state == QLatin1String("reflect")) {
        p.padding = {12, 12};
        p.kernel = {5, 5};
        p.paddingMode = core::PaddingMode::Reflect;
    } else if (state.startsWith(QLatin1String("lesson"))) {
        // A lesson step as a class sees it: the dilation lesson's first question (which
        // pixels does an output read, on a 9x9 grid), answered and revealed in
        // prepareScreenshot; "lesson-presentation" on the projector.
        for (const QString &path : shippedLessonPaths())
            if (path.contains(QLatin1String("dilation")))
                w.openFile(path);
        if (state == QLatin1String("lesson-presentation"))
            w.setPresentationMode(true);
        return;
    } else if (state == QLatin1String("dark")) {
        w.setTheme(MainWindow::Theme::Dark);
    } else if (state == QLatin1String("receptive-field") || state == QLatin1String("explain")) {
        // Receptive fields: a small fed image, so single pixels, taps and gaps are visible;
        // dilation leaves gaps; circular padding copies pixels from the far side, outside the box
        // (receptive-field), reflect labels each padded term with its source (explain).
        w.session()->setPreviewLimit(40);
        p.outChannels = 4;
        p.kernel = {3, 3};
        p.stride = state == QLatin1String("explain") ? core::Hw{1, 1} : core::Hw{2, 2};
        p.padding = state == QLatin1String("explain") ? core::Hw{1, 1} : core::Hw{2, 2};
        p.dilation = state == QLatin1String("explain") ? core::Hw{1, 1} : core::Hw{2, 2};
        p.paddingMode = state == QLatin1String("explain") ? core::PaddingMode::Reflect
                                                          : core::PaddingMode::Circular;
    } else if (state == QLatin1String("matrix") || state == QLatin1String("matrix-docked")) {
        // A grey input and two output channels: a matrix a class can read row by row.
        p.inChannels = 1;
        p.outChannels = 2;
        p.kernel = {3, 3};
        p.padding = {1, 1};
    } else if (state == QLatin1String("erf") || state == QLatin1String("gridding")) {
        p.outChannels = 8;
        p.kernel = {3, 3};
        const bool grid = state == QLatin1String("gridding");
        p.padding = grid ? core::Hw{0, 0} : core::Hw{1, 1};
        p.dilation = grid ? core::Hw{2, 2} : core::Hw{1, 1};
    }
    if (!(p == w.session()->params()))
        w.undoStack()->push(new SetParamsCommand(w.session(), w.session()->params(), p,
                                                 QStringLiteral("screenshot state")));
    if (state == QLatin1String("erf") || state == QLatin1String("gridding")) {
        // The effective field of a small real stack on the sample photo: a stem with two
        // stride-2 layers (erf), or two dilated layers whose paths leave holes (gridding).
        LayerStackModel *stack = w.layerStack();
        const bool grid = state == QLatin1String("gridding");
        const std::vector<std::pair<int, int>> extra =
            grid ? std::vector<std::pair<int, int>>{{1, 2}}
                 : std::vector<std::pair<int, int>>{{2, 1}, {1, 1}, {2, 1}, {1, 1}};
        for (const auto &[stride, dilation] : extra) {
            stack->addLayer();
            const int l = stack->layerCount() - 1;
            core::Conv2dParams q = stack->params(l);
            q.outChannels = 8;
            q.kernel = {3, 3};
            q.stride = {stride, stride};
            q.dilation = {dilation, dilation};
            q.padding = grid ? core::Hw{0, 0} : core::Hw{1, 1};
            stack->setLayerParams(l, q);
            stack->setReluBefore(l, !grid);
        }
        stack->setShownLayer(stack->layerCount() - 1);
    }
    if (state == QLatin1String("receptive-field") || state == QLatin1String("explain"))
        w.session()->setWeights(core::kaimingUniformWeights(p, 7), core::defaultBias(p, 7));
}

// After the run settled: the receptive-field states select an output (the overlay, the explain
// panel) and say which widget to grab.
QWidget *prepareScreenshot(MainWindow &w, const QString &state)
{
    if (state == QLatin1String("receptive-field")) {
        w.receptiveField()->selectOutput(1, 0, 6);
        // Give the input view the room: the point of this picture is on the image.
        auto *input = w.dock(DockId::Input), *params = w.dock(DockId::Parameters);
        auto *shape = w.dock(DockId::Shape), *explain = w.dock(DockId::Explain);
        if (input && params && shape && explain) {
            w.resizeDocks({params, input}, {250, 720}, Qt::Horizontal);
            w.resizeDocks({input, shape, explain}, {600, 110, 220}, Qt::Vertical);
        }
    } else if (state == QLatin1String("erf") || state == QLatin1String("gridding")) {
        const bool grid = state == QLatin1String("gridding");
        if (grid)
            w.erfPanel()->modeBox()->setCurrentIndex(int(ErfMode::Paths));
        const auto r = w.layerStack()->result(w.layerStack()->shownLayer());
        const int h = r ? int(r->output.dim(2)) : 8, wd = r ? int(r->output.dim(3)) : 8;
        w.receptiveField()->selectOutput(grid ? 0 : 3, h / 2, wd / 2);
        if (auto *dock = w.dock(DockId::EffectiveField)) {
            dock->raise();
            if (auto *input = w.dock(DockId::Input), *params = w.dock(DockId::Parameters);
                input && params)
                w.resizeDocks({params, input}, {250, 560}, Qt::Horizontal);
            if (auto *input = w.dock(DockId::Input); input)
                w.resizeDocks({input, dock}, {300, 700}, Qt::Vertical);
        }
    } else if (state == QLatin1String("matrix") || state == QLatin1String("matrix-docked")) {
        w.matrixView()->setHoveredRow(64 + 3 * 8 + 4); // out[1, 3, 4]
        auto *dock = qobject_cast<QDockWidget *>(w.matrixView()->parentWidget());
        if (dock && state == QLatin1String("matrix-docked")) {
            dock->raise(); // in its place in the window, as a user finds it
        } else if (dock) {
            dock->setFloating(true);
            dock->resize(720, 860);
            return dock;
        }
    } else if (state.startsWith(QLatin1String("lesson"))) {
        TeachingPanel *panel = w.teaching()->panel();
        if (panel->question())
            panel->revealWith(core::correctAnswer(*panel->question()));
    } else if (state == QLatin1String("kernel-short")) {
        // A short Kernel dock (the Parameters dock takes the height): it must scroll, not
        // draw its boxes over each other.
        auto *params = w.dock(DockId::Parameters), *kernel = w.dock(DockId::Kernel);
        if (params && kernel)
            w.resizeDocks({params, kernel}, {2000, 120}, Qt::Vertical);
    } else if (state == QLatin1String("explain")) {
        w.receptiveField()->selectOutput(2, 0, 7);
        if (auto *dock = qobject_cast<QDockWidget *>(w.explainPanel()->parentWidget())) {
            dock->setFloating(true);
            dock->resize(700, 1040);
            return dock;
        }
    }
    return &w;
}

bool saveGrab(QWidget &w, const QString &path)
{
    const QImage img = w.grab().toImage();
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    if (!img.save(&f, "PNG"))
        return false;
    return f.commit();
}

} // namespace

int runGui(int argc, char **argv, const GuiOptions &options)
{
    cli::keepLargeAllocationsInHeap();
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("convscope"));
    QApplication::setOrganizationName(QStringLiteral("convscope"));
    QApplication::setApplicationVersion(QString::fromStdString(cli::version()));
    QApplication::setStyle(QStringLiteral("Fusion"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/convscope/convscope.png")));
    // Names the installed .desktop file: Wayland's app id and the taskbar's match to the menu
    // entry (its icon and name) come from it.
    QGuiApplication::setDesktopFileName(QStringLiteral(CONVSCOPE_APP_ID));

    MainWindow window;
    const bool screenshot = !options.screenshot.empty();
    // A screenshot shows the defaults, not whatever the last session left behind.
    if (!screenshot)
        window.readSettings();
    // The app always opens populated: the sample when no file is given or an image fails to
    // open (the error box says why); under a session or lesson, which brings its own image
    // or keeps the current one.
    const QString file = QString::fromStdString(options.image);
    if (file.endsWith(QLatin1String(".json"), Qt::CaseInsensitive)) {
        window.openSample();
        window.openFile(file);
    } else if (file.isEmpty() || !window.openFile(file)) {
        window.openSample();
    }
    // "first-launch": the window as a new user first sees it, at the size chosen for the screen.
    if (screenshot && options.screenshotState != "first-launch") {
        // Fills the screen: what a user on a laptop sees. Without a window manager (Xvfb)
        // showMaximized() alone keeps the default size, so the geometry is set as well.
        if (const QScreen *screen = window.screen())
            window.setGeometry(screen->availableGeometry());
        window.showMaximized();
    } else
        window.show();

    if (screenshot) {
        const QString path =
            QDir::current().absoluteFilePath(QString::fromStdString(options.screenshot));
        auto *poll = new QTimer(&window);
        poll->setInterval(100);
        int waited = 0;
        const QString state = QString::fromStdString(options.screenshotState);
        QWidget *target = nullptr;
        QObject::connect(poll, &QTimer::timeout, &window,
                         [&window, poll, path, state, target, waited, applied = false]() mutable {
                             waited += 100;
                             // The parameter state goes in once the first result is on screen, so
                             // an invalid state shows what users see: the last valid maps, dimmed.
                             if (!applied && waited >= 600 && !window.controller()->isBusy()) {
                                 applyScreenshotState(window, state);
                                 applied = true;
                                 waited = 0;
                                 return;
                             }
                             if (!applied)
                                 return;
                             // Settle: the run finished and a few paints have happened.
                             if (waited < 1200 || (window.controller()->isBusy() && waited < 30000))
                                 return;
                             if (!target) { // one more round so a selection made now is painted
                                 target = prepareScreenshot(window, state);
                                 waited = 0;
                                 return;
                             }
                             // The effective field follows the selection in the background.
                             if (window.erfModel()->isBusy() && waited < 30000)
                                 return;
                             poll->stop();
                             const bool ok = saveGrab(*target, path);
                             std::cerr << (ok ? "screenshot: " : "screenshot FAILED: ")
                                       << path.toStdString() << "\n";
                             QApplication::exit(ok ? 0 : 1);
                         });
        poll->start();
    }
    return QApplication::exec();
}

void registerGuiCommands()
{
    cli::addCommand({"bench-ui",
                     "latency of parameter change -> all feature maps redrawn (headless)",
                     runBenchUi});
}

} // namespace convscope::ui
