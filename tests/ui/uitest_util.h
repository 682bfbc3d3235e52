#pragma once
// Shared helpers of the GUI suites: a small deterministic test image and waiting for the
// background computation to settle.
#include "computecontroller.h"
#include "featuremapgrid.h"
#include "mainwindow.h"

#include <QImage>
#include <QTest>

namespace convscope::uitest {

// 40 x 30 RGB: horizontal and vertical ramps plus a checker in blue, so every kernel
// sees structure and no two pixels in a row are equal.
inline QImage testImage(int w = 40, int h = 30)
{
    QImage img(w, h, QImage::Format_RGB32);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            img.setPixel(x, y, qRgb((x * 255) / w, (y * 255) / h, ((x / 4 + y / 3) % 2) ? 220 : 30));
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

} // namespace convscope::uitest
