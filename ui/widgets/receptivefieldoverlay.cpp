// SPDX-License-Identifier: GPL-3.0-or-later
#include "receptivefieldoverlay.h"

#include <QCoreApplication>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace convscope::ui {

namespace {

// One palette for every view, chosen to stay apart from the diverging map colours and the
// input view's orange padding band: yellow box, cyan taps, green sources, magenta
// projective field.
const QColor kBox(255, 214, 0);
const QColor kTap(0, 229, 255);
const QColor kPadTap(255, 140, 0);
const QColor kSource(40, 200, 90);
const QColor kProjective(230, 40, 200);
const QColor kUnreached(220, 30, 30);

QString tr(const char *text)
{
    return QCoreApplication::translate("convscope::ui::ReceptiveFieldOverlay", text);
}

} // namespace

std::vector<std::pair<std::int64_t, std::int64_t>> runsOf(const std::vector<std::int64_t> &v)
{
    std::vector<std::pair<std::int64_t, std::int64_t>> runs;
    for (std::int64_t i : v) {
        if (!runs.empty() && runs.back().second + 1 == i)
            runs.back().second = i;
        else
            runs.emplace_back(i, i);
    }
    return runs;
}

ReceptiveFieldOverlay ReceptiveFieldOverlay::forOutput(const core::LayerStack &stack,
                                                       core::PlaneSize input, std::size_t layer,
                                                       std::int64_t channel, std::int64_t y,
                                                       std::int64_t x)
{
    ReceptiveFieldOverlay o;
    // reachedInputs validates the stack and the position (throws), so the table and the
    // taps below are only computed for positions that exist.
    o.m_reach = core::reachedInputs(stack, input, layer, y, x);
    const auto table = core::receptiveFields(stack, input);
    o.m_box = core::inputBox(table.at(layer), y, x);
    o.m_layer = layer;
    o.m_channel = channel;
    o.m_y = y;
    o.m_x = x;
    o.m_input = input;
    o.m_mode = stack.front().paddingMode;
    const core::Conv2dParams &p = stack.at(layer);
    if (channel < 0 || channel >= p.outChannels)
        throw std::out_of_range("output channel out of range");
    o.m_channels = core::inputChannelsOf(p, channel);
    if (layer == 0)
        o.m_taps = core::layerTaps(stack.front(), input, y, x);
    o.m_valid = true;
    return o;
}

ReceptiveFieldOverlay ReceptiveFieldOverlay::forInputPixel(core::PlaneSize input, std::int64_t y,
                                                           std::int64_t x)
{
    ReceptiveFieldOverlay o;
    o.m_valid = true;
    o.m_pixelOnly = true;
    o.m_input = input;
    o.m_y = y;
    o.m_x = x;
    o.m_box = {y, x, y, x};
    return o;
}

std::int64_t ReceptiveFieldOverlay::tapCount() const
{
    return static_cast<std::int64_t>(tapRows().size() * tapCols().size());
}

std::int64_t ReceptiveFieldOverlay::tapsInPadding() const
{
    auto inside = [](const std::vector<std::int64_t> &v, std::int64_t size) {
        return static_cast<std::int64_t>(
            std::count_if(v.begin(), v.end(), [size](auto i) { return i >= 0 && i < size; }));
    };
    return tapCount() - inside(tapRows(), m_input.h) * inside(tapCols(), m_input.w);
}

std::int64_t ReceptiveFieldOverlay::sourceCount() const
{
    return static_cast<std::int64_t>(sourceRows().size() * sourceCols().size());
}

QRectF ReceptiveFieldOverlay::extent() const
{
    if (!m_valid)
        return {};
    QRectF r(QPointF(double(m_box.left), double(m_box.top)),
             QPointF(double(m_box.right + 1), double(m_box.bottom + 1)));
    if (m_pixelOnly)
        return r;
    if (!tapRows().empty() && !tapCols().empty())
        r = r.united(QRectF(QPointF(double(tapCols().front()), double(tapRows().front())),
                            QPointF(double(tapCols().back() + 1), double(tapRows().back() + 1))));
    if (!sourceRows().empty() && !sourceCols().empty())
        r = r.united(
            QRectF(QPointF(double(sourceCols().front()), double(sourceRows().front())),
                   QPointF(double(sourceCols().back() + 1), double(sourceRows().back() + 1))));
    return r;
}

QString ReceptiveFieldOverlay::summary() const
{
    if (!m_valid)
        return {};
    if (m_pixelOnly)
        return tr("in[:, %1, %2]: every output that depends on this pixel is highlighted in "
                  "the maps")
            .arg(m_y)
            .arg(m_x);
    QString channels =
        m_channels.count == 1
            ? tr("in[%1]").arg(m_channels.first)
            : tr("in[%1–%2]").arg(m_channels.first).arg(m_channels.first + m_channels.count - 1);
    return tr("out[%1, %2, %3] of layer %4 ← %5 · box rows %6..%7, cols %8..%9 (%10 × %11) · "
              "%12 taps (%13 in padding) · depends on %14 pixels")
        .arg(m_channel)
        .arg(m_y)
        .arg(m_x)
        .arg(m_layer + 1)
        .arg(channels)
        .arg(m_box.top)
        .arg(m_box.bottom)
        .arg(m_box.left)
        .arg(m_box.right)
        .arg(m_box.height())
        .arg(m_box.width())
        .arg(tapCount())
        .arg(tapsInPadding())
        .arg(sourceCount());
}

void ReceptiveFieldOverlay::paint(QPainter &painter, const QRectF &image, double scale) const
{
    if (!m_valid)
        return;
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing, true);
    auto at = [&](double col, double row) {
        return QPointF(image.x() + col * scale, image.y() + row * scale);
    };
    auto cells = [&](std::int64_t r0, std::int64_t c0, std::int64_t r1, std::int64_t c1) {
        return QRectF(at(double(c0), double(r0)), at(double(c1 + 1), double(r1 + 1)));
    };

    if (m_pixelOnly) {
        // A marker that stays visible when a pixel is smaller than a screen pixel.
        QRectF cell = cells(m_y, m_x, m_y, m_x);
        const double grow = std::max(0.0, (9.0 - cell.width()) / 2.0);
        cell.adjust(-grow, -grow, grow, grow);
        painter.setBrush(Qt::NoBrush);
        painter.setPen(QPen(Qt::black, 4));
        painter.drawRect(cell);
        painter.setPen(QPen(kProjective, 2));
        painter.drawRect(cell);
        painter.restore();
        return;
    }

    // 1. The pixels the value really depends on.
    QColor fill = kSource;
    fill.setAlpha(95);
    painter.setPen(Qt::NoPen);
    const auto srcRows = runsOf(sourceRows());
    const auto srcCols = runsOf(sourceCols());
    for (const auto &[r0, r1] : srcRows)
        for (const auto &[c0, c1] : srcCols)
            painter.fillRect(cells(r0, c0, r1, c1), fill);
    painter.setPen(QPen(kSource, std::clamp(scale * 0.12, 1.0, 2.0)));
    painter.setBrush(Qt::NoBrush);
    for (const auto &[r0, r1] : srcRows)
        for (const auto &[c0, c1] : srcCols)
            painter.drawRect(cells(r0, c0, r1, c1));

    // 2. The geometric box: a dark under-stroke keeps the dashes visible on light images.
    const QRectF box = cells(m_box.top, m_box.left, m_box.bottom, m_box.right);
    painter.setPen(QPen(QColor(0, 0, 0, 170), 4.0));
    painter.drawRect(box);
    QPen dash(kBox, 2.5, Qt::DashLine);
    painter.setPen(dash);
    painter.drawRect(box);

    // 3. Arrows from each padded tap to the pixel it copies (one layer, few taps: readable).
    const double r = std::clamp(scale * 0.3, 1.6, 9.0);
    auto centre = [&](std::int64_t row, std::int64_t col) {
        return at(double(col) + 0.5, double(row) + 0.5);
    };
    const auto padTaps =
        std::count_if(m_taps.begin(), m_taps.end(), [](const core::Tap &t) { return t.inPadding; });
    if (m_mode != core::PaddingMode::Zeros && padTaps > 0 && padTaps <= 64) {
        painter.setPen(QPen(kPadTap, 1.5));
        for (const core::Tap &t : m_taps) {
            if (!t.inPadding || t.readsZero())
                continue;
            const QPointF a = centre(t.py, t.px), b = centre(t.sy, t.sx);
            const QLineF line(a, b);
            if (line.length() < 2 * r)
                continue;
            painter.drawLine(line);
            // A small head so the direction (padding copies FROM the source) is clear.
            QLineF head(b, a);
            head.setLength(std::max(6.0, r * 1.6));
            for (double angle : {25.0, -25.0}) {
                QLineF h = head;
                h.setAngle(head.angle() + angle);
                painter.drawLine(h);
            }
        }
    }

    // 4. The taps: filled on the image, hollow rings in the padding.
    const bool dense = tapCount() > 20000; // thousands of rings would be a grey smear
    for (std::int64_t row : tapRows())
        for (std::int64_t col : tapCols()) {
            const bool pad = row < 0 || col < 0 || row >= m_input.h || col >= m_input.w;
            const QPointF c = centre(row, col);
            if (dense) {
                painter.setPen(QPen(pad ? kPadTap : kTap, 1.0));
                painter.drawPoint(c);
                continue;
            }
            painter.setPen(QPen(QColor(0, 0, 0, 200), 1.0));
            painter.setBrush(pad ? QBrush(Qt::NoBrush) : QBrush(kTap));
            painter.drawEllipse(c, r, r);
            if (pad) {
                painter.setPen(QPen(kPadTap, std::max(1.5, r * 0.35)));
                painter.drawEllipse(c, r * 0.8, r * 0.8);
            }
        }
    painter.restore();
}

void ReceptiveFieldOverlay::paintLegend(QPainter &painter, const QRectF &line, bool field,
                                        bool unreached)
{
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing, true);
    const QFontMetricsF fm(painter.font());
    const double s = std::min(line.height() - 2, fm.height() * 0.8); // symbol size
    double x = line.left();
    const double cy = line.center().y();
    auto item = [&](const QString &label, auto &&symbol) {
        const double w = s + 4 + fm.horizontalAdvance(label) + 14;
        if (x + w - 14 > line.right())
            return;
        symbol(QRectF(x, cy - s / 2, s, s));
        painter.setPen(painter.pen().color());
        painter.drawText(QRectF(x + s + 4, line.top(), w, line.height()), Qt::AlignVCenter, label);
        x += w;
    };
    const QColor text = painter.pen().color();
    auto restorePen = [&] {
        painter.setPen(QPen(text));
        painter.setBrush(Qt::NoBrush);
    };
    if (field) {
        item(tr("box"), [&](const QRectF &r) {
            painter.setPen(QPen(QColor(0, 0, 0, 170), 3));
            painter.drawRect(r);
            painter.setPen(QPen(kBox, 2, Qt::DashLine));
            painter.drawRect(r);
            restorePen();
        });
        item(tr("tap"), [&](const QRectF &r) {
            painter.setPen(QPen(Qt::black, 1));
            painter.setBrush(kTap);
            painter.drawEllipse(r.center(), s * 0.35, s * 0.35);
            restorePen();
        });
        item(tr("tap in padding"), [&](const QRectF &r) {
            painter.setPen(QPen(kPadTap, 2));
            painter.drawEllipse(r.center(), s * 0.32, s * 0.32);
            restorePen();
        });
        item(tr("depends on"), [&](const QRectF &r) {
            QColor fill = kSource;
            fill.setAlpha(140);
            painter.fillRect(r, fill);
            painter.setPen(QPen(kSource, 1.5));
            painter.drawRect(r);
            restorePen();
        });
    }
    if (unreached)
        item(tr("never reached"), [&](const QRectF &r) {
            painter.fillRect(r, QBrush(kUnreached, Qt::DiagCrossPattern));
            painter.setPen(QPen(kUnreached, 1.5));
            painter.drawRect(r);
            restorePen();
        });
    painter.restore();
}

UnreachedBands UnreachedBands::of(const core::LayerField &first)
{
    UnreachedBands b;
    b.rows = first.h.unreached;
    b.cols = first.w.unreached;
    b.firstRow = first.h.inSize + first.h.padAfter - first.h.unreached;
    b.firstCol = first.w.inSize + first.w.padAfter - first.w.unreached;
    return b;
}

void UnreachedBands::paint(QPainter &painter, const QRectF &image, double scale,
                           const QRectF &padded) const
{
    if (isEmpty())
        return;
    painter.save();
    QColor tint = kUnreached;
    tint.setAlpha(70);
    const QBrush hatch(kUnreached, Qt::DiagCrossPattern);
    auto band = [&](const QRectF &rect) {
        painter.fillRect(rect, tint);
        painter.fillRect(rect, hatch);
        painter.setPen(QPen(kUnreached, 2));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(rect);
    };
    if (rows > 0)
        band(QRectF(QPointF(padded.left(), image.y() + double(firstRow) * scale),
                    QPointF(padded.right(), image.y() + double(firstRow + rows) * scale)));
    if (cols > 0)
        band(QRectF(QPointF(image.x() + double(firstCol) * scale, padded.top()),
                    QPointF(image.x() + double(firstCol + cols) * scale, padded.bottom())));
    painter.restore();
}

QString unreachedExplanation(const core::Conv2dParams &p, core::PlaneSize input)
{
    if (core::validateStack({p}, input))
        return {};
    const core::LayerField f = core::receptiveFields({p}, input).front();
    auto axis = [](const core::AxisField &a, const QString &what, const QString &outName) {
        const std::int64_t first = -a.padBefore;
        const std::int64_t lastCovered = first + (a.outSize - 1) * a.stride + a.kernelEff - 1;
        if (a.unreached == 0)
            return tr("%1 = %2: the %3 windows (k_eff %4, stride %5) end exactly on the last "
                      "padded %6.")
                .arg(outName)
                .arg(a.outSize)
                .arg(a.outSize)
                .arg(a.kernelEff)
                .arg(a.stride)
                .arg(what);
        const QString left = a.unreached == 1
                                 ? tr("%1 %2 is left over").arg(what).arg(lastCovered + 1)
                                 : tr("%1 %2s %3…%4 are left over")
                                       .arg(a.unreached)
                                       .arg(what)
                                       .arg(lastCovered + 1)
                                       .arg(a.inSize + a.padAfter - 1);
        return tr("<b>Why %1 = %2 and not %3?</b> %2 windows (k_eff %4, stride %5) cover padded "
                  "%6s %7…%8; %9, too few for another window, so the floor drops the remainder. "
                  "Hatched red in the Input view.")
            .arg(outName)
            .arg(a.outSize)
            .arg(a.outSize + 1)
            .arg(a.kernelEff)
            .arg(a.stride)
            .arg(what)
            .arg(first)
            .arg(lastCovered)
            .arg(left);
    };
    return axis(f.h, tr("row"), QStringLiteral("H_out")) + QStringLiteral("<br>")
           + axis(f.w, tr("column"), QStringLiteral("W_out"));
}

bool MapHighlight::contains(std::int64_t row, std::int64_t col) const
{
    return std::binary_search(rows.begin(), rows.end(), row)
           && std::binary_search(cols.begin(), cols.end(), col);
}

MapHighlight MapHighlight::projective(const core::LayerStack &stack, core::PlaneSize input,
                                      std::size_t layer, std::int64_t y, std::int64_t x)
{
    MapHighlight h;
    auto field = core::projectiveField(stack, input, y, x);
    h.rows = std::move(field.at(layer).rows);
    h.cols = std::move(field.at(layer).cols);
    return h;
}

void MapHighlight::paintRuns(QPainter &painter, const std::vector<QRectF> &runs,
                             const QRectF &selected, bool hasSelected) const
{
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing, false);
    QColor fill = kProjective;
    fill.setAlpha(110);
    for (const QRectF &r : runs)
        painter.fillRect(r, fill);
    painter.setPen(QPen(kProjective, 1.5));
    painter.setBrush(Qt::NoBrush);
    for (const QRectF &r : runs)
        painter.drawRect(r);
    if (hasSelected) {
        // At least a few screen pixels, so a single output of a large map stays visible.
        QRectF s = selected;
        const double grow = std::max(0.0, (7.0 - s.width()) / 2.0);
        s.adjust(-grow, -grow, grow, grow);
        painter.setPen(QPen(Qt::black, 4));
        painter.drawRect(s);
        painter.setPen(QPen(kBox, 2));
        painter.drawRect(s);
    }
    painter.restore();
}

} // namespace convscope::ui
