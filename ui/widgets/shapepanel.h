// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The arithmetic of the current layer in words and numbers: input and output shapes, the
// PyTorch repr, the H_out / W_out formulas with the values substituted, parameter count,
// MACs and output memory. Reads the Session only.
#include "session.h"

#include <QWidget>

class QTextBrowser;

namespace convscope::ui {

class ShapePanel : public QWidget {
    Q_OBJECT
public:
    explicit ShapePanel(Session *session, QWidget *parent = nullptr);

    // Plain-text pieces, also what the tests read.
    QString shapeLine() const; // "Input [1, 3, 64, 64] -> Output [1, 8, 64, 64]"
    QString reprLine() const;  // torchRepr
    QString formulaH() const;  // formula with numbers substituted
    QString formulaW() const;
    QString html() const; // everything, as shown

public slots:
    void refresh();

private:
    Session *m_session;
    QTextBrowser *m_text;
};

// "1.5 MiB", "512 B": a byte count for humans.
QString formatBytes(double bytes);
// "56.6 M": an operation count for humans, exact below 10 000.
QString formatCount(double count);

} // namespace convscope::ui
