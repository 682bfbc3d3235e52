#pragma once
// File > Export...: formats, folder, file prefix and contact-sheet resolution, remembered in
// QSettings; asks before replacing files; runs the export on a worker thread with a progress
// bar and a Cancel button (a cancelled export leaves no files, see exporter.h).
#include "exporter.h"

#include <QDialog>
#include <QFutureWatcher>

#include <atomic>
#include <functional>
#include <vector>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace convscope::ui {

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
    QDialogButtonBox *m_buttons = nullptr;
    QPushButton *m_exportButton = nullptr;
    QFutureWatcher<ExportResult> m_watcher;
    std::atomic<bool> m_cancel{false};
    ExportResult m_result;
    // Own flag: QFutureWatcher still reports running while its finished() is delivered.
    bool m_running = false;
};

} // namespace convscope::ui
