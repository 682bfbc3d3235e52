// SPDX-License-Identifier: GPL-3.0-or-later
#include "erfview.h"

#include "heatmap.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace convscope::ui {

ErfView::ErfView(QWidget *parent) : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent, false);
    setAccessibleName(tr("Effective receptive field"));
}

void ErfView::setResult(std::shared_ptr<const ErfResult> result, const QImage &image)
{
    m_result = std::move(result);
    m_image = image;
    rebuild();
    update();
}

QRect ErfView::shownRegion() const
{
    return m_region;
}

QRgb ErfView::colourOf(double v) const
{
    if (!m_result || m_result->maxValue <= 0.0)
        return qRgba(0, 0, 0, 0);
    if (v == 0.0 && m_result->onImage)
        return qRgba(0, 0, 0, 0);
    const QRgb c = heatColour(v, m_result->maxValue);
    return m_result->onImage ? qRgba(qRed(c), qGreen(c), qBlue(c), 215) : c;
}

void ErfView::rebuild()
{
    m_rendered = QImage();
    m_region = QRect();
    if (!m_result || m_result->map.empty())
        return;
    const ErfResult &r = *m_result;
    const auto h = static_cast<int>(r.h), w = static_cast<int>(r.w);
    QRect region(0, 0, w, h);
    if (r.onImage && r.mode != ErfMode::Coverage) {
        // The box and the support, which a reflecting pad can put outside the box.
        QRect support(QPoint(static_cast<int>(r.box.x0), static_cast<int>(r.box.y0)),
                      QPoint(static_cast<int>(r.box.x1) - 1, static_cast<int>(r.box.y1) - 1));
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                if (r.map[static_cast<std::size_t>(y) * static_cast<std::size_t>(w)
                          + static_cast<std::size_t>(x)]
                    != 0.0)
                    support |= QRect(x, y, 1, 1);
        const int margin = std::max(3, std::max(support.width(), support.height()) / 5);
        region = support.adjusted(-margin, -margin, margin, margin) & QRect(0, 0, w, h);
    }
    m_region = region;
    m_rendered = QImage(region.size(), QImage::Format_ARGB32_Premultiplied);
    m_rendered.fill(Qt::transparent);
    QImage heat(region.size(), QImage::Format_ARGB32);
    for (int y = 0; y < region.height(); ++y) {
        auto *line = reinterpret_cast<QRgb *>(heat.scanLine(y));
        for (int x = 0; x < region.width(); ++x)
            line[x] = colourOf(
                r.map[static_cast<std::size_t>(y + region.y()) * static_cast<std::size_t>(w)
                      + static_cast<std::size_t>(x + region.x())]);
    }
    QPainter p(&m_rendered);
    if (r.onImage && !m_image.isNull() && m_image.width() == w && m_image.height() == h) {
        // The image dimmed and grey, so the heat map reads as the foreground.
        QImage base = m_image.copy(region).convertToFormat(QImage::Format_Grayscale8);
        p.drawImage(0, 0, base);
        p.fillRect(m_rendered.rect(), QColor(0, 0, 0, 110));
    }
    p.drawImage(0, 0, heat);
}

void ErfView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    if (m_rendered.isNull())
        return;
    const int barH = std::max(12, fontMetrics().height());
    const QRect area = rect().adjusted(4, 4, -4, -(barH * 2 + 8));
    if (area.width() < 8 || area.height() < 8)
        return;
    const double scale = std::min(double(area.width()) / m_region.width(),
                                  double(area.height()) / m_region.height());
    const QSizeF size(m_region.width() * scale, m_region.height() * scale);
    const QRectF target(area.x() + (area.width() - size.width()) / 2.0,
                        area.y() + (area.height() - size.height()) / 2.0, size.width(),
                        size.height());
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.drawImage(target, m_rendered);
    const ErfResult &r = *m_result;
    if (r.mode == ErfMode::Gradient || r.mode == ErfMode::Paths) {
        // The theoretical box, which may reach past the image into the padding.
        const QRectF box(target.x() + (double(r.box.x0) - m_region.x()) * scale,
                         target.y() + (double(r.box.y0) - m_region.y()) * scale,
                         double(r.box.width()) * scale, double(r.box.height()) * scale);
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(QColor(0, 0, 0, 200), 3));
        p.drawRect(box);
        p.setPen(QPen(Qt::white, 1.5, Qt::DashLine));
        p.drawRect(box);
        // The ERF radius around the centroid.
        if (r.stats.total > 0.0 && r.mode == ErfMode::Gradient) {
            const QPointF c(target.x() + (r.stats.centroidX + 0.5 - m_region.x()) * scale,
                            target.y() + (r.stats.centroidY + 0.5 - m_region.y()) * scale);
            p.setPen(QPen(QColor(255, 120, 60), 1.5));
            p.drawEllipse(c, r.stats.radius * scale, r.stats.radius * scale);
        }
    }
    // Colour bar with its range.
    const QRect bar(int(target.x()), area.bottom() + 6, std::max(40, int(target.width())), barH);
    for (int i = 0; i < bar.width(); ++i) {
        const double v = r.maxValue * std::pow(double(i) / std::max(1, bar.width() - 1), 2.0);
        const QRgb c = colourOf(std::max(v, 1e-300));
        p.setPen(QColor(qRed(c), qGreen(c), qBlue(c)));
        p.drawLine(bar.x() + i, bar.top(), bar.x() + i, bar.bottom());
    }
    p.setPen(palette().color(QPalette::WindowText));
    const QString lo = QStringLiteral("0"); // the colours start at 0 in every mode
    const QString hi = r.mode == ErfMode::Paths || r.mode == ErfMode::Coverage
                           ? QString::number(r.maxValue, 'f', 0)
                           : QString::number(r.maxValue, 'g', 3);
    const QRect labels(bar.x(), bar.bottom() + 2, bar.width(), barH);
    p.drawText(labels, Qt::AlignLeft | Qt::AlignTop, lo);
    p.drawText(labels, Qt::AlignRight | Qt::AlignTop, hi);
}

} // namespace convscope::ui
