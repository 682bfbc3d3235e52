// SPDX-License-Identifier: GPL-3.0-or-later
#include "convmatrixview.h"

#include "colormap.h"
#include "session.h"

#include <QCheckBox>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace convscope::ui {

namespace {

// The band the vectors take beside the matrix, in pixels.
constexpr int kBand = 12;

QRgb weightColour(float w, float range)
{
    if (w == 0.0f)
        return qRgb(255, 255, 255);
    const double t = 0.5 + 0.5 * std::clamp(double(w) / std::max(1e-12, double(range)), -1.0, 1.0);
    return lut(Gradient::Diverging)[static_cast<std::size_t>(std::lround(t * 255.0))];
}

} // namespace

ConvMatrixView::ConvMatrixView(Session *session, QWidget *parent)
    : QWidget(parent), m_session(session),
      m_transpose(new QCheckBox(tr("Transpose (ConvTranspose2d)"))), m_caption(new QLabel)
{
    setMouseTracking(true);
    setAccessibleName(tr("Convolution as a matrix"));
    m_caption->setWordWrap(true);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_transpose);
    layout->addStretch(1);
    layout->addWidget(m_caption);
    m_transpose->setToolTip(tr("Draw M^T: the transposed convolution, which maps an output-"
                               "shaped vector back onto the padded input"));
    connect(m_transpose, &QCheckBox::toggled, this, &ConvMatrixView::setTransposed);
    connect(m_session, &Session::changed, this, [this] {
        rebuild();
        update();
    });
    rebuild();
}

void ConvMatrixView::setTransposed(bool on)
{
    if (on == m_transposed)
        return;
    m_transposed = on;
    m_transpose->setChecked(on);
    rebuild();
    update();
}

void ConvMatrixView::rebuild()
{
    m_matrix.reset();
    m_image = QImage();
    m_error.clear();
    const auto input = m_session->inputTensor();
    const auto weight = m_session->weight();
    if (!input || !weight || m_session->validationError()) {
        m_error = tr("No matrix: the layer is not valid on this input.");
        m_caption->setText(m_error);
        return;
    }
    const core::Conv2dParams &p = m_session->params();
    const std::int64_t h = std::min<std::int64_t>(input->dim(2), kSide);
    const std::int64_t w = std::min<std::int64_t>(input->dim(3), kSide);
    try {
        const core::Tensor crop = core::crop(*input, 0, 0, h, w);
        core::Conv2dLayer layer{p, weight, m_session->bias()};
        m_matrix = core::convMatrix(layer, crop.shape);
        m_x = core::paddedVector(crop, p);
        m_output = core::matrixForward(*m_matrix, crop, layer);
    } catch (const std::exception &e) {
        m_matrix.reset();
        m_error = tr("No matrix on the %1 x %2 corner: %3")
                      .arg(h)
                      .arg(w)
                      .arg(QString::fromStdString(e.what()));
        m_caption->setText(m_error);
        return;
    }
    const auto &M = m_matrix->matrix;
    float range = 0.0f;
    for (int r = 0; r < M.outerSize(); ++r)
        for (Eigen::SparseMatrix<float, Eigen::RowMajor>::InnerIterator it(M, r); it; ++it)
            range = std::max(range, std::abs(it.value()));
    const int rows = static_cast<int>(M.rows()), cols = static_cast<int>(M.cols());
    m_image = m_transposed ? QImage(rows, cols, QImage::Format_RGB32)
                           : QImage(cols, rows, QImage::Format_RGB32);
    m_image.fill(Qt::white);
    for (int r = 0; r < M.outerSize(); ++r)
        for (Eigen::SparseMatrix<float, Eigen::RowMajor>::InnerIterator it(M, r); it; ++it) {
            const int c = static_cast<int>(it.col());
            if (m_transposed)
                m_image.setPixel(r, c, weightColour(it.value(), range));
            else
                m_image.setPixel(c, r, weightColour(it.value(), range));
        }
    m_hoveredRow = std::min(m_hoveredRow, rows - 1);
    m_caption->setText(caption());
}

QString ConvMatrixView::caption() const
{
    if (!m_matrix)
        return m_error;
    const auto &m = *m_matrix;
    const QString size = tr("%1 x %2 corner")
                             .arg(m.paddedShape[1] - m.padding.top - m.padding.bottom)
                             .arg(m.paddedShape[2] - m.padding.left - m.padding.right);
    if (m_hoveredRow >= 0) {
        const std::int64_t plane = m.outputShape[1] * m.outputShape[2];
        const std::int64_t c = m_hoveredRow / plane, y = (m_hoveredRow % plane) / m.outputShape[2],
                           x = m_hoveredRow % m.outputShape[2];
        return tr("%1 %2 = out[%3, %4, %5] = %6: %7 weights × the padded inputs of its window "
                  "(its receptive field, marked in x)%8")
            .arg(m_transposed ? tr("column") : tr("row"))
            .arg(m_hoveredRow)
            .arg(c)
            .arg(y)
            .arg(x)
            .arg(m_output.data[static_cast<std::size_t>(m_hoveredRow)], 0, 'g', 4)
            .arg(m.matrix.row(m_hoveredRow).nonZeros())
            .arg(rowMatchesMap(m_hoveredRow)
                     ? tr("; selected in the feature maps")
                     : tr("; its window reaches past the corner, so the map's value differs"));
    }
    if (m_transposed)
        return tr("M^T: %1 x %2, the transposed convolution: it maps an output-shaped vector "
                  "back onto the padded input (%3)")
            .arg(m.matrix.cols())
            .arg(m.matrix.rows())
            .arg(size);
    return tr("y = M x + b on the %1: M is %2 x %3 with %4 nonzero weights (%5 %); x is the "
              "padded input %6, y the output %7")
        .arg(size)
        .arg(m.matrix.rows())
        .arg(m.matrix.cols())
        .arg(m.matrix.nonZeros())
        .arg(100.0 * double(m.matrix.nonZeros()) / double(m.matrix.rows() * m.matrix.cols()), 0,
             'f', 1)
        .arg(QString::fromStdString(core::formatShape(m.paddedShape)),
             QString::fromStdString(core::formatShape(m.outputShape)));
}

bool ConvMatrixView::rowMatchesMap(int row) const
{
    const auto input = m_session->inputTensor();
    if (!m_matrix || !input || row < 0 || row >= m_matrix->matrix.rows())
        return false;
    const core::ConvMatrix &m = *m_matrix;
    const core::Conv2dParams &p = m_session->params();
    const std::int64_t plane = m.outputShape[1] * m.outputShape[2];
    const std::int64_t y = (row % plane) / m.outputShape[2], x = row % m.outputShape[2];
    const std::int64_t h = m.paddedShape[1] - m.padding.top - m.padding.bottom;
    const std::int64_t w = m.paddedShape[2] - m.padding.left - m.padding.right;
    // The window's last row and column, in the corner's coordinates.
    const std::int64_t lastY =
        y * p.stride.h - m.padding.top + std::int64_t(p.dilation.h) * (p.kernel.h - 1);
    const std::int64_t lastX =
        x * p.stride.w - m.padding.left + std::int64_t(p.dilation.w) * (p.kernel.w - 1);
    return (h == input->dim(2) || lastY < h) && (w == input->dim(3) || lastX < w);
}

void ConvMatrixView::setHoveredRow(int row)
{
    if (!m_matrix || row >= m_matrix->matrix.rows())
        row = -1;
    if (row == m_hoveredRow)
        return;
    m_hoveredRow = row;
    m_caption->setText(caption());
    update();
    if (rowMatchesMap(row)) {
        const std::int64_t plane = m_matrix->outputShape[1] * m_matrix->outputShape[2];
        emit outputHovered(static_cast<int>(row / plane),
                           static_cast<int>((row % plane) / m_matrix->outputShape[2]),
                           static_cast<int>(row % m_matrix->outputShape[2]));
    }
}

void ConvMatrixView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    m_matrixRect = QRectF();
    if (m_image.isNull() || !m_matrix)
        return;
    const int top = m_transpose->geometry().bottom() + 6;
    const int bottom = m_caption->geometry().top() - 6;
    const QRect area(4, top, width() - 8, bottom - top);
    if (area.width() < 3 * kBand || area.height() < 3 * kBand)
        return;
    // x runs along the matrix's columns (above it), y along its rows (to its right); for M^T
    // the roles swap.
    const QRect room = area.adjusted(0, kBand + 4, -(kBand + 4), 0);
    const double scale =
        std::min(double(room.width()) / m_image.width(), double(room.height()) / m_image.height());
    const QRectF mr(room.x(), room.y(), m_image.width() * scale, m_image.height() * scale);
    m_matrixRect = mr;
    p.setRenderHint(QPainter::SmoothPixmapTransform, scale < 1.0);
    p.drawImage(mr, m_image);
    p.setPen(QPen(palette().color(QPalette::Mid), 1));
    p.drawRect(mr);

    // The two vectors as colour strips.
    const auto strip = [&](const std::vector<float> &v, bool horizontal, const QRectF &r) {
        float range = 0.0f;
        for (float f : v)
            range = std::max(range, std::abs(f));
        const double step =
            (horizontal ? r.width() : r.height()) / double(std::max<std::size_t>(1, v.size()));
        for (std::size_t i = 0; i < v.size(); ++i) {
            const QRectF cell =
                horizontal ? QRectF(r.x() + double(i) * step, r.y(), step + 0.5, r.height())
                           : QRectF(r.x(), r.y() + double(i) * step, r.width(), step + 0.5);
            p.fillRect(cell, QColor::fromRgb(weightColour(v[i], range)));
        }
    };
    const std::vector<float> xs(m_x.data(), m_x.data() + m_x.size());
    const std::vector<float> &ys = m_output.data;
    const QRectF above(mr.x(), mr.y() - kBand - 3, mr.width(), kBand);
    const QRectF right(mr.right() + 3, mr.y(), kBand, mr.height());
    strip(m_transposed ? ys : xs, true, above);
    strip(m_transposed ? xs : ys, false, right);

    if (m_hoveredRow >= 0) {
        // The row (column of M^T), its output entry and the inputs it reads.
        const double cell = scale;
        p.setPen(QPen(QColor(255, 140, 0), 2));
        p.setBrush(Qt::NoBrush);
        const double along = double(m_hoveredRow) * cell;
        const QRectF band = m_transposed ? QRectF(mr.x() + along, mr.y(), cell, mr.height())
                                         : QRectF(mr.x(), mr.y() + along, mr.width(), cell);
        p.drawRect(band.adjusted(-1, -1, 1, 1));
        const QRectF out = m_transposed ? QRectF(above.x() + along, above.y(), cell, above.height())
                                        : QRectF(right.x(), right.y() + along, right.width(), cell);
        p.drawRect(out.adjusted(-1, -1, 1, 1));
        p.setPen(QPen(QColor(255, 140, 0), 1));
        for (Eigen::SparseMatrix<float, Eigen::RowMajor>::InnerIterator it(m_matrix->matrix,
                                                                           m_hoveredRow);
             it; ++it) {
            const double at = double(it.col()) * cell + cell / 2.0;
            if (m_transposed)
                p.drawLine(QPointF(right.left(), right.y() + at),
                           QPointF(right.right(), right.y() + at));
            else
                p.drawLine(QPointF(above.x() + at, above.top()),
                           QPointF(above.x() + at, above.bottom()));
        }
    }
}

void ConvMatrixView::mouseMoveEvent(QMouseEvent *event)
{
    if (!m_matrix || !m_matrixRect.contains(event->position())) {
        setHoveredRow(-1);
        return;
    }
    const QPointF d = event->position() - m_matrixRect.topLeft();
    const double scale = m_matrixRect.width() / m_image.width();
    setHoveredRow(static_cast<int>((m_transposed ? d.x() : d.y()) / scale));
}

void ConvMatrixView::leaveEvent(QEvent *)
{
    setHoveredRow(-1);
}

} // namespace convscope::ui
