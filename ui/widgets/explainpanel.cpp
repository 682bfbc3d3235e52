// SPDX-License-Identifier: GPL-3.0-or-later
#include "explainpanel.h"

#include "session.h"

#include <QEvent>
#include <QLabel>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <cmath>

namespace convscope::ui {

namespace {

bool isDark(const QPalette &p)
{
    return p.color(QPalette::Base).lightness() < 128;
}

QString modeName(core::PaddingMode m)
{
    return QString::fromStdString(core::toString(m));
}

} // namespace

QString ExplainPanel::formatNumber(double v)
{
    // Four decimals read well for image values in [0, 1] and typical weights; tiny and huge
    // magnitudes switch to scientific so no product silently shows as 0.0000.
    if (v == 0.0)
        return QStringLiteral("0");
    const double a = std::abs(v);
    if (a < 1e-3 || a >= 1e5)
        return QString::number(v, 'e', 3).replace(QLatin1Char('-'), QChar(0x2212));
    return QString::number(v, 'f', 4).replace(QLatin1Char('-'), QChar(0x2212));
}

ExplainPanel::ExplainPanel(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("explainPanel"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_header = new QLabel;
    m_header->setObjectName(QStringLiteral("explainHeader"));
    m_header->setTextFormat(Qt::RichText);
    m_header->setWordWrap(true);
    m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_header);
    m_body = new QTextBrowser;
    m_body->setObjectName(QStringLiteral("explainBody"));
    m_body->setAccessibleName(tr("Explanation of the selected output"));
    m_body->setOpenLinks(false);
    m_body->setFrameShape(QFrame::NoFrame);
    layout->addWidget(m_body, 1);
    clear();
}

bool ExplainPanel::explain(const ComputeResult &result, int layer, int channel, int y, int x)
{
    const auto &out = result.output;
    if (out.rank() != 4 || channel < 0 || y < 0 || x < 0 || channel >= out.dim(1) || y >= out.dim(2)
        || x >= out.dim(3) || !result.input || !result.weight) {
        clear();
        m_header->setText(tr("out[0, %1, %2, %3] is not in the output %4.")
                              .arg(channel)
                              .arg(y)
                              .arg(x)
                              .arg(QString::fromStdString(core::formatShape(out.shape))));
        return false;
    }
    const core::Explanation e = core::explainOutput(
        *result.input, *result.weight, result.bias.get(), result.params, 0, channel, y, x);
    setExplanation(e, out.at(0, channel, y, x), layer);
    return true;
}

void ExplainPanel::setExplanation(const core::Explanation &e, float mapValue, int layer)
{
    m_explanation = e;
    m_mapValue = mapValue;
    m_layer = layer;
    render();
}

void ExplainPanel::clear()
{
    m_explanation.reset();
    m_mapValue = 0.0f;
    m_header->setText(tr("<b>Why this number?</b><br>Click a pixel of any feature map to see "
                         "the arithmetic that made it."));
    m_body->clear();
}

QString ExplainPanel::totalText() const
{
    return m_explanation ? formatNumber(m_explanation->value) : QString();
}

bool ExplainPanel::matchesMap() const
{
    if (!m_explanation)
        return false;
    if (m_explanation->value == m_mapValue)
        return true;
    // The fast engine sums in another order (blocked float accumulation), so its value may
    // differ from the double-accumulated total by a few ulps of the largest partial sum.
    double magnitude = m_explanation->bias ? std::abs(double(*m_explanation->bias)) : 0.0;
    for (const auto &ch : m_explanation->channels)
        for (const auto &t : ch.terms)
            magnitude += std::abs(t.product);
    return std::abs(double(m_mapValue) - m_explanation->total) <= 1e-6 * magnitude + 1e-7;
}

bool ExplainPanel::exactMatch() const
{
    return m_explanation && m_explanation->value == m_mapValue;
}

QString ExplainPanel::html() const
{
    return m_header->text() + m_body->toHtml();
}

QString ExplainPanel::plainText() const
{
    QTextDocument header;
    header.setHtml(m_header->text());
    return header.toPlainText() + QLatin1Char('\n') + m_body->toPlainText();
}

void ExplainPanel::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    // The colours of the padded cells follow the theme; the tables follow the font, which
    // presentation mode enlarges.
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange)
        render();
}

void ExplainPanel::render()
{
    if (!m_explanation)
        return;
    const core::Explanation &e = *m_explanation;
    const bool dark = isDark(palette());
    const QString padBg = dark ? QStringLiteral("#5a3a12") : QStringLiteral("#ffe3bf");
    const QString zeroBg = dark ? QStringLiteral("#3c3c3c") : QStringLiteral("#e6e6e6");
    const QString cellBg = dark ? QStringLiteral("#26282c") : QStringLiteral("#f7f7f7");
    const QString muted = dark ? QStringLiteral("#a0a0a0") : QStringLiteral("#666666");
    const QString good = dark ? QStringLiteral("#6fdc8c") : QStringLiteral("#1a7f37");
    const QString bad = dark ? QStringLiteral("#ff8080") : QStringLiteral("#c62828");
    const QString mode = modeName(e.paddingMode);

    const std::int64_t first = e.channels.empty() ? 0 : e.channels.front().inputChannel;
    const auto count = static_cast<std::int64_t>(e.channels.size());
    const QString channels = count == 1
                                 ? tr("input channel %1").arg(first)
                                 : tr("input channels %1–%2").arg(first).arg(first + count - 1);
    m_header->setText(tr("<span style='font-size:large'><b>out[%1, %2, %3, %4] = %5</b></span><br>"
                         "<span style='color:%6'>layer %7 · group %8 reads %9 · padding %10</span>")
                          .arg(e.n)
                          .arg(e.o)
                          .arg(e.y)
                          .arg(e.x)
                          .arg(formatNumber(m_mapValue))
                          .arg(muted)
                          .arg(m_layer + 1)
                          .arg(e.group)
                          .arg(channels, mode));

    QString h;
    h += QStringLiteral("<html><body>");
    int shown = 0;
    for (const core::ExplainChannel &ch : e.channels) {
        if (shown == kDetailedChannels)
            break;
        ++shown;
        h += tr("<p style='margin-top:10px'><b>in[%1]</b> <span style='color:%2'>× "
                "weight[%3, %4]</span></p>")
                 .arg(ch.inputChannel)
                 .arg(muted)
                 .arg(e.o)
                 .arg(ch.weightChannel);
        // The kernel's own shape: row ky, column kx, as weight[o, ci, ky, kx].
        int kW = 0;
        for (const auto &t : ch.terms)
            kW = std::max(kW, t.tap.kx + 1);
        h += QStringLiteral("<table cellspacing='3' cellpadding='5'>");
        for (std::size_t i = 0; i < ch.terms.size(); ++i) {
            const core::ExplainTerm &t = ch.terms[i];
            if (t.tap.kx == 0)
                h += QStringLiteral("<tr>");
            // Line 1: where the tap lands; line 2 (padding only): what the mode put there.
            QString where = QStringLiteral("(%1, %2)").arg(t.tap.py).arg(t.tap.px);
            QString bg = cellBg;
            if (t.tap.inPadding) {
                bg = t.tap.readsZero() ? zeroBg : padBg;
                where += QStringLiteral("<br>")
                         + (t.tap.readsZero()
                                ? tr("%1 padding").arg(mode)
                                : tr("%1 ← (%2, %3)").arg(mode).arg(t.tap.sy).arg(t.tap.sx));
            }
            h += QStringLiteral("<td style='background-color:%1; white-space:nowrap' align='right'>"
                                "<span style='color:%2; font-size:small'>%3</span><br>"
                                "%4 × %5<br><b>= %6</b></td>")
                     .arg(bg, muted, where, formatNumber(t.input), formatNumber(t.weight),
                          formatNumber(t.product));
            if (t.tap.kx + 1 == kW)
                h += QStringLiteral("</tr>");
        }
        h += QStringLiteral("</table>");
        h += tr("<p>subtotal in[%1]: <b>%2</b></p>")
                 .arg(ch.inputChannel)
                 .arg(formatNumber(ch.subtotal));
    }
    if (count > shown) {
        h += tr("<p style='color:%1'>%2 more channels, subtotals only:</p><p>")
                 .arg(muted)
                 .arg(count - shown);
        for (std::int64_t i = shown; i < count; ++i) {
            const auto &ch = e.channels[static_cast<std::size_t>(i)];
            h += tr("in[%1]: %2<br>").arg(ch.inputChannel).arg(formatNumber(ch.subtotal));
        }
        h += QStringLiteral("</p>");
    }

    // The sum, written out: subtotals + bias = total, then the check against the map.
    h += QStringLiteral("<hr><table cellspacing='0' cellpadding='3'>");
    for (const core::ExplainChannel &ch : e.channels)
        h += tr("<tr><td>subtotal in[%1]</td><td align='right'>%2</td></tr>")
                 .arg(ch.inputChannel)
                 .arg(formatNumber(ch.subtotal));
    if (e.bias)
        h += tr("<tr><td>+ bias[%1]</td><td align='right'>%2</td></tr>")
                 .arg(e.o)
                 .arg(formatNumber(*e.bias));
    else
        h += tr("<tr><td>+ bias</td><td align='right' style='color:%1'>none "
                "(bias=False)</td></tr>")
                 .arg(muted);
    h += tr("<tr><td><b>= total</b></td><td align='right'><b>%1</b></td></tr></table>")
             .arg(totalText());
    if (matchesMap())
        h += tr("<p style='color:%1'><b>✓ equals the map value out[%2, %3, %4, %5] = %6</b></p>")
                 .arg(good)
                 .arg(e.n)
                 .arg(e.o)
                 .arg(e.y)
                 .arg(e.x)
                 .arg(formatNumber(m_mapValue));
    if (matchesMap() && !exactMatch())
        h += tr("<p style='color:%1'>The engine adds the products in another order; its "
                "float differs from this sum by %2, a rounding difference.</p>")
                 .arg(muted)
                 .arg(QString::number(double(m_mapValue) - e.total, 'g', 2));
    if (!matchesMap())
        h += tr("<p style='color:%1'><b>✗ the map shows %2 (difference %3)</b></p>")
                 .arg(bad)
                 .arg(formatNumber(m_mapValue))
                 .arg(QString::number(double(m_mapValue) - e.total, 'g', 3));
    h += tr("<p style='color:%1'>Products are summed in double precision and rounded to float "
            "once, as the reference convolution does; the rounded subtotals shown may not add "
            "up in the last digit.</p>")
             .arg(muted);
    h += QStringLiteral("</body></html>");
    m_body->setHtml(h);
}

} // namespace convscope::ui
