// SPDX-License-Identifier: GPL-3.0-or-later
#include "layercommands.h"

#include <utility>

namespace convscope::ui {

namespace {
// QUndoStack merges only commands of equal id(); distinct from SetParamsCommand's.
constexpr int kLayerStackMergeId = 0x4c53; // "LS"
} // namespace

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
    return m_mergeKey.isEmpty() ? -1 : kLayerStackMergeId;
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
