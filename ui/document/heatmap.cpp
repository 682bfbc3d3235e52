// SPDX-License-Identifier: GPL-3.0-or-later
#include "heatmap.h"

#include "colormap.h"
#include "fileerror.h"

#include <QSaveFile>

#include <algorithm>
#include <cmath>

namespace convscope::ui {

QRgb heatColour(double v, double maxValue)
{
    if (maxValue <= 0.0)
        return qRgb(0, 0, 0);
    const double f = std::sqrt(std::clamp(v / maxValue, 0.0, 1.0));
    return lut(Gradient::Viridis)[static_cast<std::size_t>(std::lround(f * 255.0))];
}

QImage heatMapImage(const std::vector<double> &map, std::int64_t h, std::int64_t w, int scale)
{
    scale = std::max(1, scale);
    QImage img(static_cast<int>(w) * scale, static_cast<int>(h) * scale, QImage::Format_RGB32);
    if (img.isNull() || map.size() != static_cast<std::size_t>(h * w))
        return {};
    const double maxValue = map.empty() ? 0.0 : *std::max_element(map.begin(), map.end());
    for (int y = 0; y < img.height(); ++y) {
        auto *line = reinterpret_cast<QRgb *>(img.scanLine(y));
        const std::size_t row = static_cast<std::size_t>(y / scale) * static_cast<std::size_t>(w);
        for (int x = 0; x < img.width(); ++x)
            line[x] = heatColour(map[row + static_cast<std::size_t>(x / scale)], maxValue);
    }
    return img;
}

bool saveHeatMapPng(const QString &path, const std::vector<double> &map, std::int64_t h,
                    std::int64_t w, int scale, QString *error)
{
    const QImage img = heatMapImage(map, h, w, scale);
    if (img.isNull()) {
        *error = QStringLiteral("%1: a %2 x %3 heat map at scale %4 is too large for an image")
                     .arg(path)
                     .arg(w)
                     .arg(h)
                     .arg(scale);
        return false;
    }
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("%1: cannot write: %2").arg(path, fileErrorText(f));
        return false;
    }
    if (!img.save(&f, "PNG") || !f.commit()) {
        *error = QStringLiteral("%1: writing failed: %2").arg(path, fileErrorText(f));
        return false;
    }
    return true;
}

} // namespace convscope::ui
