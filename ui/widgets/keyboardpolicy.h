// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// One keyboard and wheel policy for every widget of the application, so a dock that scrolls
// or a grid that takes Tab cannot trap or surprise a user:
// - a spin box, combo box or slider takes the wheel only when it has focus (scrolling a panel
//   over it scrolls the panel instead of editing the value under the pointer), and the wheel
//   no longer gives it focus;
// - Undo and Redo typed in a spin box go to the window's undo stack (what was typed is taken
//   first), not to the box's own text undo;
// - Tab and Shift+Tab leave a table or list instead of walking its cells.
#include <QObject>

class QWidget;

namespace convscope::ui {

class KeyboardPolicy : public QObject {
    Q_OBJECT
public:
    // Watches every widget of the application (an application-wide event filter) for as long
    // as the returned object lives; widgets that exist already are adjusted at once.
    explicit KeyboardPolicy(QObject *parent = nullptr);
    ~KeyboardPolicy() override;

    // Applies the focus and Tab rules to one widget (done for each widget when it is polished).
    static void adjust(QWidget *widget);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
};

} // namespace convscope::ui
