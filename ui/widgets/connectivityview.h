// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// How groups cut the channel connections: a C_out x C_in matrix, one cell per (output
// channel, input channel) pair, filled when that input channel feeds that output channel
// (core::inputChannelsOf). groups = 1 fills everything, groups = g gives g blocks on the
// diagonal, groups = C_in is depthwise. Next to it: the parameter count and what the same
// layer would cost with groups = 1. Follows the parameters live (setParams).
#include "conv2dparams.h"

#include <QWidget>

class QLabel;

namespace convscope::ui {

class ConnectivityMatrix;

class ConnectivityView : public QWidget {
    Q_OBJECT
public:
    explicit ConnectivityView(QWidget *parent = nullptr);

    const core::Conv2dParams &params() const { return m_params; }
    // False when groups does not divide both channel counts (nothing is drawn but the reason).
    bool isValid() const;
    // The cell as painted: true when input channel i feeds output channel o.
    bool isConnected(int o, int i) const;
    // Where the cell (o, i) is drawn, in matrixWidget() coordinates (empty when invalid or
    // the matrix is too large to draw cell by cell).
    QRectF cellRect(int o, int i) const;
    QWidget *matrixWidget() const;
    // "weight [8, 1, 3, 3] = 72 + bias 8 = 80 parameters" and the comparison lines.
    QString parameterText() const;

    // The colour a filled cell of group g is painted with (tests sample the pixels).
    static QColor groupColor(int group);

public slots:
    void setParams(const core::Conv2dParams &p);

private:
    core::Conv2dParams m_params;
    ConnectivityMatrix *m_matrix;
    QLabel *m_text;
};

} // namespace convscope::ui
