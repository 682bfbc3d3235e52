// SPDX-License-Identifier: GPL-3.0-or-later
#include "layerstackpanel.h"

#include "conv2dparamsform.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QTableWidget>
#include <QVBoxLayout>

namespace convscope::ui {

namespace {

QString shortSpec(const core::Conv2dParams &p)
{
    QString s = QStringLiteral("Conv2d(%1, %2, k=%3").arg(p.inChannels).arg(p.outChannels);
    s = s.arg(p.kernel.h == p.kernel.w ? QString::number(p.kernel.h)
                                       : QStringLiteral("%1×%2").arg(p.kernel.h).arg(p.kernel.w));
    if (p.stride.h != 1 || p.stride.w != 1)
        s += QStringLiteral(", s=%1").arg(p.stride.h);
    if (p.paddingKind == core::PaddingKind::Same)
        s += QStringLiteral(", p=same");
    else if (p.paddingKind == core::PaddingKind::Explicit && (p.padding.h || p.padding.w))
        s += QStringLiteral(", p=%1").arg(p.padding.h);
    if (p.dilation.h != 1 || p.dilation.w != 1)
        s += QStringLiteral(", d=%1").arg(p.dilation.h);
    if (p.groups != 1)
        s += QStringLiteral(", g=%1").arg(p.groups);
    if (p.paddingMode != core::PaddingMode::Zeros)
        s += QStringLiteral(", %1").arg(QString::fromStdString(core::toString(p.paddingMode)));
    return s + QLatin1Char(')');
}

} // namespace

QStringList LayerStackPanel::tableColumns()
{
    return {tr("layer"), tr("axis"), tr("in"), tr("out"),   tr("k_eff"),  tr("stride"),
            tr("pad"),   tr("r"),    tr("j"),  tr("start"), tr("centre"), tr("unreached")};
}

LayerStackPanel::LayerStackPanel(LayerStackModel *model, QWidget *parent)
    : QWidget(parent), m_model(model)
{
    setObjectName(QStringLiteral("layerStackPanel"));
    // Everything scrolls: the editor and the table are tall, and a dock's minimum height
    // must not force the main window to grow.
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto *scroll = new QScrollArea;
    scroll->setAccessibleName(tr("Layers"));
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto *content = new QWidget;
    scroll->setWidget(content);
    outer->addWidget(scroll);
    auto *layout = new QVBoxLayout(content);
    layout->setContentsMargins(4, 4, 4, 4);

    m_list = new QListWidget;
    m_list->setObjectName(QStringLiteral("layerList"));
    m_list->setAccessibleName(tr("Layers of the stack"));
    m_list->setToolTip(tr("The stack, network input first. Layer 1 is edited in the Parameters "
                          "and Kernel panels."));
    m_list->setMaximumHeight(120);
    layout->addWidget(m_list);

    auto *buttons = new QHBoxLayout;
    m_add = new QPushButton(tr("Add layer"));
    m_add->setObjectName(QStringLiteral("addLayer"));
    m_add->setToolTip(tr("Append a 3×3 conv layer (ReLU before it) with fresh PyTorch-default "
                         "weights"));
    m_remove = new QPushButton(tr("Remove"));
    m_remove->setObjectName(QStringLiteral("removeLayer"));
    m_remove->setToolTip(tr("Remove the selected layer (layer 1 stays)"));
    buttons->addWidget(m_add);
    buttons->addWidget(m_remove);
    buttons->addStretch();
    buttons->addWidget(new QLabel(tr("Show maps of")));
    m_show = new QComboBox;
    m_show->setObjectName(QStringLiteral("shownLayer"));
    m_show->setToolTip(tr("Which layer's feature maps the central view shows; clicking one of "
                          "its outputs shows its receptive field on the input through the "
                          "whole stack"));
    buttons->addWidget(m_show);
    layout->addLayout(buttons);

    m_editorNote = new QLabel;
    m_editorNote->setWordWrap(true);
    layout->addWidget(m_editorNote);
    m_editor = new QWidget;
    auto *editorLayout = new QVBoxLayout(m_editor);
    editorLayout->setContentsMargins(0, 0, 0, 0);
    m_relu = new QCheckBox(tr("ReLU on the input of this layer"));
    m_relu->setObjectName(QStringLiteral("relu"));
    editorLayout->addWidget(m_relu);
    // The same form as the Parameters dock's, compact: the table below reads one number per
    // axis pair anyway, and the Parameters dock owns the Alt+letter shortcuts.
    Conv2dParamsForm::Options options;
    options.inputMode = false; // in_channels follow the layer before
    options.squareOnly = true;
    options.sliders = false;
    options.mnemonics = false;
    options.mergeSpinSteps = true;
    options.namePrefix = QStringLiteral("layer");
    m_form = new Conv2dParamsForm(options);
    editorLayout->addWidget(m_form);
    layout->addWidget(m_editor);

    m_error = new QLabel;
    m_error->setObjectName(QStringLiteral("stackError"));
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("QLabel { color: #c62828; font-weight: bold; }"));
    layout->addWidget(m_error);

    m_table = new QTableWidget(0, int(tableColumns().size()));
    m_table->setObjectName(QStringLiteral("receptiveFieldTable"));
    m_table->setAccessibleName(tr("Receptive field of each layer"));
    m_table->setHorizontalHeaderLabels(tableColumns());
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    const QStringList tips{
        tr("layer, network input first"),
        tr("H: rows, W: columns"),
        tr("size of this layer's input along the axis"),
        tr("output size: ⌊(in + pad − k_eff) / stride⌋ + 1"),
        tr("effective kernel d·(k − 1) + 1"),
        tr("stride"),
        tr("effective padding before + after ('same' puts the odd pixel after)"),
        tr("receptive-field size on the network input: r = r₋₁ + (k_eff − 1)·j₋₁"),
        tr("jump: input pixels between neighbouring outputs, j = j₋₁ · stride"),
        tr("input coordinate where output 0's field begins (negative: padding)"),
        tr("centre of output 0's field: start + (r − 1) / 2"),
        tr("padded rows / columns at the end that no window reaches (the floor)")};
    for (int c = 0; c < tips.size(); ++c)
        m_table->horizontalHeaderItem(c)->setToolTip(tips[c]);
    layout->addWidget(m_table, 1);
    auto *ref = new QLabel(tr("Formulas: Araujo, Norris & Sim, “Computing Receptive Fields of "
                              "Convolutional Neural Networks”, Distill 2019; dilation as "
                              "k_eff = d(k − 1) + 1."));
    ref->setWordWrap(true);
    ref->setEnabled(false);
    layout->addWidget(ref);

    connect(m_add, &QPushButton::clicked, this, [this] {
        m_model->addLayer();
        setCurrentLayer(m_model->layerCount() - 1);
    });
    connect(m_remove, &QPushButton::clicked, this,
            [this] { m_model->removeLayer(currentLayer()); });
    connect(m_list, &QListWidget::currentRowChanged, this, [this] {
        // Steps on another layer are another edit (a rebuild re-selecting the row is not).
        if (!m_loading)
            ++m_editSerial;
        loadEditor();
    });
    connect(m_show, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (!m_loading && i >= 0)
            m_model->setShownLayer(i);
    });
    // Steps of one spin box (arrow clicks) are one undo step until the field is left or
    // confirmed (the form's merge key); combos and check boxes are one step per change.
    connect(m_form, &Conv2dParamsForm::paramsEdited, this,
            [this](const core::Conv2dParams &, const core::Conv2dParams &after, const QString &,
                   const QString &key) { editorChanged(after, key); });
    connect(m_relu, &QCheckBox::toggled, this, [this](bool on) {
        if (!m_loading && currentLayer() > 0)
            m_model->setReluBefore(currentLayer(), on);
    });

    connect(model, &LayerStackModel::layersChanged, this, [this] {
        // A change that is not this editor's own step (undo, redo, another edit) ends the
        // merging: the next step must not fold into a command below it on the stack.
        if (!m_editing)
            ++m_editSerial;
        rebuildList();
        rebuildTable();
    });
    connect(model, &LayerStackModel::shownLayerChanged, this, [this](int layer) {
        m_loading = true;
        m_show->setCurrentIndex(layer);
        m_loading = false;
    });
    // The image size changes every layer's in/out sizes.
    connect(model->session(), &Session::imageChanged, this, &LayerStackPanel::rebuildTable);
    connect(model->session(), &Session::paramsChanged, this, [this] {
        ++m_editSerial;
        rebuildList();
        rebuildTable();
    });
    rebuildList();
    rebuildTable();
}

int LayerStackPanel::currentLayer() const
{
    return std::max(0, m_list->currentRow());
}

void LayerStackPanel::setCurrentLayer(int layer)
{
    m_list->setCurrentRow(std::clamp(layer, 0, m_model->layerCount() - 1));
}

QString LayerStackPanel::tableText(int row, int column) const
{
    const QTableWidgetItem *item = m_table->item(row, column);
    return item ? item->text() : QString();
}

void LayerStackPanel::rebuildList()
{
    m_loading = true;
    const int current = currentLayer();
    m_list->clear();
    m_show->clear();
    for (int l = 0; l < m_model->layerCount(); ++l) {
        QString text = tr("%1. ").arg(l + 1);
        if (m_model->reluBefore(l))
            text += QStringLiteral("ReLU → ");
        text += shortSpec(m_model->params(l));
        if (l == 0)
            text += tr("  (Parameters panel)");
        m_list->addItem(text);
        m_show->addItem(tr("layer %1").arg(l + 1));
    }
    m_show->setCurrentIndex(m_model->shownLayer());
    m_list->setCurrentRow(std::min(current, m_model->layerCount() - 1));
    m_loading = false;
    loadEditor();
}

void LayerStackPanel::loadEditor()
{
    const int layer = currentLayer();
    m_remove->setEnabled(layer > 0);
    m_editor->setEnabled(layer > 0);
    m_editorNote->setText(layer == 0
                              ? tr("Layer 1 is the one the Parameters and Kernel panels edit. "
                                   "Add layers to see receptive fields grow through a stack.")
                              : tr("Layer %1 (weights: PyTorch's default initialisation, "
                                   "seeded).")
                                    .arg(layer + 1));
    const core::Conv2dParams p = m_model->params(layer);
    const bool wasLoading = m_loading;
    m_loading = true;
    m_relu->setChecked(m_model->reluBefore(layer));
    m_form->setParams(p);
    m_loading = wasLoading;
}

void LayerStackPanel::editorChanged(const core::Conv2dParams &after, const QString &mergeKey)
{
    const int layer = currentLayer();
    if (m_loading || layer == 0)
        return;
    const QString key =
        mergeKey.isEmpty()
            ? QString()
            : QStringLiteral("layer%1/%2#%3").arg(layer).arg(mergeKey).arg(m_editSerial);
    m_editing = true;
    m_model->setLayerParams(layer, after, key);
    m_editing = false;
}

void LayerStackPanel::rebuildTable()
{
    m_table->setRowCount(0);
    const core::LayerStack stack = m_model->stack();
    const core::PlaneSize input = m_model->inputSize();
    if (const auto err = core::validateStack(stack, input)) {
        m_error->setText(
            tr("Layer %1: %2").arg(err->layer).arg(QString::fromStdString(err->error.message)));
        m_error->show();
        return;
    }
    m_error->hide();
    const auto table = core::receptiveFields(stack, input);
    m_table->setRowCount(int(table.size()) * 2);
    auto set = [this](int row, int col, const QString &text) {
        auto *item = new QTableWidgetItem(text);
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_table->setItem(row, col, item);
    };
    for (std::size_t l = 0; l < table.size(); ++l) {
        for (int a = 0; a < 2; ++a) {
            const core::AxisField &f = a == 0 ? table[l].h : table[l].w;
            const int row = int(l) * 2 + a;
            set(row, 0, a == 0 ? QString::number(l + 1) : QString());
            set(row, 1, a == 0 ? QStringLiteral("H") : QStringLiteral("W"));
            set(row, 2, QString::number(f.inSize));
            set(row, 3, QString::number(f.outSize));
            set(row, 4, QString::number(f.kernelEff));
            set(row, 5, QString::number(f.stride));
            set(row, 6, QStringLiteral("%1+%2").arg(f.padBefore).arg(f.padAfter));
            set(row, 7, QString::number(f.r));
            set(row, 8, QString::number(f.j));
            set(row, 9, QString::number(f.start));
            set(row, 10, QString::number(f.centre, 'g', 6));
            set(row, 11, QString::number(f.unreached));
        }
    }
}

} // namespace convscope::ui
