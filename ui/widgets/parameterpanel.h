// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The Session's Conv2d parameters as controls (dock content): a Conv2dParamsForm that
// follows the Session (undo, settings, sessions) and never changes it itself: every edit is
// emitted as (before, after) values for the main window to push as an undo command. The
// control named by ValidationError::field is marked and the engine's message shown under
// the form.
#include "session.h"

#include <QWidget>

class QLabel;

namespace convscope::ui {

class Conv2dParamsForm;
class VerticalScrollArea;

class ParameterPanel : public QWidget {
    Q_OBJECT
public:
    explicit ParameterPanel(Session *session, QWidget *parent = nullptr);

    // Whether the control(s) of a field are marked invalid right now (for tests).
    bool isMarked(core::Field field) const;
    // The message shown under the form (empty when the parameters are valid).
    QString errorText() const;

    // A lesson step fixes `field`: its controls are disabled (saying why) until unlocked,
    // whatever the Session's later edits enable. Fields without a control here are ignored.
    void setLocked(core::Field field, bool locked);
    bool isLocked(core::Field field) const;

    // Off (default): the dock is as tall as the form. On: the form scrolls in a shorter dock
    // (teaching mode gives the lesson the height).
    void setSqueezable(bool on);
    bool isSqueezable() const;

signals:
    // One user edit. `mergeKey` is non-empty while a slider is dragged (same key for the
    // whole drag) so the undo stack can collapse the drag into one step.
    void paramsEdited(const core::Conv2dParams &before, const core::Conv2dParams &after,
                      const QString &what, const QString &mergeKey);

private:
    void showValidation();

    Session *m_session;
    Conv2dParamsForm *m_form;
    QLabel *m_error;
    VerticalScrollArea *m_scroll;
};

} // namespace convscope::ui
