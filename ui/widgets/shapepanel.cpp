// SPDX-License-Identifier: GPL-3.0-or-later
#include "shapepanel.h"

#include "receptivefieldoverlay.h"
#include "shape.h"

#include <QTextBrowser>
#include <QVBoxLayout>

namespace convscope::ui {

namespace {

QString shapeText(const core::Shape &s)
{
    return QString::fromStdString(core::formatShape(s));
}

// One output-size formula with every symbol replaced by its value.
QString formula(const char *name, std::int64_t in, int before, int after, int k, int s, int d)
{
    const std::int64_t out = core::outputSize(in, before, after, k, s, d);
    return QStringLiteral("%1 = ⌊(%2 + %3 + %4 − %5·(%6 − 1) − 1) / %7⌋ + 1 = %8")
        .arg(QString::fromLatin1(name))
        .arg(in)
        .arg(before)
        .arg(after)
        .arg(d)
        .arg(k)
        .arg(s)
        .arg(out);
}

} // namespace

QString formatBytes(double bytes)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        ++u;
    }
    return u == 0 ? QStringLiteral("%1 B").arg(bytes, 0, 'f', 0)
                  : QStringLiteral("%1 %2").arg(bytes, 0, 'f', 1).arg(QLatin1String(units[u]));
}

QString formatCount(double count)
{
    if (count < 10000)
        return QString::number(count, 'f', 0);
    const char *units[] = {"", "k", "M", "G", "T"};
    int u = 0;
    while (count >= 1000.0 && u < 4) {
        count /= 1000.0;
        ++u;
    }
    return QStringLiteral("%1 %2").arg(count, 0, 'f', 1).arg(QLatin1String(units[u]));
}

ShapePanel::ShapePanel(Session *session, QWidget *parent) : QWidget(parent), m_session(session)
{
    setObjectName(QStringLiteral("shapePanel"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    // A read-only text view rather than a word-wrapped QLabel in a scroll area: the label
    // re-laid its rich text out at several trial widths for its size hints on every edit
    // (~2 ms of each live redraw, bench-ui); the view lays it out once, at its own width.
    m_text = new QTextBrowser;
    m_text->setObjectName(QStringLiteral("shapeText"));
    m_text->setAccessibleName(tr("Shapes and formulas"));
    m_text->setFrameShape(QFrame::NoFrame);
    m_text->setOpenLinks(false);
    m_text->document()->setDocumentMargin(8);
    m_text->viewport()->setAutoFillBackground(false); // the panel's colour, like a label
    layout->addWidget(m_text);
    connect(session, &Session::paramsChanged, this, &ShapePanel::refresh);
    connect(session, &Session::imageChanged, this, &ShapePanel::refresh);
    connect(session, &Session::validationChanged, this, &ShapePanel::refresh);
    refresh();
}

QString ShapePanel::shapeLine() const
{
    const auto &in = m_session->inputTensor()->shape;
    const auto &p = m_session->params();
    if (m_session->validationError())
        return QStringLiteral("Input %1 -> Output (invalid)").arg(shapeText(in));
    return QStringLiteral("Input %1 -> Output %2")
        .arg(shapeText(in), shapeText(core::outputShape(p, in)));
}

QString ShapePanel::reprLine() const
{
    return QString::fromStdString(core::torchRepr(m_session->params()));
}

QString ShapePanel::formulaH() const
{
    const auto &p = m_session->params();
    const auto pad = core::effectivePadding(p);
    return formula("H_out", m_session->inputTensor()->dim(2), pad.top, pad.bottom, p.kernel.h,
                   p.stride.h, p.dilation.h);
}

QString ShapePanel::formulaW() const
{
    const auto &p = m_session->params();
    const auto pad = core::effectivePadding(p);
    return formula("W_out", m_session->inputTensor()->dim(3), pad.left, pad.right, p.kernel.w,
                   p.stride.w, p.dilation.w);
}

QString ShapePanel::html() const
{
    const auto &p = m_session->params();
    const auto &in = m_session->inputTensor()->shape;
    const auto &err = m_session->validationError();
    auto esc = [](const QString &s) { return s.toHtmlEscaped(); };
    QString h;
    h += QStringLiteral("<p style='font-size:115%'><b>Input</b> <code>%1</code> &rarr; ")
             .arg(esc(shapeText(in)));
    if (err)
        h += QStringLiteral("<b>Output</b> <span style='color:#d62728'>invalid</span></p>");
    else
        h += QStringLiteral("<b>Output</b> <code>%1</code></p>")
                 .arg(esc(shapeText(core::outputShape(p, in))));
    h += QStringLiteral("<p><code>%1</code></p>").arg(esc(reprLine()));
    if (err)
        h += QStringLiteral("<p style='color:#d62728'>%1</p>")
                 .arg(esc(QString::fromStdString(err->message)));
    h += QStringLiteral("<p><code>%1</code><br><code>%2</code><br>"
                        "<small>pads: top + bottom, left + right; k: kernel, s: stride, "
                        "d: dilation</small></p>")
             .arg(esc(formulaH()), esc(formulaW()));
    // "Why 18 and not 19?": the rows / cols the floor drops (hatched in the input view).
    if (!err)
        h += QStringLiteral("<p>%1</p>").arg(unreachedExplanation(p, {in[2], in[3]}));
    const bool sane = p.groups > 0 && p.inChannels % p.groups == 0 && p.outChannels > 0;
    h += QStringLiteral("<table cellspacing=2>");
    auto row = [&](const QString &k, const QString &v) {
        h += QStringLiteral("<tr><td>%1</td><td>&nbsp;%2</td></tr>").arg(k, v);
    };
    if (sane) {
        row(tr("weight"), QStringLiteral("<code>%1</code>").arg(shapeText(core::weightShape(p))));
        if (p.bias)
            row(tr("bias"), QStringLiteral("<code>[%1]</code>").arg(p.outChannels));
        row(tr("parameters"), QString::number(core::parameterCount(p)));
    }
    if (!err) {
        const auto out = core::outputShape(p, in);
        const double macs = double(core::macCount(p, in));
        row(tr("MACs"),
            QStringLiteral("%1 (%2)").arg(formatCount(macs)).arg(QString::number(macs, 'f', 0)));
        row(tr("output memory"),
            tr("%1 (float32)").arg(formatBytes(double(core::numel(out)) * 4.0)));
    }
    h += QStringLiteral("</table>");
    return h;
}

void ShapePanel::refresh()
{
    m_text->setHtml(html());
}

} // namespace convscope::ui
