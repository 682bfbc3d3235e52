// SPDX-License-Identifier: GPL-3.0-or-later
#include "colormap.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace convscope::ui {

namespace {

struct Stop {
    double t;
    int r, g, b;
};

template <std::size_t N> Lut buildLut(const std::array<Stop, N> &stops)
{
    Lut table{};
    for (int i = 0; i < 256; ++i) {
        const double t = i / 255.0;
        std::size_t k = 0;
        while (k + 2 < N && t > stops[k + 1].t)
            ++k;
        const Stop &a = stops[k];
        const Stop &b = stops[k + 1];
        const double f = std::clamp((t - a.t) / (b.t - a.t), 0.0, 1.0);
        auto mix = [f](int x, int y) { return int(std::lround(x + (y - x) * f)); };
        table[static_cast<std::size_t>(i)] = qRgb(mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b));
    }
    return table;
}

} // namespace

QString gradientName(Gradient g)
{
    switch (g) {
    case Gradient::Diverging: return QStringLiteral("diverging");
    case Gradient::Grayscale: return QStringLiteral("grayscale");
    case Gradient::Viridis: return QStringLiteral("viridis");
    }
    return QStringLiteral("diverging");
}

QStringList gradientNames()
{
    return {gradientName(Gradient::Diverging), gradientName(Gradient::Grayscale),
            gradientName(Gradient::Viridis)};
}

bool parseGradient(const QString &name, Gradient *out)
{
    for (auto g : {Gradient::Diverging, Gradient::Grayscale, Gradient::Viridis}) {
        if (gradientName(g) == name) {
            *out = g;
            return true;
        }
    }
    return false;
}

const Lut &lut(Gradient g)
{
    // ColorBrewer RdBu (reversed, so negative is blue) and matplotlib's viridis key points.
    static const Lut diverging = buildLut(std::array<Stop, 5>{{{0.0, 5, 48, 97},
                                                               {0.25, 67, 147, 195},
                                                               {0.5, 247, 247, 247},
                                                               {0.75, 214, 96, 77},
                                                               {1.0, 103, 0, 31}}});
    static const Lut gray = buildLut(std::array<Stop, 2>{{{0.0, 0, 0, 0}, {1.0, 255, 255, 255}}});
    static const Lut viridis = buildLut(std::array<Stop, 5>{{{0.0, 68, 1, 84},
                                                             {0.25, 59, 82, 139},
                                                             {0.5, 33, 145, 140},
                                                             {0.75, 94, 201, 98},
                                                             {1.0, 253, 231, 37}}});
    switch (g) {
    case Gradient::Diverging: return diverging;
    case Gradient::Grayscale: return gray;
    case Gradient::Viridis: return viridis;
    }
    return diverging;
}

ValueRange rangeOf(const float *data, std::size_t count)
{
    float lo = INFINITY, hi = -INFINITY;
    for (std::size_t i = 0; i < count; ++i) {
        const float v = data[i];
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    }
    if (!(lo <= hi))
        return {0.0f, 1.0f};
    return {lo, hi};
}

std::vector<ValueRange> toValueRanges(const std::vector<core::MinMax> &ranges)
{
    std::vector<ValueRange> out;
    out.reserve(ranges.size());
    for (const core::MinMax &r : ranges)
        out.push_back(r.lo <= r.hi ? ValueRange{r.lo, r.hi} : ValueRange{0.0f, 1.0f});
    return out;
}

ValueRange symmetricRange(ValueRange r)
{
    const float m = std::max(std::fabs(r.lo), std::fabs(r.hi));
    return {-m, m};
}

ValueRange unite(ValueRange a, ValueRange b)
{
    return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)};
}

void colourRow(const float *values, int count, ValueRange range, const Lut &table, QRgb *out)
{
    const float span = range.hi - range.lo;
    // A flat map (span 0) renders as the middle colour rather than dividing by zero.
    if (!(span > 0.0f) || !std::isfinite(span)) {
        std::fill(out, out + count, table[128]);
        return;
    }
    const float scale = 255.0f / span;
    const float lo = range.lo;
    constexpr int kChunk = 256;
    int idx[kChunk];
    for (int start = 0; start < count; start += kChunk) {
        const int n = std::min(kChunk, count - start);
        const float *v = values + start;
        for (int i = 0; i < n; ++i) {
            float t = (v[i] - lo) * scale + 0.5f;
            t = t > 0.0f ? t : 0.0f;
            t = t < 255.0f ? t : 255.0f;
            // |v| <= max is false for NaN and both infinities: one compare, no branch.
            const bool finite = std::fabs(v[i]) <= std::numeric_limits<float>::max();
            idx[i] = finite ? static_cast<int>(t) : 128;
        }
        for (int i = 0; i < n; ++i)
            out[start + i] = table[static_cast<std::size_t>(idx[i])];
    }
}

QImage renderMap(const float *data, int width, int height, ValueRange range, Gradient g)
{
    QImage img(width, height, QImage::Format_ARGB32);
    const Lut &table = lut(g);
    for (int y = 0; y < height; ++y)
        colourRow(data + static_cast<std::size_t>(y) * static_cast<std::size_t>(width), width,
                  range, table, reinterpret_cast<QRgb *>(img.scanLine(y)));
    return img;
}

ValueRange displayRange(const std::vector<ValueRange> &channelRanges, int channel, bool global,
                        Gradient g)
{
    if (channelRanges.empty() || channel < 0
        || static_cast<std::size_t>(channel) >= channelRanges.size())
        return {};
    ValueRange r = channelRanges[static_cast<std::size_t>(channel)];
    if (global)
        for (const ValueRange &c : channelRanges)
            r = unite(r, c);
    if (g == Gradient::Diverging)
        r = symmetricRange(r);
    return r;
}

QImage renderMapRegion(const float *values, int width, const MapRegion &region, ValueRange range,
                       Gradient g)
{
    const MapRegion &v = region;
    const std::size_t stride = static_cast<std::size_t>(width);
    const Lut &table = lut(g);
    QImage img(v.ow, v.oh, QImage::Format_RGB32);
    if (v.ow == v.sw && v.oh == v.sh) { // 1:1 or magnified: every value once
        for (int y = 0; y < v.oh; ++y)
            colourRow(values + static_cast<std::size_t>(v.y0 + y) * stride + v.x0, v.ow, range,
                      table, reinterpret_cast<QRgb *>(img.scanLine(y)));
        return img;
    }
    // Shrunk: two sample columns and rows inside each image pixel's footprint.
    const auto ow = static_cast<std::size_t>(v.ow);
    std::vector<int> ca(ow), cb(ow);
    std::vector<float> mean(ow);
    for (int x = 0; x < v.ow; ++x) {
        ca[static_cast<std::size_t>(x)] = v.x0 + int((x + 0.25) * v.sw / v.ow);
        cb[static_cast<std::size_t>(x)] = v.x0 + std::min(v.sw - 1, int((x + 0.75) * v.sw / v.ow));
    }
    for (int y = 0; y < v.oh; ++y) {
        const float *ra =
            values + static_cast<std::size_t>(v.y0 + int((y + 0.25) * v.sh / v.oh)) * stride;
        const float *rb =
            values
            + static_cast<std::size_t>(v.y0 + std::min(v.sh - 1, int((y + 0.75) * v.sh / v.oh)))
                  * stride;
        for (std::size_t x = 0; x < ow; ++x)
            mean[x] = 0.25f * (ra[ca[x]] + ra[cb[x]] + rb[ca[x]] + rb[cb[x]]);
        colourRow(mean.data(), v.ow, range, table, reinterpret_cast<QRgb *>(img.scanLine(y)));
    }
    return img;
}

} // namespace convscope::ui
