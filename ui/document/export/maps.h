// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// One output map at a time: its value range, its colour image and its 16-bit encoding.
// Shared by the per-map files, the contact sheet and the sidecar.
#include "colormap.h"
#include "tensor.h"
#include "viewsettings.h"

#include <QImage>

#include <cstddef>
#include <vector>

namespace convscope::ui {

// Value range of every map of the output, and over all of them.
ValueRange outputRange(const core::Tensor &output);
ValueRange mapRange(const core::Tensor &output, int n, int c);

// Both at once, in one pass over an [N, C, H, W] output: what colouring every map needs
// (asking outputRange() per map re-reads the whole output once per map).
struct OutputRanges {
    std::vector<ValueRange> maps; // index n * channels + c
    ValueRange all;
    int channels = 0;
    ValueRange of(int n, int c) const
    {
        return maps[static_cast<std::size_t>(n) * static_cast<std::size_t>(channels)
                    + static_cast<std::size_t>(c)];
    }
};
OutputRanges outputRanges(const core::Tensor &output);

// One map (sample n, channel c) in the colours and range mode of `view`.
QImage renderChannel(const core::Tensor &output, int n, int c, const ViewSettings &view,
                     const OutputRanges &ranges);
QImage renderChannel(const core::Tensor &output, int n, int c, const ViewSettings &view);

// A map as 16-bit grayscale: value = offset + pixel * scale (scale 0 for a flat map).
struct Png16 {
    QImage image;
    double offset = 0.0;
    double scale = 0.0;
};
Png16 encodePng16(const float *data, int width, int height);

// The values of map (n, c) of an [N, C, H, W] tensor: H * W floats in row order.
const float *mapData(const core::Tensor &t, int n, int c);

} // namespace convscope::ui
