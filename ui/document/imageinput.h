// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Images as engine input: reading a file the way the app and the headless export both do,
// and turning pixels into the [1, C, H, W] float tensor conv2d sees. One place, so the live
// view, the full-resolution export and `convscope export` feed the engine the same numbers.
#include "tensor.h"

#include <QImage>
#include <QSize>
#include <QString>

namespace convscope::ui {

// Rec. 601 luma weights, used for grayscale input (and printed in the export sidecar).
inline constexpr float kLumaRed = 0.299f;
inline constexpr float kLumaGreen = 0.587f;
inline constexpr float kLumaBlue = 0.114f;

// How much memory one decoded image may take, in MB: CONVSCOPE_IMAGE_BUDGET_MB when it is a
// positive number, else 2048 (a 45 MP camera photo decodes to ~172 MB, a 24 MP 16-bit PNG to
// ~184 MB; Qt's own default of 128 MB refuses both).
int imageBudgetMB();

// Drops libpng's warnings about a PNG's colour profile (the pixels are read, never the
// profile) from Qt's messages; every other message goes on to the handler before. Once per
// process; readImage() calls it.
void quietColourProfileWarnings();

// Reads an image file (any QImageReader format, EXIF orientation applied). Refuses, before
// decoding, an image whose decoded size exceeds `budgetMB` ("W x H image needs N MB, more
// than the M MB budget"), and a JPEG whose data ends before its end-of-image marker (libjpeg
// would fill the missing part with grey). On failure returns a null image and a message in
// *error.
QImage readImage(const QString &path, QString *error, int budgetMB = imageBudgetMB());

// Every check readImage() makes before decoding, without decoding: *ok false and *error set
// when readImage() would refuse the file before reading its pixels. Returns the size the
// decoded image will have (EXIF orientation applied), or an invalid size when the header does
// not tell it. A batch checks all its images with it before reading any.
QSize probeImage(const QString &path, QString *error, bool *ok, int budgetMB = imageBudgetMB());

// The EXIF orientation readImage() applies: the tag's value (1 = as stored, 3 = rotate 180,
// 6 = rotate 90 clockwise, 8 = rotate 270, 2/4/5/7 mirrored) and what it does in words. 1
// for a file without the tag or that cannot be read.
struct ImageOrientation {
    int exif = 1;
    QString name;
};
ImageOrientation imageOrientation(const QString &path);

// The copy the window computes on when an image is larger than its preview limit: at most
// `limit` pixels a side, aspect ratio kept, Qt's smooth (bilinear, area-averaging when
// shrinking) scaling. kPreviewScaling names the method for the sidecar.
QImage scaledPreview(const QImage &image, int limit);
inline constexpr const char *kPreviewScaling =
    "QImage::scaled, Qt::KeepAspectRatio, Qt::SmoothTransformation (bilinear, area-averaged "
    "when shrinking)";

// 16 bits per channel (16-bit PNGs and TIFFs): kept end to end, pixel / 65535.
bool isSixteenBit(const QImage &image);
// The value a full-scale pixel has: 65535 for 16-bit images, 255 otherwise.
int pixelMax(const QImage &image);
// The image in the format the engine's input is made from: RGBX64 for 16-bit images (their
// precision kept), RGB32 otherwise.
QImage toInputFormat(const QImage &image);

// The image tensor [1, channels, H, W] in [0, 1] for an image (channels 1 = luma, 3 = RGB):
// pixel / pixelMax(image), like torchvision's ToTensor for 8 bits.
core::Tensor imageToTensor(const QImage &image, int channels);

} // namespace convscope::ui
