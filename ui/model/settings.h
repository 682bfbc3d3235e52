// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// What convscope remembers between runs, as one typed value: the window, the display, the
// Conv2d parameters, the folders the file dialogs start in and the export options. Every key
// is in the key table in settings.cpp and nowhere else; load() reads them (migrating older
// layouts), save() writes them all.
//
// Each user loads, changes its own fields and saves in one go on the GUI thread, so a
// window writing its geometry never puts back a folder the export dialog changed meanwhile.
#include "conv2dparams.h"
#include "exporter.h"
#include "viewsettings.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

class QSettings;

namespace convscope::ui {

struct Settings {
    // 1: the layout before the version key, parameters as a "params/..." group of QVariants.
    // 2: the parameters as one paramsjson object (the same JSON as a session file's layer).
    static constexpr int kVersion = 2;

    enum class Theme { System, Light, Dark };

    // The window.
    QByteArray windowGeometry; // QMainWindow::saveGeometry()
    QByteArray windowState;    // QMainWindow::saveState(): docks and toolbars
    QStringList recentFiles;   // most recent first
    int previewLimit = 2048;   // longest side computed live (0: no limit)

    // The display.
    Gradient gradient = Gradient::Diverging;
    RangeMode rangeMode = RangeMode::PerMap;
    Theme theme = Theme::System;
    bool presentation = false;

    // The Conv2d the window starts with, within the editor ranges (paramlimits.h) with
    // in_channels 1 or 3; unset until a window has saved one (the Session's defaults apply).
    std::optional<core::Conv2dParams> params;

    // Where the file dialogs start (empty: the dialog's own default).
    QString sessionFolder; // Open / Save Session
    QString weightsFolder; // Import Weights
    QString pytorchFolder; // Copy as PyTorch

    // File > Export.
    ExportFormats exportFormats = defaultExportFormats();
    QString exportFolder; // empty: the dialog's default under Pictures
    int exportSheetWidth = 1600;
    bool exportFullResolution = true; // recompute a preview on the full image first

    // The formats a first export offers: the useful everyday set.
    static ExportFormats defaultExportFormats();

    // From the application's QSettings (or `s`). Missing or unreadable values keep the
    // defaults above; out-of-range parameters are clamped to the editor ranges.
    void load();
    void load(QSettings &s);
    // Writes every key in the current layout (and the version), replacing an older one.
    void save() const;
    void save(QSettings &s) const;

    bool operator==(const Settings &) const = default;
};

} // namespace convscope::ui
