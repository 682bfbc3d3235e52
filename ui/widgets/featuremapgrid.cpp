// SPDX-License-Identifier: GPL-3.0-or-later
#include "featuremapgrid.h"

#include "threadpool.h"

#include <QComboBox>
#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QScrollArea>
#include <QScrollBar>
#include <QToolButton>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace convscope::ui {

// Draws one output channel into its plot's axis rect: map pixel (x, y) covers the axis
// coordinates [x, x+1) x [y, y+1), so a hovered coordinate floors to the pixel index.
// The colours are made for the visible region only, at screen resolution (see View).
class MapLayer : public QCPLayerable {
public:
    explicit MapLayer(QCustomPlot *plot) : QCPLayerable(plot) {}

    std::shared_ptr<const ComputeResult> result; // keeps the values alive while shown
    int channel = -1;
    ValueRange range;
    Gradient gradient = Gradient::Diverging;
    bool dim = false;
    const MapHighlight *highlight = nullptr; // the grid's selection / projective field

    int width() const { return result ? int(result->output.dim(3)) : 0; }
    int height() const { return result ? int(result->output.dim(2)) : 0; }
    const float *values() const
    {
        return result->output.data.data()
               + static_cast<std::size_t>(channel) * static_cast<std::size_t>(width())
                     * static_cast<std::size_t>(height());
    }

    // The colours for the plot's current view, unless the cached image already shows
    // exactly that: taken from the result's previews (rendered on the worker) when one
    // matches, rendered here otherwise. Touches only this layer and reads the (unchanging)
    // axes, so the grid runs it for all maps at once on the engine's threads; a replot for a
    // new highlight or a linked pan then costs a blit, not a colour pass.
    void prepare()
    {
        const View v = currentView();
        if (v.region.empty()) {
            m_image = QImage();
            m_key = Key();
            return;
        }
        const Key key{result.get(), channel, range, gradient, v.region};
        if (key == m_key && !m_image.isNull())
            return;
        m_image = QImage();
        for (const MapPreview &p : result->previews)
            if (p.channel == channel && p.region == v.region && p.range == range
                && p.gradient == gradient) {
                m_image = p.image;
                break;
            }
        if (m_image.isNull())
            m_image = renderMapRegion(values(), width(), v.region, range, gradient);
        m_key = key;
    }

    // Drops the values and the cached image: the cache key holds the result's address,
    // which a later result could reuse.
    void release()
    {
        result.reset();
        m_image = QImage();
        m_key = Key();
    }

    // The part of the map the plot shows now, at the plot's resolution.
    MapRegion currentRegion() const { return currentView().region; }

protected:
    void applyDefaultAntialiasingHint(QCPPainter *painter) const override
    {
        applyAntialiasingHint(painter, false, QCP::aeOther);
    }
    QRect clipRect() const override { return mParentPlot->axisRect()->rect(); }
    void draw(QCPPainter *painter) override
    {
        if (!result || channel < 0)
            return;
        prepare();
        if (m_image.isNull())
            return;
        const QCPAxis *xa = mParentPlot->xAxis;
        const QCPAxis *ya = mParentPlot->yAxis;
        const View v = currentView();
        painter->setRenderHint(QPainter::SmoothPixmapTransform, false);
        if (dim)
            painter->setOpacity(0.25);
        painter->drawImage(v.target, m_image);
        painter->setOpacity(1.0);
        if (highlight && !highlight->isEmpty())
            highlight->paint(*painter, channel, [xa, ya](std::int64_t r, std::int64_t c) {
                return QRectF(QPointF(xa->coordToPixel(double(c)), ya->coordToPixel(double(r))),
                              QPointF(xa->coordToPixel(double(c + 1)),
                                      ya->coordToPixel(double(r + 1))))
                    .normalized();
            });
    }

private:
    struct View {
        MapRegion region;
        QRectF target; // widget pixels
    };
    struct Key {
        const ComputeResult *result = nullptr;
        int channel = -1;
        ValueRange range;
        Gradient gradient = Gradient::Diverging;
        MapRegion region;
        bool operator==(const Key &) const = default;
    };

    View currentView() const
    {
        View v;
        if (!result || channel < 0)
            return v;
        const QCPAxis *xa = mParentPlot->xAxis;
        const QCPAxis *ya = mParentPlot->yAxis;
        const int w = width(), h = height();
        const int x0 = std::max(0, int(std::floor(xa->range().lower)));
        const int x1 = std::min(w, int(std::ceil(xa->range().upper)));
        const int y0 = std::max(0, int(std::floor(ya->range().lower)));
        const int y1 = std::min(h, int(std::ceil(ya->range().upper)));
        if (x0 >= x1 || y0 >= y1)
            return v;
        v.target = QRectF(QPointF(xa->coordToPixel(x0), ya->coordToPixel(y0)),
                          QPointF(xa->coordToPixel(x1), ya->coordToPixel(y1)))
                       .normalized();
        MapRegion &r = v.region;
        r.x0 = x0;
        r.y0 = y0;
        r.sw = x1 - x0;
        r.sh = y1 - y0;
        r.ow = std::clamp(int(std::ceil(v.target.width())), 1, r.sw);
        r.oh = std::clamp(int(std::ceil(v.target.height())), 1, r.sh);
        return v;
    }

    QImage m_image;
    Key m_key;
};

namespace {

QCPColorGradient toQcpGradient(Gradient g)
{
    QCPColorGradient out;
    out.clearColorStops();
    const Lut &table = lut(g);
    for (int i = 0; i <= 16; ++i)
        out.setColorStopAt(i / 16.0,
                           QColor(table[static_cast<std::size_t>(std::min(255, i * 16))]));
    out.setLevelCount(256);
    return out;
}

QString formatValue(double v)
{
    return QString::number(v, 'g', 4);
}

} // namespace

FeatureMapGrid::FeatureMapGrid(Session *session, QWidget *parent)
    : QWidget(parent), m_session(session)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);

    // Three groups on one line, or flowing onto more lines when the grid is too narrow
    // (large presentation fonts, a narrow central area): see fitToolbar().
    m_colourControls = new QWidget;
    auto *bar = new QHBoxLayout(m_colourControls);
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(new QLabel(tr("Colours:")));
    m_gradientBox = new QComboBox;
    m_gradientBox->setObjectName(QStringLiteral("gradient"));
    m_gradientBox->addItems({tr("Diverging (signed)"), tr("Grayscale"), tr("Viridis")});
    m_gradientBox->setToolTip(tr("Colour gradient of the feature maps"));
    m_gradientBox->setAccessibleName(tr("Colour gradient"));
    bar->addWidget(m_gradientBox);
    m_rangeBox = new QComboBox;
    m_rangeBox->setObjectName(QStringLiteral("rangeMode"));
    m_rangeBox->addItems({tr("Per-map range"), tr("Global range")});
    m_rangeBox->setAccessibleName(tr("Colour range"));
    m_rangeBox->setToolTip(tr("Per-map: each map uses its own min..max. Global: one scale for "
                              "all maps, so channels can be compared."));
    m_toolGroups.push_back(m_colourControls);
    m_toolGroups.push_back(m_rangeBox);
    m_pageControls = new QWidget;
    auto *pagerBar = new QHBoxLayout(m_pageControls);
    pagerBar->setContentsMargins(0, 0, 0, 0);
    m_prev = new QToolButton;
    m_prev->setArrowType(Qt::LeftArrow);
    m_prev->setToolTip(tr("Previous page of maps (Page Up)"));
    m_prev->setAccessibleName(tr("Previous page of maps"));
    m_next = new QToolButton;
    m_next->setArrowType(Qt::RightArrow);
    m_next->setToolTip(tr("Next page of maps (Page Down)"));
    m_next->setAccessibleName(tr("Next page of maps"));
    m_pageLabel = new QLabel;
    m_pageLabel->setObjectName(QStringLiteral("pageLabel"));
    m_perPageBox = new QComboBox;
    m_perPageBox->setObjectName(QStringLiteral("perPage"));
    for (int n : {4, 8, 16, 32, 64})
        m_perPageBox->addItem(tr("%1 per page").arg(n), n);
    m_perPageBox->setCurrentIndex(2);
    m_perPageBox->setAccessibleName(tr("Maps per page"));
    pagerBar->addWidget(m_prev);
    pagerBar->addWidget(m_pageLabel);
    pagerBar->addWidget(m_next);
    auto *fit = new QToolButton;
    fit->setText(tr("Fit"));
    fit->setToolTip(tr("Show the whole maps again (after zooming with the wheel or panning)"));
    m_toolGroups.push_back(m_pageControls);
    m_toolGroups.push_back(m_perPageBox);
    m_toolGroups.push_back(fit);
    m_toolbar = new QVBoxLayout;
    m_toolbar->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(m_toolbar);
    fitToolbar();

    m_banner = new QLabel;
    m_banner->setObjectName(QStringLiteral("invalidBanner"));
    m_banner->setWordWrap(true);
    m_banner->setTextFormat(Qt::RichText);
    m_banner->setStyleSheet(
        QStringLiteral("QLabel { background: #fde2e1; color: #7a1010; border: 1px solid #d62728;"
                       " border-radius: 4px; padding: 6px; }"));
    m_banner->hide();
    layout->addWidget(m_banner);

    m_scalePlot = new QCustomPlot;
    m_scalePlot->setAccessibleName(tr("Colour scale"));
    m_scalePlot->plotLayout()->clear();
    m_scale = new QCPColorScale(m_scalePlot);
    m_scale->setType(QCPAxis::atBottom);
    m_scale->setBarWidth(10);
    m_scale->setRangeDrag(false);
    m_scale->setRangeZoom(false);
    m_scalePlot->plotLayout()->addElement(0, 0, m_scale);
    m_scalePlot->setFixedHeight(58);
    layout->addWidget(m_scalePlot);

    m_scroll = new QScrollArea;
    m_scroll->setAccessibleName(tr("Feature maps"));
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setWidgetResizable(true);
    m_gridHost = new QWidget;
    m_grid = new QGridLayout(m_gridHost);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setSpacing(6);
    m_grid->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    m_scroll->setWidget(m_gridHost);
    layout->addWidget(m_scroll, 1);

    connect(m_gradientBox, &QComboBox::currentIndexChanged, this,
            [this](int i) { m_session->setGradient(static_cast<Gradient>(i)); });
    connect(m_rangeBox, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_session->setRangeMode(i == 0 ? RangeMode::PerMap : RangeMode::Global);
    });
    connect(m_perPageBox, &QComboBox::currentIndexChanged, this,
            [this](int i) { setMapsPerPage(m_perPageBox->itemData(i).toInt()); });
    connect(m_prev, &QToolButton::clicked, this, [this] { setPage(m_page - 1); });
    connect(m_next, &QToolButton::clicked, this, [this] { setPage(m_page + 1); });
    connect(fit, &QToolButton::clicked, this, &FeatureMapGrid::resetZoom);

    connect(session, &Session::resultChanged, this, &FeatureMapGrid::onResult);
    connect(session, &Session::displayChanged, this, &FeatureMapGrid::onDisplay);
    connect(session, &Session::validationChanged, this, &FeatureMapGrid::onResult);
    applyPalette();
    onDisplay();
}

FeatureMapGrid::~FeatureMapGrid() = default;

int FeatureMapGrid::mapCount() const
{
    return m_shown ? static_cast<int>(m_shown->output.dim(1)) : 0;
}

int FeatureMapGrid::pageCount() const
{
    return std::max(1, (mapCount() + m_perPage - 1) / m_perPage);
}

void FeatureMapGrid::setMapsPerPage(int n)
{
    n = std::max(1, n);
    if (n == m_perPage)
        return;
    const int first = firstChannel();
    m_perPage = n;
    m_page = first / n; // keep the first visible channel on screen
    const int idx = m_perPageBox->findData(n);
    if (idx >= 0 && idx != m_perPageBox->currentIndex())
        m_perPageBox->setCurrentIndex(idx);
    redraw(false);
}

void FeatureMapGrid::setPage(int page)
{
    page = std::clamp(page, 0, pageCount() - 1);
    if (page == m_page)
        return;
    m_page = page;
    redraw(false);
}

QCustomPlot *FeatureMapGrid::plot(int slot) const
{
    return slot >= 0 && slot < m_visible ? m_plots[static_cast<std::size_t>(slot)] : nullptr;
}

float FeatureMapGrid::displayedValue(int channel, int y, int x) const
{
    const auto &out = m_shown->output;
    return out.data[static_cast<std::size_t>(((channel * out.dim(2)) + y) * out.dim(3) + x)];
}

QString FeatureMapGrid::hoverText(int channel, int y, int x) const
{
    return QStringLiteral("out[%1, %2, %3] = %4")
        .arg(channel)
        .arg(y)
        .arg(x)
        .arg(QString::number(double(displayedValue(channel, y, x)), 'f', 4));
}

QImage FeatureMapGrid::mapImage(int channel) const
{
    const int slot = channel - firstChannel();
    if (slot < 0 || slot >= m_visible)
        return {};
    const MapLayer *layer = m_layers[static_cast<std::size_t>(slot)];
    return renderMap(layer->values(), layer->width(), layer->height(), layer->range,
                     layer->gradient);
}

ValueRange FeatureMapGrid::displayedRange(int channel) const
{
    if (!m_shown)
        return {};
    return displayRange(m_shown->channelRanges, channel,
                        m_session->rangeMode() == RangeMode::Global, m_session->gradient());
}

std::vector<MapRequest> FeatureMapGrid::mapRequests() const
{
    // Only the Session's own result follows the next run: a deeper layer of the stack shown
    // instead (setShownResult) is computed elsewhere.
    std::vector<MapRequest> requests;
    if (m_override || !m_shown)
        return requests;
    for (int i = 0; i < m_visible; ++i) {
        const MapRegion r = m_layers[static_cast<std::size_t>(i)]->currentRegion();
        if (!r.empty())
            requests.push_back({firstChannel() + i, r, m_mapW, m_mapH});
    }
    return requests;
}

void FeatureMapGrid::onResult()
{
    redraw((m_override ? m_override : m_session->result()) != m_shown);
}

void FeatureMapGrid::onDisplay()
{
    {
        QSignalBlocker b1(m_gradientBox), b2(m_rangeBox);
        m_gradientBox->setCurrentIndex(static_cast<int>(m_session->gradient()));
        m_rangeBox->setCurrentIndex(m_session->rangeMode() == RangeMode::PerMap ? 0 : 1);
    }
    m_scale->setGradient(toQcpGradient(m_session->gradient()));
    redraw(false);
}

QCustomPlot *FeatureMapGrid::makePlot()
{
    auto *p = new QCustomPlot(m_gridHost);
    p->xAxis->setVisible(false);
    p->yAxis->setVisible(false);
    p->yAxis->setRangeReversed(true); // row 0 at the top, like an image
    p->axisRect()->setAutoMargins(QCP::msNone);
    p->axisRect()->setMargins(QMargins(0, 0, 0, 0));
    p->plotLayout()->insertRow(0);
    auto *title = new QCPTextElement(p, QString(), font());
    p->plotLayout()->addElement(0, 0, title);
    p->plotLayout()->setRowSpacing(0);
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    p->setMouseTracking(true);
    p->setAntialiasedElements(QCP::aeNone);
    // Tab reaches the maps; the arrow keys then move the selected output (keyPressed).
    p->setFocusPolicy(Qt::StrongFocus);
    p->installEventFilter(this);
    const int slot = static_cast<int>(m_plots.size());
    auto *layer = new MapLayer(p);
    m_plots.push_back(p);
    m_layers.push_back(layer);

    auto sync = [this, p](const QCPRange &) { syncRanges(p); };
    connect(p->xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, sync);
    connect(p->yAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, sync);
    connect(p, &QCustomPlot::mouseMove, this, [this, p, slot](QMouseEvent *e) {
        if (!m_shown || slot >= m_visible)
            return;
        const int x = int(std::floor(p->xAxis->pixelToCoord(e->position().x())));
        const int y = int(std::floor(p->yAxis->pixelToCoord(e->position().y())));
        if (x < 0 || y < 0 || x >= m_mapW || y >= m_mapH
            || !p->axisRect()->rect().contains(e->position().toPoint())) {
            emit hovered(QString());
            return;
        }
        emit outputHovered(firstChannel() + slot, y, x);
        QString text = hoverText(firstChannel() + slot, y, x);
        if (m_dimmed)
            text += tr("   (last valid result: the current parameters are invalid)");
        emit hovered(text);
    });
    // A click selects an output; a drag pans, so only a press and release close
    // together count.
    connect(p, &QCustomPlot::mousePress, this,
            [this](QMouseEvent *e) { m_pressPos = e->position(); });
    connect(p, &QCustomPlot::mouseRelease, this, [this, p, slot](QMouseEvent *e) {
        if (!m_shown || slot >= m_visible || e->button() != Qt::LeftButton
            || (e->position() - m_pressPos).manhattanLength() > 4)
            return;
        const int x = int(std::floor(p->xAxis->pixelToCoord(e->position().x())));
        const int y = int(std::floor(p->yAxis->pixelToCoord(e->position().y())));
        if (x >= 0 && y >= 0 && x < m_mapW && y < m_mapH
            && p->axisRect()->rect().contains(e->position().toPoint()))
            emit outputClicked(firstChannel() + slot, y, x);
    });
    applyPalette();
    return p;
}

void FeatureMapGrid::setShownResult(std::shared_ptr<const ComputeResult> result)
{
    if (result == m_override)
        return;
    m_override = std::move(result);
    onResult();
}

void FeatureMapGrid::setHighlight(const MapHighlight &highlight)
{
    // Every new result republishes the selection; an unchanged one needs no replot.
    if (highlight == m_highlight)
        return;
    m_highlight = highlight;
    for (int i = 0; i < m_visible; ++i)
        m_plots[static_cast<std::size_t>(i)]->replot(QCustomPlot::rpQueuedReplot);
}

QPoint FeatureMapGrid::pixelCentre(int slot, int y, int x) const
{
    const QCustomPlot *p = plot(slot);
    if (!p)
        return {};
    return QPointF(p->xAxis->coordToPixel(x + 0.5), p->yAxis->coordToPixel(y + 0.5)).toPoint();
}

void FeatureMapGrid::syncRanges(QCustomPlot *source)
{
    // Linked zoom and pan: every plot shows the same region as the one being dragged.
    if (m_syncing)
        return;
    m_syncing = true;
    for (int i = 0; i < m_visible; ++i) {
        QCustomPlot *p = m_plots[static_cast<std::size_t>(i)];
        if (p == source)
            continue;
        p->xAxis->setRange(source->xAxis->range());
        p->yAxis->setRange(source->yAxis->range());
        p->replot(QCustomPlot::rpQueuedReplot);
    }
    m_syncing = false;
}

void FeatureMapGrid::resetZoom()
{
    m_syncing = true;
    for (int i = 0; i < m_visible; ++i) {
        QCustomPlot *p = m_plots[static_cast<std::size_t>(i)];
        p->xAxis->setRange(0, m_mapW);
        p->yAxis->setRange(0, m_mapH);
        p->replot(QCustomPlot::rpQueuedReplot);
    }
    m_syncing = false;
}

void FeatureMapGrid::redraw(bool newResult)
{
    m_shown = m_override ? m_override : m_session->result();
    m_dimmed = bool(m_session->validationError());
    if (const auto &err = m_session->validationError()) {
        m_banner->setText(tr("<b>Invalid parameters</b> &mdash; %1<br>%2")
                              .arg(QString::fromStdString(err->message).toHtmlEscaped(),
                                   m_shown ? tr("The maps below are the last valid result, dimmed.")
                                           : tr("Nothing has been computed yet.")));
        m_banner->show();
    } else {
        m_banner->hide();
    }
    if (!m_shown) {
        for (auto *p : m_plots)
            p->hide();
        m_visible = 0;
        updateColorScale();
        updatePager();
        emit redrawn();
        return;
    }
    const auto &out = m_shown->output;
    const int channels = static_cast<int>(out.dim(1));
    const int h = static_cast<int>(out.dim(2));
    const int w = static_cast<int>(out.dim(3));
    m_page = std::clamp(m_page, 0, pageCount() - 1);
    const int first = firstChannel();
    const int n = std::clamp(channels - first, 0, m_perPage);
    while (static_cast<int>(m_plots.size()) < n)
        makePlot();
    const bool geometryChanged = w != m_mapW || h != m_mapH || n != m_visible;
    m_mapW = w;
    m_mapH = h;
    m_visible = n;

    const Gradient gradient = m_session->gradient();
    std::vector<ValueRange> ranges(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        ranges[static_cast<std::size_t>(i)] = displayedRange(first + i);

    const bool perMap = m_session->rangeMode() == RangeMode::PerMap;
    for (int i = 0; i < n; ++i) {
        const auto s = static_cast<std::size_t>(i);
        auto *title = static_cast<QCPTextElement *>(m_plots[s]->plotLayout()->element(0, 0));
        QString text = QStringLiteral("out[%1]").arg(first + i);
        if (perMap)
            text += QStringLiteral("  %1 … %2")
                        .arg(formatValue(ranges[s].lo), formatValue(ranges[s].hi));
        title->setText(text);
        // What a screen reader says for the map: its channel and its values.
        m_plots[s]->setAccessibleName(tr("Feature map out[%1]").arg(first + i));
        m_plots[s]->setAccessibleDescription(
            tr("values %1 to %2; arrow keys select an output")
                .arg(formatValue(ranges[s].lo), formatValue(ranges[s].hi)));
        MapLayer *layer = m_layers[s];
        layer->result = m_shown;
        layer->channel = first + i;
        layer->range = ranges[s];
        layer->gradient = gradient;
        layer->dim = m_dimmed;
        layer->highlight = &m_highlight;
        m_plots[s]->show();
    }
    for (std::size_t i = static_cast<std::size_t>(n); i < m_plots.size(); ++i) {
        m_plots[i]->hide();
        m_layers[i]->release();
    }
    // A new map size resets the view; otherwise the user's zoom survives the edit.
    if (geometryChanged) {
        relayout();
        resetZoom();
    }
    (void)newResult;
    // The colour passes of all maps at once on the engine's threads (the worker that made
    // the result is done, so its cores are free); each replot below then only blits. After a
    // geometry change the plots' sizes are not laid out yet: their replots render instead.
    if (!geometryChanged)
        core::ThreadPool::instance().run(
            core::ThreadPool::hardwareThreads(), n,
            [this](std::int64_t i) { m_layers[static_cast<std::size_t>(i)]->prepare(); }, {});
    for (int i = 0; i < n; ++i)
        m_plots[static_cast<std::size_t>(i)]->replot(QCustomPlot::rpQueuedRefresh);
    updateColorScale();
    updatePager();
    emit redrawn();
}

void FeatureMapGrid::relayout()
{
    if (m_visible == 0 || m_mapW <= 0 || m_mapH <= 0)
        return;
    const int spacing = m_grid->spacing();
    const int titleH = fontMetrics().height() + 8;
    const QSize avail = m_scroll->viewport()->size() - QSize(2, 2);
    const double aspect = double(m_mapH) / double(m_mapW);
    const int minCell = 96;
    int bestCols = 1;
    double bestW = 0;
    for (int cols = 1; cols <= m_visible; ++cols) {
        const int rows = (m_visible + cols - 1) / cols;
        const double byWidth = double(avail.width() - spacing * (cols - 1)) / cols;
        const double byHeight =
            (double(avail.height() - spacing * (rows - 1)) / rows - titleH) / aspect;
        const double cellW = std::min(byWidth, byHeight);
        if (cellW > bestW) {
            bestW = cellW;
            bestCols = cols;
        }
    }
    if (bestW < minCell) {
        // Too many maps to fit: keep them readable and let the scroll area scroll.
        bestW = minCell;
        bestCols = std::max(1, (avail.width() - 16 + spacing) / (minCell + spacing));
    }
    const int cellW = std::max(16, int(bestW));
    const int cellH = int(std::round(cellW * aspect)) + titleH;
    for (auto *p : m_plots)
        m_grid->removeWidget(p);
    for (int i = 0; i < m_visible; ++i) {
        auto *p = m_plots[static_cast<std::size_t>(i)];
        p->setFixedSize(cellW, cellH);
        m_grid->addWidget(p, i / bestCols, i % bestCols);
    }
}

void FeatureMapGrid::updateColorScale()
{
    const bool perMap = m_session->rangeMode() == RangeMode::PerMap;
    const bool diverging = m_session->gradient() == Gradient::Diverging;
    // The scale only changes with the range mode, the gradient and (global range) the
    // values: replotting it costs ~2 ms (gradient image, tick labels), so an edit that
    // leaves it as it is does not.
    ScaleState state{perMap || !m_shown, static_cast<int>(m_session->gradient()), 0.0f, 0.0f, 0};
    if (!state.perMap) {
        const ValueRange r = displayedRange(0);
        state.lo = r.lo;
        state.hi = r.hi;
        state.maps = mapCount();
    }
    if (m_scaleState && *m_scaleState == state)
        return;
    m_scaleState = state;
    auto *axis = m_scale->axis();
    if (state.perMap) {
        QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
        if (diverging)
            ticker->setTicks({-1.0, 0.0, 1.0},
                             {tr("−max |value|"), QStringLiteral("0"), tr("+max |value|")});
        else
            ticker->setTicks({-1.0, 1.0}, {tr("min"), tr("max")});
        axis->setTicker(ticker);
        m_scale->setDataRange(QCPRange(-1.0, 1.0));
        axis->setLabel(tr("each map uses its own range (shown in its title)"));
    } else {
        axis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        const ValueRange r = displayedRange(0);
        m_scale->setDataRange(QCPRange(r.lo, r.hi > r.lo ? r.hi : r.lo + 1e-6));
        axis->setLabel(tr("one range for all %1 maps").arg(mapCount()));
    }
    m_scalePlot->replot(QCustomPlot::rpQueuedReplot);
}

void FeatureMapGrid::updatePager()
{
    const int n = mapCount();
    if (n == 0)
        m_pageLabel->setText(tr("no maps"));
    else
        m_pageLabel->setText(
            tr("maps %1–%2 of %3").arg(firstChannel()).arg(firstChannel() + m_visible - 1).arg(n));
    const bool paged = pageCount() > 1;
    m_prev->setEnabled(paged && m_page > 0);
    m_next->setEnabled(paged && m_page + 1 < pageCount());
}

void FeatureMapGrid::applyPalette()
{
    const QPalette pal = palette();
    const QColor bg = pal.color(QPalette::Window);
    const QColor fg = pal.color(QPalette::WindowText);
    auto style = [&](QCustomPlot *p) {
        p->setBackground(bg);
        if (p->plotLayout()->elementCount() > 0)
            if (auto *t = qobject_cast<QCPTextElement *>(p->plotLayout()->element(0, 0))) {
                // The map with the keyboard focus says so in its title.
                const bool focused = p->hasFocus();
                t->setTextColor(focused ? pal.color(QPalette::Highlight) : fg);
                QFont f = font();
                f.setBold(focused);
                f.setUnderline(focused);
                t->setFont(f);
                p->replot(QCustomPlot::rpQueuedReplot);
            }
    };
    for (auto *p : m_plots) {
        style(p);
        p->axisRect()->setBackground(pal.color(QPalette::Base));
    }
    m_scalePlot->setBackground(bg);
    auto *axis = m_scale->axis();
    axis->setBasePen(QPen(fg));
    axis->setTickPen(QPen(fg));
    axis->setSubTickPen(QPen(fg));
    axis->setTickLabelColor(fg);
    axis->setLabelColor(fg);
    axis->setTickLabelFont(font());
    axis->setLabelFont(font());
    m_scalePlot->setFixedHeight(QFontMetrics(font()).height() * 2 + 26);
}

void FeatureMapGrid::fitToolbar()
{
    // Greedy flow: each group goes on the current line if it fits, else starts a new one.
    const QMargins m = layout()->contentsMargins();
    const int avail = width() - m.left() - m.right();
    const int gap = std::max(6, style()->layoutSpacing(QSizePolicy::DefaultType,
                                                       QSizePolicy::DefaultType, Qt::Horizontal));
    std::vector<int> rows;
    int row = 0, used = 0;
    for (QWidget *g : m_toolGroups) {
        const int w = g->sizeHint().width();
        if (used > 0 && used + gap + w > avail) {
            ++row;
            used = 0;
        }
        used += (used > 0 ? gap : 0) + w;
        rows.push_back(row);
    }
    if (rows == m_toolRows)
        return;
    m_toolRows = rows;
    // Rebuild the lines: one QHBoxLayout per line, so each line packs its own groups
    // (a grid would align the columns of different lines).
    for (QWidget *g : m_toolGroups)
        m_toolbar->removeWidget(g);
    while (QLayoutItem *item = m_toolbar->takeAt(0))
        delete item; // the old line layouts (the group widgets are not owned by them)
    const bool oneLine = rows.back() == 0;
    QHBoxLayout *line = nullptr;
    for (std::size_t i = 0; i < m_toolGroups.size(); ++i) {
        if (!line || (i > 0 && rows[i] != rows[i - 1])) {
            if (line && !oneLine)
                line->addStretch(1);
            line = new QHBoxLayout;
            m_toolbar->addLayout(line);
        }
        constexpr std::size_t kColourGroups = 2; // then the page controls
        if (oneLine && i == kColourGroups)
            line->addStretch(1); // colour controls at the left, page controls at the right
        line->addWidget(m_toolGroups[i]);
    }
    if (line && !oneLine)
        line->addStretch(1);
}

void FeatureMapGrid::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    fitToolbar();
    relayout();
}

bool FeatureMapGrid::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::Leave)
        emit hovered(QString());
    const auto it = std::find(m_plots.begin(), m_plots.end(), watched);
    if (it != m_plots.end()) {
        const int slot = static_cast<int>(it - m_plots.begin());
        if (event->type() == QEvent::KeyPress && keyPressed(slot, static_cast<QKeyEvent *>(event)))
            return true;
        if (event->type() == QEvent::FocusIn || event->type() == QEvent::FocusOut)
            applyPalette(); // the focused map's title shows it has the keys
    }
    return QWidget::eventFilter(watched, event);
}

bool FeatureMapGrid::keyPressed(int slot, const QKeyEvent *event)
{
    if (!m_shown || slot >= m_visible || m_mapW <= 0 || m_mapH <= 0)
        return false;
    // The keyboard's way to click an output: the arrows move the selection from the selected
    // output (Shift: 8 pixels at a time), Return or Space selects the output under the cursor.
    const int step = (event->modifiers() & Qt::ShiftModifier) ? 8 : 1;
    int dy = 0, dx = 0;
    switch (event->key()) {
    case Qt::Key_Left: dx = -step; break;
    case Qt::Key_Right: dx = step; break;
    case Qt::Key_Up: dy = -step; break;
    case Qt::Key_Down: dy = step; break;
    case Qt::Key_Home:
    case Qt::Key_End:
    case Qt::Key_Return:
    case Qt::Key_Enter:
    case Qt::Key_Space: break;
    default: return false;
    }
    if (event->modifiers() & (Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier))
        return false; // Ctrl+PgUp and friends stay the window's shortcuts
    // Start from the selected output when there is one (a click, Explain, a lesson step).
    std::pair<int, int> at = m_keyCursor.value_or(std::pair<int, int>{0, 0});
    if (m_highlight.y && m_highlight.x)
        at = {int(*m_highlight.y), int(*m_highlight.x)};
    if (event->key() == Qt::Key_Home)
        at = {0, 0};
    else if (event->key() == Qt::Key_End)
        at = {m_mapH - 1, m_mapW - 1};
    at = {std::clamp(at.first + dy, 0, m_mapH - 1), std::clamp(at.second + dx, 0, m_mapW - 1)};
    m_keyCursor = at;
    const int channel = firstChannel() + slot;
    emit outputClicked(channel, at.first, at.second);
    const QString text = hoverText(channel, at.first, at.second);
    m_plots[static_cast<std::size_t>(slot)]->setAccessibleDescription(text);
    emit hovered(text);
    return true;
}

void FeatureMapGrid::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange) {
        if (event->type() == QEvent::FontChange) // the children take the font after this
            QMetaObject::invokeMethod(this, &FeatureMapGrid::fitToolbar, Qt::QueuedConnection);
        applyPalette();
        relayout();
        for (int i = 0; i < m_visible; ++i)
            m_plots[static_cast<std::size_t>(i)]->replot(QCustomPlot::rpQueuedReplot);
        m_scalePlot->replot(QCustomPlot::rpQueuedReplot);
    }
}

} // namespace convscope::ui
