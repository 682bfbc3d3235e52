// SPDX-License-Identifier: GPL-3.0-or-later
// Reading real photos: camera-sized JPEGs and 16-bit PNGs open (Qt's 128 MB default limit
// would refuse them), an image past the memory budget is refused before decoding with its
// numbers, and a truncated JPEG is refused instead of being computed half grey. The large
// images are made here from a small pattern, not committed.
#include "imageinput.h"

#include <QFile>
#include <QImageWriter>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>

using namespace convscope::ui;

namespace {

// A pattern with edges and gradients (JPEG and PNG compress it quickly and well), drawn
// small and scaled up without filtering.
QImage pattern(int w, int h, QImage::Format format)
{
    const int sw = std::max(1, w / 16), sh = std::max(1, h / 16);
    QImage small(sw, sh, format);
    for (int y = 0; y < sh; ++y)
        for (int x = 0; x < sw; ++x)
            small.setPixelColor(x, y,
                                QColor((x / 4) % 2 ? 200 : 30, (y * 255) / sh, (x * 255) / sw));
    QImage img = small.scaled(w, h, Qt::IgnoreAspectRatio, Qt::FastTransformation);
    return img.format() == format ? img : img.convertToFormat(format);
}

// Writes `img` and checks it worked; fast settings (the test is about reading).
QString write(const QImage &img, const QString &path, const QByteArray &format)
{
    QImageWriter writer(path, format);
    if (format == "png")
        writer.setCompression(1);
    else
        writer.setQuality(70);
    return writer.write(img) ? path : QString();
}

} // namespace

class ImageInputTest : public QObject {
    Q_OBJECT
private slots:
    void cameraSizedJpeg_opensAtFullSize()
    {
        QTemporaryDir dir;
        // 45 MP, 172 MB decoded: above Qt's default 128 MB allocation limit.
        const QString path =
            write(pattern(8256, 5504, QImage::Format_RGB32), dir.filePath("camera.jpg"), "jpeg");
        QVERIFY(!path.isEmpty());
        QString error;
        const QImage img = readImage(path, &error);
        QVERIFY2(!img.isNull(), qPrintable(error));
        QCOMPARE(img.size(), QSize(8256, 5504));
    }

    void sixteenBitPng_opensAtFullSize()
    {
        QTemporaryDir dir;
        // 24 MP at 16 bits per channel: 184 MB decoded.
        const QString path =
            write(pattern(6000, 4000, QImage::Format_RGBA64), dir.filePath("scan.png"), "png");
        QVERIFY(!path.isEmpty());
        QString error;
        const QImage img = readImage(path, &error);
        QVERIFY2(!img.isNull(), qPrintable(error));
        QCOMPARE(img.size(), QSize(6000, 4000));
        QCOMPARE(img.depth(), 64); // still 16 bits per channel
    }

    void imagePastTheBudget_isRefusedWithItsNumbers()
    {
        QTemporaryDir dir;
        const QString path =
            write(pattern(4096, 2048, QImage::Format_RGB32), dir.filePath("wide.png"), "png");
        QVERIFY(!path.isEmpty());
        QString error;
        QVERIFY(readImage(path, &error, 16).isNull());
        QVERIFY2(error.contains("4096 x 2048 image needs 32 MB, more than the 16 MB budget"),
                 qPrintable(error));
        error.clear();
        QVERIFY2(!readImage(path, &error, 32).isNull(), qPrintable(error)); // exactly fits
    }

    void truncatedJpeg_isRefused()
    {
        QTemporaryDir dir;
        const QString path =
            write(pattern(640, 480, QImage::Format_RGB32), dir.filePath("photo.jpg"), "jpeg");
        QVERIFY(!path.isEmpty());
        QString error;
        QVERIFY2(!readImage(path, &error).isNull(), qPrintable(error)); // whole: fine
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.resize(f.size() / 2));
        f.close();
        error.clear();
        QVERIFY(readImage(path, &error).isNull());
        QVERIFY2(error.contains("truncated"), qPrintable(error));
    }

    void probe_givesTheDecodedSizeWithTheExifOrientation()
    {
        QTemporaryDir dir;
        const QString path =
            write(pattern(64, 32, QImage::Format_RGB32), dir.filePath("portrait.jpg"), "jpeg");
        QVERIFY(!path.isEmpty());
        // What a phone held upright writes: the pixels landscape, an EXIF orientation of 6
        // (rotate 90 degrees to show). An APP1 segment with a one-entry IFD, after the SOI.
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QByteArray bytes = f.readAll();
        f.close();
        static const char exif[] = "\xff\xe1\x00\x22"
                                   "Exif\0\0"
                                   "II*\0\x08\0\0\0"
                                   "\x01\0"
                                   "\x12\x01\x03\0\x01\0\0\0\x06\0\0\0"
                                   "\0\0\0\0";
        bytes.insert(2, QByteArray(exif, sizeof exif - 1));
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(f.write(bytes), bytes.size());
        f.close();
        QString error;
        bool ok = false;
        const QSize probed = probeImage(path, &error, &ok);
        QVERIFY2(ok, qPrintable(error));
        const QImage img = readImage(path, &error);
        QVERIFY2(!img.isNull(), qPrintable(error));
        QCOMPARE(img.size(), QSize(32, 64)); // upright
        QCOMPARE(probed, img.size());
    }

    void probe_refusesBeforeDecodingWhatReadImageRefuses()
    {
        QTemporaryDir dir;
        QString error;
        bool ok = true;
        probeImage(dir.filePath("missing.png"), &error, &ok);
        QVERIFY(!ok);
        QVERIFY2(error.contains("missing.png"), qPrintable(error));

        const QString wide =
            write(pattern(4096, 2048, QImage::Format_RGB32), dir.filePath("wide.png"), "png");
        error.clear();
        QCOMPARE(probeImage(wide, &error, &ok, 16), QSize());
        QVERIFY(!ok);
        QVERIFY2(error.contains("needs 32 MB, more than the 16 MB budget"), qPrintable(error));
        QCOMPARE(probeImage(wide, &error, &ok, 32), QSize(4096, 2048));
        QVERIFY(ok);

        const QString jpeg =
            write(pattern(640, 480, QImage::Format_RGB32), dir.filePath("photo.jpg"), "jpeg");
        QFile f(jpeg);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.resize(f.size() / 2));
        f.close();
        error.clear();
        probeImage(jpeg, &error, &ok);
        QVERIFY(!ok);
        QVERIFY2(error.contains("truncated"), qPrintable(error));
    }

    void sixteenBitImage_tensorIsItsValuesOver65535()
    {
        QImage img(3, 2, QImage::Format_RGBA64);
        const quint16 values[6][3] = {{0, 1, 65535},   {257, 12345, 40000}, {65534, 2, 3},
                                      {100, 200, 300}, {65535, 65535, 0},   {7, 77, 777}};
        for (int i = 0; i < 6; ++i)
            img.setPixelColor(i % 3, i / 3,
                              QColor::fromRgba64(values[i][0], values[i][1], values[i][2]));
        QVERIFY(isSixteenBit(img));
        QCOMPARE(pixelMax(img), 65535);
        const auto t = imageToTensor(img, 3);
        QCOMPARE(t.shape, (convscope::core::Shape{1, 3, 2, 3}));
        for (int i = 0; i < 6; ++i)
            for (int c = 0; c < 3; ++c)
                QCOMPARE(t.data[static_cast<std::size_t>(c * 6 + i)],
                         static_cast<float>(values[i][c]) * (1.0f / 65535.0f));
        // Values an 8-bit reduction would merge stay apart (1 and 0 differ by 1/65535).
        QVERIFY(t.data[1] > t.data[0]);
        // Grayscale: the luma of the 16-bit values.
        const auto g = imageToTensor(img, 1);
        QCOMPARE(g.data[1],
                 (kLumaRed * 257 + kLumaGreen * 12345 + kLumaBlue * 40000) * (1.0f / 65535.0f));
    }

    void sixteenBitPng_isReadWithItsSixteenBitValues()
    {
        QTemporaryDir dir;
        QImage img(2, 1, QImage::Format_RGBX64);
        img.setPixelColor(0, 0, QColor::fromRgba64(1, 2, 3));
        img.setPixelColor(1, 0, QColor::fromRgba64(60000, 50001, 40002));
        const QString path = write(img, dir.filePath("deep.png"), "png");
        QVERIFY(!path.isEmpty());
        QString error;
        const QImage back = readImage(path, &error);
        QVERIFY2(!back.isNull(), qPrintable(error));
        QVERIFY(isSixteenBit(toInputFormat(back)));
        const auto t = imageToTensor(back, 3);
        QCOMPARE(t.data[0], 1.0f / 65535.0f);
        QCOMPARE(t.data[1], 60000.0f / 65535.0f);
        QCOMPARE(t.data[3], 50001.0f / 65535.0f);
    }

    void eightBitImage_isPixelOver255()
    {
        QImage img(1, 1, QImage::Format_RGB32);
        img.setPixel(0, 0, qRgb(10, 128, 255));
        QVERIFY(!isSixteenBit(img));
        QCOMPARE(pixelMax(img), 255);
        const auto t = imageToTensor(img, 3);
        QCOMPARE(t.data[0], 10 * (1.0f / 255.0f));
        QCOMPARE(t.data[2], 255 * (1.0f / 255.0f));
    }

    void budget_followsTheEnvironmentWhenItIsAPositiveNumber()
    {
        qputenv("CONVSCOPE_IMAGE_BUDGET_MB", "64");
        QCOMPARE(imageBudgetMB(), 64);
        for (const char *bad : {"0", "-5", "lots", "12MB", ""}) {
            qputenv("CONVSCOPE_IMAGE_BUDGET_MB", bad);
            QCOMPARE(imageBudgetMB(), 2048);
        }
        qunsetenv("CONVSCOPE_IMAGE_BUDGET_MB");
        QCOMPARE(imageBudgetMB(), 2048);
    }
};

QTEST_GUILESS_MAIN(ImageInputTest)
#include "imageinput_test.moc"
