// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Heat maps of non-negative fields (gradient magnitudes, path and read counts): Viridis on a
// square-root scale, so the long tail of a Gaussian-like field stays visible next to its
// peak. One colouring for the Effective field dock and the PNGs `convscope erf --png` writes.
#include <QImage>
#include <QString>

#include <cstdint>
#include <vector>

namespace convscope::ui {

// The colour of v in [0, maxValue] (clamped; black when maxValue <= 0).
QRgb heatColour(double v, double maxValue);

// A w x h map (row-major) as an RGB image, each value a `scale` x `scale` block of pixels
// (nearest neighbour: one value stays one visible square).
QImage heatMapImage(const std::vector<double> &map, std::int64_t h, std::int64_t w, int scale = 1);

// Writes the heat map as a PNG through QSaveFile (the file is whole or absent). False with
// *error naming the file and the reason.
bool saveHeatMapPng(const QString &path, const std::vector<double> &map, std::int64_t h,
                    std::int64_t w, int scale, QString *error);

} // namespace convscope::ui
