// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Shared helpers of the GUI suites: a small deterministic test image, waiting for the
// background computation to settle, the window most suites start from and settings kept
// out of the user's own.
#include "computecontroller.h"
#include "featuremapgrid.h"
#include "mainwindow.h"

#include <QCoreApplication>
#include <QImage>
#include <QSettings>
#include <QString>
#include <QTest>

#include <memory>

namespace convscope::uitest {

// 40 x 30 RGB: horizontal and vertical ramps plus a checker in blue, so every kernel
// sees structure and no two pixels in a row are equal.
inline QImage testImage(int w = 40, int h = 30)
{
    QImage img(w, h, QImage::Format_RGB32);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            img.setPixel(x, y,
                         qRgb((x * 255) / w, (y * 255) / h, ((x / 4 + y / 3) % 2) ? 220 : 30));
    return img;
}

// True when the controller is idle and the grid shows the current state (a result for the
// current parameters, or the dimmed last result when they are invalid).
inline bool settled(ui::MainWindow &w)
{
    if (w.controller()->isBusy())
        return false;
    return w.session()->validationError() ? true : w.session()->resultIsCurrent();
}

// A 1200x800 window, shown, with testImage() computed: the caller checks settled() (the
// wait gives up after 10 s, so a window that never settles fails there, not here).
inline std::unique_ptr<ui::MainWindow> openTestWindow()
{
    auto w = std::make_unique<ui::MainWindow>();
    w->resize(1200, 800);
    w->show();
    w->session()->setImage(testImage(), QStringLiteral("test"));
    (void)QTest::qWaitFor([&] { return settled(*w); }, 10000); // the caller asserts settled()
    return w;
}

// Points QSettings at an INI file under `dir` for application `app`, so a suite never reads
// or writes the user's real settings.
inline void isolateSettings(const QString &dir, const char *app)
{
    QCoreApplication::setOrganizationName(QStringLiteral("convscope-tests"));
    QCoreApplication::setApplicationName(QLatin1String(app));
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir);
}

} // namespace convscope::uitest
