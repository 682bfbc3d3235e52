// SPDX-License-Identifier: GPL-3.0-or-later
#include "inputview.h"

#include "imageinput.h"
#include "padding.h"
#include "shape.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

namespace convscope::ui {

namespace {

// Fills the frame between `outer` and `inner`: hatched for zeros (nothing is copied there), a
// tint for the modes that copy real pixels. `veil` adds a light hatch over the tint so the
// copied values read as "not the image" at full size; the small inset skips it.
void fillPaddingBand(QPainter &painter, const QRectF &outer, const QRectF &inner,
                     core::PaddingMode mode, const QColor &accent, bool veil)
{
    QPainterPath band;
    band.addRect(outer);
    band.addRect(inner); // odd-even fill: the frame between the two rectangles
    if (mode == core::PaddingMode::Zeros) {
        painter.fillPath(band, QBrush(accent, Qt::BDiagPattern));
        return;
    }
    QColor tint = accent;
    tint.setAlpha(90);
    painter.fillPath(band, tint);
    if (veil)
        painter.fillPath(band, QBrush(QColor(255, 255, 255, 110), Qt::FDiagPattern));
}

// Column / row lookup of the padded image: source index, or -1 for a zero.
std::vector<int> indexMap(int size, int before, int after, core::PaddingMode mode)
{
    std::vector<int> map(static_cast<std::size_t>(size + before + after));
    for (int i = 0; i < static_cast<int>(map.size()); ++i) {
        const auto src = core::sourceIndex(i - before, size, mode);
        // Invalid parameters (reflect pad >= size, ...) can map outside: draw nothing there.
        map[static_cast<std::size_t>(i)] = src >= 0 && src < size ? int(src) : -2;
        if (src == -1)
            map[static_cast<std::size_t>(i)] = -1;
    }
    return map;
}

QString modeName(core::PaddingMode m)
{
    return QString::fromStdString(core::toString(m));
}

} // namespace

QImage buildPaddedImage(const QImage &source, bool gray, int top, int bottom, int left, int right,
                        core::PaddingMode mode)
{
    QImage src = source.convertToFormat(QImage::Format_RGB32);
    const int w = src.width(), h = src.height();
    if (gray) { // once per source pixel, before the padding copies them around
        for (int y = 0; y < h; ++y) {
            auto *line = reinterpret_cast<QRgb *>(src.scanLine(y));
            for (int x = 0; x < w; ++x) {
                const QRgb px = line[x];
                const int l = (299 * qRed(px) + 587 * qGreen(px) + 114 * qBlue(px)) / 1000;
                line[x] = qRgb(l, l, l);
            }
        }
    }
    const auto cols = indexMap(w, left, right, mode);
    const auto rows = indexMap(h, top, bottom, mode);
    // Premultiplied, the raster engine's own format: a plain ARGB32 source is converted as
    // a whole on every draw, even of a thin strip of it (~2 ms per paint at 1920x1080).
    // Opaque pixels and the transparent zero are the same words in both formats.
    QImage out(static_cast<int>(cols.size()), static_cast<int>(rows.size()),
               QImage::Format_ARGB32_Premultiplied);
    const int outW = out.width(), outH = out.height(); // not per pixel: not inlined
    auto padded = [&](const QRgb *srcLine, int x) {
        const int sx = cols[static_cast<std::size_t>(x)];
        return sx == -2 ? qRgba(0, 0, 0, 0) : sx == -1 ? qRgb(0, 0, 0) : srcLine[sx];
    };
    for (int y = 0; y < outH; ++y) {
        auto *line = reinterpret_cast<QRgb *>(out.scanLine(y));
        const int sy = rows[static_cast<std::size_t>(y)];
        if (sy < 0) { // a zero row (-1), or outside what invalid parameters can reach (-2)
            std::fill(line, line + outW, sy == -1 ? qRgb(0, 0, 0) : qRgba(0, 0, 0, 0));
            continue;
        }
        const auto *srcLine = reinterpret_cast<const QRgb *>(src.constScanLine(sy));
        // The image's own columns are one copy (an opaque RGB32 pixel is the same word in
        // ARGB32); only the bands go through the column map. A 1920x1080 frame is rebuilt
        // on every padding edit, so this is on the live path.
        for (int x = 0; x < left; ++x)
            line[x] = padded(srcLine, x);
        std::copy(srcLine, srcLine + w, line + left);
        for (int x = left + w; x < outW; ++x)
            line[x] = padded(srcLine, x);
    }
    return out;
}

InputView::InputView(Session *session, QWidget *parent) : QWidget(parent), m_session(session)
{
    setObjectName(QStringLiteral("inputView"));
    setAccessibleName(tr("Input image"));
    auto dirty = [this] {
        m_dirty = true;
        setAccessibleDescription(caption()); // what is fed, and the padding around it
        update();
    };
    connect(session, &Session::imageChanged, this, dirty);
    connect(session, &Session::paramsChanged, this, dirty);
    connect(session, &Session::validationChanged, this, qOverload<>(&QWidget::update));
}

void InputView::rebuild()
{
    const auto &p = m_session->params();
    const core::SidePadding pad = core::effectivePadding(p);
    // Cap what is drawn: a padding far beyond the image (an invalid state) is still shown,
    // but never allocates a huge picture.
    auto cap = [](int v) { return std::clamp(v, 0, 4096); };
    m_top = cap(pad.top);
    m_bottom = cap(pad.bottom);
    m_left = cap(pad.left);
    m_right = cap(pad.right);
    // Most edits (out_channels, stride, groups, ...) leave the drawn picture as it is; copying
    // a 1920x1080 image for them would cost milliseconds of every edit's latency.
    const std::array<std::uint64_t, 6> key{
        m_session->inputRevision(), std::uint64_t(m_top),   std::uint64_t(m_bottom),
        std::uint64_t(m_left),      std::uint64_t(m_right), std::uint64_t(p.paddingMode)};
    if (key != m_paddedKey || m_padded.isNull())
        m_padded = buildPaddedImage(m_session->previewImage(),
                                    m_session->inputMode() == InputMode::Grayscale, m_top, m_bottom,
                                    m_left, m_right, p.paddingMode);
    m_paddedKey = key;
    m_dirty = false;
}

const QImage &InputView::paddedImage()
{
    if (m_dirty)
        rebuild();
    return m_padded;
}

QString InputView::caption() const
{
    const auto &p = m_session->params();
    const QImage &fed = m_session->previewImage();
    QString text =
        tr("fed: %1 × %2 %3")
            .arg(fed.width())
            .arg(fed.height())
            .arg(m_session->inputMode() == InputMode::Grayscale ? tr("grayscale") : tr("RGB"));
    if (isSixteenBit(fed))
        text += tr(" · 16-bit (pixel / 65535)");
    const core::SidePadding pad = core::effectivePadding(p);
    if (pad.top == pad.bottom && pad.left == pad.right && pad.top == pad.left)
        text += tr(" · padding %1").arg(pad.top);
    else
        text += tr(" · padding t%1 b%2 l%3 r%4")
                    .arg(pad.top)
                    .arg(pad.bottom)
                    .arg(pad.left)
                    .arg(pad.right);
    text += QStringLiteral(" (%1)").arg(modeName(p.paddingMode));
    return text;
}

void InputView::paintEvent(QPaintEvent *)
{
    const QImage &img = paddedImage();
    QPainter painter(this);
    const QPalette pal = palette();
    painter.fillRect(rect(), pal.color(QPalette::Window));
    const QFontMetrics fm = fontMetrics();
    const bool down = m_session->isDownscaled();
    const bool legend = m_overlay.isField() || !m_unreached.isEmpty();
    // The caption and the downscale note wrap rather than clip: a narrow dock in presentation
    // mode holds only a few large words per line.
    const int textWidth = std::max(1, width() - 12);
    const auto wrappedHeight = [&](const QString &t) {
        return fm
            .boundingRect(QRect(0, 0, textWidth, 100000), Qt::AlignHCenter | Qt::TextWordWrap, t)
            .height();
    };
    const QString fedCaption = caption();
    const QString downNote = down ? tr("downscaled from %1 × %2 (preview limit)")
                                        .arg(m_session->image().width())
                                        .arg(m_session->image().height())
                                  : QString();
    const int fedHeight = wrappedHeight(fedCaption);
    const int downHeight = down ? wrappedHeight(downNote) : 0;
    const int captionHeight =
        fedHeight + downHeight + fm.height() * ((m_overlay.isEmpty() ? 0 : 1) + (legend ? 1 : 0));
    const QRect area = rect().adjusted(6, 6, -6, -(captionHeight + 10));
    if (img.isNull() || area.width() < 8 || area.height() < 8)
        return;

    // Fit the padded image and whatever the overlay draws outside it (input coordinates);
    // crisp pixels when magnified, smooth when shrunk.
    QRectF content(-m_left, -m_top, img.width(), img.height());
    if (!m_overlay.isEmpty())
        content = content.united(m_overlay.extent());
    const double scale =
        std::min(double(area.width()) / content.width(), double(area.height()) / content.height());
    const QPointF origin( // widget position of input pixel (0, 0)
        area.x() + (area.width() - content.width() * scale) / 2 - content.x() * scale,
        area.y() + (area.height() - content.height() * scale) / 2 - content.y() * scale);
    const QRectF target(origin.x() - m_left * scale, origin.y() - m_top * scale,
                        img.width() * scale, img.height() * scale);
    const QRectF inner(target.x() + m_left * scale, target.y() + m_top * scale,
                       (img.width() - m_left - m_right) * scale,
                       (img.height() - m_top - m_bottom) * scale);
    if (scale < 1.0) {
        // Shrunk: the image's own pixels come from a copy scaled smoothly once per input and
        // size, the band from the padded image strip by strip. Smooth-scaling the whole
        // padded 1920x1080 picture on every padding edit was the input view's main cost
        // in the live redraw (bench-ui).
        const QSize size(std::max(1, qRound(inner.width())), std::max(1, qRound(inner.height())));
        const std::array<std::uint64_t, 2> key{m_session->inputRevision(),
                                               std::uint64_t(m_session->inputMode())};
        // A padding edit changes the fitted size by a pixel or two; a copy within 3 % is
        // drawn slightly scaled instead of being made again (3 ms for a 1920x1080 image).
        const auto near = [](int have, int want) {
            return std::abs(have - want) * 100 <= 3 * want;
        };
        if (key != m_scaledKey || m_scaled.isNull() || !near(m_scaled.width(), size.width())
            || !near(m_scaled.height(), size.height())) {
            m_scaled = img.copy(m_left, m_top, img.width() - m_left - m_right,
                                img.height() - m_top - m_bottom)
                           .scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
            m_scaledKey = key;
        }
        painter.setRenderHint(QPainter::SmoothPixmapTransform, true);
        if (m_scaled.size() == size)
            painter.drawImage(inner.topLeft().toPoint(), m_scaled); // a plain blit
        else
            painter.drawImage(inner, m_scaled);
        auto strip = [&](const QRect &src) {
            if (src.width() > 0 && src.height() > 0)
                painter.drawImage(QRectF(target.x() + src.x() * scale, target.y() + src.y() * scale,
                                         src.width() * scale, src.height() * scale),
                                  img, src);
        };
        const int innerH = img.height() - m_top - m_bottom;
        strip(QRect(0, 0, img.width(), m_top));
        strip(QRect(0, img.height() - m_bottom, img.width(), m_bottom));
        strip(QRect(0, m_top, m_left, innerH));
        strip(QRect(img.width() - m_right, m_top, m_right, innerH));
    } else {
        painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
        painter.drawImage(target, img);
    }

    const QColor accent(255, 140, 0); // orange: the padding, never part of the image
    const bool padded = m_top + m_bottom + m_left + m_right > 0;
    const auto mode = m_session->params().paddingMode;
    if (padded) {
        fillPaddingBand(painter, target, inner, mode, accent, true);
        painter.setPen(QPen(accent, 2));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(target.adjusted(1, 1, -1, -1));
    }
    // The image boundary: dashed, so it reads as "the real input starts here".
    painter.setPen(QPen(padded ? accent : pal.color(QPalette::Mid), 1.5, Qt::DashLine));
    painter.drawRect(inner);

    m_imageRect = inner;
    m_scale = scale;
    m_unreached.paint(painter, inner, scale, target);
    m_overlay.paint(painter, inner, scale);

    // When the band is thinner than a few screen pixels, magnify the top-left corner (not
    // while an overlay is shown: the inset would cover part of it).
    const int padMax = std::max({m_top, m_left, m_bottom, m_right});
    if (padded && padMax * scale < 6.0 && m_overlay.isEmpty()) {
        const int span = std::max(m_top, m_left) + 8;
        const int size = std::min(area.width(), area.height()) * 2 / 5;
        const QRectF inset(area.right() - size, area.bottom() - size, size, size);
        const QRect src(0, 0, std::min(span, img.width()), std::min(span, img.height()));
        const double s = size / double(std::max(src.width(), src.height()));
        const QRectF insetImg(inset.x(), inset.y(), src.width() * s, src.height() * s);
        painter.fillRect(inset.adjusted(-3, -3, 3, 3), pal.color(QPalette::Window));
        painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
        painter.drawImage(insetImg, img, src);
        const QRectF insetInner(insetImg.x() + m_left * s, insetImg.y() + m_top * s,
                                insetImg.width() - m_left * s, insetImg.height() - m_top * s);
        fillPaddingBand(painter, insetImg, insetInner, mode, accent, false);
        painter.setPen(QPen(accent, 1.5, Qt::DashLine));
        painter.drawLine(insetInner.topLeft(), insetInner.topRight());
        painter.drawLine(insetInner.topLeft(), insetInner.bottomLeft());
        painter.setPen(QPen(pal.color(QPalette::WindowText), 1));
        painter.drawRect(inset);
        // "corner ×10" when it fits inside the inset, "×10" when the inset is narrow.
        QString label = tr("corner ×%1").arg(s, 0, 'f', 0);
        if (fm.horizontalAdvance(label) > inset.width() - 8)
            label = tr("×%1").arg(s, 0, 'f', 0);
        painter.drawText(inset.adjusted(4, 2, -4, -2), Qt::AlignRight | Qt::AlignBottom, label);
    }

    // Caption: what is fed, and a visible note when the live view works on a smaller copy.
    painter.setPen(pal.color(QPalette::WindowText));
    QRect text = rect().adjusted(6, 0, -6, -4);
    text.setTop(area.bottom() + 6);
    painter.drawText(text, Qt::AlignHCenter | Qt::AlignTop | Qt::TextWordWrap, fedCaption);
    // Lines below advance by what the previous one took; the last single line is fm.height().
    int used = fedHeight;
    if (down) {
        painter.setPen(accent);
        text.setTop(text.top() + used);
        painter.drawText(text, Qt::AlignHCenter | Qt::AlignTop | Qt::TextWordWrap, downNote);
        used = downHeight;
    }
    text.setTop(text.top() + used - fm.height()); // the lines below add fm.height() each
    if (!m_overlay.isEmpty()) {
        painter.setPen(pal.color(QPalette::WindowText));
        text.setTop(text.top() + fm.height());
        painter.drawText(text, Qt::AlignHCenter | Qt::AlignTop,
                         fm.elidedText(m_overlay.summary(), Qt::ElideRight, text.width()));
    }
    if (legend) {
        painter.setPen(pal.color(QPalette::WindowText));
        text.setTop(text.top() + fm.height());
        ReceptiveFieldOverlay::paintLegend(
            painter, QRectF(text.left(), text.top(), text.width(), fm.height()),
            m_overlay.isField(), !m_unreached.isEmpty());
    }
}

void InputView::setOverlay(const ReceptiveFieldOverlay &overlay)
{
    // Every new result republishes the selection; "still nothing selected" needs no repaint.
    if (overlay.isEmpty() && m_overlay.isEmpty())
        return;
    m_overlay = overlay;
    setToolTip(overlay.summary());
    update();
}

void InputView::setUnreachedBands(const UnreachedBands &bands)
{
    if (bands == m_unreached)
        return;
    m_unreached = bands;
    update();
}

QPointF InputView::inputToWidget(double y, double x) const
{
    return m_imageRect.topLeft() + QPointF(x, y) * m_scale;
}

void InputView::mousePressEvent(QMouseEvent *event)
{
    const QImage &fed = m_session->previewImage();
    if (event->button() != Qt::LeftButton || m_scale <= 0.0)
        return QWidget::mousePressEvent(event);
    const QPointF at = (event->position() - m_imageRect.topLeft()) / m_scale;
    const int x = int(std::floor(at.x())), y = int(std::floor(at.y()));
    if (x >= 0 && y >= 0 && x < fed.width() && y < fed.height())
        emit inputClicked(y, x);
}

} // namespace convscope::ui
