#pragma once
// Turning float feature maps into pixels: colour gradients as 256-entry lookup tables and a
// direct value -> LUT -> QImage path (several times cheaper than QCPColorMap's setCell loop,
// see ../shared/bench/README.md). Shared by the feature-map views and every image export.
#include <QColor>
#include <QImage>
#include <QString>
#include <QStringList>

#include <array>
#include <cstddef>

namespace convscope::ui {

enum class Gradient {
    Diverging, // blue - white - red, for signed values (0 maps to white with a symmetric range)
    Grayscale, // black - white
    Viridis,   // perceptually uniform, colour-blind safe
};

QString gradientName(Gradient g);
QStringList gradientNames(); // in enum order
bool parseGradient(const QString &name, Gradient *out);

using Lut = std::array<QRgb, 256>;
const Lut &lut(Gradient g);

struct ValueRange {
    float lo = 0.0f;
    float hi = 1.0f;
    bool operator==(const ValueRange &) const = default;
};

// Min and max of finite values; {0, 1} for empty input.
ValueRange rangeOf(const float *data, std::size_t count);

// [-m, m] with m = max |value|, so that zero sits in the middle of a diverging gradient.
ValueRange symmetricRange(ValueRange r);

// Merges two ranges (for a global colour scale across maps).
ValueRange unite(ValueRange a, ValueRange b);

// Colours `count` values into `out` by the rule below (clamp to the range ends; NaN,
// infinities and flat ranges take the gradient's middle). Written as two flat loops so the
// compiler vectorises the index arithmetic: this runs for every pixel of every live redraw.
void colourRow(const float *values, int count, ValueRange range, const Lut &table, QRgb *out);

// Renders a width x height row-major map (row 0 at the top, like an image) into an ARGB32
// image; values outside the range clamp to the ends, NaN renders as the gradient's middle.
QImage renderMap(const float *data, int width, int height, ValueRange range, Gradient g);

} // namespace convscope::ui
