// SPDX-License-Identifier: GPL-3.0-or-later
#include "sidecar.h"

#include "imageinput.h"
#include "maps.h"
#include "paramsjson.h"
#include "shape.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <limits>

#ifndef CONVSCOPE_VERSION
#define CONVSCOPE_VERSION "0.0.0"
#endif

namespace convscope::ui {

namespace {

QJsonArray shapeJson(const core::Shape &s)
{
    QJsonArray a;
    for (auto d : s)
        a.append(static_cast<qint64>(d));
    return a;
}

QJsonArray rangeJson(ValueRange r)
{
    return QJsonArray{static_cast<double>(r.lo), static_cast<double>(r.hi)};
}

// A weight as the float it is ("0.299", not the double nearest to that float).
QString lumaText(float weight)
{
    return QString::number(weight, 'g', std::numeric_limits<float>::digits10);
}

// Null without a normalisation: the image tensor went in as it is.
QJsonValue normalizationJson(const std::optional<core::InputNormalization> &n)
{
    if (!n)
        return QJsonValue();
    QJsonArray mean, stdDev;
    for (double v : n->mean)
        mean.append(v);
    for (double v : n->stdDev)
        stdDev.append(v);
    return QJsonObject{{"torch", QString::fromStdString(core::torchRepr(*n))},
                       {"mean", mean},
                       {"std", stdDev},
                       {"formula", "(x - mean[c]) / std[c], float32, before the first layer"}};
}

QJsonObject weightsJson(const WeightsSource &w)
{
    QJsonObject o{{"method", w.method.isEmpty() ? QStringLiteral("unknown") : w.method}};
    if (w.seed)
        o["seed"] = static_cast<qint64>(*w.seed);
    if (!w.preset.isEmpty())
        o["preset"] = w.preset;
    QJsonArray files;
    for (const SourceFile &f : w.files)
        files.append(QJsonObject{
            {"role", f.role}, {"file", f.path}, {"sha256", QString::fromLatin1(f.sha256)}});
    o["files"] = files;
    if (!w.networkText.isEmpty())
        o["network_text"] = w.networkText;
    return o;
}

} // namespace

QByteArray exportSidecar(const ExportRequest &r, const ExportOptions &options,
                         const std::vector<Png16Scale> &png16, const QString &created)
{
    const ExportFormats &fm = options.formats;
    const OutputRanges ranges = outputRanges(r.output);
    QJsonArray mapRanges;
    for (int n = 0; n < static_cast<int>(r.output.dim(0)); ++n) {
        for (int c = 0; c < static_cast<int>(r.output.dim(1)); ++c) {
            const ValueRange own = ranges.of(n, c);
            mapRanges.append(QJsonObject{
                {"sample", n},
                {"channel", c},
                {"range", rangeJson(own)},
                {"colour_range",
                 rangeJson(colourRange(r.view.rangeMode, r.view.gradient, own, ranges.all))}});
        }
    }
    QJsonArray png16Maps;
    for (const Png16Scale &p : png16)
        png16Maps.append(QJsonObject{{"file", p.file},
                                     {"sample", p.sample},
                                     {"channel", p.channel},
                                     {"offset", p.offset},
                                     {"scale", p.scale}});
    const QString scaling = QStringLiteral("pixel / %1 (%2); grayscale = %3 R + %4 G + %5 B")
                                .arg(r.pixelMax)
                                .arg(r.pixelMax == 255 ? QStringLiteral("torchvision ToTensor")
                                                       : QStringLiteral("16 bits per channel kept"),
                                     lumaText(kLumaRed), lumaText(kLumaGreen), lumaText(kLumaBlue));
    QJsonObject o;
    o["convscope_version"] = CONVSCOPE_VERSION;
    o["created"] = created;
    o["input"] =
        QJsonObject{{"file", r.inputName},
                    {"sha256", QString::fromLatin1(r.inputSha256)},
                    {"mode", inputModeName(r.inputMode)},
                    {"bits_per_channel", r.pixelMax == 65535 ? 16 : 8},
                    {"shape", shapeJson(r.input.shape)},
                    {"range", rangeJson(rangeOf(r.input.data.data(), r.input.data.size()))},
                    {"scaling", scaling},
                    {"exif_orientation",
                     QJsonObject{{"value", r.orientation.exif}, {"applied", r.orientation.name}}},
                    {"normalization", normalizationJson(r.normalization)}};
    o["weights"] = weightsJson(r.weights);
    QStringList reprs;
    for (const core::Layer &layer : r.network.layers)
        reprs << QString::fromStdString(core::torchRepr(layer));
    const QJsonArray layers =
        convLayersJson(r.network, [](const core::Conv2dLayer &c, QJsonObject &lo) {
            static const core::Tensor none; // a geometry-only layer: no tensors to describe
            const core::Tensor &weight = c.weight ? *c.weight : none;
            const core::Tensor &bias = c.bias ? *c.bias : none;
            lo["weight_shape"] = shapeJson(weight.shape);
            lo["weight_range"] = rangeJson(rangeOf(weight.data.data(), weight.data.size()));
            lo["bias_shape"] = c.params.bias ? QJsonValue(shapeJson(bias.shape)) : QJsonValue();
        });
    o["torch"] =
        reprs.size() == 1 ? reprs.front() : QStringLiteral("Sequential(%1)").arg(reprs.join(", "));
    o["layers"] = layers;
    // Which resolution the maps are at: a preview export must not pass for the image.
    const auto rank = r.input.shape.size();
    const QSize computed = rank >= 2 ? QSize(static_cast<int>(r.input.shape[rank - 1]),
                                             static_cast<int>(r.input.shape[rank - 2]))
                                     : QSize();
    const QSize image = r.downscaledFrom.isEmpty() ? computed : r.downscaledFrom;
    const auto sizeJson = [](QSize s) {
        return QJsonObject{{"width", s.width()}, {"height", s.height()}};
    };
    o["resolution"] = QJsonObject{
        {"image", sizeJson(image)},
        {"computed", sizeJson(computed)},
        {"full_resolution", r.downscaledFrom.isEmpty()},
        {"downscale", r.downscaledFrom.isEmpty() ? QJsonValue()
                                                 : QJsonObject{{"from", sizeJson(r.downscaledFrom)},
                                                               {"to", sizeJson(computed)},
                                                               {"method", r.downscaleMethod}}}};
    o["output"] = QJsonObject{{"shape", shapeJson(r.output.shape)},
                              {"dtype", "float32"},
                              {"range", rangeJson(ranges.all)},
                              {"maps", mapRanges}};
    o["view"] = QJsonObject{{"colormap", gradientName(r.view.gradient)},
                            {"range_mode", rangeModeName(r.view.rangeMode)}};
    if (fm.png16)
        o["png16"] = QJsonObject{
            {"formula", "value = offset + pixel * scale"}, {"bit_depth", 16}, {"maps", png16Maps}};
    if (fm.sheet || fm.pdf || fm.svg)
        o["contact_sheet"] = QJsonObject{{"width_px", options.sheetWidth}};
    o["files"] = QJsonArray::fromStringList(exportFileNames(r, fm));
    return QJsonDocument(o).toJson(QJsonDocument::Indented);
}

QByteArray sha256OfFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&file))
        return {};
    return hash.result().toHex();
}

} // namespace convscope::ui
