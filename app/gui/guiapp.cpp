#include "guiapp.h"

#include "benchui.h"
#include "cli/cli.h"
#include "commands.h"
#include "computecontroller.h"
#include "featuremapgrid.h"
#include "mainwindow.h"

#include <QApplication>
#include <QDir>
#include <QSaveFile>
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
    if (!args.empty() && args.front().rfind("-", 0) != 0)
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
    } else if (state == QLatin1String("dark")) {
        w.setTheme(MainWindow::Theme::Dark);
    }
    if (!(p == w.session()->params()))
        w.undoStack()->push(new SetParamsCommand(w.session(), w.session()->params(), p,
                                                 QStringLiteral("screenshot state")));
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

int runGui(int argc, char **argv, GuiOptions options)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("convscope"));
    QApplication::setOrganizationName(QStringLiteral("convscope"));
    QApplication::setApplicationVersion(QString::fromStdString(cli::version()));
    QApplication::setStyle(QStringLiteral("Fusion"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/convscope/convscope.png")));

    MainWindow window;
    const bool screenshot = !options.screenshot.empty();
    // A screenshot shows the defaults, not whatever the last session left behind.
    if (!screenshot)
        window.readSettings();
    if (options.image.empty())
        window.openSample();
    else if (!window.openImage(QString::fromStdString(options.image)))
        window.openSample(); // the error box says why; the app still opens populated
    window.show();

    if (screenshot) {
        applyScreenshotState(window, QString::fromStdString(options.screenshotState));
        const QString path = QDir::current().absoluteFilePath(
            QString::fromStdString(options.screenshot));
        auto *poll = new QTimer(&window);
        poll->setInterval(100);
        int waited = 0;
        QObject::connect(poll, &QTimer::timeout, &window, [&window, poll, path, waited]() mutable {
            waited += 100;
            // Settle: the run finished and a few paints have happened.
            if (waited < 1200 || (window.controller()->isBusy() && waited < 30000))
                return;
            poll->stop();
            const bool ok = saveGrab(window, path);
            std::cerr << (ok ? "screenshot: " : "screenshot FAILED: ") << path.toStdString()
                      << "\n";
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
