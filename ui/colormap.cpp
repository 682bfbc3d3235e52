#include "colormap.h"

#include <algorithm>
#include <cmath>

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

QImage renderMap(const float *data, int width, int height, ValueRange range, Gradient g)
{
    QImage img(width, height, QImage::Format_ARGB32);
    const Lut &table = lut(g);
    const float span = range.hi - range.lo;
    // A flat map (span 0) renders as the middle colour rather than dividing by zero.
    const float scale = span > 0.0f ? 255.0f / span : 0.0f;
    for (int y = 0; y < height; ++y) {
        auto *line = reinterpret_cast<QRgb *>(img.scanLine(y));
        const float *row = data + static_cast<std::size_t>(y) * static_cast<std::size_t>(width);
        for (int x = 0; x < width; ++x) {
            const float v = row[x];
            int idx = 128;
            if (std::isfinite(v) && scale > 0.0f)
                idx = static_cast<int>(std::clamp((v - range.lo) * scale + 0.5f, 0.0f, 255.0f));
            line[x] = table[static_cast<std::size_t>(idx)];
        }
    }
    return img;
}

} // namespace convscope::ui
