// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Every undo command of the app, in one place. They hold values (parameters, tensors, whole
// layer lists), never widget pointers, so undo works whatever the panels look like.
#include "layerstackmodel.h"
#include "session.h"
#include "tensor.h"

#include <QString>
#include <QUndoCommand>

#include <memory>

namespace convscope::ui {

// QUndoCommand::id() of the commands that merge (QUndoStack merges only equal ids); a command
// without a merge key answers -1 and never merges.
enum class CommandId { Params = 1, LayerStack = 2 };

class SetParamsCommand : public QUndoCommand {
public:
    // `mergeKey` non-empty: consecutive commands with the same key collapse into one undo
    // step (one slider drag = one step). The panel makes a new key for every drag.
    SetParamsCommand(Session *session, const core::Conv2dParams &before,
                     const core::Conv2dParams &after, const QString &text,
                     const QString &mergeKey = QString());

    void undo() override;
    void redo() override;
    int id() const override;
    bool mergeWith(const QUndoCommand *other) override;

    const core::Conv2dParams &before() const { return m_before; }
    const core::Conv2dParams &after() const { return m_after; }

private:
    // A parameter edit that changes the weight shape makes the session rebuild its weights;
    // the weights on both sides are kept so undo/redo restore hand-edited kernels exactly
    // instead of re-initialising them.
    using TensorPtr = std::shared_ptr<const core::Tensor>;
    void restoreWeights(const TensorPtr &weight, const TensorPtr &bias);

    Session *m_session;
    core::Conv2dParams m_before;
    core::Conv2dParams m_after;
    QString m_mergeKey;
    TensorPtr m_beforeWeight;
    TensorPtr m_beforeBias;
    TensorPtr m_afterWeight;
    TensorPtr m_afterBias;
};

// Replaces the session's weights and bias; undo puts the previous tensors back. Holds values,
// never widget pointers. Consecutive edits of the same weight (typing 0.5, then 0.55 into one
// cell) stay separate steps: each one was a deliberate, committed value.
class SetWeightsCommand : public QUndoCommand {
public:
    SetWeightsCommand(Session *session, core::Tensor beforeWeight, core::Tensor beforeBias,
                      core::Tensor afterWeight, core::Tensor afterBias, const QString &text);

    void undo() override;
    void redo() override;

private:
    Session *m_session;
    core::Tensor m_beforeWeight;
    core::Tensor m_beforeBias;
    core::Tensor m_afterWeight;
    core::Tensor m_afterBias;
};

// One edit of the extra layers, as the whole stack before and after it. Whole values rather
// than "layer 3's stride": an edit of one layer can re-chain the next one (new input channels,
// new weights), and undo must bring back exactly what was there, weights included; the tensors
// are shared, so the copies are cheap. Pushed by LayerStackModel's edit functions, never by
// widgets, so everything that edits the stack is undoable.
class LayerStackCommand : public QUndoCommand {
public:
    // `mergeKey` non-empty: consecutive commands with the same key collapse into one undo
    // step (spin-box steps on one field of one layer), as SetParamsCommand does for drags.
    LayerStackCommand(LayerStackModel *model, LayerStackModel::Layers before,
                      LayerStackModel::Layers after, const QString &text,
                      const QString &mergeKey = QString());

    void undo() override;
    void redo() override;
    int id() const override;
    bool mergeWith(const QUndoCommand *other) override;

private:
    LayerStackModel *m_model;
    LayerStackModel::Layers m_before;
    LayerStackModel::Layers m_after;
    QString m_mergeKey;
    // The shown layer is view state, but removing the shown (last) layer moves the view to
    // another one; undo moves it back unless the user has picked another layer since.
    int m_shownBefore;
    int m_shownAfter = -1; // known after the first redo
};

} // namespace convscope::ui
