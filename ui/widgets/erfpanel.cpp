// SPDX-License-Identifier: GPL-3.0-or-later
#include "erfpanel.h"

#include "erfview.h"
#include "session.h"

#include <QComboBox>
#include <QLabel>
#include <QVBoxLayout>

namespace convscope::ui {

namespace {

QString percent(double f)
{
    return QStringLiteral("%1 %").arg(100.0 * f, 0, 'f', 0);
}

} // namespace

ErfPanel::ErfPanel(ErfModel *model, Session *session, QWidget *parent)
    : QWidget(parent), m_model(model), m_session(session), m_mode(new QComboBox),
      m_view(new ErfView), m_caption(new QLabel)
{
    m_mode->addItem(tr("Gradient |∂out/∂in|"), int(ErfMode::Gradient));
    m_mode->addItem(tr("Path counts (weights 1, linear)"), int(ErfMode::Paths));
    m_mode->addItem(tr("Averaged over positions (Luo et al.)"), int(ErfMode::Average));
    m_mode->addItem(tr("Coverage of the shown layer"), int(ErfMode::Coverage));
    m_mode->setToolTip(tr("What the map shows: how much each input pixel moves the selected "
                          "output, how many paths connect them, the field averaged over many "
                          "outputs, or how often the shown layer reads each pixel"));
    m_caption->setWordWrap(true);
    m_caption->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_mode);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_caption);
    connect(m_mode, &QComboBox::currentIndexChanged, this,
            [this](int i) { m_model->setMode(static_cast<ErfMode>(m_mode->itemData(i).toInt())); });
    connect(m_model, &ErfModel::resultChanged, this, &ErfPanel::refresh);
    connect(m_model, &ErfModel::busyChanged, this, &ErfPanel::refresh);
    refresh();
}

QString ErfPanel::caption() const
{
    return m_caption->text();
}

QString ErfPanel::describe(const ErfResult &r)
{
    const QString where = tr("layer %1, out[%2, %3, %4]")
                              .arg(r.target.layer + 1)
                              .arg(r.target.channel)
                              .arg(r.target.y)
                              .arg(r.target.x);
    const QString box = tr("box %1 × %2").arg(r.box.height()).arg(r.box.width());
    switch (r.mode) {
    case ErfMode::Gradient:
        return tr("%1 · %2 (dashed): 50 % of |∂out/∂in| lies in %3 of it, 90 % in %4, 99 % in "
                  "%5 · ERF radius %6 px (circle)")
            .arg(where, box, percent(r.stats.fraction50), percent(r.stats.fraction90),
                 percent(r.stats.fraction99))
            .arg(r.stats.radius, 0, 'f', 1);
    case ErfMode::Paths:
        return tr("%1 · %2: up to %3 paths reach one pixel; %4 of its %5 pixels are never "
                  "reached (stride gaps, dilation gridding)")
            .arg(where, box)
            .arg(r.maxValue, 0, 'f', 0)
            .arg(r.boxZeros)
            .arg(r.boxPixels);
    case ErfMode::Average:
        return tr("layer %1, channel %2: |∂out/∂in| averaged over %3 positions, each aligned on "
                  "its %4 × %5 box · 50 % of it in %6 of the box, 90 % in %7 · radius %8 px")
            .arg(r.target.layer + 1)
            .arg(r.target.channel)
            .arg(r.positions)
            .arg(r.h)
            .arg(r.w)
            .arg(percent(r.stats.fraction50), percent(r.stats.fraction90))
            .arg(r.stats.radius, 0, 'f', 1);
    case ErfMode::Coverage:
        return tr("layer %1 reads each pixel of its %2 × %3 input %4 to %5 times; %6 pixels "
                  "never")
            .arg(r.target.layer + 1)
            .arg(r.h)
            .arg(r.w)
            .arg(r.minValue, 0, 'f', 0)
            .arg(r.maxValue, 0, 'f', 0)
            .arg(static_cast<qint64>(std::count(r.map.begin(), r.map.end(), 0.0)));
    }
    return {};
}

void ErfPanel::refresh()
{
    const auto r = m_model->result();
    m_view->setResult(r, m_session->previewImage());
    if (!m_model->error().isEmpty())
        m_caption->setText(m_model->error());
    else if (r)
        m_caption->setText(describe(*r));
    else if (m_model->mode() == ErfMode::Coverage)
        m_caption->setText(m_model->isBusy() ? tr("Computing…") : QString());
    else
        m_caption->setText(tr("Click an output in a feature map to see which input pixels "
                              "move it, and how much."));
}

} // namespace convscope::ui
