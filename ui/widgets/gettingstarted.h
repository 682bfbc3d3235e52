// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Help > Getting Started: a short guide to the window a new user first sees, the eight feature
// maps of the start-up weights (which kernel makes each one) and the main controls. Shown in a
// non-modal dialog beside the window, so the controls it names can be tried while reading.
#include <QDialog>

namespace convscope::ui {

class GettingStartedDialog : public QDialog {
    Q_OBJECT
public:
    explicit GettingStartedDialog(QWidget *parent = nullptr);

    // The guide's text (HTML): what each of the first `maps` start-up maps shows (kernel
    // c mod 4 of core::startupWeights), then the controls.
    static QString guideHtml(int maps = 8);
};

} // namespace convscope::ui
