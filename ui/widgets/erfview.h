// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Draws an ErfResult: the heat map over the input image around the theoretical box (the
// image shows through where the map is 0), the box as a dashed outline, and a colour bar.
// For the averaged field and a later layer's coverage, the map alone.
#include "erfmodel.h"

#include <QImage>
#include <QWidget>

#include <memory>

namespace convscope::ui {

class ErfView : public QWidget {
    Q_OBJECT
public:
    explicit ErfView(QWidget *parent = nullptr);

    QSize sizeHint() const override { return {300, 260}; }
    QSize minimumSizeHint() const override { return {160, 140}; }

    // `image` is the fed image (the map's coordinates when result->onImage).
    void setResult(std::shared_ptr<const ErfResult> result, const QImage &image);
    const std::shared_ptr<const ErfResult> &result() const { return m_result; }
    // The map's rows and columns drawn: the box and every nonzero value, with a margin, kept
    // inside the map (the whole map for Average and Coverage).
    QRect shownRegion() const;
    // The colour of map value v as drawn (transparent at 0 over an image).
    QRgb colourOf(double v) const;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    void rebuild();

    std::shared_ptr<const ErfResult> m_result;
    QImage m_image;
    QImage m_rendered; // the shown region, one pixel per map value
    QRect m_region;
};

} // namespace convscope::ui
