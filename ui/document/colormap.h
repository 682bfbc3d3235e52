// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Turning float feature maps into pixels: colour gradients as 256-entry lookup tables and a
// direct value -> LUT -> QImage path (several times cheaper than QCPColorMap's setCell loop,
// see ../shared/bench/README.md). Shared by the feature-map views and every image export.
#include "conv2d.h"

#include <QColor>
#include <QImage>
#include <QString>
#include <QStringList>

#include <array>
#include <cstddef>
#include <vector>

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

// The engine's per-channel ranges (core::ForwardOptions::channelRanges) as display ranges;
// a channel without finite values gets rangeOf()'s {0, 1}.
std::vector<ValueRange> toValueRanges(const std::vector<core::MinMax> &ranges);

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

// The colour range a map is drawn with: its own range or the union of all channels
// (`global`), made symmetric around zero for the diverging gradient.
ValueRange displayRange(const std::vector<ValueRange> &channelRanges, int channel, bool global,
                        Gradient g);

// A visible part of a map and the image it is drawn from: map columns [x0, x0+sw) and rows
// [y0, y0+sh) as an ow x oh image (ow <= sw, oh <= sh). At 1:1 or magnified every value
// becomes one pixel (drawn as a crisp square); shrunk, each image pixel averages a 2x2
// sample of the values under it. The cost follows the screen size, not the map's.
struct MapRegion {
    int x0 = 0, y0 = 0, sw = 0, sh = 0, ow = 0, oh = 0;
    bool empty() const { return sw <= 0 || sh <= 0 || ow <= 0 || oh <= 0; }
    bool fits(int width, int height) const
    {
        return x0 >= 0 && y0 >= 0 && x0 + sw <= width && y0 + sh <= height && ow <= sw && oh <= sh;
    }
    bool operator==(const MapRegion &) const = default;
};

// The colours of `region` of a width-wide row-major map (RGB32). Reentrant: the worker
// renders the visible maps of a new result with it, the grid the ones it lacks.
QImage renderMapRegion(const float *values, int width, const MapRegion &region, ValueRange range,
                       Gradient g);

// A map the grid shows, and where: what the worker renders ahead for the next result.
struct MapRequest {
    int channel = -1;
    MapRegion region;
    int mapWidth = 0, mapHeight = 0; // the map size the region belongs to
};

// One map rendered ahead, on the worker, for the view it was requested for.
struct MapPreview {
    int channel = -1;
    MapRegion region;
    ValueRange range;
    Gradient gradient = Gradient::Diverging;
    QImage image;
};

} // namespace convscope::ui
