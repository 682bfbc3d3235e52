// SPDX-License-Identifier: GPL-3.0-or-later
#include "exportdialog.h"

#include "settings.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace convscope::ui {

namespace {

// W x H of an [N, C, H, W] tensor.
QSize tensorSize(const core::Shape &s)
{
    return s.size() == 4 ? QSize(static_cast<int>(s[3]), static_cast<int>(s[2])) : QSize();
}

QString sizeText(QSize s)
{
    return QStringLiteral("%1 \u00d7 %2").arg(s.width()).arg(s.height());
}

QString formatDescription(const QString &name)
{
    if (name == "png")
        return QObject::tr("Maps as PNG (current colour map and range)");
    if (name == "png16")
        return QObject::tr("Maps as 16-bit grayscale PNG (raw values, scale in sidecar)");
    if (name == "npy")
        return QObject::tr("Output tensor as float32 .npy");
    if (name == "sheet")
        return QObject::tr("Contact sheet PNG");
    if (name == "pdf")
        return QObject::tr("Contact sheet PDF");
    if (name == "svg")
        return QObject::tr("Contact sheet SVG");
    if (name == "json")
        return QObject::tr("JSON sidecar (parameters, hashes, ranges)");
    if (name == "pytorch")
        return QObject::tr("PyTorch script + input/weight .npy");
    return name;
}

} // namespace

ExportDialog::ExportDialog(ExportRequest request, QWidget *parent)
    : QDialog(parent), m_request(std::move(request))
{
    setWindowTitle(tr("Export Feature Maps"));
    auto *layout = new QVBoxLayout(this);

    auto *formats = new QGroupBox(tr("Formats"), this);
    auto *grid = new QGridLayout(formats);
    const QStringList names = formatNames();
    for (qsizetype i = 0; i < names.size(); ++i) {
        auto *box = new QCheckBox(formatDescription(names[i]), formats);
        box->setObjectName(names[i]);
        if (names[i] == "svg" && !svgSupported()) {
            box->setEnabled(false);
            box->setToolTip(tr("This build has no Qt Svg; use PDF for vector output."));
        }
        connect(box, &QCheckBox::toggled, this, &ExportDialog::updateButtons);
        grid->addWidget(box, static_cast<int>(i % 4), static_cast<int>(i / 4));
        m_formatBoxes.push_back(box);
    }
    layout->addWidget(formats);

    // Only shown for a preview result (offerFullResolution): otherwise there is one choice.
    auto *resolution = new QGroupBox(tr("Resolution"), this);
    m_resolutionBox = resolution;
    auto *resolutionLayout = new QVBoxLayout(resolution);
    m_full = new QRadioButton(resolution);
    m_full->setObjectName("fullResolution");
    m_shown = new QRadioButton(resolution);
    m_shown->setObjectName("asShown");
    m_full->setChecked(true);
    resolutionLayout->addWidget(m_full);
    resolutionLayout->addWidget(m_shown);
    connect(m_full, &QRadioButton::toggled, this, &ExportDialog::updateOutputLabel);
    resolution->hide();
    layout->addWidget(resolution);

    auto *form = new QFormLayout;
    auto *folderRow = new QHBoxLayout;
    m_folder = new QLineEdit(this);
    m_folder->setObjectName("folder");
    auto *browse = new QToolButton(this);
    browse->setText(tr("Browse..."));
    connect(browse, &QToolButton::clicked, this, &ExportDialog::chooseFolder);
    connect(m_folder, &QLineEdit::textChanged, this, &ExportDialog::updateButtons);
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(browse);
    form->addRow(tr("Folder:"), folderRow);
    m_prefix = new QLineEdit(m_request.baseName, this);
    m_prefix->setObjectName("prefix");
    m_prefix->setToolTip(
        tr("Every file name starts with this, e.g. %1_out00.png").arg(m_request.baseName));
    connect(m_prefix, &QLineEdit::textChanged, this, &ExportDialog::updateButtons);
    form->addRow(tr("File prefix:"), m_prefix);
    m_sheetWidth = new QSpinBox(this);
    m_sheetWidth->setObjectName("sheetWidth");
    m_sheetWidth->setRange(200, 20000);
    m_sheetWidth->setSingleStep(200);
    m_sheetWidth->setSuffix(tr(" px wide"));
    form->addRow(tr("Contact sheet:"), m_sheetWidth);
    m_output = new QLabel(this);
    m_output->setObjectName("output");
    m_output->setWordWrap(true);
    form->addRow(tr("Output:"), m_output);
    updateOutputLabel();
    layout->addLayout(form);

    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setTextVisible(false);
    layout->addWidget(m_progress);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_exportButton = m_buttons->addButton(tr("Export"), QDialogButtonBox::AcceptRole);
    m_exportButton->setDefault(true);
    connect(m_exportButton, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ExportDialog::reject);
    layout->addWidget(m_buttons);

    connect(&m_watcher, &QFutureWatcher<ExportResult>::finished, this, &ExportDialog::finished);
    m_confirm = [this](const QStringList &existing) {
        QStringList shown;
        for (qsizetype i = 0; i < std::min<qsizetype>(existing.size(), 6); ++i)
            shown << QFileInfo(existing[i]).fileName();
        if (existing.size() > shown.size())
            shown << tr("... and %1 more").arg(existing.size() - shown.size());
        return QMessageBox::question(
                   this, tr("Replace Files?"),
                   tr("%n file(s) already exist in this folder:\n\n%1\n\nReplace them?", "",
                      static_cast<int>(existing.size()))
                       .arg(shown.join('\n')),
                   QMessageBox::Yes | QMessageBox::No, QMessageBox::No)
               == QMessageBox::Yes;
    };
    loadSettings();
    updateButtons();
}

ExportDialog::~ExportDialog()
{
    m_cancel = true;
    m_watcher.waitForFinished(); // the worker reads m_request and must not outlive it
}

void ExportDialog::offerFullResolution(QSize imageSize, core::Shape fullOutput,
                                       RecomputeFull recompute)
{
    m_imageSize = imageSize;
    m_fullOutput = std::move(fullOutput);
    m_recompute = std::move(recompute);
    const QSize shown = tensorSize(m_request.input.shape);
    m_full->setText(tr("Full resolution (%1, recomputed)").arg(sizeText(imageSize)));
    m_shown->setText(tr("As shown (%1 preview)").arg(sizeText(shown)));
    m_resolutionBox->setToolTip(tr("The window computes on a copy of the %1 image downscaled to "
                                   "%2 (File > Preview Limit). Full resolution computes the layers "
                                   "again on the whole image before writing.")
                                    .arg(sizeText(imageSize), sizeText(shown)));
    m_resolutionBox->show();
    Settings settings;
    settings.load();
    setResolution(settings.exportFullResolution ? ExportResolution::Full : ExportResolution::Shown);
    updateOutputLabel();
}

ExportResolution ExportDialog::resolution() const
{
    return m_recompute && m_full->isChecked() ? ExportResolution::Full : ExportResolution::Shown;
}

void ExportDialog::setResolution(ExportResolution resolution)
{
    (resolution == ExportResolution::Full ? m_full : m_shown)->setChecked(true);
}

void ExportDialog::updateOutputLabel()
{
    const QString shown = QString::fromStdString(core::formatShape(m_request.output.shape));
    if (!m_recompute) {
        m_output->setText(shown);
        return;
    }
    if (resolution() == ExportResolution::Shown)
        m_output->setText(tr("%1 (preview)").arg(shown));
    else if (m_fullOutput.empty())
        m_output->setText(tr("cannot be computed at full resolution; Export says why"));
    else
        m_output->setText(tr("%1 (full resolution; the window shows %2)")
                              .arg(QString::fromStdString(core::formatShape(m_fullOutput)), shown));
}

ExportOptions ExportDialog::options() const
{
    ExportOptions o;
    o.folder = m_folder->text().trimmed();
    bool *fields[] = {&o.formats.png, &o.formats.png16, &o.formats.npy,  &o.formats.sheet,
                      &o.formats.pdf, &o.formats.svg,   &o.formats.json, &o.formats.pytorch};
    for (std::size_t i = 0; i < m_formatBoxes.size(); ++i)
        *fields[i] = m_formatBoxes[i]->isEnabled() && m_formatBoxes[i]->isChecked();
    o.sheetWidth = m_sheetWidth->value();
    return o;
}

QString ExportDialog::baseName() const
{
    return m_prefix->text().trimmed();
}

void ExportDialog::setFolder(const QString &folder)
{
    m_folder->setText(folder);
}

void ExportDialog::setFormats(const ExportFormats &f)
{
    const bool on[] = {f.png, f.png16, f.npy, f.sheet, f.pdf, f.svg, f.json, f.pytorch};
    for (std::size_t i = 0; i < m_formatBoxes.size(); ++i)
        m_formatBoxes[i]->setChecked(on[i]);
}

void ExportDialog::chooseFolder()
{
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("Export To Folder"), m_folder->text());
    if (!dir.isEmpty())
        m_folder->setText(dir);
}

void ExportDialog::updateButtons()
{
    const bool running = m_running;
    for (QWidget *w : {static_cast<QWidget *>(m_folder), static_cast<QWidget *>(m_prefix),
                       static_cast<QWidget *>(m_sheetWidth), static_cast<QWidget *>(m_full),
                       static_cast<QWidget *>(m_shown)})
        w->setEnabled(!running);
    for (QCheckBox *box : m_formatBoxes)
        box->setEnabled(!running && (box->objectName() != "svg" || svgSupported()));
    // After the boxes: options() ignores disabled ones.
    const ExportOptions o = options();
    m_exportButton->setEnabled(!running && o.formats.any() && !o.folder.isEmpty()
                               && !baseName().isEmpty());
}

void ExportDialog::startExport()
{
    if (m_running)
        return;
    ExportOptions o = options();
    m_request.baseName = baseName();
    std::vector<ExportRequest> requests{m_request};
    if (QString e = checkRequests(requests, o); !e.isEmpty()) {
        m_status->setText(e);
        return;
    }
    QStringList existing;
    for (const QString &path : plannedFiles(requests, o))
        if (QFileInfo::exists(path))
            existing << path;
    if (!existing.isEmpty()) {
        if (!m_confirm || !m_confirm(existing)) {
            m_status->setText(tr("Nothing exported: the files exist and were kept."));
            return;
        }
        o.overwrite = true;
    }
    saveSettings();
    m_cancel = false;
    m_progress->setValue(0);
    const bool full = resolution() == ExportResolution::Full;
    m_status->setText(full ? tr("Computing at full resolution...") : tr("Exporting..."));
    const auto report = [this](double fraction, const QString &message) {
        // Runs on the worker: hand the update to the GUI thread, answer the cancel flag.
        QMetaObject::invokeMethod(
            this,
            [this, fraction, message] {
                m_progress->setValue(static_cast<int>(fraction * 1000));
                m_status->setText(message);
            },
            Qt::QueuedConnection);
        return !m_cancel.load();
    };
    m_running = true;
    // The recompute runs on the worker too: at full size it takes seconds, and Cancel must
    // stay responsive. Nothing is staged before it has finished, so a cancel or an engine
    // error there writes nothing.
    RecomputeFull recompute = full ? m_recompute : RecomputeFull{};
    const QString computing = tr("Computing at full resolution (%1)...").arg(sizeText(m_imageSize));
    m_watcher.setFuture(QtConcurrent::run(
        [requests = std::move(requests), o, report, recompute, computing]() mutable {
            // Recomputing dominates a full-resolution export; writing gets the rest of the bar.
            const double computeShare = recompute ? 0.6 : 0.0;
            if (recompute) {
                QString error;
                auto fullRequest = recompute(
                    requests.front(), [&](double f) { return report(computeShare * f, computing); },
                    &error);
                ExportResult r;
                if (!fullRequest) {
                    r.status = error.isEmpty() ? ExportResult::Status::Cancelled
                                               : ExportResult::Status::Failed;
                    r.message = error;
                    return r;
                }
                fullRequest->baseName = requests.front().baseName;
                requests.front() = std::move(*fullRequest);
                if (QString e = checkRequests(requests, o); !e.isEmpty()) {
                    r.message = e;
                    return r;
                }
            }
            return exportResults(requests, o, [&](double fraction, const QString &step) {
                return report(computeShare + (1.0 - computeShare) * fraction,
                              tr("Writing %1").arg(step));
            });
        }));
    m_buttons->button(QDialogButtonBox::Cancel)->setText(tr("Cancel Export"));
    updateButtons();
}

void ExportDialog::cancelExport()
{
    m_cancel = true;
}

void ExportDialog::reject()
{
    if (m_running) {
        // First Cancel stops the export (which then removes what it staged); the dialog stays
        // so the user sees that nothing was written.
        cancelExport();
        return;
    }
    QDialog::reject();
}

void ExportDialog::finished()
{
    m_result = m_watcher.result();
    m_running = false;
    m_buttons->button(QDialogButtonBox::Cancel)->setText(tr("Close"));
    updateButtons();
    switch (m_result.status) {
    case ExportResult::Status::Ok:
        m_progress->setValue(1000);
        m_status->setText(tr("Wrote %n file(s) to %1.", "", static_cast<int>(m_result.files.size()))
                              .arg(QDir::toNativeSeparators(options().folder)));
        break;
    case ExportResult::Status::Cancelled:
        m_progress->setValue(0);
        m_status->setText(tr("Export cancelled; no files were written."));
        break;
    case ExportResult::Status::ExistingFiles:
    case ExportResult::Status::Failed:
        m_progress->setValue(0);
        m_status->setText(m_result.message);
        break;
    }
    emit exportFinished(m_result);
}

void ExportDialog::saveSettings() const
{
    Settings settings;
    settings.load();
    const ExportOptions o = options();
    settings.exportFormats = o.formats;
    settings.exportFolder = o.folder;
    settings.exportSheetWidth = o.sheetWidth;
    if (m_recompute) // only a choice that was offered is remembered
        settings.exportFullResolution = resolution() == ExportResolution::Full;
    settings.save();
}

void ExportDialog::loadSettings()
{
    Settings settings;
    settings.load();
    setFormats(settings.exportFormats);
    QString folder = settings.exportFolder;
    if (folder.isEmpty())
        folder = QDir(QStandardPaths::writableLocation(QStandardPaths::PicturesLocation))
                     .filePath("convscope");
    m_folder->setText(folder);
    m_sheetWidth->setValue(settings.exportSheetWidth);
}

} // namespace convscope::ui
