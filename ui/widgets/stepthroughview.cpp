// SPDX-License-Identifier: GPL-3.0-or-later
#include "stepthroughview.h"

#include "padding.h"
#include "shape.h"

#include <QMouseEvent>
#include <QPaintEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace convscope::ui {

namespace {

constexpr int kMargin = 12;
constexpr int kMaxShownChannels = 3;
// Below this a cell cannot hold a legible number (the font stops at 7 px): it is drawn as a
// coloured square only, which also keeps a grid of thousands of cells quick to paint.
constexpr int kMinNumberCell = 10;

// Writes `text` centred in `r`, shrinking the font until it fits the width.
void drawFitted(QPainter &p, const QRectF &r, const QString &text, QFont font)
{
    int px = font.pixelSize();
    QFontMetricsF fm(font);
    while (px > 7 && fm.horizontalAdvance(text) > r.width() * 0.92) {
        font.setPixelSize(--px);
        fm = QFontMetricsF(font);
    }
    p.setFont(font);
    p.drawText(r, Qt::AlignCenter, text);
}

// The cells [first, last) of a row or column of `count` cells, `cell` px each from
// `origin`, that meet the pixels [lo, hi]: a grid far larger than the canvas costs only what
// is on screen to paint.
std::pair<std::int64_t, std::int64_t> visibleCells(int origin, int cell, std::int64_t count, int lo,
                                                   int hi)
{
    if (cell <= 0 || count <= 0 || hi < lo)
        return {0, 0};
    const std::int64_t first = std::clamp<std::int64_t>((lo - origin) / cell, 0, count);
    const std::int64_t last = std::clamp<std::int64_t>((hi - origin) / cell + 1, 0, count);
    return {first, std::max(first, last)};
}

} // namespace

StepThroughView::StepThroughView(QWidget *parent) : QWidget(parent)
{
    setMouseTracking(false);
    setFocusPolicy(Qt::ClickFocus);
    setAccessibleName(tr("Step-through grid"));
    // Okabe-Ito colours: distinguishable with every common colour-vision deficiency.
    m_normal = {QColor(0xff, 0xff, 0xff), QColor(0x20, 0x20, 0x20), QColor(0x70, 0x70, 0x70),
                QColor(0xa0, 0xa0, 0xa0), QColor(0xe9, 0xe9, 0xe9), QColor(0x68, 0x68, 0x68),
                QColor(0xfb, 0xe3, 0xb0), QColor(0xe6, 0x9f, 0x00), QColor(0xbf, 0xe0, 0xf5),
                QColor(0x00, 0x72, 0xb2), QColor(0xea, 0xf4, 0xfb), QColor(0xcc, 0x79, 0xa7),
                QColor(0x00, 0x9e, 0x73), QColor(0xcc, 0x79, 0xa7), QColor(0xfb, 0xe3, 0xb0)};
    m_contrast = {QColor(0xff, 0xff, 0xff), QColor(0x00, 0x00, 0x00), QColor(0x30, 0x30, 0x30),
                  QColor(0x00, 0x00, 0x00), QColor(0xd0, 0xd0, 0xd0), QColor(0x20, 0x20, 0x20),
                  QColor(0xf7, 0xc9, 0x6a), QColor(0xd5, 0x5e, 0x00), QColor(0x8c, 0xc8, 0xee),
                  QColor(0x00, 0x4c, 0x80), QColor(0xdc, 0xee, 0xfa), QColor(0xa0, 0x40, 0x80),
                  QColor(0x00, 0x7a, 0x58), QColor(0xa0, 0x40, 0x80), QColor(0xf7, 0xc9, 0x6a)};
}

void StepThroughView::setStepper(std::shared_ptr<const core::Stepper> stepper)
{
    m_stepper = std::move(stepper);
    m_selection.clear();
    m_revealed.clear();
    m_question.reset();
    m_integerInput = true;
    if (m_stepper)
        for (float v : m_stepper->input().data)
            if (v != std::floor(v)) {
                m_integerInput = false;
                break;
            }
    refresh();
}

void StepThroughView::refresh()
{
    m_frame.reset();
    if (m_stepper && m_stepper->count() > 0)
        m_frame = m_stepper->frame();
    const std::optional<int> agreeing =
        m_frame ? core::agreeingDecimals(m_frame->explanation) : std::optional<int>(2);
    m_agree = m_exact || agreeing.has_value();
    m_decimals = m_exact ? std::nullopt : std::optional<int>(agreeing.value_or(3));
    relayout();
    update();
}

QString StepThroughView::formatValue(double v, std::optional<int> decimals)
{
    if (std::abs(v - std::round(v)) < 1e-9 && std::abs(v) < 1e7)
        return QString::number(static_cast<long long>(std::round(v)));
    if (!decimals)
        return QString::number(v, 'g', 9); // a float's every digit
    // Tiny values keep one significant digit: "-0.00" would read as a wrong sign of zero.
    if (std::abs(v) < 0.5 * std::pow(10.0, -*decimals))
        return QString::number(v, 'g', 1);
    QString text = QString::number(v, 'f', std::max(0, *decimals));
    if (text.contains(QLatin1Char('.'))) { // 0.50 is 0.5
        while (text.endsWith(QLatin1Char('0')))
            text.chop(1);
        if (text.endsWith(QLatin1Char('.')))
            text.chop(1);
    }
    return text;
}

void StepThroughView::setExact(bool on)
{
    if (on == m_exact)
        return;
    m_exact = on;
    refresh();
}

QString StepThroughView::displayedSum() const
{
    return m_frame ? formatted(m_frame->sum()) : QString();
}

void StepThroughView::setAnswerHidden(bool hidden)
{
    m_answerHidden = hidden;
    relayout(); // the hidden arithmetic's room goes to the grids
    update();
}

void StepThroughView::setSelection(const std::vector<core::Pixel> &pixels)
{
    m_selection = pixels;
    update();
}

void StepThroughView::setRevealed(const std::vector<core::Pixel> &pixels)
{
    m_revealed = pixels;
    update();
}

void StepThroughView::setQuestionMarker(std::optional<core::Pixel> padded)
{
    m_question = padded;
    relayout(); // a hypothetical padding may be wider than the layer's
    update();
}

void StepThroughView::setPresentation(bool on)
{
    m_presentation = on;
    relayout();
    update();
}

void StepThroughView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    relayout();
}

QFont StepThroughView::numberFont(int cell, bool bold) const
{
    QFont f = font();
    f.setPixelSize(std::max(8, static_cast<int>(cell * (m_integerInput ? 0.46 : 0.34))));
    f.setBold(bold || m_presentation);
    return f;
}

QFont StepThroughView::textFont(double scale, bool bold) const
{
    QFont f = font();
    f.setPixelSize(std::max(9, static_cast<int>(m_textPx * scale)));
    f.setBold(bold || m_presentation);
    return f;
}

void StepThroughView::relayout()
{
    m_grids.clear();
    m_hiddenChannels = 0;
    m_outputRect = {};
    // Text scales with the canvas, not the system font: the canvas is what the class reads.
    m_textPx = std::clamp(std::min(height() / 30, width() / 55), m_presentation ? 15 : 11,
                          m_presentation ? 30 : 18);
    if (!m_frame || !m_stepper)
        return;
    const core::Conv2dParams &params = m_stepper->params();
    const core::SidePadding pad = core::effectivePadding(params);
    const std::int64_t H = m_stepper->input().dim(2), W = m_stepper->input().dim(3);
    // A padded-value question may ask about a padding the layer does not have: widen the
    // drawn border to include the asked position.
    std::int64_t top = pad.top, bottom = pad.bottom, left = pad.left, right = pad.right;
    if (m_question) {
        top = std::max<std::int64_t>(top, -m_question->y);
        left = std::max<std::int64_t>(left, -m_question->x);
        bottom = std::max<std::int64_t>(bottom, m_question->y - H + 1);
        right = std::max<std::int64_t>(right, m_question->x - W + 1);
    }
    const std::int64_t rows = H + top + bottom, cols = W + left + right;
    const std::int64_t Ho = m_stepper->outHeight(), Wo = m_stepper->outWidth();

    const int lineH = static_cast<int>(m_textPx * 1.7);
    m_titleRect =
        QRect(kMargin, kMargin / 2, width() - 2 * kMargin, static_cast<int>(lineH * 1.15));
    int y = m_titleRect.bottom() + 4;
    const bool strip = m_stepper->input().dim(1) > 1;
    m_stripRect = strip ? QRect(kMargin, y, width() - 2 * kMargin, lineH) : QRect();
    if (strip)
        y = m_stripRect.bottom() + 6;
    const int available = height() - y - kMargin / 2;
    // The arithmetic gets what its rows need (kernel-sized grids of readable cells plus the
    // total line), at most 45%; the grids get the rest.
    const std::size_t channels = m_frame->explanation.channels.size();
    const int mathRows = static_cast<int>(std::min<std::size_t>(channels, 3));
    const int kH = static_cast<int>(m_stepper->weight().dim(2));
    const int target = std::clamp(m_textPx * 2, 22, 56);
    int mathH = mathRows * (kH * target + 10) + 2 * lineH + (channels > 3 ? lineH : 0);
    const int fullW = width() - 2 * kMargin;

    const int labelH = 2 * static_cast<int>(m_textPx * 1.25) + 4;
    const int gridGap = std::max(20, m_textPx * 2), outGap = std::max(44, m_textPx * 4);
    // The largest cell for the grids in a w x h area, showing `shown` channels.
    auto cellFor = [&](double w, double h, std::int64_t shown) {
        const double byW =
            (w - (shown - 1) * gridGap - outGap) / static_cast<double>(shown * cols + Wo);
        const double byH = (h - labelH - 6) / static_cast<double>(std::max(rows, Ho));
        return static_cast<int>(std::min({byW, byH, m_presentation ? 96.0 : 72.0}));
    };
    // Two arrangements: the arithmetic below the grids, or (on a wide canvas) beside them.
    // Whichever draws the input's numbers larger wins.
    const int kW = static_cast<int>(m_stepper->weight().dim(3));
    const int besideW = std::min(fullW / 2, 3 * kW * target + 12 * m_textPx);
    std::int64_t shown = std::min<std::int64_t>(m_frame->inputChannelCount, kMaxShownChannels);
    int cell = 0;
    bool beside = false;
    for (;; --shown) {
        const int belowH = m_answerHidden ? 0 : std::min(mathH, static_cast<int>(available * 0.45));
        const int below = cellFor(fullW, available - belowH, shown);
        const int side = m_answerHidden ? 0 : cellFor(fullW - besideW - 16, available, shown);
        beside = side > below;
        cell = std::max(below, side);
        if (cell >= 22 || shown == 1)
            break;
    }
    cell = std::max(cell, 6);
    m_hiddenChannels = m_frame->inputChannelCount - shown;
    const int gridsH = static_cast<int>(std::max(rows, Ho) * cell);
    const int areaW = beside ? fullW - besideW - 16 : fullW;
    if (m_answerHidden) {
        mathH = 0;
        m_mathRect = QRect();
        y += std::max(0, (available - labelH - gridsH) / 2);
    } else if (beside) {
        // Placed after the grids (below), with all the width they leave.
        const int big = m_presentation ? 60 : 44;
        mathH = std::min(available,
                         mathRows * (kH * big + 10) + 2 * lineH + (channels > 3 ? lineH : 0));
        m_mathRect = QRect(0, y + std::max(0, (available - mathH) / 2), 0, mathH);
        y += std::max(0, (available - labelH - gridsH) / 2);
    } else {
        mathH = std::min(mathH, static_cast<int>(available * 0.45));
        // Grids and arithmetic as one block, centred vertically in the room there is.
        const int gap = 12 + (m_hiddenChannels > 0 ? 2 * m_textPx : 0); // room for the note
        const int blockH = labelH + gridsH + gap + mathH;
        y += std::max(0, (available - blockH) / 2);
        m_mathRect = QRect(kMargin, y + labelH + gridsH + gap, fullW, mathH - 4);
    }
    const int totalW =
        static_cast<int>(shown * cols * cell + (shown - 1) * gridGap + outGap + Wo * cell);
    int x = kMargin + (beside ? 0 : std::max(0, (areaW - totalW) / 2));
    const int gridTop = y + labelH;
    for (std::int64_t i = 0; i < shown; ++i) {
        InputGrid g;
        g.channel = m_frame->firstInputChannel + i;
        g.cell = cell;
        g.rowFirst = -top;
        g.colFirst = -left;
        g.rows = rows;
        g.cols = cols;
        g.rect = QRect(x, gridTop, static_cast<int>(cols * cell), static_cast<int>(rows * cell));
        m_grids.push_back(g);
        x += static_cast<int>(cols * cell) + gridGap;
    }
    x += outGap - gridGap;
    m_outputCell = cell;
    m_outputRect = QRect(x, gridTop, static_cast<int>(Wo * cell), static_cast<int>(Ho * cell));
    if (beside) {
        const int left = m_outputRect.right() + outGap / 2;
        m_mathRect.setLeft(left);
        m_mathRect.setRight(width() - kMargin);
    }
}

// Two label lines above a grid, elided to the room the grid has.
void StepThroughView::paintLabel(QPainter &p, const QRect &grid, int room, const QString &first,
                                 const QString &second)
{
    const QFont a = textFont(1.0, true), b = textFont(0.9, false);
    const int h1 = static_cast<int>(m_textPx * 1.25);
    const int top = grid.top() - 2 * h1 - 6;
    const int w = std::max(room, grid.width());
    p.setPen(palette().text);
    p.setFont(a);
    p.drawText(QRect(grid.left(), top, w, h1), Qt::AlignLeft | Qt::AlignBottom,
               QFontMetrics(a).elidedText(first, Qt::ElideRight, w));
    p.setFont(b);
    p.setPen(palette().faint);
    p.drawText(QRect(grid.left(), top + h1, w, h1), Qt::AlignLeft | Qt::AlignBottom,
               QFontMetrics(b).elidedText(second, Qt::ElideRight, w));
}

QRect StepThroughView::cellRect(std::int64_t channel, std::int64_t y, std::int64_t x) const
{
    for (const InputGrid &g : m_grids) {
        if (g.channel != channel)
            continue;
        const std::int64_t r = y - g.rowFirst, c = x - g.colFirst;
        if (r < 0 || r >= g.rows || c < 0 || c >= g.cols)
            return {};
        return QRect(g.rect.left() + static_cast<int>(c * g.cell),
                     g.rect.top() + static_cast<int>(r * g.cell), g.cell, g.cell);
    }
    return {};
}

void StepThroughView::mousePressEvent(QMouseEvent *event)
{
    if (!m_stepper || event->button() != Qt::LeftButton)
        return QWidget::mousePressEvent(event);
    const QPoint pos = event->position().toPoint();
    const std::int64_t H = m_stepper->input().dim(2), W = m_stepper->input().dim(3);
    for (const InputGrid &g : m_grids) {
        if (!g.rect.contains(pos))
            continue;
        const std::int64_t y = (pos.y() - g.rect.top()) / g.cell + g.rowFirst;
        const std::int64_t x = (pos.x() - g.rect.left()) / g.cell + g.colFirst;
        if (y >= 0 && y < H && x >= 0 && x < W)
            emit pixelClicked(g.channel, y, x);
        return;
    }
}

void StepThroughView::paintEvent(QPaintEvent *event)
{
    m_paintArea = event->rect().intersected(rect());
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, true);
    const Palette &pal = palette();
    p.fillRect(rect(), pal.background);
    if (!m_frame || !m_stepper) {
        p.setPen(pal.faint);
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
                   m_stepper ? tr("The output is empty: nothing to step through.")
                             : tr("No step-through yet: choose a configuration Conv2d accepts."));
        return;
    }
    const core::OutputPosition &at = m_frame->position;
    QFont title = textFont(1.3, true);
    p.setFont(title);
    p.setPen(pal.text);
    const QString where = m_answerHidden
                              ? tr("Predict first: the answer is hidden until you reveal it")
                              : tr("out[%1, %2, %3, %4]  ·  step %5 of %6")
                                    .arg(at.n)
                                    .arg(at.o)
                                    .arg(at.y)
                                    .arg(at.x)
                                    .arg(m_frame->index + 1)
                                    .arg(m_stepper->count());
    p.drawText(m_titleRect, Qt::AlignLeft | Qt::AlignVCenter,
               QFontMetrics(title).elidedText(where, Qt::ElideRight, m_titleRect.width()));

    if (!m_stripRect.isNull())
        paintChannelStrip(p);
    for (const InputGrid &g : m_grids)
        paintInputGrid(p, g);
    if (m_hiddenChannels > 0 && !m_grids.empty()) {
        // No room for every channel of the group: say so under the last grid drawn (the
        // arithmetic below still lists every channel's sum).
        const QRect last = m_grids.back().rect;
        p.setFont(textFont(0.9, false));
        p.setPen(palette().faint);
        p.drawText(QRect(last.left(), last.bottom() + 4, last.width() + 200, m_textPx * 2),
                   Qt::AlignLeft | Qt::AlignTop,
                   tr("+ %n more input channel(s) not drawn", nullptr,
                      static_cast<int>(m_hiddenChannels)));
    }
    paintOutputGrid(p);
    if (!m_answerHidden)
        paintMath(p);
}

void StepThroughView::paintChannelStrip(QPainter &p)
{
    const Palette &pal = palette();
    const std::int64_t C = m_stepper->input().dim(1);
    const std::int64_t first = m_frame->firstInputChannel, count = m_frame->inputChannelCount;
    const int h = m_stripRect.height() - 6;
    const QFont f = textFont(1.0, false);
    p.setFont(f);
    p.setPen(pal.text);
    const QString label = tr("input channels");
    const int labelW = QFontMetrics(f).horizontalAdvance(label) + 10;
    p.drawText(QRect(m_stripRect.left(), m_stripRect.top(), labelW, m_stripRect.height()),
               Qt::AlignVCenter | Qt::AlignLeft, label);
    int x = m_stripRect.left() + labelW;
    const int box = std::min<int>(h + 10, 44);
    for (std::int64_t c = 0; c < C && x + box < m_stripRect.right() - 200; ++c) {
        const QRect r(x, m_stripRect.top() + 3, box, h);
        const bool feeds = c >= first && c < first + count;
        p.fillRect(r, feeds ? pal.groupFill : pal.background);
        p.setPen(QPen(feeds ? pal.tapBorder : pal.gridLine, feeds ? 2.5 : 1));
        p.drawRect(r);
        p.setPen(feeds ? pal.text : pal.faint);
        p.drawText(r, Qt::AlignCenter, QString::number(c));
        x += box + 4;
    }
    const std::int64_t O = m_stepper->output().dim(1);
    const std::int64_t groups = m_stepper->params().groups;
    const QString range = count == 1 ? QString::number(first)
                                     : QStringLiteral("%1–%2").arg(first).arg(first + count - 1);
    const QString text = groups == 1
                             ? tr("→ out channel %1 reads all %2").arg(m_frame->position.o).arg(C)
                             : tr("→ out channel %1 reads %2 (group %3 of %4%5)")
                                   .arg(m_frame->position.o)
                                   .arg(range)
                                   .arg(m_frame->explanation.group)
                                   .arg(groups)
                                   .arg(groups == C && O % C == 0 ? tr(", depthwise") : QString());
    p.setPen(pal.text);
    p.drawText(QRect(x + 6, m_stripRect.top(), m_stripRect.right() - x, m_stripRect.height()),
               Qt::AlignVCenter | Qt::AlignLeft, text);
}

void StepThroughView::paintInputGrid(QPainter &p, const InputGrid &g)
{
    const Palette &pal = palette();
    const core::Tensor &in = m_stepper->input();
    const std::int64_t H = in.dim(2), W = in.dim(3), n = m_frame->position.n;
    const core::PaddingMode layerMode = m_stepper->params().paddingMode;
    const core::SidePadding pad = core::effectivePadding(m_stepper->params());
    const bool layerPads = pad.top + pad.bottom + pad.left + pad.right > 0;

    // Label: the channel and how its border is made.
    const QString padText =
        layerPads
            ? tr("padding '%1' (hatched, %2)")
                  .arg(QString::fromStdString(core::toString(layerMode)))
                  .arg(layerMode == core::PaddingMode::Zeros ? tr("reads 0") : tr("copies pixels"))
            : tr("no padding");
    const QString mode =
        m_stepper->input().dim(1) == 3 && m_integerInput == false ? QStringLiteral(" (%1)").arg(
            QStringList{tr("red"), tr("green"), tr("blue")}.value(static_cast<int>(g.channel)))
                                                                  : QString();
    paintLabel(p, g.rect, g.rect.width() + 16, tr("input channel %1%2").arg(g.channel).arg(mode),
               padText);

    const bool showWindow = !m_answerHidden;
    // The mode the border is drawn with: the layer's, or for a hypothetical padding in a
    // question the question's mode is not known here, so such cells are drawn empty.
    const auto [r0, r1] =
        visibleCells(g.rect.top(), g.cell, g.rows, m_paintArea.top(), m_paintArea.bottom());
    const auto [c0, c1] =
        visibleCells(g.rect.left(), g.cell, g.cols, m_paintArea.left(), m_paintArea.right());
    const bool numbers = g.cell >= kMinNumberCell;
    // Axis-aligned cells on whole pixels: antialiasing would only cost time.
    p.setRenderHint(QPainter::Antialiasing, false);
    for (std::int64_t r = r0; r < r1; ++r)
        for (std::int64_t c = c0; c < c1; ++c) {
            const std::int64_t py = r + g.rowFirst, px = c + g.colFirst;
            const QRect cell(g.rect.left() + static_cast<int>(c * g.cell),
                             g.rect.top() + static_cast<int>(r * g.cell), g.cell, g.cell);
            const bool inImage = py >= 0 && py < H && px >= 0 && px < W;
            const bool inLayerPad =
                py >= -pad.top && py < H + pad.bottom && px >= -pad.left && px < W + pad.right;
            QString text;
            if (inImage) {
                p.fillRect(cell, pal.background);
                if (numbers)
                    text = formatted(in.at(n, g.channel, py, px));
            } else {
                p.fillRect(cell, pal.padding);
                p.fillRect(cell, QBrush(pal.gridLine, Qt::BDiagPattern));
                if (inLayerPad && numbers) {
                    const std::int64_t sy = core::sourceIndex(py, H, layerMode);
                    const std::int64_t sx = core::sourceIndex(px, W, layerMode);
                    text = (sy < 0 || sx < 0) ? QStringLiteral("0")
                                              : formatted(in.at(n, g.channel, sy, sx));
                }
            }
            p.setPen(QPen(pal.gridLine, 1));
            p.setBrush(Qt::NoBrush);
            p.drawRect(cell);
            if (!text.isEmpty()) {
                p.setPen(inImage ? pal.text : pal.paddingText);
                QFont f = numberFont(g.cell);
                f.setItalic(!inImage);
                drawFitted(p, cell, text, f);
            }
        }
    p.setRenderHint(QPainter::Antialiasing, true);
    // The image's edge, so padding and pixels never blur into each other.
    const QRect image(g.rect.left() + static_cast<int>(-g.colFirst * g.cell),
                      g.rect.top() + static_cast<int>(-g.rowFirst * g.cell),
                      static_cast<int>(W * g.cell), static_cast<int>(H * g.cell));
    p.setPen(QPen(pal.text, m_presentation ? 3 : 2));
    p.drawRect(image);

    if (showWindow) {
        // Dotted outlines on the pixels a padded tap copies (reflect/replicate/circular).
        p.setPen(QPen(pal.tapBorder, m_presentation ? 2.5 : 1.5, Qt::DotLine));
        for (const core::Tap &t : m_frame->taps)
            if (t.inPadding && !t.readsZero()) {
                const QRect src = cellRect(g.channel, t.sy, t.sx);
                p.drawRect(src.adjusted(3, 3, -3, -3));
            }
        // The window's extent (dilation leaves gaps inside it) and each tap.
        const core::Tap &first = m_frame->taps.front(), &last = m_frame->taps.back();
        const QRect a = cellRect(g.channel, first.py, first.px);
        const QRect b = cellRect(g.channel, last.py, last.px);
        p.setPen(QPen(pal.tapBorder, 1.5, Qt::DashLine));
        p.drawRect(a.united(b));
        QFont wf = font();
        wf.setPixelSize(std::max(8, g.cell / 4));
        for (const core::Tap &t : m_frame->taps) {
            const QRect r = cellRect(g.channel, t.py, t.px);
            // Opaque, so the number below is replaced rather than doubled.
            p.fillRect(r.adjusted(1, 1, 0, 0), pal.tapFill);
            if (t.inPadding)
                p.fillRect(r.adjusted(1, 1, 0, 0),
                           QBrush(pal.tapBorder.lighter(150), Qt::BDiagPattern));
            p.setPen(QPen(pal.tapBorder, m_presentation ? 4 : 3));
            p.drawRect(r.adjusted(2, 2, -1, -1));
            // Redraw the number on top of the fill.
            const std::int64_t ci = g.channel - m_frame->firstInputChannel;
            const auto &term =
                m_frame->explanation.channels[static_cast<std::size_t>(ci)]
                    .terms[static_cast<std::size_t>(t.ky * m_stepper->weight().dim(3) + t.kx)];
            p.setPen(t.inPadding ? pal.paddingText : pal.text);
            QFont f = numberFont(g.cell, true);
            f.setItalic(t.inPadding);
            drawFitted(p, r.adjusted(0, -g.cell / 8, 0, -g.cell / 8), formatted(term.input), f);
            if (g.cell >= 30) {
                p.setPen(pal.tapBorder.darker(130));
                p.setFont(wf);
                p.drawText(r.adjusted(2, 0, -4, -1), Qt::AlignRight | Qt::AlignBottom,
                           QStringLiteral("×") + formatted(term.weight));
            }
        }
    }
    // Quiz marks: clicked pixels, the revealed answer, the asked padded position.
    for (const core::Pixel &px : m_selection) {
        const QRect r = cellRect(g.channel, px.y, px.x);
        p.setPen(QPen(pal.select, m_presentation ? 5 : 4));
        p.drawEllipse(r.adjusted(g.cell / 6, g.cell / 6, -g.cell / 6, -g.cell / 6));
    }
    for (const core::Pixel &px : m_revealed) {
        const QRect r = cellRect(g.channel, px.y, px.x);
        p.setPen(QPen(pal.reveal, m_presentation ? 5 : 4));
        p.drawRect(r.adjusted(4, 4, -4, -4));
    }
    if (m_question) {
        const QRect r = cellRect(g.channel, m_question->y, m_question->x);
        p.setPen(QPen(pal.question, m_presentation ? 5 : 4, Qt::DashLine));
        p.drawRect(r.adjusted(2, 2, -2, -2));
        p.setPen(pal.question);
        drawFitted(p, r, QStringLiteral("?"), numberFont(g.cell, true));
    }
}

void StepThroughView::paintOutputGrid(QPainter &p)
{
    const Palette &pal = palette();
    const core::OutputPosition &at = m_frame->position;
    const std::int64_t Ho = m_stepper->outHeight(), Wo = m_stepper->outWidth();
    const core::Conv2dParams &prm = m_stepper->params();
    if (m_answerHidden) {
        paintLabel(p, m_outputRect, std::max(m_outputRect.width(), 8 * m_textPx), tr("output"),
                   tr("size: ?"));
    } else {
        const int room = std::max(m_outputRect.width(), width() - m_outputRect.left() - kMargin);
        QString title = tr("output channel %1 · %2 × %3").arg(at.o).arg(Ho).arg(Wo);
        if (QFontMetrics(textFont(1.0, true)).horizontalAdvance(title) > room)
            title = tr("out ch %1 · %2×%3").arg(at.o).arg(Ho).arg(Wo);
        paintLabel(p, m_outputRect, room, title,
                   tr("stride %1×%2 · dilation %3×%4")
                       .arg(prm.stride.h)
                       .arg(prm.stride.w)
                       .arg(prm.dilation.h)
                       .arg(prm.dilation.w));
    }
    if (m_answerHidden) {
        // Its size would answer "what is H_out?": draw a question mark instead.
        const QRect r(m_outputRect.topLeft(), QSize(3 * m_outputCell, 3 * m_outputCell));
        p.setPen(QPen(pal.gridLine, 2, Qt::DashLine));
        p.drawRect(r);
        p.setPen(pal.faint);
        drawFitted(p, r, QStringLiteral("?"), numberFont(2 * m_outputCell, true));
        return;
    }
    const std::int64_t current = at.y * Wo + at.x;
    const auto [y0, y1] =
        visibleCells(m_outputRect.top(), m_outputCell, Ho, m_paintArea.top(), m_paintArea.bottom());
    const auto [x0, x1] = visibleCells(m_outputRect.left(), m_outputCell, Wo, m_paintArea.left(),
                                       m_paintArea.right());
    for (std::int64_t y = y0; y < y1; ++y)
        for (std::int64_t x = x0; x < x1; ++x) {
            const QRect cell(m_outputRect.left() + static_cast<int>(x * m_outputCell),
                             m_outputRect.top() + static_cast<int>(y * m_outputCell), m_outputCell,
                             m_outputCell);
            const std::int64_t i = y * Wo + x;
            p.fillRect(cell, i < current    ? pal.visitedFill
                             : i == current ? pal.outFill
                                            : pal.background);
            p.setPen(QPen(pal.gridLine, 1));
            p.drawRect(cell);
            if (i < current && m_outputCell >= kMinNumberCell) {
                p.setPen(pal.text);
                drawFitted(p, cell, formatted(m_stepper->output().at(at.n, at.o, y, x)),
                           numberFont(m_outputCell));
            } else if (i == current) {
                p.setPen(QPen(pal.outBorder, m_presentation ? 5 : 4));
                p.drawRect(cell.adjusted(2, 2, -2, -2));
                p.setPen(pal.text);
                drawFitted(p, cell, displayedSum(), numberFont(m_outputCell, true));
            }
        }
}

void StepThroughView::paintSmallGrid(QPainter &p, QRect r, int rows, int cols,
                                     const std::vector<double> &values, const QColor &fill,
                                     bool bold)
{
    const Palette &pal = palette();
    const int cw = r.width() / cols, ch = r.height() / rows;
    QFont f = font();
    f.setPixelSize(std::max(8, static_cast<int>(std::min(cw * 0.45, ch * 0.5))));
    f.setBold(bold || m_presentation);
    for (int y = 0; y < rows; ++y)
        for (int x = 0; x < cols; ++x) {
            const QRect c(r.left() + x * cw, r.top() + y * ch, cw, ch);
            p.fillRect(c, fill);
            p.setPen(QPen(pal.gridLine, 1));
            p.drawRect(c);
            p.setPen(pal.text);
            drawFitted(p, c,
                       formatted(values[static_cast<std::size_t>(y) * static_cast<std::size_t>(cols)
                                        + static_cast<std::size_t>(x)]),
                       f);
        }
}

void StepThroughView::paintMath(QPainter &p)
{
    const Palette &pal = palette();
    const core::Explanation &e = m_frame->explanation;
    const int kH = static_cast<int>(m_stepper->weight().dim(2));
    const int kW = static_cast<int>(m_stepper->weight().dim(3));
    const std::size_t channels = e.channels.size();
    const std::size_t shownRows = std::min<std::size_t>(channels, 3);
    const bool more = channels > shownRows;
    const int lineH = static_cast<int>(m_textPx * 1.7);
    const int rowH = std::max(10, (m_mathRect.height() - lineH - (more ? lineH : 0))
                                      / static_cast<int>(std::max<std::size_t>(shownRows, 1)));
    // Each channel row: label | window values | × | kernel | = | products | Σ = subtotal.
    const QFont f = textFont(1.15, false);
    const QFontMetrics fm(f);
    const int labelW = fm.horizontalAdvance(QStringLiteral("ch 00")) + 8;
    const int opW = fm.horizontalAdvance(QStringLiteral(" × ")) + 8;
    const int sumW = fm.horizontalAdvance(QStringLiteral("Σ = -000.00")) + 16;
    const int gridSpace = (m_mathRect.width() - labelW - 2 * opW - sumW) / 3;
    const int mc = std::max(6, std::min({(rowH - 6) / std::max(kH, 1), gridSpace / std::max(kW, 1),
                                         m_presentation ? 60 : 44}));
    // Decimals need wider cells than digits: widen the columns when there is room.
    bool decimals = false;
    for (const core::ExplainChannel &ch : e.channels)
        for (const core::ExplainTerm &t : ch.terms)
            decimals =
                decimals || t.weight != std::floor(t.weight) || t.input != std::floor(t.input);
    const int mcw = decimals ? std::max(mc, std::min(mc * 3 / 2, gridSpace / std::max(kW, 1))) : mc;
    const int gw = mcw * kW, gh = mc * kH;
    // Operators, sums and the total grow with the grids they stand between.
    QFont of = f;
    of.setPixelSize(
        std::max(f.pixelSize(), std::min(static_cast<int>(mc * 0.45), m_presentation ? 34 : 26)));
    for (std::size_t i = 0; i < shownRows; ++i) {
        const core::ExplainChannel &ch = e.channels[i];
        const int top = m_mathRect.top() + static_cast<int>(i) * rowH + (rowH - gh) / 2;
        int x = m_mathRect.left();
        std::vector<double> in, w, prod;
        for (const core::ExplainTerm &t : ch.terms) {
            in.push_back(t.input);
            w.push_back(t.weight);
            prod.push_back(t.product);
        }
        p.setFont(of);
        p.setPen(pal.text);
        p.drawText(QRect(x, top, labelW, gh), Qt::AlignVCenter | Qt::AlignLeft,
                   tr("ch %1").arg(ch.inputChannel));
        x += labelW;
        QColor windowFill = pal.tapFill;
        paintSmallGrid(p, QRect(x, top, gw, gh), kH, kW, in, windowFill, false);
        x += gw;
        p.setFont(of);
        p.setPen(pal.text);
        p.drawText(QRect(x, top, opW, gh), Qt::AlignCenter, QStringLiteral("×"));
        x += opW;
        paintSmallGrid(p, QRect(x, top, gw, gh), kH, kW, w, pal.background, false);
        x += gw;
        p.setFont(of);
        p.setPen(pal.text);
        // Rounded factors that do not multiply out to the rounded products say so.
        p.drawText(QRect(x, top, opW, gh), Qt::AlignCenter,
                   m_agree ? QStringLiteral("=") : QStringLiteral("≈"));
        x += opW;
        paintSmallGrid(p, QRect(x, top, gw, gh), kH, kW, prod, pal.visitedFill, false);
        x += gw + 8;
        p.setFont(of);
        p.setPen(pal.text);
        p.drawText(QRect(x, top, m_mathRect.right() - x, gh), Qt::AlignVCenter | Qt::AlignLeft,
                   QStringLiteral("Σ = ") + formatted(ch.subtotal));
    }
    int y = m_mathRect.top() + static_cast<int>(shownRows) * rowH;
    p.setFont(f);
    p.setPen(pal.faint);
    if (more) {
        QStringList rest;
        for (std::size_t i = shownRows; i < channels; ++i)
            rest << tr("ch %1: %2")
                        .arg(e.channels[i].inputChannel)
                        .arg(formatted(e.channels[i].subtotal));
        p.drawText(QRect(m_mathRect.left(), y, m_mathRect.width(), lineH),
                   Qt::AlignVCenter | Qt::AlignLeft,
                   tr("… %1 more channels, Σ each: %2")
                       .arg(channels - shownRows)
                       .arg(rest.join(QStringLiteral(", "))));
        y += lineH;
    }
    // The total: per-channel sums + bias = the output value.
    // Negative terms are subtracted ("3 - 0.56"), a negative bias is bracketed.
    QString sum;
    if (e.channels.size() > 6) {
        sum = tr("(%1 channel sums)").arg(e.channels.size());
    } else {
        for (std::size_t i = 0; i < e.channels.size(); ++i) {
            const double v = e.channels[i].subtotal;
            const QString text = formatted(v);
            if (i == 0)
                sum = text;
            else if (text.startsWith(QLatin1Char('-')))
                sum += QStringLiteral(" - ") + text.mid(1);
            else
                sum += QStringLiteral(" + ") + text;
        }
    }
    QString total = tr("out[%1, %2, %3, %4] = ").arg(e.n).arg(e.o).arg(e.y).arg(e.x) + sum;
    if (e.bias) {
        const QString b = formatted(*e.bias);
        total +=
            tr(" + bias ") + (b.startsWith(QLatin1Char('-')) ? QStringLiteral("(%1)").arg(b) : b);
    }
    // One channel and no bias: the sum is the value, say it once.
    if (e.channels.size() != 1 || e.bias)
        total += QStringLiteral(" = ") + displayedSum();
    QFont tf = of;
    tf.setBold(true);
    tf.setPixelSize(of.pixelSize() + 2);
    p.setPen(pal.outBorder);
    {
        QFontMetrics tm(tf);
        while (tf.pixelSize() > 9 && tm.horizontalAdvance(total) > m_mathRect.width()) {
            tf.setPixelSize(tf.pixelSize() - 1);
            tm = QFontMetrics(tf);
        }
        p.setFont(tf);
        p.drawText(QRect(m_mathRect.left(), y, m_mathRect.width(), lineH),
                   Qt::AlignVCenter | Qt::AlignLeft, total);
    }
}

} // namespace convscope::ui
