// SPDX-License-Identifier: GPL-3.0-or-later
#include "settings.h"

#include "paramsjson.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>

#include <algorithm>

namespace convscope::ui {

namespace {

// The key table: every key convscope stores. The names of version 1 are kept so a user's
// settings carry over; only the parameters moved.
namespace key {
constexpr const char *kVersion = "settings/version";
constexpr const char *kGeometry = "window/geometry";
constexpr const char *kState = "window/state";
constexpr const char *kRecentFiles = "recentFiles";
constexpr const char *kPreviewLimit = "previewLimit";
constexpr const char *kGradient = "display/gradient";
constexpr const char *kGlobalRange = "display/globalRange";
constexpr const char *kTheme = "display/theme";
constexpr const char *kPresentation = "display/presentation";
constexpr const char *kParams = "conv2d/params"; // since version 2: paramsjson, compact
constexpr const char *kSessionFolder = "session/lastFolder";
constexpr const char *kWeightsFolder = "weights/lastFolder";
constexpr const char *kPyTorchFolder = "pytorch/folder";
constexpr const char *kExportFormats = "export/formats";
constexpr const char *kExportFolder = "export/folder";
constexpr const char *kExportSheetWidth = "export/sheetWidth";
constexpr const char *kExportResolution = "export/resolution"; // "full" or "shown"
// Version 1's parameter group, read once and removed by the next save.
constexpr const char *kV1ParamsGroup = "params";
constexpr const char *kV1ParamsPresent = "params/outChannels";
} // namespace key

// The window offers 1 (grayscale) or 3 (RGB) input channels, nothing in between.
core::Conv2dParams withImageChannels(core::Conv2dParams p)
{
    p.inChannels = p.inChannels == 1 ? 1 : 3;
    return p;
}

std::optional<core::Conv2dParams> paramsFromText(const QString &text)
{
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8());
    if (!doc.isObject())
        return std::nullopt;
    ParamsJsonError ignored; // a broken entry is forgotten: the window starts from defaults
    auto p = paramsFromJson(doc.object(), kSettingsParams, &ignored);
    if (!p)
        return std::nullopt;
    return withImageChannels(*p);
}

// Version 1 wrote each argument as its own QVariant; turn the group into the JSON of
// version 2 and read that, so both layouts get the same checks and clamps.
std::optional<core::Conv2dParams> paramsFromV1(QSettings &s)
{
    if (!s.contains(QLatin1String(key::kV1ParamsPresent)))
        return std::nullopt;
    s.beginGroup(QLatin1String(key::kV1ParamsGroup));
    core::Conv2dParams p;
    const auto hw = [&](const char *name, core::Hw fallback) {
        const QList<QVariant> v = s.value(QLatin1String(name)).toList();
        return v.size() == 2 ? core::Hw{v[0].toInt(), v[1].toInt()} : fallback;
    };
    p.inChannels = s.value(QStringLiteral("inChannels"), p.inChannels).toInt();
    p.outChannels = s.value(QStringLiteral("outChannels"), p.outChannels).toInt();
    p.kernel = hw("kernel", p.kernel);
    p.stride = hw("stride", p.stride);
    p.padding = hw("padding", p.padding);
    p.dilation = hw("dilation", p.dilation);
    p.paddingKind = static_cast<core::PaddingKind>(
        std::clamp(s.value(QStringLiteral("paddingKind"), 0).toInt(), 0, 2));
    const auto mode = core::parsePaddingMode(
        s.value(QStringLiteral("paddingMode"), QStringLiteral("zeros")).toString().toStdString());
    p.paddingMode = mode.value_or(core::PaddingMode::Zeros);
    p.groups = s.value(QStringLiteral("groups"), p.groups).toInt();
    p.bias = s.value(QStringLiteral("bias"), true).toBool();
    s.endGroup();
    auto clamped = paramsFromJson(paramsToJson(p), kSettingsParams, nullptr);
    if (!clamped)
        return std::nullopt;
    return withImageChannels(*clamped);
}

} // namespace

ExportFormats Settings::defaultExportFormats()
{
    ExportFormats f;
    f.png = f.npy = f.sheet = f.json = true;
    return f;
}

void Settings::load()
{
    QSettings s;
    load(s);
}

void Settings::load(QSettings &s)
{
    *this = Settings();
    windowGeometry = s.value(key::kGeometry).toByteArray();
    windowState = s.value(key::kState).toByteArray();
    recentFiles = s.value(key::kRecentFiles).toStringList();
    previewLimit = std::max(0, s.value(key::kPreviewLimit, previewLimit).toInt());

    Gradient g = gradient;
    if (parseGradient(s.value(key::kGradient).toString(), &g))
        gradient = g;
    rangeMode = s.value(key::kGlobalRange, false).toBool() ? RangeMode::Global : RangeMode::PerMap;
    theme = static_cast<Theme>(std::clamp(s.value(key::kTheme, 0).toInt(), 0, 2));
    presentation = s.value(key::kPresentation, false).toBool();

    // A newer convscope's version number reads like ours: it keeps the keys it does not
    // change, and what it changed reads as missing here.
    const int version = s.value(key::kVersion, 1).toInt();
    if (version < 2)
        params = paramsFromV1(s);
    else if (s.contains(key::kParams))
        params = paramsFromText(s.value(key::kParams).toString());

    sessionFolder = s.value(key::kSessionFolder).toString();
    weightsFolder = s.value(key::kWeightsFolder).toString();
    pytorchFolder = s.value(key::kPyTorchFolder).toString();

    ExportFormats f;
    QString ignored;
    if (parseFormats(s.value(key::kExportFormats).toString(), &f, &ignored))
        exportFormats = f;
    exportFolder = s.value(key::kExportFolder).toString();
    exportSheetWidth = s.value(key::kExportSheetWidth, exportSheetWidth).toInt();
    exportFullResolution = s.value(key::kExportResolution).toString() != QLatin1String("shown");
}

void Settings::save() const
{
    QSettings s;
    save(s);
}

void Settings::save(QSettings &s) const
{
    s.setValue(key::kVersion, kVersion);
    s.setValue(key::kGeometry, windowGeometry);
    s.setValue(key::kState, windowState);
    s.setValue(key::kRecentFiles, recentFiles);
    s.setValue(key::kPreviewLimit, previewLimit);
    s.setValue(key::kGradient, gradientName(gradient));
    s.setValue(key::kGlobalRange, rangeMode == RangeMode::Global);
    s.setValue(key::kTheme, static_cast<int>(theme));
    s.setValue(key::kPresentation, presentation);
    s.remove(key::kV1ParamsGroup);
    if (params)
        s.setValue(
            key::kParams,
            QString::fromUtf8(QJsonDocument(paramsToJson(*params)).toJson(QJsonDocument::Compact)));
    else
        s.remove(key::kParams);
    s.setValue(key::kSessionFolder, sessionFolder);
    s.setValue(key::kWeightsFolder, weightsFolder);
    s.setValue(key::kPyTorchFolder, pytorchFolder);
    s.setValue(key::kExportFormats, formatsToString(exportFormats));
    s.setValue(key::kExportFolder, exportFolder);
    s.setValue(key::kExportSheetWidth, exportSheetWidth);
    s.setValue(key::kExportResolution,
               exportFullResolution ? QStringLiteral("full") : QStringLiteral("shown"));
}

} // namespace convscope::ui
