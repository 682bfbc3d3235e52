// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Undo for the Layers dock: adding, removing and editing the conv layers after the Session's.
#include "layerstackmodel.h"

#include <QString>
#include <QUndoCommand>

namespace convscope::ui {

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
