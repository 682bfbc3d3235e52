// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Wires "click an output, see where it comes from" together, so the main window only creates
// it: a click (or, with follow-hover on, a hover) on a feature map selects out[c, y, x] of the
// shown layer -> the input view draws its receptive field through the whole stack and the
// explain panel breaks the value down; a click on the input image highlights its projective
// field in every map. It also keeps the grid on the shown layer's result and the connectivity
// view on the shown layer's parameters. Holds the selection; computes nothing itself (core
// does, through ReceptiveFieldOverlay / MapHighlight / core::explainOutput).
#include "receptivefieldoverlay.h"

#include <QObject>

#include <optional>

namespace convscope::ui {

class ConnectivityView;
class ExplainPanel;
class FeatureMapGrid;
class InputView;
class LayerStackModel;

class ReceptiveFieldController : public QObject {
    Q_OBJECT
public:
    ReceptiveFieldController(LayerStackModel *model, FeatureMapGrid *grid, InputView *input,
                             ExplainPanel *explain, ConnectivityView *connectivity,
                             QObject *parent = nullptr);

    struct Selection {
        int layer = 0;
        int channel = 0;
        int y = 0;
        int x = 0;
        bool operator==(const Selection &) const = default;
    };
    // The selected output (of the shown layer), if any.
    const std::optional<Selection> &selection() const { return m_selection; }
    // The input pixel whose projective field is highlighted, if any.
    const std::optional<QPoint> &inputPixel() const { return m_pixel; }
    const ReceptiveFieldOverlay &overlay() const { return m_overlay; }
    const MapHighlight &highlight() const { return m_highlight; }

    bool followsHover() const { return m_followHover; }

public slots:
    // Selects out[channel, y, x] of the shown layer; false when it is not in the shown result.
    bool selectOutput(int channel, int y, int x);
    // Highlights the projective field of input pixel (y, x); false when it is not an input
    // pixel.
    bool selectInput(int y, int x);
    void clearSelection();
    // When on, hovering a map selects like a click does (for live exploration).
    void setFollowHover(bool on);

signals:
    void selectionChanged();
    void status(const QString &text); // one line for the status bar

private:
    void onResults();
    void publish();

    LayerStackModel *m_model;
    FeatureMapGrid *m_grid;
    InputView *m_input;
    ExplainPanel *m_explain;
    ConnectivityView *m_connectivity;
    std::optional<Selection> m_selection;
    std::optional<QPoint> m_pixel;
    ReceptiveFieldOverlay m_overlay;
    MapHighlight m_highlight;
    bool m_followHover = false;
};

} // namespace convscope::ui
