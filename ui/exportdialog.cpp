#include "exportdialog.h"

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
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace convscope::ui {

namespace {

const char *const kFormatsKey = "export/formats";
const char *const kFolderKey = "export/folder";
const char *const kSheetWidthKey = "export/sheetWidth";

QString formatDescription(const QString &name)
{
    if (name == "png") return QObject::tr("Maps as PNG (current colour map and range)");
    if (name == "png16") return QObject::tr("Maps as 16-bit grayscale PNG (raw values, scale in sidecar)");
    if (name == "npy") return QObject::tr("Output tensor as float32 .npy");
    if (name == "sheet") return QObject::tr("Contact sheet PNG");
    if (name == "pdf") return QObject::tr("Contact sheet PDF");
    if (name == "svg") return QObject::tr("Contact sheet SVG");
    if (name == "json") return QObject::tr("JSON sidecar (parameters, hashes, ranges)");
    if (name == "pytorch") return QObject::tr("PyTorch script + input/weight .npy");
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
    m_prefix->setToolTip(tr("Every file name starts with this, e.g. %1_out00.png").arg(m_request.baseName));
    connect(m_prefix, &QLineEdit::textChanged, this, &ExportDialog::updateButtons);
    form->addRow(tr("File prefix:"), m_prefix);
    m_sheetWidth = new QSpinBox(this);
    m_sheetWidth->setObjectName("sheetWidth");
    m_sheetWidth->setRange(200, 20000);
    m_sheetWidth->setSingleStep(200);
    m_sheetWidth->setSuffix(tr(" px wide"));
    form->addRow(tr("Contact sheet:"), m_sheetWidth);
    const core::Shape &s = m_request.output.shape;
    form->addRow(tr("Output:"), new QLabel(QString::fromStdString(core::formatShape(s)), this));
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
        return QMessageBox::question(this, tr("Replace Files?"),
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

ExportOptions ExportDialog::options() const
{
    ExportOptions o;
    o.folder = m_folder->text().trimmed();
    bool *fields[] = {&o.formats.png, &o.formats.png16, &o.formats.npy, &o.formats.sheet,
                      &o.formats.pdf, &o.formats.svg, &o.formats.json, &o.formats.pytorch};
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
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export To Folder"), m_folder->text());
    if (!dir.isEmpty())
        m_folder->setText(dir);
}

void ExportDialog::updateButtons()
{
    const bool running = m_running;
    for (QWidget *w : {static_cast<QWidget *>(m_folder), static_cast<QWidget *>(m_prefix),
                       static_cast<QWidget *>(m_sheetWidth)})
        w->setEnabled(!running);
    for (QCheckBox *box : m_formatBoxes)
        box->setEnabled(!running && (box->objectName() != "svg" || svgSupported()));
    // After the boxes: options() ignores disabled ones.
    const ExportOptions o = options();
    m_exportButton->setEnabled(!running && o.formats.any() && !o.folder.isEmpty() && !baseName().isEmpty());
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
    m_status->setText(tr("Exporting..."));
    const auto progress = [this](double fraction, const QString &step) {
        // Runs on the worker: hand the update to the GUI thread, answer the cancel flag.
        QMetaObject::invokeMethod(
            this,
            [this, fraction, step] {
                m_progress->setValue(static_cast<int>(fraction * 1000));
                m_status->setText(tr("Writing %1").arg(step));
            },
            Qt::QueuedConnection);
        return !m_cancel.load();
    };
    m_running = true;
    m_watcher.setFuture(QtConcurrent::run([requests = std::move(requests), o, progress] {
        return exportResults(requests, o, progress);
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
    QSettings settings;
    const ExportOptions o = options();
    settings.setValue(kFormatsKey, formatsToString(o.formats));
    settings.setValue(kFolderKey, o.folder);
    settings.setValue(kSheetWidthKey, o.sheetWidth);
}

void ExportDialog::loadSettings()
{
    QSettings settings;
    ExportFormats f;
    QString ignored;
    if (!parseFormats(settings.value(kFormatsKey).toString(), &f, &ignored))
        f.png = f.npy = f.sheet = f.json = true; // first run: the useful everyday set
    setFormats(f);
    QString folder = settings.value(kFolderKey).toString();
    if (folder.isEmpty())
        folder = QDir(QStandardPaths::writableLocation(QStandardPaths::PicturesLocation)).filePath("convscope");
    m_folder->setText(folder);
    m_sheetWidth->setValue(settings.value(kSheetWidthKey, 1600).toInt());
}

} // namespace convscope::ui
