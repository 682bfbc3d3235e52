// SPDX-License-Identifier: GPL-3.0-or-later
#include "contactsheet.h"

#include "maps.h"

#include <QBuffer>
#include <QFontMetricsF>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>

#ifdef CONVSCOPE_HAVE_SVG
#include <QSvgGenerator>
#endif

#include <algorithm>
#include <cmath>

#ifndef CONVSCOPE_VERSION
#define CONVSCOPE_VERSION "0.0.0"
#endif

namespace convscope::ui {

namespace {

// --- contact sheet layout ---

struct SheetLayout {
    double width = 0, height = 0, margin = 0, gap = 0;
    QFont titleFont, textFont, labelFont, smallFont;
    QStringList titleLines;
    double titleLineHeight = 0, titleHeight = 0;
    int cols = 1, rows = 1, channels = 0;
    double cellW = 0, mapW = 0, mapH = 0, labelH = 0, rowH = 0, gridTop = 0;
    double barTop = 0, barH = 0, tickH = 0;
};

QFont pixelFont(double px, bool bold = false)
{
    QFont f(QStringLiteral("DejaVu Sans"));
    f.setPixelSize(std::max(1, static_cast<int>(std::lround(px))));
    f.setBold(bold);
    return f;
}

// One line per Conv2d, the layers after it appended by kind ("Conv2d(...) -> ReLU").
QStringList layerLines(const core::Network &net)
{
    QStringList lines;
    for (const core::Layer &layer : net.layers) {
        if (std::holds_alternative<core::Conv2dLayer>(layer) || lines.isEmpty())
            lines << QString::fromStdString(core::torchRepr(layer));
        else
            lines.last() +=
                QStringLiteral(" \u2192 %1").arg(QString::fromStdString(core::kindName(layer)));
    }
    return lines;
}

SheetLayout layoutSheet(const ExportRequest &r, int width)
{
    SheetLayout L;
    L.width = width;
    L.margin = width * 0.025;
    L.gap = width * 0.012;
    const double inner = width - 2 * L.margin;

    L.titleLines << QStringLiteral("convscope \u2014 %1")
                        .arg(r.inputName.isEmpty() ? r.baseName : r.inputName);
    L.titleLines << layerLines(r.network);
    L.titleLines << QStringLiteral("input %1 \u2192 output %2    colour map: %3, range: %4")
                        .arg(QString::fromStdString(core::formatShape(r.input.shape)),
                             QString::fromStdString(core::formatShape(r.output.shape)),
                             gradientName(r.view.gradient), rangeModeName(r.view.rangeMode));
    // The longest line decides the title size, so a long repr still fits the page.
    double titlePx = std::clamp(width / 55.0, 9.0, 48.0);
    for (const QString &line : std::as_const(L.titleLines)) {
        const double w = QFontMetricsF(pixelFont(titlePx)).horizontalAdvance(line);
        if (w > inner)
            titlePx = std::max(6.0, titlePx * inner / w);
    }
    L.titleFont = pixelFont(titlePx * 1.15, true);
    L.textFont = pixelFont(titlePx);
    L.titleLineHeight = titlePx * 1.5;
    L.titleHeight = L.titleLineHeight * L.titleLines.size();

    L.channels = static_cast<int>(r.output.dim(1));
    const double h = static_cast<double>(r.output.dim(2));
    const double w = static_cast<double>(r.output.dim(3));
    // Roughly square grid in pixels: tall maps get more columns, wide maps fewer.
    L.cols = std::clamp(static_cast<int>(std::ceil(std::sqrt(L.channels * h / w))), 1, L.channels);
    L.rows = (L.channels + L.cols - 1) / L.cols;
    L.cellW = (inner - (L.cols - 1) * L.gap) / L.cols;
    L.mapW = L.cellW;
    L.mapH = L.cellW * h / w;
    if (L.mapH > 2 * L.cellW) { // very tall maps: keep the sheet from becoming a ribbon
        L.mapH = 2 * L.cellW;
        L.mapW = L.mapH * w / h;
    }
    // Labels scale with the maps but never outgrow the title text.
    const double labelPx = std::clamp(L.cellW / 9.0, std::min(7.0, titlePx), titlePx);
    L.labelFont = pixelFont(labelPx);
    L.smallFont = pixelFont(labelPx * 0.8);
    const bool perMap = !isGlobal(r.view.rangeMode);
    L.labelH = labelPx * 1.5 + (perMap ? labelPx * 1.2 : 0.0);
    L.rowH = L.mapH + L.labelH + L.gap * 0.5;
    L.gridTop = L.margin + L.titleHeight + L.gap;
    L.barTop = L.gridTop + L.rows * L.rowH + L.gap;
    L.barH = std::clamp(width / 45.0, 8.0, 40.0);
    L.tickH = titlePx * 1.8;
    L.height = std::ceil(L.barTop + L.barH + L.tickH + L.titleLineHeight + L.margin);
    return L;
}

// "Nice" tick values (1, 2, 5 x 10^k steps) inside [lo, hi].
std::vector<double> niceTicks(double lo, double hi)
{
    const double span = hi - lo;
    if (!(span > 0) || !std::isfinite(span))
        return {lo};
    const double raw = span / 4.0;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double norm = raw / mag;
    const double step = (norm < 1.5 ? 1.0 : norm < 3.0 ? 2.0 : norm < 7.0 ? 5.0 : 10.0) * mag;
    std::vector<double> ticks;
    for (double v = std::ceil(lo / step) * step; v <= hi + span * 1e-9; v += step)
        ticks.push_back(std::fabs(v) < step * 1e-6 ? 0.0 : v);
    return ticks;
}

QString number(double v)
{
    return QString::number(v, 'g', 4);
}

} // namespace

QSizeF contactSheetSize(const ExportRequest &r, int width)
{
    const SheetLayout L = layoutSheet(r, width);
    return {L.width, L.height};
}

void paintContactSheet(QPainter &p, const ExportRequest &r, int width)
{
    const SheetLayout L = layoutSheet(r, width);
    p.save();
    p.fillRect(QRectF(0, 0, L.width, L.height), Qt::white);
    p.setPen(Qt::black);
    // Pixels stay pixels: a 7x7 map scaled up must show its 49 cells, not a blur.
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setRenderHint(QPainter::TextAntialiasing, true);

    double y = L.margin;
    for (qsizetype i = 0; i < L.titleLines.size(); ++i) {
        p.setFont(i == 0 ? L.titleFont : L.textFont);
        p.drawText(QRectF(L.margin, y, L.width - 2 * L.margin, L.titleLineHeight),
                   Qt::AlignLeft | Qt::AlignVCenter, L.titleLines[i]);
        y += L.titleLineHeight;
    }

    const OutputRanges ranges = outputRanges(r.output);
    const bool perMap = !isGlobal(r.view.rangeMode);
    for (int c = 0; c < L.channels; ++c) {
        const int row = c / L.cols;
        const int col = c % L.cols;
        const double x0 = L.margin + col * (L.cellW + L.gap);
        const double y0 = L.gridTop + row * L.rowH;
        const QRectF target(x0 + (L.cellW - L.mapW) / 2, y0, L.mapW, L.mapH);
        p.drawImage(target, renderChannel(r.output, 0, c, r.view, ranges));
        p.setPen(QPen(QColor(160, 160, 160), 0));
        p.drawRect(target);
        p.setPen(Qt::black);
        p.setFont(L.labelFont);
        const double labelPx = L.labelFont.pixelSize();
        p.drawText(QRectF(x0, y0 + L.mapH, L.cellW, labelPx * 1.5), Qt::AlignCenter,
                   QStringLiteral("out[%1]").arg(c));
        if (perMap) {
            const ValueRange cr =
                colourRange(r.view.rangeMode, r.view.gradient, ranges.of(0, c), ranges.all);
            p.setFont(L.smallFont);
            p.drawText(QRectF(x0, y0 + L.mapH + labelPx * 1.4, L.cellW, labelPx * 1.2),
                       Qt::AlignCenter,
                       QStringLiteral("[%1, %2]").arg(number(cr.lo), number(cr.hi)));
        }
    }

    // Colour bar: the gradient's 256 entries as one strip, ticks in data units (global
    // ranges) or relative to each map's own range (per-map ranges).
    const double barW = L.width - 2 * L.margin;
    QImage strip(256, 1, QImage::Format_ARGB32);
    const Lut &table = lut(r.view.gradient);
    for (int i = 0; i < 256; ++i)
        strip.setPixel(i, 0, table[static_cast<std::size_t>(i)]);
    const QRectF bar(L.margin, L.barTop, barW, L.barH);
    p.drawImage(bar, strip);
    p.setPen(QPen(Qt::black, 0));
    p.drawRect(bar);
    p.setFont(L.textFont);
    const auto tick = [&](double t, const QString &text) {
        const double x = L.margin + t * barW;
        p.drawLine(QPointF(x, L.barTop + L.barH), QPointF(x, L.barTop + L.barH + L.barH * 0.35));
        const double tw = QFontMetricsF(L.textFont).horizontalAdvance(text) + 4;
        const double left = std::clamp(x - tw / 2, L.margin - 2, L.width - L.margin - tw + 2);
        p.drawText(QRectF(left, L.barTop + L.barH * 1.35, tw, L.tickH),
                   Qt::AlignHCenter | Qt::AlignTop, text);
    };
    QString caption;
    if (!perMap) {
        const ValueRange cr =
            colourRange(r.view.rangeMode, r.view.gradient, ranges.all, ranges.all);
        const double span = static_cast<double>(cr.hi) - cr.lo;
        for (double v : niceTicks(cr.lo, cr.hi))
            tick(span > 0 ? (v - cr.lo) / span : 0.5, number(v));
        caption =
            QStringLiteral("colour scale shared by all maps: [%1, %2]; output values in [%3, %4]")
                .arg(number(cr.lo), number(cr.hi), number(ranges.all.lo), number(ranges.all.hi));
    } else if (r.view.gradient == Gradient::Diverging) {
        tick(0.0, QStringLiteral("\u2212max|v|"));
        tick(0.5, QStringLiteral("0"));
        tick(1.0, QStringLiteral("+max|v|"));
        caption = QStringLiteral("each map has its own symmetric scale (shown under it)");
    } else {
        tick(0.0, QStringLiteral("map min"));
        tick(1.0, QStringLiteral("map max"));
        caption = QStringLiteral("each map has its own scale (shown under it)");
    }
    p.setFont(L.smallFont);
    p.drawText(QRectF(L.margin, L.barTop + L.barH + L.tickH, barW, L.titleLineHeight),
               Qt::AlignLeft | Qt::AlignVCenter, caption);
    p.restore();
}

QImage renderContactSheet(const ExportRequest &r, int width)
{
    const QSizeF size = contactSheetSize(r, width);
    QImage image(size.toSize(), QImage::Format_ARGB32);
    image.fill(Qt::white);
    QPainter p(&image);
    paintContactSheet(p, r, width);
    p.end();
    return image;
}

QByteArray contactSheetPdf(const ExportRequest &r, int width)
{
    const QSizeF size = contactSheetSize(r, width);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    {
        QPdfWriter pdf(&buffer);
        const int dpi = 150;
        pdf.setResolution(dpi);
        pdf.setCreator(QStringLiteral("convscope " CONVSCOPE_VERSION));
        pdf.setTitle(QString::fromStdString(
            r.network.empty() ? std::string() : core::torchRepr(r.network.layers.front())));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf.setPageSize(QPageSize(QSizeF(size.width() / dpi, size.height() / dpi), QPageSize::Inch,
                                  QString(), QPageSize::ExactMatch));
        QPainter p(&pdf);
        // The page is the sheet's size up to rounding to points; scale to fit exactly.
        p.scale(pdf.width() / size.width(), pdf.height() / size.height());
        paintContactSheet(p, r, width);
        p.end();
    }
    return bytes;
}

QByteArray contactSheetSvg([[maybe_unused]] const ExportRequest &r, [[maybe_unused]] int width)
{
#ifdef CONVSCOPE_HAVE_SVG
    const QSizeF size = contactSheetSize(r, width);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator svg;
    svg.setOutputDevice(&buffer);
    svg.setSize(size.toSize());
    svg.setViewBox(QRectF(QPointF(0, 0), size));
    svg.setTitle(QStringLiteral("convscope contact sheet"));
    QPainter p(&svg);
    paintContactSheet(p, r, width);
    p.end();
    return bytes;
#else
    return {};
#endif
}

} // namespace convscope::ui
