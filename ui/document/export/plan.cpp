// SPDX-License-Identifier: GPL-3.0-or-later
#include "plan.h"

#include <QDir>
#include <QFileInfo>
#include <QSet>

#include <algorithm>

namespace convscope::ui {

ExportFileNames ExportFileNames::of(const ExportRequest &r)
{
    return of(r.baseName, r.output.shape);
}

ExportFileNames ExportFileNames::of(const QString &base, const core::Shape &outputShape)
{
    ExportFileNames f;
    f.base = base;
    if (outputShape.size() == 4) {
        f.samples = static_cast<int>(outputShape[0]);
        f.channels = static_cast<int>(outputShape[1]);
    }
    return f;
}

QStringList exportFileNames(const ExportRequest &r, const ExportFormats &fm)
{
    return exportFileNames(r.baseName, r.output.shape, r.network, fm);
}

QStringList exportFileNames(const QString &base, const core::Shape &outputShape,
                            const core::Network &network, const ExportFormats &fm)
{
    const ExportFileNames f = ExportFileNames::of(base, outputShape);
    QStringList names;
    for (int n = 0; n < f.samples; ++n)
        for (int c = 0; c < f.channels; ++c) {
            if (fm.png)
                names << f.png(n, c);
            if (fm.png16)
                names << f.png16(n, c);
        }
    if (fm.npy)
        names << f.npy();
    if (fm.sheet)
        names << f.sheet(QStringLiteral("png"));
    if (fm.pdf)
        names << f.sheet(QStringLiteral("pdf"));
    if (fm.svg)
        names << f.sheet(QStringLiteral("svg"));
    if (fm.pytorch) {
        names << f.input();
        const auto convs = core::convLayers(network);
        for (int i = 0; i < static_cast<int>(convs.size()); ++i) {
            names << f.weight(i);
            if (convs[static_cast<std::size_t>(i)]->params.bias)
                names << f.bias(i);
        }
        names << f.script();
    }
    if (fm.json)
        names << f.json();
    return names;
}

QStringList formatNames()
{
    return {"png", "png16", "npy", "sheet", "pdf", "svg", "json", "pytorch"};
}

bool svgSupported()
{
#ifdef CONVSCOPE_HAVE_SVG
    return true;
#else
    return false;
#endif
}

QString formatsToString(const ExportFormats &f)
{
    QStringList s;
    const bool on[] = {f.png, f.png16, f.npy, f.sheet, f.pdf, f.svg, f.json, f.pytorch};
    const QStringList names = formatNames();
    for (qsizetype i = 0; i < names.size(); ++i)
        if (on[i])
            s << names[i];
    return s.join(',');
}

bool parseFormats(const QString &text, ExportFormats *out, QString *error)
{
    ExportFormats f;
    bool *fields[] = {&f.png, &f.png16, &f.npy, &f.sheet, &f.pdf, &f.svg, &f.json, &f.pytorch};
    const QStringList names = formatNames();
    for (const QString &raw : text.split(',')) {
        const QString name = raw.trimmed().toLower();
        const qsizetype i = names.indexOf(name);
        if (i < 0) {
            *error = QStringLiteral("unknown format '%1': expected a comma-separated list of %2")
                         .arg(raw.trimmed(), names.join(", "));
            return false;
        }
        *fields[i] = true;
    }
    if (f.svg && !svgSupported()) {
        *error = QStringLiteral("this convscope was built without Qt Svg, so 'svg' is not "
                                "available (use 'pdf' for vector output)");
        return false;
    }
    *out = f;
    return true;
}

QStringList plannedFiles(const std::vector<ExportRequest> &requests, const ExportOptions &options)
{
    QStringList paths;
    const QDir dir(options.folder);
    for (const ExportRequest &r : requests)
        for (const QString &name : exportFileNames(r, options.formats))
            paths << QDir::cleanPath(dir.absoluteFilePath(name));
    return paths;
}

QString checkOptions(const ExportOptions &options)
{
    if (!options.formats.any())
        return QStringLiteral("choose at least one format (%1)").arg(formatNames().join(", "));
    if (options.formats.svg && !svgSupported())
        return QStringLiteral("SVG export needs Qt Svg, which this build does not have");
    if (options.folder.isEmpty())
        return QStringLiteral("choose a folder to export to");
    if ((options.formats.sheet || options.formats.pdf || options.formats.svg)
        && (options.sheetWidth < 200 || options.sheetWidth > 20000))
        return QStringLiteral("contact sheet width must be between 200 and 20000 pixels, got %1")
            .arg(options.sheetWidth);
    return {};
}

QString checkNetworkForExport(const core::Network &network, const ExportFormats &formats)
{
    if (network.empty())
        return QStringLiteral("the network has no layers");
    // Every kind the forward pass runs can be exported; the PyTorch script loads the tensors
    // of Conv2d layers only.
    if (auto bad = core::validateModules(network))
        return layerMessage(*bad);
    if (formats.pytorch)
        for (std::size_t i = 0; i < network.size(); ++i) {
            const core::Layer &layer = network.layers[i];
            if (std::holds_alternative<core::BatchNorm2dLayer>(layer)
                || std::holds_alternative<core::ConvTranspose2dLayer>(layer))
                return QStringLiteral("layer %1 (%2) has tensors the pytorch format does not write "
                                      "(it writes Conv2d weights and biases); leave pytorch out "
                                      "of the formats")
                    .arg(i + 1)
                    .arg(QString::fromStdString(core::kindName(layer)));
        }
    return {};
}

QString checkRequests(const std::vector<ExportRequest> &requests, const ExportOptions &options)
{
    if (requests.empty())
        return QStringLiteral("nothing to export");
    if (QString e = checkOptions(options); !e.isEmpty())
        return e;
    QSet<QString> seen;
    for (const ExportRequest &r : requests) {
        if (r.baseName.isEmpty() || r.baseName.contains('/') || r.baseName.contains('\\')
            || r.baseName.startsWith('.'))
            return QStringLiteral("invalid file name prefix '%1'").arg(r.baseName);
        if (r.output.rank() != 4 || r.output.size() == 0
            || r.output.size() != core::numel(r.output.shape))
            return QStringLiteral("'%1': the output %2 is not a non-empty [N, C, H, W] tensor")
                .arg(r.baseName, QString::fromStdString(core::formatShape(r.output.shape)));
        if (r.output.dim(2) > 32767 || r.output.dim(3) > 32767)
            return QStringLiteral("'%1': maps of %2 x %3 are too large for PNG export")
                .arg(r.baseName)
                .arg(r.output.dim(3))
                .arg(r.output.dim(2));
        if ((options.formats.pytorch || options.formats.json) && r.network.empty())
            return QStringLiteral("'%1': the sidecar and the PyTorch script need the layers")
                .arg(r.baseName);
        if (options.formats.pytorch && r.input.rank() != 4)
            return QStringLiteral("'%1': the input %2 is not an [N, C, H, W] tensor")
                .arg(r.baseName, QString::fromStdString(core::formatShape(r.input.shape)));
        if (QString e = checkNetworkForExport(r.network, options.formats); !e.isEmpty())
            return QStringLiteral("'%1': %2").arg(r.baseName, e);
        if (r.normalization)
            if (auto e = core::validate(*r.normalization, r.input.shape))
                return QStringLiteral("'%1': normalize: %2")
                    .arg(r.baseName, QString::fromStdString(e->message));
        const auto convs = core::convLayers(r.network);
        for (std::size_t i = 0; i < convs.size(); ++i)
            if (!convs[i]->weight || (convs[i]->params.bias && !convs[i]->bias))
                return QStringLiteral("'%1': layer %2: the Conv2d has no weight or bias tensor")
                    .arg(r.baseName)
                    .arg(i + 1);
        for (const QString &name : exportFileNames(r, options.formats)) {
            if (seen.contains(name))
                return QStringLiteral("two inputs would both write '%1'; give them different names")
                    .arg(name);
            seen.insert(name);
        }
    }
    for (const QString &path : plannedFiles(requests, options))
        if (QFileInfo(path).isDir())
            return QStringLiteral("'%1' is a folder; it cannot be replaced by an export file")
                .arg(path);
    return {};
}

} // namespace convscope::ui
