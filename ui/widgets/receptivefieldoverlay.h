// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// What the input view and the feature maps draw on top of themselves to answer "where does
// this output come from?" and "what does this input pixel affect?". Values computed once
// from core/receptivefield.h (the views never do receptive-field arithmetic), plus the
// painting, so every view draws the three notions the same way and distinctly:
//  - the geometric box (Distill's r, j, start): dashed yellow frame, may reach into padding;
//  - the sampled taps of the first layer: rings, dilation gaps visible, taps in the padding
//    drawn outside the image (hollow, in the padding colour);
//  - the real source pixels the value depends on: green cells. With reflect/replicate/
//    circular padding they can lie outside the box, which is exactly what should be seen.
#include "explain.h"
#include "receptivefield.h"

#include <QRectF>
#include <QString>

#include <cstdint>
#include <optional>
#include <vector>

class QPainter;

namespace convscope::ui {

class ReceptiveFieldOverlay {
public:
    // Nothing to draw.
    ReceptiveFieldOverlay() = default;

    // The field of out[channel, y, x] of layer `layer` (0-based) of `stack` on an input of
    // `input` pixels. Throws like core::reachedInputs (invalid stack, position not in the
    // output).
    static ReceptiveFieldOverlay forOutput(const core::LayerStack &stack, core::PlaneSize input,
                                           std::size_t layer, std::int64_t channel, std::int64_t y,
                                           std::int64_t x);

    // Marks one input pixel (the one whose projective field the maps highlight).
    static ReceptiveFieldOverlay forInputPixel(core::PlaneSize input, std::int64_t y,
                                               std::int64_t x);

    bool isEmpty() const { return !m_valid; }
    // True for an output's field, false for a marked input pixel.
    bool isField() const { return m_valid && !m_pixelOnly; }

    // ---- what the overlay shows (tests read these) ----------------------------------------
    std::size_t layer() const { return m_layer; }
    std::int64_t channel() const { return m_channel; }
    std::int64_t outY() const { return m_y; }
    std::int64_t outX() const { return m_x; }
    core::PlaneSize inputSize() const { return m_input; }
    const core::InputBox &box() const { return m_box; }
    // Distinct rows / columns the first layer samples (padding included), ascending.
    const std::vector<std::int64_t> &tapRows() const { return m_reach.h.taps; }
    const std::vector<std::int64_t> &tapCols() const { return m_reach.w.taps; }
    // Real input rows / columns the value depends on, ascending.
    const std::vector<std::int64_t> &sourceRows() const { return m_reach.h.sources; }
    const std::vector<std::int64_t> &sourceCols() const { return m_reach.w.sources; }
    std::int64_t tapCount() const;
    std::int64_t tapsInPadding() const;
    std::int64_t sourceCount() const;
    // For a single-layer field: the layer's own taps with the pixel each padded tap copies
    // (drawn as arrows from the padded tap to its source). Empty for deeper layers.
    const std::vector<core::Tap> &firstLayerTaps() const { return m_taps; }
    core::PaddingMode paddingMode() const { return m_mode; }
    // The channels of the layer's input that feed the selected output channel (its group):
    // the kernel footprint applies to these only.
    const core::ChannelRange &inputChannels() const { return m_channels; }

    // Everything drawn, in input pixel coordinates (x = column, y = row; the box may reach
    // beyond the image). The input view fits this rectangle so nothing is clipped.
    QRectF extent() const;

    // One line for the caption: "out[2, 3, 4] of layer 1: box rows -1..1, cols 2..4 · 9 taps
    // (3 in padding) · depends on 6 pixels".
    QString summary() const;

    // A one-line key of the symbols (box, tap, tap in padding, source, and the unreached
    // hatch when `unreached`), left to right inside `line`; items that do not fit are left out.
    static void paintLegend(QPainter &painter, const QRectF &line, bool field, bool unreached);

    // Draws the overlay. `image` is the widget rectangle covered by the unpadded input
    // (pixel (0, 0) at its top-left, `scale` widget pixels per input pixel).
    void paint(QPainter &painter, const QRectF &image, double scale) const;

private:
    bool m_valid = false;
    bool m_pixelOnly = false;
    std::size_t m_layer = 0;
    std::int64_t m_channel = 0, m_y = 0, m_x = 0;
    core::PlaneSize m_input;
    core::InputBox m_box;
    core::Reach m_reach;
    std::vector<core::Tap> m_taps;
    core::PaddingMode m_mode = core::PaddingMode::Zeros;
    core::ChannelRange m_channels;
};

// The bands of the input the first layer's windows never reach because of the floor in the
// output-size formula ("why 18 and not 19?"): the last `rows` rows and `cols` columns of the
// padded input, i.e. input rows [firstRow, firstRow + rows) (they may lie in the padding).
struct UnreachedBands {
    std::int64_t firstRow = 0;
    std::int64_t rows = 0;
    std::int64_t firstCol = 0;
    std::int64_t cols = 0;
    bool isEmpty() const { return rows <= 0 && cols <= 0; }
    bool operator==(const UnreachedBands &) const = default;
    // From the first layer's row of the receptive-field table.
    static UnreachedBands of(const core::LayerField &first);
    // Hatched red bands over the input view (same coordinate convention as paint above).
    void paint(QPainter &painter, const QRectF &image, double scale, const QRectF &padded) const;
};

// The shape panel's answer to "why is my output 18 and not 19?" for the first layer, as HTML:
// per axis, how many windows fit, which padded rows/cols they cover and how many are left
// over (hatched in the input view). Empty when the parameters cannot be computed.
QString unreachedExplanation(const core::Conv2dParams &p, core::PlaneSize input);

// What a feature map draws on top of itself: the selected output and/or the projective field
// of a clicked input pixel (every output position that depends on it) on the shown layer.
struct MapHighlight {
    std::optional<std::int64_t> channel; // the selected output's channel (outlined there only)
    std::optional<std::int64_t> y, x;    // the selected output position
    std::vector<std::int64_t> rows;      // projective field on the shown layer: rows x cols
    std::vector<std::int64_t> cols;
    bool isEmpty() const { return !y && rows.empty(); }
    bool operator==(const MapHighlight &) const = default;
    bool contains(std::int64_t row, std::int64_t col) const; // in the projective field
    // The projective field of input pixel (y, x) on layer `layer` of the stack.
    static MapHighlight projective(const core::LayerStack &stack, core::PlaneSize input,
                                   std::size_t layer, std::int64_t y, std::int64_t x);
    // Draws on one map of `channel`: `cell` maps an output position to its widget rectangle.
    template <typename CellRect>
    void paint(QPainter &painter, std::int64_t mapChannel, CellRect cell) const;
    void paintRuns(QPainter &painter, const std::vector<QRectF> &runs, const QRectF &selected,
                   bool hasSelected) const;
};

// Contiguous runs of an ascending index list, as [first, last] pairs: lets the views draw a
// product set (rows x cols) as few rectangles instead of one per pixel.
std::vector<std::pair<std::int64_t, std::int64_t>> runsOf(const std::vector<std::int64_t> &v);

template <typename CellRect>
void MapHighlight::paint(QPainter &painter, std::int64_t mapChannel, CellRect cell) const
{
    std::vector<QRectF> runs;
    for (const auto &[r0, r1] : runsOf(rows))
        for (const auto &[c0, c1] : runsOf(cols))
            runs.push_back(cell(r0, c0).united(cell(r1, c1)));
    const bool sel = y && x && (!channel || *channel == mapChannel);
    paintRuns(painter, runs, sel ? cell(*y, *x) : QRectF(), sel);
}

} // namespace convscope::ui
