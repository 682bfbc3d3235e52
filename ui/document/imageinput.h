// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Images as engine input: reading a file the way the app and the headless export both do,
// and turning pixels into the [1, C, H, W] float tensor conv2d sees. One place, so the live
// view, the full-resolution export and `convscope export` feed the engine the same numbers.
#include "tensor.h"

#include <QImage>
#include <QString>

namespace convscope::ui {

// Rec. 601 luma weights, used for grayscale input (and printed in the export sidecar).
inline constexpr float kLumaRed = 0.299f;
inline constexpr float kLumaGreen = 0.587f;
inline constexpr float kLumaBlue = 0.114f;

// Reads an image file (any QImageReader format, EXIF orientation applied). On failure
// returns a null image and a message in *error.
QImage readImage(const QString &path, QString *error);

// The image tensor [1, channels, H, W] in [0, 1] for an image (channels 1 = luma, 3 = RGB).
core::Tensor imageToTensor(const QImage &image, int channels);

} // namespace convscope::ui
