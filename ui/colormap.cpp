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
    static const Lut diverging = buildLut(std::array<Stop, 5>{
        {{0.0, 5, 48, 97}, {0.25, 67, 147, 195}, {0.5, 247, 247, 247}, {0.75, 214, 96, 77},
         {1.0, 103, 0, 31}}});
    static const Lut gray = buildLut(std::array<Stop, 2>{{{0.0, 0, 0, 0}, {1.0, 255, 255, 255}}});
    static const Lut viridis = buildLut(std::array<Stop, 5>{
        {{0.0, 68, 1, 84}, {0.25, 59, 82, 139}, {0.5, 33, 145, 140}, {0.75, 94, 201, 98},
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

} // namespace convscope::ui
