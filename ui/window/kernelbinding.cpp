// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernelbinding.h"

#include "commands.h"

#include "kernelpanel.h"
#include "kernels.h"

#include <QPointer>
#include <QUndoStack>

#include <utility>

namespace convscope::ui {

void attachKernelPanel(KernelPanel *panel, Session *session, QUndoStack *undo)
{
    // One rebuild per edit (each lays out and repaints the whole dock), however many of the
    // session's specific signals the edit emitted.
    auto show = [panel, session] {
        if (session->weight() && session->bias())
            panel->setConfiguration(session->params(), *session->weight(), *session->bias());
    };
    QObject::connect(session, &Session::changed, panel, [show](Session::Changes what) {
        if (what & (Session::Change::Params | Session::Change::Weights))
            show();
    });

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
        return core::startupWeights(p);
    });
    show();
}

} // namespace convscope::ui
