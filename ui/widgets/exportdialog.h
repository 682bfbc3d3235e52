// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// File > Export...: formats, folder, file prefix and contact-sheet resolution, remembered in
// the settings (settings.h); asks before replacing files; runs the export on a worker thread
// with a progress bar and a Cancel button (a cancelled export leaves no files, see exporter.h).
// When the request was computed on a downscaled preview, it also offers recomputing the
// layers on the full image first (on the same worker, under the same progress and Cancel).
#include "conv2d.h"
#include "exporter.h"

#include <QDialog>
#include <QFutureWatcher>

#include <atomic>
#include <functional>
#include <optional>
#include <vector>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QRadioButton;
class QPushButton;
class QSpinBox;

namespace convscope::ui {

enum class ExportResolution {
    Full,  // recomputed on the full image
    Shown, // the preview-resolution result the window shows
};

// Turns the shown request into the same export computed on the full image. Runs on a worker
// thread; `progress` answers false to cancel. Returns nothing on cancel (error left empty)
// or on failure (a message in *error).
using RecomputeFull = std::function<std::optional<ExportRequest>(
    const ExportRequest &shown, const core::ProgressCallback &progress, QString *error)>;

class ExportDialog : public QDialog {
    Q_OBJECT
public:
    // `request` is the result to export; its baseName is the suggested file prefix.
    explicit ExportDialog(ExportRequest request, QWidget *parent = nullptr);
    ~ExportDialog() override;

    ExportOptions options() const; // as the controls say now
    QString baseName() const;
    void setFolder(const QString &folder);
    void setFormats(const ExportFormats &formats);

    // Offers "Full resolution" (the default, remembered like the other options) next to "As
    // shown" for a request computed on a preview of an image of `imageSize`. `fullOutput` is
    // the output shape at full resolution, empty when it cannot be computed (the export then
    // says why).
    void offerFullResolution(QSize imageSize, core::Shape fullOutput, RecomputeFull recompute);
    bool offersFullResolution() const { return static_cast<bool>(m_recompute); }
    ExportResolution resolution() const;
    void setResolution(ExportResolution resolution);

    // Asked with the files that already exist; true replaces them. Defaults to a message box
    // (tests install an answer).
    using ConfirmOverwrite = std::function<bool(const QStringList &existing)>;
    void setConfirmOverwrite(ConfirmOverwrite confirm) { m_confirm = std::move(confirm); }

    bool isRunning() const { return m_running; }
    const ExportResult &lastResult() const { return m_result; }

public slots:
    void startExport();
    void cancelExport();
    void reject() override; // cancels a running export first

signals:
    void exportFinished(const convscope::ui::ExportResult &result);

private:
    void chooseFolder();
    void finished();
    void updateButtons();
    void updateOutputLabel();
    void saveSettings() const;
    void loadSettings();

    ExportRequest m_request;
    ConfirmOverwrite m_confirm;
    std::vector<QCheckBox *> m_formatBoxes; // in formatNames() order
    QLineEdit *m_folder = nullptr;
    QLineEdit *m_prefix = nullptr;
    QSpinBox *m_sheetWidth = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_output = nullptr;
    QWidget *m_resolutionBox = nullptr;
    QRadioButton *m_full = nullptr;
    QRadioButton *m_shown = nullptr;
    QSize m_imageSize;
    core::Shape m_fullOutput;
    RecomputeFull m_recompute;
    QDialogButtonBox *m_buttons = nullptr;
    QPushButton *m_exportButton = nullptr;
    QFutureWatcher<ExportResult> m_watcher;
    std::atomic<bool> m_cancel{false};
    ExportResult m_result;
    // Own flag: QFutureWatcher still reports running while its finished() is delivered.
    bool m_running = false;
};

} // namespace convscope::ui
