// SPDX-License-Identifier: GPL-3.0-or-later
#include "keyboardpolicy.h"

#include <QAbstractItemView>
#include <QAbstractSlider>
#include <QAbstractSpinBox>
#include <QApplication>
#include <QComboBox>
#include <QKeyEvent>
#include <QScrollBar>
#include <QWidget>

namespace convscope::ui {

namespace {

// A widget whose value the wheel changes (a scroll bar is not: the wheel is what it is for).
bool takesValueFromWheel(const QWidget *w)
{
    return qobject_cast<const QAbstractSpinBox *>(w) || qobject_cast<const QComboBox *>(w)
           || (qobject_cast<const QAbstractSlider *>(w) && !qobject_cast<const QScrollBar *>(w));
}

// The spin box a focused widget edits: the box itself or its line edit.
QAbstractSpinBox *editedSpinBox(QObject *o)
{
    if (auto *box = qobject_cast<QAbstractSpinBox *>(o))
        return box;
    if (auto *w = qobject_cast<QWidget *>(o))
        return qobject_cast<QAbstractSpinBox *>(w->parentWidget());
    return nullptr;
}

bool isUndoOrRedo(const QKeyEvent *e)
{
    return e->matches(QKeySequence::Undo) || e->matches(QKeySequence::Redo);
}

} // namespace

KeyboardPolicy::KeyboardPolicy(QObject *parent) : QObject(parent)
{
    qApp->installEventFilter(this);
    for (QWidget *w : QApplication::allWidgets())
        adjust(w);
}

KeyboardPolicy::~KeyboardPolicy()
{
    if (qApp)
        qApp->removeEventFilter(this);
}

void KeyboardPolicy::adjust(QWidget *widget)
{
    if (takesValueFromWheel(widget) && (widget->focusPolicy() & Qt::WheelFocus) == Qt::WheelFocus)
        widget->setFocusPolicy(Qt::StrongFocus);
    if (auto *view = qobject_cast<QAbstractItemView *>(widget))
        view->setTabKeyNavigation(false); // the arrow keys move between cells
}

bool KeyboardPolicy::eventFilter(QObject *watched, QEvent *event)
{
    switch (event->type()) {
    case QEvent::Polish:
        if (watched->isWidgetType())
            adjust(static_cast<QWidget *>(watched));
        break;
    case QEvent::Wheel:
        if (watched->isWidgetType()) {
            auto *w = static_cast<QWidget *>(watched);
            if (takesValueFromWheel(w) && !w->hasFocus()) {
                // Unhandled here: QApplication passes the wheel on to the parent (the
                // scrolling panel).
                event->ignore();
                return true;
            }
        }
        break;
    case QEvent::ShortcutOverride:
        if (auto *box = editedSpinBox(watched);
            box && isUndoOrRedo(static_cast<QKeyEvent *>(event))) {
            // What was typed becomes an edit first, so Undo takes back exactly that; leaving
            // the event unaccepted lets the window's Undo/Redo shortcut have the keys.
            box->interpretText();
            event->ignore();
            return true;
        }
        break;
    default: break;
    }
    return QObject::eventFilter(watched, event);
}

} // namespace convscope::ui
