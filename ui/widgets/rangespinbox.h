// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A QSpinBox that lets a number past its range be typed and then says so. A plain QSpinBox
// refuses the keystroke that leaves the range, so typing 400 into a box that stops at 256
// silently becomes 40; this one keeps what was typed, and on Return or leaving the box
// reports it (outOfRange) and goes back to the value it had.
#include <QSpinBox>

namespace convscope::ui {

class RangeSpinBox : public QSpinBox {
    Q_OBJECT
public:
    using QSpinBox::QSpinBox;

    QValidator::State validate(QString &input, int &pos) const override;

signals:
    // `typed` is the whole number typed; the box keeps its previous value.
    void outOfRange(qlonglong typed);

protected:
    void keyPressEvent(QKeyEvent *event) override;
    void focusOutEvent(QFocusEvent *event) override;

private:
    void reportTypedValue();
};

} // namespace convscope::ui
