// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The Effective field dock: which field to show (gradient, path counts, Luo et al.'s
// average, the layer's coverage), the ErfView, and a caption with the numbers: the share of
// the theoretical box that holds 50/90/99 % of the gradient, the ERF's radius, pixels never
// reached.
#include "erfmodel.h"

#include <QWidget>

class QComboBox;
class QLabel;

namespace convscope::ui {

class ErfView;
class Session;

class ErfPanel : public QWidget {
    Q_OBJECT
public:
    ErfPanel(ErfModel *model, Session *session, QWidget *parent = nullptr);

    ErfView *view() const { return m_view; }
    QComboBox *modeBox() const { return m_mode; }
    QString caption() const;

    // The caption for a result (what the panel prints under the map).
    static QString describe(const ErfResult &r);

private:
    void refresh();

    ErfModel *m_model;
    Session *m_session;
    QComboBox *m_mode;
    ErfView *m_view;
    QLabel *m_caption;
};

} // namespace convscope::ui
