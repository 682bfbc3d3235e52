// SPDX-License-Identifier: GPL-3.0-or-later
#include "benchui.h"

#include "cli/args.h"
#include "cli/cli.h"
#include "commands.h"
#include "computecontroller.h"
#include "featuremapgrid.h"
#include "gui/guiapp.h"
#include "mainwindow.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QPainter>
#include <QTimer>
#include <QUndoStack>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <iomanip>
#include <memory>

namespace convscope::ui {

namespace {

// A photo-like test card: smooth gradients, edges in all directions and fine texture, so
// neither the engine nor the colour mapping sees a degenerate input.
QImage testImage(int w, int h)
{
    QImage img(w, h, QImage::Format_RGB32);
    for (int y = 0; y < h; ++y) {
        auto *line = reinterpret_cast<QRgb *>(img.scanLine(y));
        for (int x = 0; x < w; ++x) {
            const int r = (x * 255) / w;
            const int g = (y * 255) / h;
            const int b = ((x / 8 + y / 8) % 2) ? 200 : 40;
            line[x] = qRgb(r, g, b);
        }
    }
    QPainter p(&img);
    p.setRenderHint(QPainter::Antialiasing);
    p.setBrush(QColor(250, 200, 40));
    p.drawEllipse(QPoint(w / 3, h / 3), h / 5, h / 5);
    p.setBrush(QColor(30, 60, 160));
    p.drawRect(w / 2, h / 2, w / 4, h / 4);
    return img;
}

struct Stats {
    double median = 0;
    double p95 = 0;
};

Stats stats(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    auto q = [&](double f) {
        const std::size_t i = static_cast<std::size_t>(std::ceil(f * double(v.size()))) - 1;
        return v[std::min(i, v.size() - 1)];
    };
    const std::size_t n = v.size();
    return {n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]), q(0.95)};
}

// Pushes the edit the way the parameter panel does (undo command -> Session -> controller)
// and spins the event loop until the grid has redrawn every visible map for exactly these
// parameters, then flushes the remaining paints (input view, shape panel) too.
double measureOnce(MainWindow &w, const core::Conv2dParams &next, double *engineMs,
                   double *redrawnMs)
{
    bool done = false;
    QElapsedTimer t;
    auto conn = QObject::connect(w.grid(), &FeatureMapGrid::redrawn, &w, [&] {
        done = w.session()->resultIsCurrent();
        if (done)
            *redrawnMs = double(t.nsecsElapsed()) / 1e6;
    });
    t.start();
    w.undoStack()->push(
        new SetParamsCommand(w.session(), w.session()->params(), next, QStringLiteral("bench")));
    while (!done)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    QCoreApplication::sendPostedEvents();
    QCoreApplication::processEvents();
    const double ms = double(t.nsecsElapsed()) / 1e6;
    QObject::disconnect(conn);
    *engineMs = w.session()->result()->computeMs;
    return ms;
}

} // namespace

int runBenchUi(const std::vector<std::string> &args, std::ostream &out, std::ostream &)
{
    static const std::vector<cli::OptionSpec> specs{{"repeats", true, false},
                                                    {"threads", true, false},
                                                    {"preview-limit", true, false},
                                                    {"help", false, false}};
    const cli::ParsedArgs a = cli::parseArgs(args, specs, "bench-ui");
    if (a.has("help")) {
        out << "usage: convscope bench-ui [--repeats N] [--threads T] [--preview-limit PX]\n"
               "Measures parameter edit -> every feature map redrawn in the real window\n"
               "(offscreen), for 512x512 RGB -> 16 maps and 1920x1080 RGB -> 8 maps. Columns:\n"
               "edit -> window painted (median, p95), worker (conv2d + ranges) and\n"
               "edit -> maps redrawn in their buffers, before the window paint (medians).\n"
               "--preview-limit: longest side computed live (default 0: the full image).\n";
        return 0;
    }
    const int repeats =
        a.has("repeats") ? std::max(3, cli::parseInt(*a.value("repeats"), "repeats")) : 40;
    const int threads = a.has("threads") ? cli::parseInt(*a.value("threads"), "threads") : 0;
    const int previewLimit =
        a.has("preview-limit") ? cli::parseInt(*a.value("preview-limit"), "preview-limit") : 0;

    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    cli::keepLargeAllocationsInHeap(); // as the real window does
    static int argc = 1;
    static char name[] = "convscope";
    static char *argv[] = {name, nullptr};
    QApplication app(argc, argv);
    QApplication::setStyle(QStringLiteral("Fusion"));

    struct Case {
        const char *name;
        int w, h, maps;
    };
    struct Change {
        const char *name;
        std::function<void(core::Conv2dParams &, bool)> apply;
    };
    const std::vector<Case> cases{{"512x512 RGB -> 16 maps", 512, 512, 16},
                                  {"1920x1080 RGB -> 8 maps", 1920, 1080, 8}};
    const std::vector<Change> changes{
        {"padding_mode zeros<->reflect",
         [](core::Conv2dParams &p, bool odd) {
             p.paddingMode = odd ? core::PaddingMode::Reflect : core::PaddingMode::Zeros;
         }},
        {"kernel 3x3<->5x5 ('same')",
         [](core::Conv2dParams &p, bool odd) {
             p.kernel = odd ? core::Hw{5, 5} : core::Hw{3, 3};
         }},
    };

    out << "bench-ui: parameter edit -> all feature maps redrawn (offscreen window "
           "1600x1000, "
        << repeats << " edits each, threads " << (threads ? std::to_string(threads) : "all")
        << ", preview limit " << (previewLimit ? std::to_string(previewLimit) + " px" : "off")
        << ")\n";
    out << std::left << std::setw(26) << "case" << std::setw(32) << "edit" << std::right
        << std::setw(10) << "median" << std::setw(10) << "p95" << std::setw(14) << "worker med"
        << std::setw(14) << "maps med"
        << "\n";
    for (const Case &c : cases) {
        MainWindow w;
        w.controller()->setThreads(threads);
        w.resize(1600, 1000);
        w.show();
        w.session()->setPreviewLimit(previewLimit); // default 0: the full image, no preview
        w.session()->setImage(testImage(c.w, c.h), QStringLiteral("bench"));
        w.grid()->setMapsPerPage(c.maps);
        for (const Change &ch : changes) {
            core::Conv2dParams base = w.session()->params();
            base.inChannels = 3;
            base.outChannels = c.maps;
            base.kernel = {3, 3};
            base.stride = {1, 1};
            base.dilation = {1, 1};
            base.groups = 1;
            base.paddingKind = core::PaddingKind::Same;
            base.paddingMode = core::PaddingMode::Zeros;
            std::vector<double> total, engine, redrawn;
            for (int i = 0; i < repeats + 3; ++i) {
                core::Conv2dParams next = base;
                ch.apply(next, i % 2 == 1);
                if (next == w.session()->params()) // no edit, nothing would be redrawn
                    ch.apply(next, i % 2 == 0);
                double e = 0, drawn = 0;
                const double ms = measureOnce(w, next, &e, &drawn);
                if (i >= 3) { // the first edits warm up caches, pixmaps and thread pools
                    total.push_back(ms);
                    engine.push_back(e);
                    redrawn.push_back(drawn);
                }
            }
            if (w.grid()->visibleMapCount() != c.maps) {
                out << "error: " << w.grid()->visibleMapCount() << " maps visible, expected "
                    << c.maps << "\n";
                return 1;
            }
            const Stats s = stats(total);
            const Stats e = stats(engine);
            out << std::left << std::setw(26) << c.name << std::setw(32) << ch.name << std::right
                << std::fixed << std::setprecision(1) << std::setw(7) << s.median << " ms"
                << std::setw(7) << s.p95 << " ms" << std::setw(11) << e.median << " ms"
                << std::setw(11) << stats(redrawn).median << " ms\n";
        }
    }
    return 0;
}

} // namespace convscope::ui
