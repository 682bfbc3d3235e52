// SPDX-License-Identifier: GPL-3.0-or-later
#include "imageinput.h"

#include "fileerror.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QImageReader>

#include <cmath>
#include <cstdlib>
#include <mutex>

namespace convscope::ui {

namespace {

constexpr int kDefaultBudgetMB = 2048;

QString tr(const char *text)
{
    return QCoreApplication::translate("convscope", text);
}

// Whether a JPEG's last scan is followed by its end-of-image marker (FF D9). In entropy-coded
// data a 0xFF byte is always followed by 0x00 or a restart marker, so FF D9 after the last
// start-of-scan (FF DA) can only be the end; an EXIF thumbnail's own markers come earlier.
bool jpegIsComplete(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return true; // the reader reports what is wrong with the file
    const QByteArray data = f.readAll();
    const qsizetype sos = data.lastIndexOf(QByteArrayView("\xff\xda", 2));
    return sos >= 0 && data.indexOf(QByteArrayView("\xff\xd9", 2), sos + 2) >= 0;
}

} // namespace

namespace {

QtMessageHandler g_nextHandler = nullptr;

// libpng's complaints about a PNG's embedded colour profile ("iCCP: known incorrect sRGB
// profile", "iCCP: too short"): the engine reads pixel values, as torchvision's ToTensor does,
// and never the profile, so they say nothing about the result and would fill a batch log.
void dropColourProfileWarnings(QtMsgType type, const QMessageLogContext &context,
                               const QString &message)
{
    if ((type == QtWarningMsg || type == QtInfoMsg) // Qt 6 logs them as info
        && message.startsWith(QLatin1String("libpng warning: iCCP:")))
        return;
    if (g_nextHandler)
        g_nextHandler(type, context, message);
    else
        qt_message_output(type, context, message); // unreachable: Qt always has a handler
}

} // namespace

void quietColourProfileWarnings()
{
    static std::once_flag installed;
    std::call_once(installed,
                   [] { g_nextHandler = qInstallMessageHandler(dropColourProfileWarnings); });
}

int imageBudgetMB()
{
    if (const char *env = std::getenv("CONVSCOPE_IMAGE_BUDGET_MB")) {
        char *end = nullptr;
        const long v = std::strtol(env, &end, 10);
        if (end != env && *end == '\0' && v > 0 && v <= 1024L * 1024)
            return static_cast<int>(v);
    }
    return kDefaultBudgetMB;
}

namespace {

// The checks before any pixel is decoded, on a reader set up as readImage() reads: the file
// is readable, its decoded size fits `budgetMB`, a JPEG is complete. Returns the decoded
// size with the EXIF orientation applied (invalid when the header does not give it).
QSize checkBeforeDecoding(QImageReader &reader, const QString &path, QString *error, bool *ok,
                          int budgetMB)
{
    *ok = false;
    // QImageReader says "File not found" for a folder or an unreadable file: ask the system.
    if (const QString why = unreadableFileReason(path); !why.isEmpty()) {
        if (error)
            *error = tr("%1: %2").arg(path, why);
        return {};
    }
    reader.setAutoTransform(true); // EXIF orientation: phone photos stand upright
    // The decoded size from the header, before any pixel is decoded: 8 bytes per pixel for
    // 16-bit images, 4 otherwise (Qt decodes to 32-bit formats).
    QSize size = reader.size();
    if (size.isValid()) {
        const int bytesPerPixel = reader.imageFormat() == QImage::Format_RGBA64
                                          || reader.imageFormat() == QImage::Format_RGBX64
                                      ? 8
                                      : 4;
        const double mb = double(size.width()) * size.height() * bytesPerPixel / (1024.0 * 1024.0);
        if (mb > budgetMB) {
            if (error)
                *error = tr("%1: the %2 x %3 image needs %4 MB, more than the %5 MB budget "
                            "(CONVSCOPE_IMAGE_BUDGET_MB sets it)")
                             .arg(path)
                             .arg(size.width())
                             .arg(size.height())
                             .arg(std::ceil(mb), 0, 'f', 0)
                             .arg(budgetMB);
            return {};
        }
        if (reader.transformation().testFlag(QImageIOHandler::TransformationRotate90))
            size.transpose();
    }
    if (reader.format() == "jpeg" && !jpegIsComplete(path)) {
        if (error)
            *error = tr("%1: the JPEG data is truncated (it ends before the end-of-image "
                        "marker); the missing part would be computed as grey")
                         .arg(path);
        return {};
    }
    *ok = true;
    return size;
}

} // namespace

QSize probeImage(const QString &path, QString *error, bool *ok, int budgetMB)
{
    quietColourProfileWarnings(); // before the header is read: libpng warns there
    QImageReader reader(path);
    bool fine = false;
    const QSize size = checkBeforeDecoding(reader, path, error, &fine, budgetMB);
    if (ok)
        *ok = fine;
    return size;
}

QImage readImage(const QString &path, QString *error, int budgetMB)
{
    quietColourProfileWarnings(); // before the header is read: libpng warns there
    QImageReader reader(path);
    bool fine = false;
    checkBeforeDecoding(reader, path, error, &fine, budgetMB);
    if (!fine)
        return {};
    // Qt refuses images above its own allocation limit (128 MB by default). The limit is
    // process-wide: set once, to the configured budget (the check above applies `budgetMB`
    // whenever the header gives the size; the limit catches formats whose header does not).
    static std::once_flag limitSet;
    std::call_once(limitSet, [] { QImageReader::setAllocationLimit(imageBudgetMB()); });
    QImage img = reader.read();
    if (img.isNull()) {
        if (error)
            *error = tr("%1: cannot read the image (%2)").arg(path, reader.errorString());
        return {};
    }
    return img;
}

ImageOrientation imageOrientation(const QString &path)
{
    quietColourProfileWarnings();
    QImageReader reader(path);
    using T = QImageIOHandler::Transformation;
    // Qt's reading of the tag (qjpeghandler's exif2Qt), inverted.
    switch (static_cast<int>(reader.transformation())) {
    case T::TransformationMirror: return {2, QStringLiteral("mirror horizontally")};
    case T::TransformationRotate180: return {3, QStringLiteral("rotate 180")};
    case T::TransformationFlip: return {4, QStringLiteral("mirror vertically")};
    case T::TransformationFlipAndRotate90:
        return {5, QStringLiteral("mirror horizontally and rotate 270 clockwise")};
    case T::TransformationRotate90: return {6, QStringLiteral("rotate 90 clockwise")};
    case T::TransformationMirrorAndRotate90:
        return {7, QStringLiteral("mirror horizontally and rotate 90 clockwise")};
    case T::TransformationRotate270: return {8, QStringLiteral("rotate 270 clockwise")};
    default: return {1, QStringLiteral("none")};
    }
}

QImage scaledPreview(const QImage &image, int limit)
{
    return image.scaled(limit, limit, Qt::KeepAspectRatio, Qt::SmoothTransformation);
}

bool isSixteenBit(const QImage &image)
{
    switch (image.format()) {
    case QImage::Format_RGBX64:
    case QImage::Format_RGBA64:
    case QImage::Format_RGBA64_Premultiplied:
    case QImage::Format_Grayscale16: return true;
    default: return false;
    }
}

int pixelMax(const QImage &image)
{
    return isSixteenBit(image) ? 65535 : 255;
}

QImage toInputFormat(const QImage &image)
{
    if (isSixteenBit(image))
        return image.format() == QImage::Format_RGBX64 || image.format() == QImage::Format_RGBA64
                   ? image
                   : image.convertToFormat(QImage::Format_RGBX64);
    return image.format() == QImage::Format_RGB32 || image.format() == QImage::Format_ARGB32
               ? image
               : image.convertToFormat(QImage::Format_RGB32);
}

namespace {

// One loop for both depths: `Pixel` is QRgb or QRgba64, read by `channel`.
template <typename Pixel, typename Channel>
void fill(const QImage &img, int channels, float inv, core::Tensor &t, Channel channel)
{
    const std::int64_t h = img.height(), w = img.width();
    float *out = t.data.data();
    const auto plane = static_cast<std::size_t>(h) * static_cast<std::size_t>(w);
    for (int y = 0; y < h; ++y) {
        const auto *line = reinterpret_cast<const Pixel *>(img.constScanLine(y));
        const std::size_t row = static_cast<std::size_t>(y) * static_cast<std::size_t>(w);
        for (int x = 0; x < w; ++x) {
            const float r = channel(line[x], 0), g = channel(line[x], 1), b = channel(line[x], 2);
            if (channels == 1) {
                out[row + x] = (kLumaRed * r + kLumaGreen * g + kLumaBlue * b) * inv;
            } else {
                out[row + x] = r * inv;
                out[plane + row + x] = g * inv;
                out[2 * plane + row + x] = b * inv;
            }
        }
    }
}

} // namespace

core::Tensor imageToTensor(const QImage &image, int channels)
{
    const QImage img = toInputFormat(image);
    core::Tensor t(core::Shape{1, channels, img.height(), img.width()});
    if (isSixteenBit(img)) {
        fill<QRgba64>(img, channels, 1.0f / 65535.0f, t, [](QRgba64 px, int c) {
            return static_cast<float>(c == 0 ? px.red() : c == 1 ? px.green() : px.blue());
        });
    } else {
        fill<QRgb>(img, channels, 1.0f / 255.0f, t, [](QRgb px, int c) {
            return static_cast<float>(c == 0 ? qRed(px) : c == 1 ? qGreen(px) : qBlue(px));
        });
    }
    return t;
}

} // namespace convscope::ui
