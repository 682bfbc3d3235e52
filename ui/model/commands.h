// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Undo commands. They hold values (old and new Conv2dParams), never widget pointers, so
// undo works whatever the panels look like.
#include "session.h"

#include <QString>
#include <QUndoCommand>

#include <memory>

namespace convscope::ui {

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

} // namespace convscope::ui
