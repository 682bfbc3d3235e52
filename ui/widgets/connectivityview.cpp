// SPDX-License-Identifier: GPL-3.0-or-later
#include "connectivityview.h"

#include "explain.h"
#include "shape.h"

#include <QLabel>
#include <QPainter>
#include <QVBoxLayout>

#include <algorithm>

namespace convscope::ui {

namespace {

bool groupsValid(const core::Conv2dParams &p)
{
    return p.groups > 0 && p.inChannels > 0 && p.outChannels > 0 && p.inChannels % p.groups == 0
           && p.outChannels % p.groups == 0;
}

} // namespace

QColor ConnectivityView::groupColor(int group)
{
    // Alternating hues, so neighbouring blocks stay apart even when they touch at a corner.
    static const QColor colours[] = {QColor(31, 119, 180),  QColor(255, 127, 14),
                                     QColor(44, 160, 44),   QColor(214, 39, 40),
                                     QColor(148, 103, 189), QColor(140, 86, 75)};
    return colours[group % 6];
}

// The painted matrix. Rows are output channels (top to bottom), columns input channels
// (left to right), as in weight[o, ci]; each group is one filled block.
class ConnectivityMatrix : public QWidget {
public:
    explicit ConnectivityMatrix(ConnectivityView *view) : QWidget(view), m_view(view)
    {
        setObjectName(QStringLiteral("connectivityMatrix"));
        setAccessibleName(ConnectivityView::tr("Channel connectivity"));
        setMinimumSize(160, 140);
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    }

    // Matrix geometry for the current size: origin of cell (0, 0) and the cell size.
    void geometry(QPointF *origin, double *cell) const
    {
        const auto &p = m_view->params();
        const QFontMetrics fm(font());
        const double left = fm.horizontalAdvance(QStringLiteral("out 000")) + 8;
        const double top = fm.height() * 2 + 6;
        const double cw = (width() - left - 6) / std::max(1, p.inChannels);
        const double ch = (height() - top - 6) / std::max(1, p.outChannels);
        *cell = std::clamp(std::min(cw, ch), 1.0, 56.0);
        *origin = QPointF(left, top);
    }

    QRectF cellRect(int o, int i) const
    {
        QPointF origin;
        double cell = 0;
        geometry(&origin, &cell);
        return QRectF(origin.x() + i * cell, origin.y() + o * cell, cell, cell);
    }

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter painter(this);
        const QPalette pal = palette();
        painter.fillRect(rect(), pal.color(QPalette::Window));
        const auto &p = m_view->params();
        painter.setPen(pal.color(QPalette::WindowText));
        if (!groupsValid(p)) {
            painter.drawText(rect().adjusted(6, 6, -6, -6), Qt::AlignCenter | Qt::TextWordWrap,
                             tr("groups = %1 must divide in_channels = %2 and out_channels = "
                                "%3: no connectivity to show.")
                                 .arg(p.groups)
                                 .arg(p.inChannels)
                                 .arg(p.outChannels));
            return;
        }
        QPointF origin;
        double cell = 0;
        geometry(&origin, &cell);
        const QRectF whole(origin, QSizeF(cell * p.inChannels, cell * p.outChannels));
        painter.fillRect(whole, pal.color(QPalette::Base));

        // One block per group: output channels [g*Og, (g+1)*Og) read inputs [g*Ig, (g+1)*Ig).
        const int og = p.outChannels / p.groups;
        for (int g = 0; g < p.groups; ++g) {
            const core::ChannelRange in = core::inputChannelsOf(p, std::int64_t(g) * og);
            const QRectF block(origin.x() + double(in.first) * cell, origin.y() + g * og * cell,
                               double(in.count) * cell, og * cell);
            painter.fillRect(block, ConnectivityView::groupColor(g));
        }
        // Cell borders once they are big enough to tell apart.
        if (cell >= 5) {
            QColor line = pal.color(QPalette::Window);
            painter.setPen(QPen(line, 1));
            for (int i = 1; i < p.inChannels; ++i)
                painter.drawLine(QPointF(origin.x() + i * cell, whole.top()),
                                 QPointF(origin.x() + i * cell, whole.bottom()));
            for (int o = 1; o < p.outChannels; ++o)
                painter.drawLine(QPointF(whole.left(), origin.y() + o * cell),
                                 QPointF(whole.right(), origin.y() + o * cell));
        }
        painter.setPen(QPen(pal.color(QPalette::Mid), 1));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(whole);

        // Axis captions and, when there is room, channel numbers.
        const QFontMetrics fm(font());
        painter.setPen(pal.color(QPalette::WindowText));
        painter.drawText(QRectF(origin.x(), 0, width() - origin.x(), fm.height()),
                         Qt::AlignLeft | Qt::AlignTop, tr("input channel →"));
        painter.drawText(QRectF(0, origin.y() - fm.height() - 2, origin.x() - 4, fm.height()),
                         Qt::AlignRight | Qt::AlignBottom, tr("out ↓"));
        const int step =
            std::max(1, int(std::ceil((fm.horizontalAdvance(QStringLiteral("000")) + 4) / cell)));
        const int rowStep = std::max(1, int(std::ceil(fm.height() / cell)));
        for (int i = 0; i < p.inChannels; i += step)
            painter.drawText(
                QRectF(origin.x() + i * cell - 20, fm.height() + 2, cell + 40, fm.height()),
                Qt::AlignHCenter | Qt::AlignTop, QString::number(i));
        for (int o = 0; o < p.outChannels; o += rowStep)
            painter.drawText(QRectF(0, origin.y() + o * cell + cell / 2 - fm.height() / 2.0,
                                    origin.x() - 4, fm.height()),
                             Qt::AlignRight | Qt::AlignVCenter, QString::number(o));
    }

private:
    ConnectivityView *m_view;
};

ConnectivityView::ConnectivityView(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("connectivityView"));
    setAccessibleName(tr("Connectivity"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_matrix = new ConnectivityMatrix(this);
    layout->addWidget(m_matrix, 1);
    m_text = new QLabel;
    m_text->setObjectName(QStringLiteral("connectivityText"));
    m_text->setTextFormat(Qt::RichText);
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_text);
    setParams(m_params);
}

bool ConnectivityView::isValid() const
{
    return groupsValid(m_params);
}

bool ConnectivityView::isConnected(int o, int i) const
{
    if (!isValid() || o < 0 || i < 0 || o >= m_params.outChannels || i >= m_params.inChannels)
        return false;
    const core::ChannelRange r = core::inputChannelsOf(m_params, o);
    return i >= r.first && i < r.first + r.count;
}

QRectF ConnectivityView::cellRect(int o, int i) const
{
    return isValid() ? m_matrix->cellRect(o, i) : QRectF();
}

QWidget *ConnectivityView::matrixWidget() const
{
    return m_matrix;
}

QString ConnectivityView::parameterText() const
{
    const auto &p = m_params;
    if (!isValid())
        return tr("groups = %1 does not divide the channels").arg(p.groups);
    const std::int64_t perGroup = p.inChannels / p.groups;
    const std::int64_t weights = std::int64_t(p.outChannels) * perGroup * p.kernel.h * p.kernel.w;
    QString text = tr("<b>%1 parameters</b>: weight [%2, %3, %4, %5] = %6")
                       .arg(core::parameterCount(p))
                       .arg(p.outChannels)
                       .arg(perGroup)
                       .arg(p.kernel.h)
                       .arg(p.kernel.w)
                       .arg(weights);
    if (p.bias)
        text += tr(" + bias %1").arg(p.outChannels);
    text += QStringLiteral("<br>");
    if (p.groups == 1) {
        text +=
            tr("groups = 1: every output channel reads all %1 input channels.").arg(p.inChannels);
    } else {
        core::Conv2dParams dense = p;
        dense.groups = 1;
        const QString kind = p.groups == p.inChannels
                                 ? tr("depthwise: each output channel reads one input channel")
                                 : tr("each output channel reads %1 of %2 input channels")
                                       .arg(perGroup)
                                       .arg(p.inChannels);
        text += tr("groups = %1, %2; the same layer with groups = 1 would have %3 "
                   "parameters (%4× as many).")
                    .arg(p.groups)
                    .arg(kind)
                    .arg(core::parameterCount(dense))
                    .arg(double(core::parameterCount(dense))
                             / double(std::max<std::int64_t>(1, core::parameterCount(p))),
                         0, 'g', 3);
    }
    return text;
}

void ConnectivityView::setParams(const core::Conv2dParams &p)
{
    m_params = p;
    m_text->setText(parameterText());
    m_matrix->update();
}

} // namespace convscope::ui
