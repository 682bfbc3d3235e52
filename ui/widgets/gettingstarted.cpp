// SPDX-License-Identifier: GPL-3.0-or-later
#include "gettingstarted.h"

#include <QDialogButtonBox>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace convscope::ui {

namespace {

// What kernel c mod 4 of core::startupWeights does to the image, in the order it cycles.
QString mapMeaning(int channel)
{
    switch (channel % 4) {
    case 0:
        return GettingStartedDialog::tr(
            "<b>box blur</b>: every tap the same small weight, so the map is the image's "
            "brightness, softened");
    case 1:
        return GettingStartedDialog::tr(
            "<b>horizontal edge</b>: the rows below minus the rows above, so it is bright "
            "(red) where the image gets brighter downwards and dark (blue) where it gets "
            "darker; flat areas are white (0)");
    case 2:
        return GettingStartedDialog::tr(
            "<b>vertical edge</b>: the columns to the right minus those to the left, so it "
            "marks left-right changes such as the sides of the house");
    default:
        return GettingStartedDialog::tr(
            "<b>identity</b>: 1 at the centre tap and 0 elsewhere, so the map is the image "
            "itself (the mean of its colour channels)");
    }
}

} // namespace

GettingStartedDialog::GettingStartedDialog(QWidget *parent) : QDialog(parent)
{
    setObjectName(QStringLiteral("gettingStarted"));
    setWindowTitle(tr("Getting Started"));
    auto *text = new QTextBrowser(this);
    text->setObjectName(QStringLiteral("gettingStartedText"));
    text->setAccessibleName(tr("Getting started guide"));
    text->setOpenExternalLinks(false);
    text->setHtml(guideHtml());
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(text, 1);
    layout->addWidget(buttons);
    resize(640, 620);
}

QString GettingStartedDialog::guideHtml(int maps)
{
    QString html = tr("<h2>Getting started</h2>"
                      "<p>convscope shows what <code>torch.nn.Conv2d</code> does to an image. "
                      "The <b>Input</b> dock (right) holds the image, the <b>Parameters</b> "
                      "dock (left) the layer's arguments, and the middle shows one "
                      "<b>feature map</b> per output channel: <code>out[c]</code> is the image "
                      "filtered by output channel c's kernel.</p>"
                      "<h3>The eight maps you start with</h3>"
                      "<p>A new window has 8 output channels. Output channel c uses kernel "
                      "c mod 4 of four textbook kernels on every colour channel (divided by "
                      "their number, so the maps look at the image's brightness):</p><ul>");
    for (int c = 0; c < maps; ++c)
        html += tr("<li><code>out[%1]</code>: %2.</li>").arg(c).arg(mapMeaning(c));
    html += tr("</ul><p>Colours: white is 0, red positive, blue negative; each map's title gives "
               "its range. The <b>Kernel</b> dock shows and edits the weights (presets, "
               "Randomise).</p>"
               "<h3>Main controls</h3><ul>"
               "<li><b>Parameters</b>: out_channels, kernel_size, stride, padding (and its "
               "mode), dilation, groups, bias. An invalid combination is marked and explained; "
               "the last valid maps stay, dimmed.</li>"
               "<li><b>Click a map pixel</b>: its receptive field is drawn on the input and the "
               "<b>Explain</b> dock shows the arithmetic that made it. Arrow keys move it.</li>"
               "<li><b>Wheel / drag</b> on a map: zoom and pan, all maps together; "
               "<b>Fit</b> (Ctrl+0) goes back.</li>"
               "<li><b>File &gt; Open Image</b> (Ctrl+O) or drop a file on the window; "
               "<b>File &gt; Export</b> writes the maps, <b>Save Session</b> the whole state, "
               "<b>Copy as PyTorch</b> the layer as code.</li>"
               "<li><b>View &gt; Teaching Mode</b> (F6) steps through the convolution one "
               "output at a time with quizzes; <b>Lesson</b> menu: the built-in lessons; "
               "<b>Presentation Mode</b> (F5) for a projector.</li>"
               "<li><b>Edit &gt; Undo</b> (Ctrl+Z) takes back any edit.</li></ul>");
    return html;
}

} // namespace convscope::ui
