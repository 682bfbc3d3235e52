// SPDX-License-Identifier: GPL-3.0-or-later
#include "maps.h"

#include <algorithm>
#include <cmath>

namespace convscope::ui {

using core::Tensor;

namespace {

std::size_t mapSize(const Tensor &t)
{
    return static_cast<std::size_t>(t.dim(2) * t.dim(3));
}

} // namespace

const float *mapData(const Tensor &t, int n, int c)
{
    return t.data.data()
           + (static_cast<std::size_t>(n) * static_cast<std::size_t>(t.dim(1))
              + static_cast<std::size_t>(c))
                 * mapSize(t);
}

ValueRange mapRange(const Tensor &output, int n, int c)
{
    return rangeOf(mapData(output, n, c), mapSize(output));
}

ValueRange outputRange(const Tensor &output)
{
    return rangeOf(output.data.data(), output.data.size());
}

QImage renderChannel(const Tensor &output, int n, int c, const ViewSettings &view)
{
    const ValueRange range =
        colourRange(view.rangeMode, view.gradient, mapRange(output, n, c), outputRange(output));
    return renderMap(mapData(output, n, c), static_cast<int>(output.dim(3)),
                     static_cast<int>(output.dim(2)), range, view.gradient);
}

Png16 encodePng16(const float *data, int width, int height)
{
    Png16 p;
    const ValueRange r =
        rangeOf(data, static_cast<std::size_t>(width) * static_cast<std::size_t>(height));
    p.offset = r.lo;
    p.scale = (static_cast<double>(r.hi) - r.lo) / 65535.0;
    p.image = QImage(width, height, QImage::Format_Grayscale16);
    for (int y = 0; y < height; ++y) {
        auto *line = reinterpret_cast<quint16 *>(p.image.scanLine(y));
        const float *row = data + static_cast<std::size_t>(y) * static_cast<std::size_t>(width);
        for (int x = 0; x < width; ++x) {
            const double v = row[x];
            double q = p.scale > 0 && std::isfinite(v) ? std::round((v - p.offset) / p.scale) : 0.0;
            line[x] = static_cast<quint16>(std::clamp(q, 0.0, 65535.0));
        }
    }
    // Also inside the PNG, so the file alone is enough to recover the values.
    p.image.setText(QStringLiteral("convscope:formula"),
                    QStringLiteral("value = offset + pixel * scale"));
    p.image.setText(QStringLiteral("convscope:offset"), QString::number(p.offset, 'g', 17));
    p.image.setText(QStringLiteral("convscope:scale"), QString::number(p.scale, 'g', 17));
    return p;
}

} // namespace convscope::ui
