// SPDX-License-Identifier: GPL-3.0-or-later
#include "exportactions.h"

#include "commands.h"
#include "exportdialog.h"
#include "imageinput.h"
#include "kernelbinding.h"
#include "layerstackmodel.h"
#include "memory.h"
#include "network.h"
#include "npy.h"
#include "pytorchsnippet.h"
#include "session.h"
#include "settings.h"
#include "shape.h"
#include "validate.h"

#include <QAction>
#include <QBuffer>
#include <QClipboard>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QMessageBox>
#include <QStandardPaths>
#include <QUndoStack>
#include <QWidget>

#include <algorithm>
#include <new>
#include <optional>
#include <utility>
#include <vector>

namespace convscope::ui {

namespace {

// A real file on disk; Qt resources (":/...", the bundled sample) are not: a session file
// must not point into the binary, so those images are embedded instead.
bool isFile(const QString &path)
{
    return !path.isEmpty() && !path.startsWith(QLatin1Char(':')) && QFileInfo(path).isFile();
}

// A folder a file dialog starts in, as settings.h remembers it (empty the first time).
QString storedFolder(QString Settings::*folder)
{
    Settings s;
    s.load();
    return s.*folder;
}

QString lastFolder(QString Settings::*folder)
{
    const QString dir = storedFolder(folder);
    return dir.isEmpty() ? QDir::homePath() : dir;
}

void rememberFolder(QString Settings::*folder, const QString &dir)
{
    Settings s;
    s.load();
    s.*folder = dir;
    s.save();
}

} // namespace

std::optional<ExportRequest> exportRequestFor(const Session &session, QString *error,
                                              const LayerStackModel *stack)
{
    const auto result = session.result();
    if (!result || !result->input || !result->weight) {
        *error = QObject::tr("There is no result to export yet.");
        return std::nullopt;
    }
    ExportRequest r;
    const QString &source = session.imageSource();
    if (QFileInfo(source).isFile()) { // a file or the bundled sample (a resource)
        r.inputName = QFileInfo(source).fileName();
        r.baseName = QFileInfo(source).completeBaseName();
        r.inputSha256 = sha256OfFile(source);
        r.orientation = imageOrientation(source);
        if (!source.startsWith(QLatin1Char(':'))) // a resource is no file PIL could open
            r.inputPath = QFileInfo(source).absoluteFilePath();
    } else {
        r.inputName = source.isEmpty() ? QStringLiteral("image") : source;
        r.baseName = QStringLiteral("convscope");
    }
    r.inputMode = result->params.inChannels == 1 ? InputMode::Grayscale : InputMode::Rgb;
    r.input = *result->input;
    r.pixelMax = pixelMax(session.image());
    r.view.gradient = session.gradient();
    r.view.rangeMode = session.rangeMode();

    // Export what is on screen: with a deeper layer shown, the chain up to it.
    const int shown = stack ? stack->shownLayer() : 0;
    std::vector<std::shared_ptr<const ComputeResult>> chain{result};
    for (int i = 1; i <= shown; ++i) {
        auto next = stack->result(i);
        if (!next || !next->input || !next->weight) {
            *error = QObject::tr("Layer %1 has no result yet (the stack is still computing or "
                                 "cannot be computed).")
                         .arg(i + 1);
            return std::nullopt;
        }
        chain.push_back(std::move(next));
    }
    for (std::size_t i = 0; i < chain.size(); ++i) {
        const ComputeResult &c = *chain[i];
        r.network.layers.emplace_back(core::Conv2dLayer{c.params, c.weight, c.bias});
        if (i + 1 < chain.size()) {
            // Whether a ReLU sits between the layers is read off the computed tensors: the
            // next layer's input is this output, or its ReLU. Anything else means the results
            // belong to different runs, and the export would not be reproducible.
            const core::Tensor &out = c.output;
            const core::Tensor &in = *chain[i + 1]->input;
            core::Tensor relued = out;
            for (float &v : relued.data)
                v = std::max(v, 0.0f);
            if (in == relued && !(in == out))
                r.network.layers.emplace_back(core::ReluLayer{});
            else if (!(in == out)) {
                *error = QObject::tr("The layer results are from different runs; try again when "
                                     "the stack has finished computing.");
                return std::nullopt;
            }
        }
    }
    r.output = chain.back()->output;
    return r;
}

std::optional<ExportRequest> recomputeAtFullResolution(const ExportRequest &shown,
                                                       const QImage &image,
                                                       const core::ProgressCallback &progress,
                                                       QString *error)
{
    error->clear();
    const QString at =
        QObject::tr("At full resolution (%1 \u00d7 %2)").arg(image.width()).arg(image.height());
    if (image.isNull() || shown.network.empty()) {
        *error = QObject::tr("%1: there is no image or no layer to compute.").arg(at);
        return std::nullopt;
    }
    ExportRequest r = shown;
    r.downscaledFrom = {};
    r.downscaleMethod.clear();
    try {
        // The input channels follow layer 1, like Session::rebuildInput().
        const int channels = core::inputChannels(shown.network) == 1 ? 1 : 3;
        // Everything is checked on the full-size shapes before allocating or computing
        // anything: layers that fit the preview can still break a limit here.
        const core::Network &net = r.network;
        const core::Shape full{1, channels, image.height(), image.width()};
        auto bad = core::validate(net, full);
        if (!bad)
            bad = core::checkMemory(net, full, core::memoryBudgetBytes());
        if (bad) {
            *error = QObject::tr("%1, %2").arg(at, QString::fromStdString(bad->message()));
            return std::nullopt;
        }
        r.input = imageToTensor(image, channels); // the export writes layer 1's input (.npy)
        std::vector<core::Tensor> outputs;
        core::NetworkOptions options;
        options.progress = progress;
        if (core::forward(net, r.input, outputs, options) == core::ForwardStatus::Cancelled)
            return std::nullopt;
        r.output = std::move(outputs.back());
    } catch (const std::bad_alloc &) {
        *error = QObject::tr("%1 there is not enough memory for the layers' tensors; export "
                             "'As shown' or lower the image size.")
                     .arg(at + QLatin1Char(':'));
        return std::nullopt;
    }
    return r;
}

std::unique_ptr<ExportDialog> exportDialogFor(const Session &session, QString *error,
                                              const LayerStackModel *stack, QWidget *parent)
{
    auto request = exportRequestFor(session, error, stack);
    if (!request)
        return nullptr;
    const core::Shape &in = request->input.shape;
    const QSize computed = in.size() == 4 ? QSize(int(in[3]), int(in[2])) : QSize();
    // Offered only when the result really is the preview of the current image (a result of
    // an older, different image, even of the same size, must not be recomputed on this one):
    // the input revision says which image a result was computed from.
    const auto result = session.result();
    const bool preview = session.isDownscaled() && result
                         && result->inputRevision == session.inputRevision()
                         && computed == session.previewImage().size();
    if (preview) {
        request->downscaledFrom = session.image().size();
        request->downscaleMethod = QString::fromLatin1(kPreviewScaling);
    }
    auto dialog = std::make_unique<ExportDialog>(*request, parent);
    if (preview) {
        // The full output shape, for the dialog's Output line (empty when it does not fit).
        const core::Shape in{1, core::inputChannels(request->network) == 1 ? 1 : 3,
                             session.image().height(), session.image().width()};
        const core::Network &net = request->network;
        const core::Shape shape =
            core::validate(net, in) ? core::Shape{} : core::layerShapes(net, in).back();
        // The lambda's QImage copy is implicitly shared and read-only: safe to use on the
        // worker.
        const QImage &image = session.image();
        dialog->offerFullResolution(image.size(), shape,
                                    [image](const ExportRequest &shown,
                                            const core::ProgressCallback &progress, QString *err) {
                                        return recomputeAtFullResolution(shown, image, progress,
                                                                         err);
                                    });
    }
    return dialog;
}

SessionState sessionStateFor(const Session &session, const LayerStackModel *stack)
{
    SessionState s;
    if (isFile(session.imageSource())) {
        s.imagePath = QFileInfo(session.imageSource()).absoluteFilePath();
    } else if (!session.image().isNull()) {
        // Pasted or built-in images have no file to point to: carry the pixels.
        QBuffer buffer(&s.imagePng);
        buffer.open(QIODevice::WriteOnly);
        session.image().save(&buffer, "PNG");
    }
    s.inputMode = session.inputMode();
    if (stack) {
        s.network = stack->network();
    } else {
        s.network.layers.emplace_back(
            core::Conv2dLayer{session.params(), session.weight(), session.bias()});
    }
    s.view.gradient = session.gradient();
    s.view.rangeMode = session.rangeMode();
    return s;
}

bool applySessionState(Session &session, const SessionState &state, QString *error,
                       LayerStackModel *stack)
{
    const core::Network &net = state.network;
    const auto *first = net.empty() ? nullptr : std::get_if<core::Conv2dLayer>(&net.layers[0]);
    if (!first) {
        *error = QObject::tr("This session has no layers.");
        return false;
    }
    const std::size_t convs = core::convLayers(net).size();
    if (!stack && convs != 1) {
        *error = QObject::tr("This session has %1 layers; the window shows one layer at a time. "
                             "'convscope export --session FILE' computes the whole stack.")
                     .arg(convs);
        return false;
    }
    if (const auto bad = checkNetwork(net)) {
        *error = layerMessage(*bad, true);
        return false;
    }
    QImage image;
    QString source;
    if (!state.imagePng.isEmpty()) {
        image.loadFromData(state.imagePng);
        source = QObject::tr("session image");
        if (image.isNull()) {
            *error = QObject::tr("The session's embedded image cannot be decoded.");
            return false;
        }
    } else if (!state.imagePath.isEmpty()) {
        image = readImage(state.imagePath, error);
        source = state.imagePath;
        if (image.isNull())
            return false;
    }
    const core::Conv2dParams &params = first->params;
    const int wantChannels = state.inputMode == InputMode::Grayscale ? 1 : 3;
    if (params.inChannels != wantChannels) {
        *error = QObject::tr("The session's layer expects %1 input channels, but its input mode "
                             "gives %2.")
                     .arg(params.inChannels)
                     .arg(wantChannels);
        return false;
    }
    if (convs > 1) {
        // The whole stack on the input the Session will feed: the image, downscaled to the
        // preview limit as Session does.
        const QImage &fed = image.isNull() ? session.image() : image;
        QSize size = fed.size();
        const int limit = session.previewLimit();
        if (limit > 0 && std::max(size.width(), size.height()) > limit)
            size = size.scaled(limit, limit, Qt::KeepAspectRatio);
        if (const auto bad =
                core::validate(net, core::Shape{1, wantChannels, size.height(), size.width()})) {
            *error = QObject::tr("Layer %1 of the session does not fit the %2x%3 input: %4")
                         .arg(bad->conv)
                         .arg(size.width())
                         .arg(size.height())
                         .arg(QString::fromStdString(bad->error.message));
            return false;
        }
    }
    // Nothing can fail from here on.
    if (!image.isNull())
        session.setImage(image, source);
    session.setParams(params);
    // The session keeps a [C_out] bias even while bias is off (see Session::bias()).
    core::Tensor bias =
        params.bias && first->bias ? *first->bias : core::Tensor({params.outChannels});
    session.setWeights(*first->weight, bias);
    session.setGradient(state.view.gradient);
    session.setRangeMode(state.view.rangeMode);
    if (stack) {
        // Checked above against the input the Session now feeds, so this cannot fail; a ReLU
        // after the last layer has no place in the window (the maps are conv outputs) and is
        // dropped, as it always was for one-layer sessions.
        QString ignored;
        stack->setNetwork(net, &ignored);
    }
    return true;
}

ExportActions::ExportActions(Session *session, QUndoStack *undo, QWidget *window)
    : QObject(window), m_session(session), m_undo(undo), m_window(window)
{
    m_export = new QAction(tr("&Export…"), this);
    m_export->setShortcut(QKeySequence(tr("Ctrl+E")));
    m_export->setStatusTip(tr("Save the feature maps as images, .npy, contact sheet and sidecar"));
    connect(m_export, &QAction::triggered, this, &ExportActions::exportMaps);

    m_open = new QAction(tr("&Open Session…"), this);
    m_open->setShortcut(QKeySequence(tr("Ctrl+Shift+O"))); // Ctrl+O opens an image
    connect(m_open, &QAction::triggered, this, &ExportActions::openSession);

    m_save = new QAction(tr("&Save Session…"), this);
    m_save->setShortcut(QKeySequence::Save);
    connect(m_save, &QAction::triggered, this, &ExportActions::saveSession);

    m_import = new QAction(tr("&Import Weights…"), this);
    m_import->setStatusTip(
        tr("Load weight (and bias) .npy files, e.g. from conv.weight.detach().numpy()"));
    connect(m_import, &QAction::triggered, this, &ExportActions::importWeights);

    m_copy = new QAction(tr("Copy as &PyTorch"), this);
    m_copy->setStatusTip(
        tr("Put a Python script that rebuilds this layer in PyTorch on the clipboard"));
    connect(m_copy, &QAction::triggered, this, &ExportActions::copyAsPyTorch);
}

void ExportActions::warn(const QString &title, const QString &message)
{
    QMessageBox::warning(m_window, title, message);
}

void ExportActions::exportMaps()
{
    QString error;
    const auto dialog = exportDialogFor(*m_session, &error, m_stack, m_window);
    if (!dialog) {
        warn(tr("Export"), error);
        return;
    }
    dialog->exec();
}

void ExportActions::openSession()
{
    const QString path = QFileDialog::getOpenFileName(
        m_window, tr("Open Session"), lastFolder(&Settings::sessionFolder),
        tr("convscope sessions (*.convscope.json *.json)"));
    if (!path.isEmpty())
        openSessionFile(path);
}

bool ExportActions::openSessionFile(const QString &path)
{
    QString error;
    const auto state = loadSession(path, &error);
    if (!state || !applySessionState(*m_session, *state, &error, m_stack)) {
        warn(tr("Open Session"), error);
        return false;
    }
    rememberFolder(&Settings::sessionFolder, QFileInfo(path).absolutePath());
    if (m_undo)
        m_undo->clear();
    return true;
}

bool ExportActions::saveSession()
{
    QString path = QFileDialog::getSaveFileName(
        m_window, tr("Save Session"),
        QDir(lastFolder(&Settings::sessionFolder)).filePath("session.convscope.json"),
        tr("convscope sessions (*.convscope.json)"));
    if (path.isEmpty())
        return false;
    if (!path.endsWith(".json"))
        path += ".convscope.json";
    QString error;
    if (!ui::saveSession(path, sessionStateFor(*m_session, m_stack), &error)) {
        warn(tr("Save Session"), error);
        return false;
    }
    rememberFolder(&Settings::sessionFolder, QFileInfo(path).absolutePath());
    if (m_undo)
        m_undo->setClean(); // what the window shows is what the file holds
    return true;
}

void ExportActions::importWeights()
{
    const QStringList files = QFileDialog::getOpenFileNames(
        m_window, tr("Import Weights (select the weight .npy and optionally the bias .npy)"),
        lastFolder(&Settings::weightsFolder), tr("NumPy arrays (*.npy)"));
    if (!files.isEmpty())
        importWeightsFrom(files);
}

void ExportActions::importWeightsFrom(const QStringList &files)
{
    if (files.isEmpty() || files.size() > 2) {
        warn(tr("Import Weights"), tr("Select one weight file and at most one bias file."));
        return;
    }
    // With two files, the 1-D one is the bias, whatever the names say.
    QString weightPath = files.front(), biasPath;
    if (files.size() == 2) {
        try {
            const bool firstIsBias = core::readNpy(files[0].toStdString()).rank() == 1;
            weightPath = firstIsBias ? files[1] : files[0];
            biasPath = firstIsBias ? files[0] : files[1];
        } catch (const std::exception &e) {
            warn(tr("Import Weights"), QString::fromStdString(e.what()));
            return;
        }
    }
    QString error;
    const core::Conv2dParams params = m_session->params();
    auto imported = ui::importWeights(weightPath, biasPath, params, &error);
    std::optional<core::Conv2dParams> reshaped;
    if (!imported) {
        // Weights of another layer: offer the layer that owns them (same stride, padding,
        // dilation and image) instead of only refusing.
        QString why;
        std::optional<core::Conv2dParams> q;
        try {
            const core::Tensor w = core::readNpy(weightPath.toStdString());
            const std::optional<core::Tensor> b =
                biasPath.isEmpty()
                    ? std::nullopt
                    : std::optional<core::Tensor>(core::readNpy(biasPath.toStdString()));
            q = ui::paramsForWeights(params, w.shape, b ? &b->shape : nullptr, &why);
        } catch (const std::exception &e) {
            why = QString::fromStdString(e.what());
        }
        if (q && *q != params) {
            if (const auto bad = core::validate(*q, m_session->inputTensor()->shape)) {
                why = tr("%1 would not fit the image: %2")
                          .arg(QString::fromStdString(core::torchRepr(*q)),
                               QString::fromStdString(bad->message));
                q.reset();
            }
        }
        if (!q || *q == params) {
            if (!why.isEmpty())
                why[0] = why[0].toUpper();
            warn(tr("Import Weights"),
                 why.isEmpty() ? error : error + QStringLiteral("\n\n") + why);
            return;
        }
        const auto answer = QMessageBox::question(
            m_window, tr("Change the Layer?"),
            tr("%1\n\nThe file holds the weights of %2. Change the layer to it and import them?")
                .arg(error, QString::fromStdString(core::torchRepr(*q))),
            QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Yes);
        if (answer != QMessageBox::Yes)
            return;
        imported = ui::importWeights(weightPath, biasPath, *q, &error);
        if (!imported) {
            warn(tr("Import Weights"), error);
            return;
        }
        reshaped = q;
    }
    rememberFolder(&Settings::weightsFolder, QFileInfo(weightPath).absolutePath());
    const QString name = tr("Import %1").arg(QFileInfo(weightPath).fileName());
    if (reshaped) {
        // One undo step: the layer change and the weights it was made for.
        if (m_undo) {
            m_undo->beginMacro(name);
            m_undo->push(new SetParamsCommand(m_session, params, *reshaped, name));
        } else {
            m_session->setParams(*reshaped);
        }
    }
    const core::Tensor oldWeight = m_session->weight() ? *m_session->weight() : core::Tensor();
    const core::Tensor oldBias = m_session->bias() ? *m_session->bias() : core::Tensor();
    const core::Tensor newBias = imported->bias ? *imported->bias : oldBias;
    if (m_undo) {
        m_undo->push(
            new SetWeightsCommand(m_session, oldWeight, oldBias, imported->weight, newBias, name));
        if (reshaped)
            m_undo->endMacro();
    } else {
        m_session->setWeights(imported->weight, newBias);
    }
}

void ExportActions::copyAsPyTorch()
{
    QString error;
    auto request = exportRequestFor(*m_session, &error, m_stack);
    if (!request) {
        warn(tr("Copy as PyTorch"), error);
        return;
    }
    // The script loads the exact tensors from .npy files, so they have to live somewhere.
    QString folder = storedFolder(&Settings::pytorchFolder);
    if (folder.isEmpty())
        folder = QDir(QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation))
                     .filePath("convscope-pytorch");
    folder = QFileDialog::getExistingDirectory(m_window, tr("Folder for the script's .npy files"),
                                               folder);
    if (folder.isEmpty())
        return;
    ExportOptions options;
    options.folder = folder;
    options.formats.npy = options.formats.pytorch = true;
    std::vector<ExportRequest> requests{*request};
    for (const QString &path : plannedFiles(requests, options))
        if (QFileInfo::exists(path)) {
            if (QMessageBox::question(
                    m_window, tr("Replace Files?"),
                    tr("The PyTorch files for '%1' already exist in %2. Replace them?")
                        .arg(request->baseName, folder))
                != QMessageBox::Yes)
                return;
            options.overwrite = true;
            break;
        }
    const ExportResult result = exportResults(requests, options);
    if (!result.ok()) {
        warn(tr("Copy as PyTorch"), result.message);
        return;
    }
    rememberFolder(&Settings::pytorchFolder, folder);
    QFile script(QDir(folder).filePath(request->baseName + "_pytorch.py"));
    if (!script.open(QIODevice::ReadOnly)) {
        warn(tr("Copy as PyTorch"), tr("Cannot read back %1").arg(script.fileName()));
        return;
    }
    QGuiApplication::clipboard()->setText(QString::fromUtf8(script.readAll()));
    QMessageBox::information(
        m_window, tr("Copy as PyTorch"),
        tr("The PyTorch script is on the clipboard.\n\nIt loads the input, weights "
           "and bias from %1 and compares its result with convscope's output "
           "saved there. The same script is saved as %2.")
            .arg(QDir::toNativeSeparators(folder), QFileInfo(script).fileName()));
}

} // namespace convscope::ui
