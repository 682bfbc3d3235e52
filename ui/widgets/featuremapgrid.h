// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The central view: one QCustomPlot per output channel, labelled out[c], crisp pixels with
// the y axis pointing down like an image, a shared colour scale (per-map or global range),
// hover read-out, zoom and pan linked across maps, and pages so 64+ channels stay usable.
// It only draws: the values come from Session::result(), the colours from colormap.h.
#include "receptivefieldoverlay.h"
#include "session.h"

#include <QWidget>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

class QCustomPlot;
class QCPColorScale;
class QCPRange;
class QComboBox;
class QLabel;
class QScrollArea;
class QSpinBox;
class QGridLayout;
class QKeyEvent;
class QVBoxLayout;
class QToolButton;

namespace convscope::ui {

class MapLayer;

class FeatureMapGrid : public QWidget {
    Q_OBJECT
public:
    explicit FeatureMapGrid(Session *session, QWidget *parent = nullptr);
    ~FeatureMapGrid() override;

    // Output channels of the shown result (0 without one).
    int mapCount() const;
    // Maps on the current page, i.e. plots visible in the grid.
    int visibleMapCount() const { return m_visible; }
    int mapsPerPage() const { return m_perPage; }
    void setMapsPerPage(int n);
    int page() const { return m_page; }
    int pageCount() const;
    void setPage(int page);
    // First output channel on the current page.
    int firstChannel() const { return m_page * m_perPage; }
    // The plot showing slot i of the page (0 <= i < visibleMapCount()).
    QCustomPlot *plot(int slot) const;
    // The value the map of `channel` shows at (y, x), read from the displayed result.
    float displayedValue(int channel, int y, int x) const;
    // The status-bar text for a position, e.g. "out[2, 10, 7] = -0.1234".
    QString hoverText(int channel, int y, int x) const;
    // A channel on the current page rendered at full resolution with its current range and
    // gradient (null if not visible); the screen shows the same colours, see MapLayer.
    QImage mapImage(int channel) const;
    // The colour range used for a channel's map in the current mode.
    ValueRange displayedRange(int channel) const;
    // The maps on screen and the part of each that is visible, for the worker to colour the
    // next result ahead (ComputeController::setMapRequests).
    std::vector<MapRequest> mapRequests() const;
    bool isDimmed() const { return m_dimmed; }
    // Back to the whole map in every plot.
    void resetZoom();

    // Shows `result` (another layer of the stack) instead of the Session's result;
    // null goes back to the Session's.
    void setShownResult(std::shared_ptr<const ComputeResult> result);
    // Drawn on every visible map: the selected output and/or a projective field.
    void setHighlight(const MapHighlight &highlight);
    const MapHighlight &highlight() const { return m_highlight; }
    // Widget position (in plot(slot) coordinates) of the centre of map pixel (y, x).
    QPoint pixelCentre(int slot, int y, int x) const;

signals:
    void hovered(const QString &text); // empty when the pointer leaves the maps
    void redrawn();                    // every visible map shows the current state
    // A click (press and release without dragging) / a hover on output (channel, y, x).
    void outputClicked(int channel, int y, int x);
    void outputHovered(int channel, int y, int x);

protected:
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void onResult();
    void onDisplay();
    void redraw(bool newResult);
    void relayout();
    void fitToolbar();
    void updateColorScale();
    void updatePager();
    void applyPalette();
    void syncRanges(QCustomPlot *source);
    // Arrow keys, Home/End, Return and Space on the focused map of `slot`; true if used.
    bool keyPressed(int slot, const QKeyEvent *event);
    QCustomPlot *makePlot();

    Session *m_session;
    std::shared_ptr<const ComputeResult> m_shown;
    std::shared_ptr<const ComputeResult> m_override; // setShownResult
    MapHighlight m_highlight;
    QPointF m_pressPos;
    std::optional<std::pair<int, int>> m_keyCursor; // (y, x) the keyboard selected last
    QWidget *m_colourControls;
    QWidget *m_pageControls;
    QVBoxLayout *m_toolbar;              // lines of tool groups
    std::vector<QWidget *> m_toolGroups; // in reading order
    std::vector<int> m_toolRows;         // the line each group is on
    QComboBox *m_gradientBox;
    QComboBox *m_rangeBox;
    QComboBox *m_perPageBox;
    QToolButton *m_prev;
    QToolButton *m_next;
    QLabel *m_pageLabel;
    QLabel *m_banner;
    QCustomPlot *m_scalePlot;
    QCPColorScale *m_scale;
    QScrollArea *m_scroll;
    QWidget *m_gridHost;
    QGridLayout *m_grid;
    std::vector<QCustomPlot *> m_plots;
    std::vector<MapLayer *> m_layers;
    int m_perPage = 16;
    int m_page = 0;
    int m_visible = 0;
    int m_mapW = 0;
    int m_mapH = 0;
    struct ScaleState {
        bool perMap = true;
        int gradient = 0;
        float lo = 0.0f, hi = 0.0f;
        int maps = 0;
        bool operator==(const ScaleState &) const = default;
    };
    std::optional<ScaleState> m_scaleState; // what the colour scale shows now
    bool m_dimmed = false;
    bool m_syncing = false;
};

} // namespace convscope::ui
