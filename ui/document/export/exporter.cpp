// SPDX-License-Identifier: GPL-3.0-or-later
// The export itself: check, plan, write every file into the staging folder, commit.
#include "exporter.h"

#include "transaction.h"

#include "npy.h"
#include "pytorchsnippet.h"
#include "threadpool.h"

#include <QBuffer>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QImageWriter>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace convscope::ui {

namespace {

// zlib level 1 (QImageWriter's quality 80): on 4K feature maps it encodes ~3x faster than
// Qt's default level and the files came out no larger (measured: README, "Export speed").
constexpr int kPngQuality = 80;

QByteArray encodePng(const QImage &image)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, "png");
    writer.setQuality(kPngQuality);
    return writer.write(image) ? bytes : QByteArray();
}

// A failed save is nearly always a failed write (full disk, I/O error): the transaction
// reports the device's reason then, and this text only when the device saw no error.
bool writeImage(QIODevice *d, const QImage &image, QString *error)
{
    QImageWriter writer(d, "png");
    writer.setQuality(kPngQuality);
    if (!writer.write(image)) {
        *error = QStringLiteral("PNG encoding failed");
        return false;
    }
    return true;
}

// Streams the tensor into the file: no second copy of it in memory.
bool writeNpy(QIODevice *d, const core::Tensor &t)
{
    return core::writeNpyTo(t, [d](const char *p, std::size_t n) {
        return d->write(p, static_cast<qint64>(n)) == static_cast<qint64>(n);
    });
}

// One per-map PNG of the export, encoded on a pool thread.
struct MapPng {
    int n = 0;
    int c = 0;
    bool raw16 = false; // png16, else the colour map
    QString name;
    QByteArray bytes;                 // the encoded file; empty after a failure
    double offset = 0.0, scale = 0.0; // png16 only
};

void encodeMap(const ExportRequest &r, const OutputRanges &ranges, MapPng &m)
{
    const int width = static_cast<int>(r.output.dim(3));
    const int height = static_cast<int>(r.output.dim(2));
    if (m.raw16) {
        const Png16 p16 = encodePng16(mapData(r.output, m.n, m.c), width, height);
        m.offset = p16.offset;
        m.scale = p16.scale;
        m.bytes = encodePng(p16.image);
        return;
    }
    // The colour maps are opaque: RGB, a quarter fewer bytes to filter and deflate than ARGB.
    m.bytes = encodePng(
        renderChannel(r.output, m.n, m.c, r.view, ranges).convertToFormat(QImage::Format_RGB888));
}

} // namespace

ExportResult exportResults(const std::vector<ExportRequest> &requests, const ExportOptions &options,
                           const ExportProgress &progress)
{
    ExportResult result;
    if (QString e = checkRequests(requests, options); !e.isEmpty()) {
        result.message = e;
        return result;
    }
    const QStringList planned = plannedFiles(requests, options);
    // begin() first: it finishes or undoes what a killed export left in the folder, and only
    // then does the folder show which files exist.
    ExportTransaction tx(options.folder, options.overwrite);
    QString error;
    if (!tx.begin(&error)) {
        result.message = error;
        return result;
    }
    if (!options.overwrite) {
        for (const QString &path : planned)
            if (QFileInfo::exists(path))
                result.files << path;
        if (!result.files.isEmpty()) {
            result.status = ExportResult::Status::ExistingFiles;
            result.message = QStringLiteral("%1 file(s) already exist in '%2' (for example '%3'); "
                                            "nothing was written")
                                 .arg(result.files.size())
                                 .arg(options.folder, QFileInfo(result.files.front()).fileName());
            return result;
        }
    }

    const double total = planned.size() + 1.0; // +1: moving the files into place
    int step = 0;
    const auto next = [&](const QString &name) {
        if (progress && !progress(step / total, name))
            return false;
        ++step;
        return true;
    };
    const auto cancelled = [&] {
        result.status = ExportResult::Status::Cancelled;
        result.message = QStringLiteral("export cancelled; nothing was written");
        return result;
    };
    const auto failed = [&] {
        result.status = ExportResult::Status::Failed;
        result.message = error;
        return result;
    };

    const QString created = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    for (const ExportRequest &r : requests) {
        const ExportFileNames f = ExportFileNames::of(r);
        const ExportFormats &fm = options.formats;
        std::vector<Png16Scale> png16Maps;
        // The per-map PNGs, encoded `threads` at a time on the engine's pool (the encoding is
        // most of an export's time); each group is written, in order, before the next one is
        // encoded, so at most `threads` encoded maps wait in memory.
        std::vector<MapPng> maps;
        for (int n = 0; n < f.samples; ++n)
            for (int c = 0; c < f.channels; ++c) {
                if (fm.png)
                    maps.push_back({n, c, false, f.png(n, c), {}, 0.0, 0.0});
                if (fm.png16)
                    maps.push_back({n, c, true, f.png16(n, c), {}, 0.0, 0.0});
            }
        const OutputRanges ranges = fm.png ? outputRanges(r.output) : OutputRanges{};
        const int threads =
            options.threads > 0 ? options.threads : core::ThreadPool::hardwareThreads();
        for (std::size_t first = 0; first < maps.size(); first += std::size_t(threads)) {
            const std::size_t count = std::min(maps.size() - first, std::size_t(threads));
            if (!next(maps[first].name))
                return cancelled();
            bool stopped = false;
            core::ThreadPool::instance().run(
                threads, static_cast<std::int64_t>(count),
                [&](std::int64_t i) { encodeMap(r, ranges, maps[first + std::size_t(i)]); },
                [&](std::int64_t) {
                    stopped = progress && !progress(step / total, maps[first].name);
                    return !stopped;
                });
            if (stopped)
                return cancelled();
            for (std::size_t i = first; i < first + count; ++i) {
                MapPng &m = maps[i];
                if (i != first && !next(m.name))
                    return cancelled();
                if (m.bytes.isEmpty()) {
                    error = QStringLiteral("cannot write '%1' in folder '%2': PNG encoding failed")
                                .arg(m.name, options.folder);
                    return failed();
                }
                if (!tx.writeBytes(m.name, m.bytes, &error))
                    return failed();
                m.bytes = QByteArray();
                if (m.raw16)
                    png16Maps.push_back({m.name, m.n, m.c, m.offset, m.scale});
            }
        }
        if (fm.npy) {
            if (!next(f.npy()))
                return cancelled();
            if (!tx.write(
                    f.npy(), [&](QIODevice *d, QString *) { return writeNpy(d, r.output); },
                    &error))
                return failed();
        }
        if (fm.sheet) {
            if (!next(f.sheet("png")))
                return cancelled();
            // Opaque (a white page): RGB, like the maps.
            const QImage sheet =
                renderContactSheet(r, options.sheetWidth).convertToFormat(QImage::Format_RGB888);
            if (!tx.write(
                    f.sheet("png"),
                    [&](QIODevice *d, QString *e) { return writeImage(d, sheet, e); }, &error))
                return failed();
        }
        if (fm.pdf) {
            if (!next(f.sheet("pdf")))
                return cancelled();
            if (!tx.writeBytes(f.sheet("pdf"), contactSheetPdf(r, options.sheetWidth), &error))
                return failed();
        }
        if (fm.svg) {
            if (!next(f.sheet("svg")))
                return cancelled();
            if (!tx.writeBytes(f.sheet("svg"), contactSheetSvg(r, options.sheetWidth), &error))
                return failed();
        }
        if (fm.pytorch) {
            SnippetFiles sf;
            sf.folder = QDir(options.folder).absolutePath();
            sf.inputNpy = f.input();
            sf.pixelMax = r.pixelMax;
            sf.normalization = r.normalization;
            sf.imageFile = r.inputPath;
            sf.exifOrientation = r.orientation.exif;
            sf.grayscale = r.inputMode == InputMode::Grayscale;
            if (!r.downscaledFrom.isEmpty() && r.input.rank() == 4)
                sf.downscaledTo =
                    QSize(static_cast<int>(r.input.dim(3)), static_cast<int>(r.input.dim(2)));
            if (fm.npy)
                sf.outputNpy = f.npy();
            if (!next(f.input()))
                return cancelled();
            if (!tx.write(
                    f.input(), [&](QIODevice *d, QString *) { return writeNpy(d, r.input); },
                    &error))
                return failed();
            const auto convs = core::convLayers(r.network);
            for (int i = 0; i < static_cast<int>(convs.size()); ++i) {
                const core::Conv2dLayer &l = *convs[static_cast<std::size_t>(i)];
                if (!next(f.weight(i)))
                    return cancelled();
                const core::Tensor noTensor;
                const core::Tensor &w = l.weight ? *l.weight : noTensor;
                if (!tx.write(
                        f.weight(i), [&](QIODevice *d, QString *) { return writeNpy(d, w); },
                        &error))
                    return failed();
                sf.weightNpy << f.weight(i);
                sf.biasNpy << (l.params.bias ? f.bias(i) : QString());
                if (l.params.bias) {
                    if (!next(f.bias(i)))
                        return cancelled();
                    const core::Tensor &b = l.bias ? *l.bias : noTensor;
                    if (!tx.write(
                            f.bias(i), [&](QIODevice *d, QString *) { return writeNpy(d, b); },
                            &error))
                        return failed();
                }
            }
            if (!next(f.script()))
                return cancelled();
            if (!tx.writeBytes(f.script(), pytorchSnippet(r.network, sf).toUtf8(), &error))
                return failed();
        }
        if (fm.json) {
            if (!next(f.json()))
                return cancelled();
            if (!tx.writeBytes(f.json(), exportSidecar(r, options, png16Maps, created), &error))
                return failed();
        }
    }
    if (!next(QStringLiteral("moving files into place")))
        return cancelled();
    if (!tx.commit(&error))
        return failed();
    if (progress)
        progress(1.0, QStringLiteral("done"));
    result.status = ExportResult::Status::Ok;
    result.files = planned;
    result.message =
        QStringLiteral("wrote %1 file(s) to '%2'").arg(planned.size()).arg(options.folder);
    return result;
}

} // namespace convscope::ui
