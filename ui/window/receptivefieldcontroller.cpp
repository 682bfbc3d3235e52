// SPDX-License-Identifier: GPL-3.0-or-later
#include "receptivefieldcontroller.h"

#include "connectivityview.h"
#include "explainpanel.h"
#include "featuremapgrid.h"
#include "inputview.h"
#include "layerstackmodel.h"

namespace convscope::ui {

ReceptiveFieldController::ReceptiveFieldController(LayerStackModel *model, FeatureMapGrid *grid,
                                                   InputView *input, ExplainPanel *explain,
                                                   ConnectivityView *connectivity, QObject *parent)
    : QObject(parent), m_model(model), m_grid(grid), m_input(input), m_explain(explain),
      m_connectivity(connectivity)
{
    connect(grid, &FeatureMapGrid::outputClicked, this, &ReceptiveFieldController::selectOutput);
    connect(grid, &FeatureMapGrid::outputHovered, this, [this](int c, int y, int x) {
        if (m_followHover)
            selectOutput(c, y, x);
    });
    connect(input, &InputView::inputClicked, this, &ReceptiveFieldController::selectInput);
    connect(model, &LayerStackModel::resultsChanged, this, &ReceptiveFieldController::onResults);
    connect(model, &LayerStackModel::layersChanged, this, &ReceptiveFieldController::onResults);
    connect(model, &LayerStackModel::shownLayerChanged, this, [this] {
        // Positions of another layer mean something else: start over.
        m_selection.reset();
        m_pixel.reset();
        onResults();
    });
    // The unreached bands of the first layer follow its parameters and the image.
    auto bands = [this] {
        const auto p = m_model->params(0);
        const auto size = m_model->inputSize();
        m_input->setUnreachedBands(
            core::validateStack({p}, size)
                ? UnreachedBands()
                : UnreachedBands::of(core::receptiveFields({p}, size).front()));
        if (m_connectivity && m_model->shownLayer() == 0)
            m_connectivity->setParams(p);
    };
    connect(model->session(), &Session::paramsChanged, this, bands);
    connect(model->session(), &Session::imageChanged, this, bands);
    bands();
    onResults();
}

bool ReceptiveFieldController::selectOutput(int channel, int y, int x)
{
    const int layer = m_model->shownLayer();
    const auto result = m_model->result(layer);
    if (!result || channel < 0 || y < 0 || x < 0 || channel >= result->output.dim(1)
        || y >= result->output.dim(2) || x >= result->output.dim(3))
        return false;
    const Selection s{layer, channel, y, x};
    if (m_selection == s && !m_pixel)
        return true;
    m_selection = s;
    m_pixel.reset();
    publish();
    return true;
}

bool ReceptiveFieldController::selectInput(int y, int x)
{
    const core::PlaneSize size = m_model->inputSize();
    if (y < 0 || x < 0 || y >= size.h || x >= size.w)
        return false;
    m_pixel = QPoint(x, y);
    m_selection.reset();
    publish();
    return true;
}

void ReceptiveFieldController::clearSelection()
{
    m_selection.reset();
    m_pixel.reset();
    publish();
}

void ReceptiveFieldController::setFollowHover(bool on)
{
    m_followHover = on;
}

void ReceptiveFieldController::onResults()
{
    const int layer = m_model->shownLayer();
    // Layer 0 is the Session's own result, which the grid follows by itself.
    m_grid->setShownResult(layer == 0 ? nullptr : m_model->result(layer));
    if (m_connectivity)
        m_connectivity->setParams(m_model->params(layer));
    // Keep the selection on new numbers when it still exists; drop it otherwise.
    if (m_selection) {
        const auto r = m_model->result(layer);
        if (!r || m_selection->channel >= r->output.dim(1) || m_selection->y >= r->output.dim(2)
            || m_selection->x >= r->output.dim(3))
            m_selection.reset();
    }
    if (m_pixel) {
        const core::PlaneSize size = m_model->inputSize();
        if (m_pixel->y() >= size.h || m_pixel->x() >= size.w)
            m_pixel.reset();
    }
    publish();
}

void ReceptiveFieldController::publish()
{
    m_overlay = ReceptiveFieldOverlay();
    m_highlight = MapHighlight();
    QString text;
    const int layer = m_model->shownLayer();
    // The geometry of what the maps show (the computed results), not of parameters still
    // being computed: the overlay must describe the value the explain panel explains.
    const core::LayerStack stack = m_model->computedStack(layer);
    const auto result = m_model->result(layer);
    if (!stack.empty() && result) {
        const auto first = m_model->result(0);
        const core::PlaneSize netInput{first->input->dim(2), first->input->dim(3)};
        try {
            if (m_selection) {
                const Selection &s = *m_selection;
                m_overlay = ReceptiveFieldOverlay::forOutput(stack, netInput, std::size_t(layer),
                                                             s.channel, s.y, s.x);
                m_highlight.channel = s.channel;
                m_highlight.y = s.y;
                m_highlight.x = s.x;
                m_explain->explain(*result, layer, s.channel, s.y, s.x);
                text = m_overlay.summary();
            } else if (m_pixel) {
                m_highlight = MapHighlight::projective(stack, netInput, std::size_t(layer),
                                                       m_pixel->y(), m_pixel->x());
                m_overlay =
                    ReceptiveFieldOverlay::forInputPixel(netInput, m_pixel->y(), m_pixel->x());
                // A stride larger than the kernel can skip the pixel's column but not its
                // row (or the other way): nothing depends on it unless both are read.
                text = m_highlight.rows.empty() || m_highlight.cols.empty()
                           ? tr("Nothing in layer %1 depends on input pixel (%2, %3)")
                                 .arg(layer + 1)
                                 .arg(m_pixel->y())
                                 .arg(m_pixel->x())
                           : tr("in (%1, %2) feeds layer %3 rows %4…%5, cols %6…%7 (%8 "
                                "positions per map)")
                                 .arg(m_pixel->y())
                                 .arg(m_pixel->x())
                                 .arg(layer + 1)
                                 .arg(m_highlight.rows.front())
                                 .arg(m_highlight.rows.back())
                                 .arg(m_highlight.cols.front())
                                 .arg(m_highlight.cols.back())
                                 .arg(m_highlight.rows.size() * m_highlight.cols.size());
            }
        } catch (const std::exception &) {
            // A stack that stopped being valid between result and click: show nothing.
            m_overlay = ReceptiveFieldOverlay();
            m_highlight = MapHighlight();
        }
    }
    if (!m_selection)
        m_explain->clear();
    m_input->setOverlay(m_overlay);
    m_grid->setHighlight(m_highlight);
    emit selectionChanged();
    if (!text.isEmpty())
        emit status(text);
}

} // namespace convscope::ui
