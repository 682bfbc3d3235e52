// SPDX-License-Identifier: GPL-3.0-or-later
#include "verticalscrollarea.h"

#include <QEvent>
#include <QScrollBar>

namespace convscope::ui {

VerticalScrollArea::VerticalScrollArea(QWidget *content, QWidget *parent) : QScrollArea(parent)
{
    setFrameShape(QFrame::NoFrame);
    setWidgetResizable(true);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setBackgroundRole(QPalette::Window);
    viewport()->setBackgroundRole(QPalette::Window);
    setWidget(content);
    content->installEventFilter(this);
}

QSize VerticalScrollArea::minimumSizeHint() const
{
    const int bar = verticalScrollBar()->sizeHint().width();
    const int frames = 2 * frameWidth();
    return {widget()->minimumSizeHint().width() + bar + frames,
            m_whole ? widget()->minimumSizeHint().height() + frames
                    : QScrollArea::minimumSizeHint().height()};
}

void VerticalScrollArea::setKeepsWholeContent(bool on)
{
    m_whole = on;
    updateGeometry();
}

bool VerticalScrollArea::eventFilter(QObject *watched, QEvent *event)
{
    // The content's layout changed (fonts, kernel size): so does our minimum size.
    if (watched == widget() && event->type() == QEvent::LayoutRequest)
        updateGeometry();
    return QScrollArea::eventFilter(watched, event);
}

} // namespace convscope::ui
