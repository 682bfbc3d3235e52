#include "commands.h"

namespace convscope::ui {

SetParamsCommand::SetParamsCommand(Session *session, const core::Conv2dParams &before,
                                   const core::Conv2dParams &after, const QString &text,
                                   const QString &mergeKey)
    : m_session(session), m_before(before), m_after(after), m_mergeKey(mergeKey)
{
    setText(text);
}

void SetParamsCommand::undo()
{
    m_session->setParams(m_before);
}

void SetParamsCommand::redo()
{
    m_session->setParams(m_after);
}

int SetParamsCommand::id() const
{
    return m_mergeKey.isEmpty() ? -1 : 1;
}

bool SetParamsCommand::mergeWith(const QUndoCommand *other)
{
    const auto *o = dynamic_cast<const SetParamsCommand *>(other);
    if (!o || o->m_mergeKey != m_mergeKey)
        return false;
    m_after = o->m_after;
    // A drag that ends where it started leaves nothing to undo.
    setObsolete(m_after == m_before);
    return true;
}

} // namespace convscope::ui
