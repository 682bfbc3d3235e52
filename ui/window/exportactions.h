// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The export-and-share actions of the main window, in one place so that the window only
// adds them to its menus: File > Export..., File > Open Session..., File > Save Session...,
// File > Import Weights..., Edit > Copy as PyTorch. Also the value conversions between the
// live Session and the exporter / session-file values (plain functions, tested directly).
#include "conv2d.h"
#include "exporter.h"
#include "sessionfile.h"

#include <QObject>
#include <QString>

#include <QImage>

#include <memory>
#include <optional>

class QAction;
class QUndoStack;
class QWidget;

namespace convscope::ui {

class ExportDialog;
class LayerStackModel;
class Session;

// What the window shows, as an export request: the session's latest result, or with a layer
// stack whose shown layer is deeper, layers 1..shown and the shown layer's maps. Nothing (and
// a message) when a needed result has not been computed yet.
std::optional<ExportRequest> exportRequestFor(const Session &session, QString *error,
                                              const LayerStackModel *stack = nullptr);

// The shown request (from exportRequestFor) recomputed on `image`, the full-resolution
// image it was a preview of: the same layers, weights, ReLUs and view, the input built as the
// Session builds its own (imageToTensor). Safe on any thread. Nothing on cancel (`progress`
// answered false; *error empty) or when the layers cannot be computed on the full image
// (*error names the layer and the value at fault, as the parameter panel would).
std::optional<ExportRequest> recomputeAtFullResolution(const ExportRequest &shown,
                                                       const QImage &image,
                                                       const core::ProgressCallback &progress,
                                                       QString *error);

// The dialog File > Export opens: what the window shows, plus the full-resolution choice when
// the session computes on a downscaled preview. Null (and a message) as for exportRequestFor.
std::unique_ptr<ExportDialog> exportDialogFor(const Session &session, QString *error,
                                              const LayerStackModel *stack = nullptr,
                                              QWidget *parent = nullptr);

// The session as a file value: the image by path when it came from a file, else embedded.
// With a layer stack, its extra layers follow the session's (a ReLU before layer L is stored
// as `relu` on layer L-1).
SessionState sessionStateFor(const Session &session, const LayerStackModel *stack = nullptr);

// Applies a loaded session. Everything that can fail (reading the image, shapes, a stack that
// does not fit the image) is checked first: on false the session and the stack are unchanged.
// Without a stack only one-layer sessions can be applied; with one, the session's layer gets
// layer 1 and the stack the rest (a one-layer session removes the extra layers).
bool applySessionState(Session &session, const SessionState &state, QString *error,
                       LayerStackModel *stack = nullptr);

class ExportActions : public QObject {
    Q_OBJECT
public:
    // `undo` may be null; when given, Import Weights is undoable and Open Session clears it
    // (undoing across a whole different session would be confusing).
    ExportActions(Session *session, QUndoStack *undo, QWidget *window);

    QAction *exportAction() const { return m_export; }
    QAction *openSessionAction() const { return m_open; }
    QAction *saveSessionAction() const { return m_save; }
    QAction *importWeightsAction() const { return m_import; }
    QAction *copyAsPyTorchAction() const { return m_copy; }

    // Export and Copy as PyTorch then take the stack up to the shown layer; Save/Open
    // Session then write and restore every layer of it.
    void setLayerStack(LayerStackModel *stack) { m_stack = stack; }

public slots:
    void exportMaps();
    void openSession();
    bool openSessionFile(const QString &path); // false (and a warning shown) on failure
    bool saveSession(); // false when cancelled or refused (a warning says why)
    void importWeights();
    // Import Weights without its file dialog: one weight .npy and optionally a bias .npy.
    // Weights of another shape offer to change the layer to the one that owns them.
    void importWeightsFrom(const QStringList &files);
    void copyAsPyTorch();

private:
    void warn(const QString &title, const QString &message);

    Session *m_session;
    QUndoStack *m_undo;
    LayerStackModel *m_stack = nullptr;
    QWidget *m_window;
    QAction *m_export;
    QAction *m_open;
    QAction *m_save;
    QAction *m_import;
    QAction *m_copy;
};

} // namespace convscope::ui
