// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernelcommands.h"

#include "kernelpanel.h"

#include <QPointer>
#include <QUndoStack>

#include <cstdint>
#include <memory>
#include <utility>

namespace convscope::ui {

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

void attachKernelPanel(KernelPanel *panel, Session *session, QUndoStack *undo)
{
    // A reshaping parameter edit emits weightsChanged and then paramsChanged for one state:
    // rebuild the panel once for it (each rebuild lays out and repaints the whole dock).
    struct Shown {
        core::Conv2dParams params;
        std::uint64_t weightsRevision = 0;
        bool any = false;
    };
    auto shown = std::make_shared<Shown>();
    auto show = [panel, session, shown] {
        if (!session->weight() || !session->bias())
            return;
        if (shown->any && shown->params == session->params()
            && shown->weightsRevision == session->weightsRevision())
            return;
        *shown = {session->params(), session->weightsRevision(), true};
        panel->setConfiguration(session->params(), *session->weight(), *session->bias());
    };
    QObject::connect(session, &Session::paramsChanged, panel, show);
    QObject::connect(session, &Session::weightsChanged, panel, show);

    QObject::connect(
        panel, &KernelPanel::weightsEdited, undo,
        [session, undo](const core::Tensor &weight, const core::Tensor &bias,
                        const QString &description) {
            // The panel only edits weights of the session's current shape; a
            // mismatch would be refused by setWeights and must not become an
            // undo step that does nothing.
            if (!session->weight() || !session->bias() || weight.shape != session->weight()->shape
                || bias.shape != session->bias()->shape)
                return;
            undo->push(new SetWeightsCommand(session, *session->weight(), *session->bias(), weight,
                                             bias, description));
        });

    // The session outlives nothing here, but a panel deleted first must not be called.
    QPointer<KernelPanel> guard(panel);
    session->setWeightInitializer([guard](const core::Conv2dParams &p) {
        if (guard && guard->recipe().kind != WeightRecipe::Kind::Builtin)
            return makeWeights(guard->recipe(), p);
        return Session::defaultWeights(p);
    });
    show();
}

} // namespace convscope::ui
