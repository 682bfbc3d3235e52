// SPDX-License-Identifier: GPL-3.0-or-later
#include "imageinput.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QImageReader>

namespace convscope::ui {

QImage readImage(const QString &path, QString *error)
{
    if (!QFileInfo::exists(path)) {
        if (error)
            *error = QCoreApplication::translate("convscope", "%1: no such file").arg(path);
        return {};
    }
    QImageReader reader(path);
    reader.setAutoTransform(true); // EXIF orientation: phone photos stand upright
    QImage img = reader.read();
    if (img.isNull()) {
        if (error)
            *error = QCoreApplication::translate("convscope", "%1: cannot read the image (%2)")
                         .arg(path, reader.errorString());
        return {};
    }
    return img;
}

core::Tensor imageToTensor(const QImage &image, int channels)
{
    const QImage rgb =
        image.format() == QImage::Format_RGB32 || image.format() == QImage::Format_ARGB32
            ? image
            : image.convertToFormat(QImage::Format_RGB32);
    const std::int64_t h = rgb.height(), w = rgb.width();
    core::Tensor t(core::Shape{1, channels, h, w});
    float *out = t.data.data();
    const std::size_t plane = static_cast<std::size_t>(h * w);
    constexpr float inv = 1.0f / 255.0f;
    for (int y = 0; y < h; ++y) {
        const auto *line = reinterpret_cast<const QRgb *>(rgb.constScanLine(y));
        const std::size_t row = static_cast<std::size_t>(y) * static_cast<std::size_t>(w);
        for (int x = 0; x < w; ++x) {
            const QRgb px = line[x];
            if (channels == 1) {
                out[row + x] =
                    (kLumaRed * qRed(px) + kLumaGreen * qGreen(px) + kLumaBlue * qBlue(px)) * inv;
            } else {
                out[row + x] = qRed(px) * inv;
                out[plane + row + x] = qGreen(px) * inv;
                out[2 * plane + row + x] = qBlue(px) * inv;
            }
        }
    }
    return t;
}

} // namespace convscope::ui
