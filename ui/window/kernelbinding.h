// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The wiring of the kernel panel to the session: what it shows, its edits as undo steps, and
// the weights a new shape gets.
class QUndoStack;

namespace convscope::ui {

class KernelPanel;
class Session;

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
