// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The image actually fed to the engine (grayscale or RGB, maybe downscaled), drawn with the
// padded border the current parameters add: a hatched band of zeros, or the real values
// that reflect / replicate / circular padding copy in, tinted so they never look like image.
// A magnified corner shows the padding pixel by pixel when the band is too thin to see.
#include "receptivefieldoverlay.h"
#include "session.h"

#include <QWidget>

#include <array>
#include <cstdint>

namespace convscope::ui {

class InputView : public QWidget {
    Q_OBJECT
public:
    explicit InputView(Session *session, QWidget *parent = nullptr);

    QSize sizeHint() const override { return {320, 300}; }
    QSize minimumSizeHint() const override { return {160, 140}; }

    // The padded image as drawn (built lazily): size (W + left + right) x (H + top + bottom).
    const QImage &paddedImage();
    // The caption under the image, e.g. "fed: 512 x 512 RGB · padding 1 (zeros)".
    QString caption() const;

    // The selected output's receptive field (or a marked input pixel) and the rows /
    // cols the first layer never reaches, drawn over the image. The view fits everything the
    // overlay draws, since a field through a stack can reach beyond the first layer's padding.
    void setOverlay(const ReceptiveFieldOverlay &overlay);
    const ReceptiveFieldOverlay &overlay() const { return m_overlay; }
    void setUnreachedBands(const UnreachedBands &bands);
    const UnreachedBands &unreachedBands() const { return m_unreached; }
    // Widget position of input coordinate (y, x) (a pixel's top-left corner) as last painted.
    QPointF inputToWidget(double y, double x) const;

signals:
    // A pixel of the image (not the padding) was clicked: (row, column) of the fed image.
    void inputClicked(int y, int x);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    void rebuild();

    Session *m_session;
    QImage m_padded;
    bool m_dirty = true;
    std::array<std::uint64_t, 6> m_paddedKey{}; // what m_padded was built from
    QImage m_scaled; // the unpadded image at its on-screen size (when shrunk)
    std::array<std::uint64_t, 2> m_scaledKey{}; // input revision and mode of m_scaled
    int m_top = 0, m_bottom = 0, m_left = 0, m_right = 0;
    ReceptiveFieldOverlay m_overlay;
    UnreachedBands m_unreached;
    QRectF m_imageRect; // the unpadded image as last painted, in widget coordinates
    double m_scale = 0.0;
};

// Builds the padded image for display: pixels a padding mode copies come from the source,
// zero padding is black; positions the mode cannot map (invalid parameters) are left
// transparent. `gray` renders the image as the luma the engine sees.
QImage buildPaddedImage(const QImage &source, bool gray, int top, int bottom, int left, int right,
                        core::PaddingMode mode);

} // namespace convscope::ui
