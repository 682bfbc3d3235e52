// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"

#include <utility>

namespace convscope::ui {

SetParamsCommand::SetParamsCommand(Session *session, const core::Conv2dParams &before,
                                   const core::Conv2dParams &after, const QString &text,
                                   const QString &mergeKey)
    : m_session(session), m_before(before), m_after(after), m_mergeKey(mergeKey),
      m_beforeWeight(session->weight()), m_beforeBias(session->bias())
{
    setText(text);
}

void SetParamsCommand::restoreWeights(const TensorPtr &weight, const TensorPtr &bias)
{
    if (!weight || !bias)
        return;
    const auto current = m_session->weight();
    if (current == weight && m_session->bias() == bias)
        return;
    // setWeights refuses tensors whose shape does not fit the current params (e.g. the
    // session kept old weights because the params were invalid); then nothing is lost.
    m_session->setWeights(*weight, *bias);
}

void SetParamsCommand::undo()
{
    m_session->setParams(m_before);
    restoreWeights(m_beforeWeight, m_beforeBias);
}

void SetParamsCommand::redo()
{
    m_session->setParams(m_after);
    if (m_afterWeight) {
        restoreWeights(m_afterWeight, m_afterBias);
    } else {
        // First execution: remember what the session made for the new shape.
        m_afterWeight = m_session->weight();
        m_afterBias = m_session->bias();
    }
}

int SetParamsCommand::id() const
{
    return m_mergeKey.isEmpty() ? -1 : static_cast<int>(CommandId::Params);
}

bool SetParamsCommand::mergeWith(const QUndoCommand *other)
{
    const auto *o = dynamic_cast<const SetParamsCommand *>(other);
    if (!o || o->m_mergeKey != m_mergeKey)
        return false;
    m_after = o->m_after;
    m_afterWeight = o->m_afterWeight;
    m_afterBias = o->m_afterBias;
    // A drag that ends where it started leaves nothing to undo.
    setObsolete(m_after == m_before);
    return true;
}

SetWeightsCommand::SetWeightsCommand(Session *session, core::Tensor beforeWeight,
                                     core::Tensor beforeBias, core::Tensor afterWeight,
                                     core::Tensor afterBias, const QString &text)
    : m_session(session), m_beforeWeight(std::move(beforeWeight)),
      m_beforeBias(std::move(beforeBias)), m_afterWeight(std::move(afterWeight)),
      m_afterBias(std::move(afterBias))
{
    setText(text);
}

void SetWeightsCommand::undo()
{
    m_session->setWeights(m_beforeWeight, m_beforeBias);
}

void SetWeightsCommand::redo()
{
    m_session->setWeights(m_afterWeight, m_afterBias);
}

LayerStackCommand::LayerStackCommand(LayerStackModel *model, LayerStackModel::Layers before,
                                     LayerStackModel::Layers after, const QString &text,
                                     const QString &mergeKey)
    : m_model(model), m_before(std::move(before)), m_after(std::move(after)), m_mergeKey(mergeKey),
      m_shownBefore(model->shownLayer())
{
    setText(text);
}

void LayerStackCommand::undo()
{
    const bool viewFollowedEdit = m_model->shownLayer() == m_shownAfter;
    m_model->applyLayers(m_before);
    if (viewFollowedEdit)
        m_model->setShownLayer(m_shownBefore);
}

void LayerStackCommand::redo()
{
    m_model->applyLayers(m_after);
    if (m_shownAfter < 0)
        m_shownAfter = m_model->shownLayer();
}

int LayerStackCommand::id() const
{
    return m_mergeKey.isEmpty() ? -1 : static_cast<int>(CommandId::LayerStack);
}

bool LayerStackCommand::mergeWith(const QUndoCommand *other)
{
    const auto *o = dynamic_cast<const LayerStackCommand *>(other);
    if (!o || o->m_mergeKey != m_mergeKey)
        return false;
    m_after = o->m_after;
    m_shownAfter = o->m_shownAfter;
    setText(o->text()); // "Layer 3: stride 4", the value the steps ended at
    // Steps that end where they started leave nothing to undo.
    setObsolete(LayerStackModel::sameLayers(m_before, m_after));
    return true;
}

} // namespace convscope::ui
