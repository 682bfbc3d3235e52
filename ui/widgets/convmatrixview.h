// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The Session's Conv2d as the matrix it is, on the top-left corner of the fed image (at most
// kSide x kSide pixels, so a class can read it): the padded input flattened into a vector x,
// the sparse matrix M (core::convMatrix: one row per output, one column per padded input,
// the weights as entries) and y = M x + bias, the output as a vector. "Transpose" draws M^T,
// the transposed convolution that maps the output back onto the padded input. Hovering a row
// names its output and the columns it reads (the output's receptive field, in the vector).
#include "convmatrix.h"

#include <QWidget>

#include <optional>

class QCheckBox;
class QLabel;

namespace convscope::ui {

class Session;

class ConvMatrixView : public QWidget {
    Q_OBJECT
public:
    static constexpr int kSide = 8;

    explicit ConvMatrixView(Session *session, QWidget *parent = nullptr);

    QSize sizeHint() const override { return {320, 320}; }
    QSize minimumSizeHint() const override { return {160, 160}; }

    // The matrix drawn (null when the layer is invalid or has no weights; caption says why).
    const std::optional<core::ConvMatrix> &matrix() const { return m_matrix; }
    // The crop's output computed as M x + bias, and the padded input x.
    const core::Tensor &output() const { return m_output; }
    const Eigen::VectorXf &inputVector() const { return m_x; }
    bool transposed() const { return m_transposed; }
    void setTransposed(bool on);
    // Hover row r of M (column r of M^T), or -1: the caption names out[c, y, x] and how many
    // columns it reads.
    void setHoveredRow(int row);
    int hoveredRow() const { return m_hoveredRow; }
    QString caption() const;
    // Whether row `row`'s output equals the feature map's at the same position.
    bool rowMatchesMap(int row) const;
    // The widget area the matrix occupies as last painted.
    QRectF matrixRect() const { return m_matrixRect; }

signals:
    // The hovered row's output when it is also the feature map's out[c, y, x]: its window
    // stays inside the corner (or the corner is the whole image), so the padding it sees is
    // the image's.
    void outputHovered(int channel, int y, int x);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;

private:
    void rebuild();

    Session *m_session;
    std::optional<core::ConvMatrix> m_matrix;
    core::Tensor m_output;
    Eigen::VectorXf m_x;
    QImage m_image; // the matrix, one pixel per entry
    QString m_error;
    bool m_transposed = false;
    int m_hoveredRow = -1;
    QRectF m_matrixRect;
    QCheckBox *m_transpose;
    QLabel *m_caption;
};

} // namespace convscope::ui
