// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Undo for weight edits, and the wiring of the kernel panel to the session.
#include "session.h"
#include "tensor.h"

#include <QString>
#include <QUndoCommand>

class QUndoStack;

namespace convscope::ui {

class KernelPanel;

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

// Connects a kernel panel to a session and an undo stack:
//  - the panel shows the session's params, weights and bias and follows their changes;
//  - each weightsEdited() becomes a SetWeightsCommand on `undo`;
//  - the session re-makes weights of a new shape (kernel size, channels, groups) with the
//    panel's recipe, which follows the weights in use through edits, undo/redo and loaded
//    weights (see WeightRecipe), or with its built-in default while that is the recipe.
// Call it while building the window, before weights are restored from settings or a session
// file: installing the initializer re-makes the weights once.
void attachKernelPanel(KernelPanel *panel, Session *session, QUndoStack *undo);

} // namespace convscope::ui
