// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A stack of conv layers on top of the Session's layer, so receptive fields can span several
// layers. Layer 0 (shown as "layer 1") IS the Session's layer: its parameters, weights and
// result are the Session's, edited by the parameter and kernel panels as before. The layers
// after it are owned here: each has its own parameters, seeded PyTorch-default weights and an
// optional ReLU on its input. Whenever the Session publishes a result or the stack changes,
// they run as one core::Network on the Session's output in the background, with the live
// view's policy: runs never overlap, a newer edit cancels the stale run (through forward's
// progress callback) and edits during a run coalesce into one follow-up run. With an undo
// stack set, every edit of the stack (add, remove, parameters, ReLU) is a command on it
// (commands.h), like the Session's parameter and kernel edits; session files carry the
// stack through network() / setNetwork(), which is not a command.
#include "network.h"
#include "receptivefield.h"
#include "session.h"

#include <QFutureWatcher>

#include <QObject>
#include <QPointer>
#include <QString>
#include <QUndoStack>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

namespace convscope::ui {

class LayerStackCommand;

class LayerStackModel : public QObject {
    Q_OBJECT
public:
    explicit LayerStackModel(Session *session, QObject *parent = nullptr);
    ~LayerStackModel() override;

    Session *session() const { return m_session; }

    // Where the edits below go as undo commands (the window's stack, shared with the
    // parameter and kernel edits). Null (the default): edits apply directly.
    void setUndoStack(QUndoStack *undo) { m_undo = undo; }
    QUndoStack *undoStack() const { return m_undo; }

    // Layers including the Session's (always >= 1).
    int layerCount() const { return 1 + static_cast<int>(m_extra.size()); }
    // Current parameters of a layer (layer 0: Session::params()).
    core::Conv2dParams params(int layer) const;
    // Whether a ReLU is applied to the layer's input (never for layer 0).
    bool reluBefore(int layer) const;
    // Every layer's current parameters, network input first.
    core::LayerStack stack() const;
    // Spatial size of the network input (the Session's input tensor).
    core::PlaneSize inputSize() const;
    // Why the current stack cannot be computed, if it cannot (layer counted from 1, as the
    // Layers dock counts).
    std::optional<core::NetworkError> stackError() const;

    // The edits. Each one is an undo command when an undo stack is set; undo restores the
    // exact layers, their weights included.
    // Appends a 3x3, padding 1 layer with as many channels as the last one, ReLU before it.
    void addLayer();
    // Removes layer `layer` (>= 1; the Session's layer cannot be removed).
    void removeLayer(int layer);
    // Sets an extra layer's parameters (layer >= 1). inChannels is forced to the previous
    // layer's outChannels; new weights are drawn when the weight shape changes (for this
    // layer, and for the next one when its input channels change). `mergeKey` non-empty:
    // consecutive edits with the same key are one undo step (spin-box steps on one field).
    void setLayerParams(int layer, core::Conv2dParams p, const QString &mergeKey = QString());
    void setReluBefore(int layer, bool on);

    // The whole stack as a network: the Session's Conv2d (its current weights), then each
    // extra layer's Conv2d, with a ReLU layer before it where it has one.
    core::Network network() const;
    // Replaces every extra layer in one step from a network whose first layer is the Session's
    // Conv2d (same parameters as Session::params(); its tensors are not taken from here). A
    // ReLU layer goes on the input of the Conv2d after it; a ReLU after the last Conv2d has no
    // place in the window and is dropped. Checked first (core::validate on the Session's
    // input); on false *error says why and nothing changed. Not an undo command: it loads a
    // session, after which the caller clears the undo stack (as Open Session does).
    bool setNetwork(const core::Network &network, QString *error);

    // Which layer's feature maps the views show.
    int shownLayer() const { return m_shown; }
    void setShownLayer(int layer);

    // The finished result of a layer (layer 0: Session::result()), or null when it has not
    // been computed (stack invalid, or waiting for the Session). Each result carries the
    // exact input (after ReLU), weights, bias and parameters it was computed with, so the
    // explain panel can break down any layer's value.
    std::shared_ptr<const ComputeResult> result(int layer) const;
    // The parameters of the computed results of layers 0..layer: the geometry that matches
    // what the maps show (may lag the current parameters while a run is in flight). Empty
    // when some of them are missing.
    core::LayerStack computedStack(int layer) const;

    // Starts recomputing the extra layers in the background now (normally deferred to the
    // event loop); resultsChanged() follows when the newest run finishes.
    void recompute();
    // A run is scheduled or in flight.
    bool isComputing() const;

signals:
    void layersChanged();  // layer count, parameters or ReLU flags changed
    void resultsChanged(); // result(layer) changed for some layer
    void shownLayerChanged(int layer);

private:
    // The commands hold whole Layers values (tensors shared, so a copy is cheap) and put
    // them back with applyLayers().
    friend class LayerStackCommand;

    // One row of the Layers dock after the Session's: a Conv2d and the ReLU on its input.
    struct Extra {
        core::Conv2dLayer conv; // bias always [C_out], kept while params.bias is off
        bool reluBefore = true;
        std::uint64_t seed = 0;
        const core::Conv2dParams &params() const { return conv.params; }
    };
    using Layers = std::vector<Extra>;

    // Same parameters, flags and tensor values (weights re-drawn from the same seed count as
    // the same): an edit that ends where it started leaves nothing to undo.
    static bool sameLayers(const Layers &a, const Layers &b);
    // Makes `next` the stack: through an undo command when there is a stack, else directly.
    void commit(Layers next, const QString &text, const QString &mergeKey = QString());
    // Replaces the extra layers by `layers` and recomputes (what commands call).
    void applyLayers(const Layers &layers);
    void scheduleRecompute();
    // Keeps every extra layer's inChannels = previous outChannels.
    void fixChannels(Layers &layers) const;
    static bool sameApartFromInput(core::Conv2dParams a, core::Conv2dParams b);
    void remember(const Extra &layer) const;
    static void makeWeights(Extra &e);

    Session *m_session;
    QPointer<QUndoStack> m_undo;
    std::vector<Extra> m_extra;
    // Layers as they were before fixChannels() re-chained them to a new layer-1 channel
    // count, newest first: what an undo of that layer-1 edit brings back.
    mutable std::vector<Extra> m_rechained;
    using Results = std::vector<std::shared_ptr<const ComputeResult>>;
    void onFinished();

    std::vector<std::shared_ptr<const ComputeResult>> m_results; // of the extra layers
    std::uint64_t m_nextSeed = 1;
    // Shared with the worker: the newest generation; a run whose generation is older is stale
    // and stops at its next progress callback.
    std::shared_ptr<std::atomic<std::uint64_t>> m_generation;
    QFutureWatcher<Results> m_watcher;
    std::uint64_t m_runGeneration = 0; // of the run in flight
    int m_shown = 0;
    bool m_scheduled = false; // a recompute is queued on the event loop
    bool m_running = false;   // a run is in flight
    bool m_pending = false;   // an edit arrived during the run: run again when it ends
};

} // namespace convscope::ui
