// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A dock's content that scrolls vertically only: as wide as the content needs (a narrow dock
// would otherwise hide the content's right side behind a horizontal scroll bar), as short as
// the dock allows, on the window colour like the other docks. A short window (a 1024x768
// projector in teaching mode) then scrolls the panel instead of drawing its rows over the
// next dock's title.
#include <QScrollArea>

namespace convscope::ui {

class VerticalScrollArea : public QScrollArea {
public:
    explicit VerticalScrollArea(QWidget *content, QWidget *parent = nullptr);

    QSize minimumSizeHint() const override;
    // On: as tall as the content needs at least, never scrolled (a panel whose every row the
    // user should see while the window has the room); off (default): as short as the dock.
    void setKeepsWholeContent(bool on);
    bool keepsWholeContent() const { return m_whole; }

private:
    bool m_whole = false;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
};

} // namespace convscope::ui
