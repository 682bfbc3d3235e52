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

OutputRanges outputRanges(const Tensor &output)
{
    OutputRanges r;
    r.channels = static_cast<int>(output.dim(1));
    const int samples = static_cast<int>(output.dim(0));
    bool any = false;
    for (int n = 0; n < samples; ++n)
        for (int c = 0; c < r.channels; ++c) {
            r.maps.push_back(mapRange(output, n, c));
            // rangeOf's [0, 1] for a map without a finite value is no value of the output.
            const float *d = mapData(output, n, c);
            if (!std::any_of(d, d + mapSize(output), [](float v) { return std::isfinite(v); }))
                continue;
            r.all = any ? unite(r.all, r.maps.back()) : r.maps.back();
            any = true;
        }
    if (!any)
        r.all = outputRange(output);
    return r;
}

QImage renderChannel(const Tensor &output, int n, int c, const ViewSettings &view,
                     const OutputRanges &ranges)
{
    const ValueRange range =
        colourRange(view.rangeMode, view.gradient, ranges.of(n, c), ranges.all);
    return renderMap(mapData(output, n, c), static_cast<int>(output.dim(3)),
                     static_cast<int>(output.dim(2)), range, view.gradient);
}

QImage renderChannel(const Tensor &output, int n, int c, const ViewSettings &view)
{
    return renderChannel(output, n, c, view, outputRanges(output));
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
