// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernelpanel.h"

#include "colormap.h"
#include "shape.h"
#include "verticalscrollarea.h"

#include <QComboBox>
#include <QEvent>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPainter>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStyle>
#include <QStyledItemDelegate>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace convscope::ui {

namespace {

// The exact value of a cell, kept beside its rounded text so the editor starts from it.
constexpr int ValueRole = Qt::UserRole + 1;

// Numbers are written in the C locale ("0.25", "-1e-3"), as in Python and in the CLI, so
// what a class sees matches a notebook; typing takes that form and the locale's decimal
// comma (KernelPanel::parseTypedValue).
QString formatShort(double v)
{
    if (v == 0.0)
        return QStringLiteral("0");
    const double a = std::abs(v);
    if (a >= 1e-3 && a < 1e4)
        return QString::number(v, 'g', a < 1 ? 3 : 4);
    return QString::number(v, 'g', 2);
}

QString formatFull(double v)
{
    return QString::number(v, 'g', 9);
}

} // namespace

QString KernelPanel::typingNote() const
{
    return m_typingNote->isVisible() ? m_typingNote->text() : QString();
}

std::optional<double> KernelPanel::parseTypedValue(const QString &text, const QLocale &locale,
                                                   QString *why)
{
    QString t = text.trimmed();
    const bool commaDecimals = locale.decimalPoint() == QLatin1String(",");
    const auto refuse = [&](const QString &reason) -> std::optional<double> {
        if (why)
            *why = reason;
        return std::nullopt;
    };
    if (t.contains(QLatin1Char(','))) {
        if (!commaDecimals)
            return refuse(tr("'%1' is not a number: write decimals with a point (%2)")
                              .arg(text.trimmed(), QString(t).replace(',', '.')));
        if (t.count(QLatin1Char(',')) > 1 || t.contains(QLatin1Char('.')))
            return refuse(tr("'%1' is ambiguous: write one decimal separator, a point or a "
                             "comma, and no thousands separator")
                              .arg(text.trimmed()));
        t.replace(QLatin1Char(','), QLatin1Char('.'));
    }
    QLocale c = QLocale::c();
    c.setNumberOptions(QLocale::RejectGroupSeparator);
    bool ok = false;
    const double v = c.toDouble(t, &ok);
    if (!ok || !std::isfinite(v))
        return refuse(tr("'%1' is not a number (expected e.g. 0.125%2 or -1e-3)")
                          .arg(text.trimmed(), commaDecimals ? tr(", 0,125") : QString()));
    if (std::abs(v) > double(std::numeric_limits<float>::max()))
        return refuse(tr("'%1' is beyond float32's range (at most %2 in magnitude)")
                          .arg(text.trimmed())
                          .arg(double(std::numeric_limits<float>::max()), 0, 'g', 9));
    return v;
}

namespace {

QColor colourFor(double v, double maxAbs)
{
    const Lut &table = lut(Gradient::Diverging);
    const double t = maxAbs > 0 ? std::clamp(0.5 + 0.5 * v / maxAbs, 0.0, 1.0) : 0.5;
    return QColor::fromRgb(table[static_cast<std::size_t>(std::lround(t * 255.0))]);
}

// Black on light colours, white on dark ones (Rec. 601 luma of the background).
QColor textColourOn(const QColor &bg)
{
    const double luma = 0.299 * bg.red() + 0.587 * bg.green() + 0.114 * bg.blue();
    return luma > 140 ? QColor(20, 20, 20) : QColor(250, 250, 250);
}

// Paints a value cell as a coloured tile with its number (the selection as a frame, so the
// colour stays visible) and edits it with a line edit that reports the parsed number.
class ValueDelegate : public QStyledItemDelegate {
public:
    using Commit = std::function<void(int row, int column, double value)>;
    using Refuse = std::function<void(const QString &why)>; // "" when a value was taken
    ValueDelegate(Commit commit, Refuse refuse, QObject *parent)
        : QStyledItemDelegate(parent), m_commit(std::move(commit)), m_refuse(std::move(refuse))
    {
    }

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override
    {
        painter->save();
        const QColor bg = index.data(Qt::BackgroundRole).value<QBrush>().color();
        const QRect r = option.rect.adjusted(1, 1, -1, -1);
        painter->setRenderHint(QPainter::Antialiasing, true);
        painter->setPen(Qt::NoPen);
        painter->setBrush(bg.isValid() ? bg : option.palette.base().color());
        painter->drawRoundedRect(r, 3, 3);
        if (option.state & QStyle::State_Selected) {
            const bool focus = option.state & QStyle::State_HasFocus;
            QPen pen(option.palette.highlight().color(), focus ? 3 : 2);
            painter->setPen(pen);
            painter->setBrush(Qt::NoBrush);
            painter->drawRoundedRect(QRectF(r).adjusted(1.5, 1.5, -1.5, -1.5), 3, 3);
        }
        painter->setFont(option.font);
        painter->setPen(textColourOn(bg.isValid() ? bg : option.palette.base().color()));
        if (!(option.state & QStyle::State_Enabled))
            painter->setOpacity(0.55);
        painter->drawText(r, Qt::AlignCenter, index.data(Qt::DisplayRole).toString());
        painter->restore();
    }

    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &,
                          const QModelIndex &) const override
    {
        auto *editor = new QLineEdit(parent);
        // Only the characters of a number: what they mean is parseTypedValue's to say.
        editor->setValidator(new QRegularExpressionValidator(
            QRegularExpression(QStringLiteral("[-+0-9.,eE ]*")), editor));
        editor->setAlignment(Qt::AlignCenter);
        return editor;
    }

    void setEditorData(QWidget *editor, const QModelIndex &index) const override
    {
        auto *line = static_cast<QLineEdit *>(editor);
        line->setText(formatFull(index.data(ValueRole).toDouble()));
        line->selectAll();
    }

    void setModelData(QWidget *editor, QAbstractItemModel *,
                      const QModelIndex &index) const override
    {
        // The panel turns the number into an edit of its tensors and refills the table; the
        // model is never written directly, so the table always shows the tensor's values.
        auto *line = static_cast<QLineEdit *>(editor);
        QString why;
        const auto v = KernelPanel::parseTypedValue(line->text(), line->locale(), &why);
        m_refuse(v ? QString() : why); // refused: the value stays as it was, the panel says why
        if (!v)
            return;
        if (*v != index.data(ValueRole).toDouble())
            m_commit(index.row(), index.column(), *v);
    }

    void updateEditorGeometry(QWidget *editor, const QStyleOptionViewItem &option,
                              const QModelIndex &) const override
    {
        editor->setGeometry(option.rect);
    }

private:
    Commit m_commit;
    Refuse m_refuse;
};

// A table whose preferred size is its content (kept as the maximum size by resizeCells()),
// so the layout gives the kernel tiles their room before the bias list takes the rest.
class FittedTable : public QTableWidget {
public:
    using QTableWidget::QTableWidget;
    QSize sizeHint() const override { return maximumSize(); }
};

void styleValueTable(QTableWidget *table)
{
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed
                           | QAbstractItemView::AnyKeyPressed);
    table->setShowGrid(false);
    table->setFrameShape(QFrame::NoFrame);
    table->setCornerButtonEnabled(false);
    table->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    table->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    table->horizontalHeader()->setHighlightSections(false);
    table->verticalHeader()->setHighlightSections(false);
}

// Fills a table cell from a value: rounded text, exact value, colour from the symmetric range.
void setCell(QTableWidget *table, int row, int column, double v, double maxAbs,
             const QString &tooltipName)
{
    QTableWidgetItem *item = table->item(row, column);
    if (!item) {
        item = new QTableWidgetItem;
        item->setTextAlignment(Qt::AlignCenter);
        table->setItem(row, column, item);
    }
    item->setText(formatShort(v));
    item->setData(ValueRole, v);
    item->setBackground(colourFor(v, maxAbs));
    item->setToolTip(QStringLiteral("%1 = %2").arg(tooltipName, formatFull(v)));
}

double maxAbsOf(const float *data, std::size_t n)
{
    double m = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (std::isfinite(data[i]))
            m = std::max(m, double(std::abs(data[i])));
    return m > 0 ? m : 1.0;
}

} // namespace

KernelPanel::KernelPanel(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("KernelPanel"));
    // Everything sits in a scroll area: a short dock (small screens, presentation fonts) then
    // scrolls instead of squeezing the boxes into each other.
    auto *content = new QWidget;
    content->setObjectName(QStringLiteral("kernelPanelContent"));

    // ---- make weights ----------------------------------------------------------------------
    auto *makeBox = new QGroupBox(tr("Make weights"), content);
    m_presetCombo = new QComboBox(makeBox);
    m_presetCombo->setObjectName(QStringLiteral("presetCombo"));
    // First a neutral entry for weights that are no preset; it cannot be picked (there is
    // nothing to apply), only shown by syncPresetCombo().
    m_presetCombo->addItem(QString(), -1);
    if (auto *model = qobject_cast<QStandardItemModel *>(m_presetCombo->model()))
        model->item(0)->setEnabled(false);
    for (core::KernelPreset p : core::allKernelPresets())
        m_presetCombo->addItem(QString::fromStdString(core::displayName(p)), int(p));
    m_presetCombo->setToolTip(tr("Classic image filters; the 3x3 textbook kernels, generalised "
                                 "to any kernel size. Each input channel of a group gets the "
                                 "kernel divided by the channels per group, so the output is "
                                 "the filter applied to their mean. Bias is set to 0."));
    m_presetCombo->setAccessibleName(tr("Preset"));
    m_scopeCombo = new QComboBox(makeBox);
    m_scopeCombo->setAccessibleName(tr("Apply the preset to"));
    m_scopeCombo->addItem(tr("every output channel"));
    m_scopeCombo->addItem(tr("selected output channel"));
    m_applyButton = new QPushButton(tr("Apply"), makeBox);
    m_applyButton->setDefault(false);
    m_applyButton->setAutoDefault(false);

    m_seedSpin = new QSpinBox(makeBox);
    m_seedSpin->setRange(0, std::numeric_limits<int>::max());
    m_seedSpin->setValue(0);
    m_seedSpin->setAccelerated(true);
    m_seedSpin->setAccessibleName(tr("Seed"));
    m_seedSpin->setToolTip(tr("The same seed gives the same weights on every computer, so a "
                              "class can reproduce them. (Same distribution as PyTorch, not "
                              "the same numbers as torch.manual_seed.)"));
    m_randomiseButton = new QPushButton(tr("Randomise (Kaiming)"), makeBox);
    m_randomiseButton->setAutoDefault(false);
    m_randomiseButton->setToolTip(tr("nn.Conv2d's default initialisation: "
                                     "kaiming_uniform_(a=sqrt(5)) for the weights and the same "
                                     "U(-b, b) for the bias, b = 1/sqrt(fan_in)."));
    m_kaimingLabel = new QLabel(makeBox);
    m_kaimingLabel->setWordWrap(true);
    m_kaimingLabel->setTextFormat(Qt::RichText);

    auto *presetRow = new QHBoxLayout;
    presetRow->addWidget(m_presetCombo, 1);
    presetRow->addWidget(m_applyButton);
    auto *seedRow = new QHBoxLayout;
    seedRow->addWidget(m_seedSpin, 1);
    seedRow->addWidget(m_randomiseButton);
    auto *makeForm = new QFormLayout(makeBox);
    makeForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    makeForm->addRow(tr("Preset"), presetRow);
    makeForm->addRow(tr("Apply to"), m_scopeCombo);
    makeForm->addRow(tr("Seed"), seedRow);
    makeForm->addRow(m_kaimingLabel);

    // ---- one kernel --------------------------------------------------------------------------
    auto *kernelBox = new QGroupBox(tr("Kernel values"), content);
    m_shapeLabel = new QLabel(kernelBox);
    m_shapeLabel->setTextFormat(Qt::RichText);
    m_outSpin = new QSpinBox(kernelBox);
    m_outSpin->setPrefix(tr("out "));
    m_outSpin->setAccessibleName(tr("Kernel of output channel"));
    m_outSpin->setToolTip(tr("Output channel: which feature map this kernel makes"));
    m_inSpin = new QSpinBox(kernelBox);
    m_inSpin->setPrefix(tr("in "));
    m_inSpin->setAccessibleName(tr("Kernel of input channel"));
    m_inSpin->setToolTip(tr("Input channel within the output channel's group"));
    m_pairLabel = new QLabel(kernelBox);
    m_pairLabel->setTextFormat(Qt::RichText);
    auto *pairRow = new QHBoxLayout;
    pairRow->addWidget(m_outSpin);
    pairRow->addWidget(m_inSpin);
    pairRow->addWidget(m_pairLabel, 1);

    m_kernelTable = new FittedTable(kernelBox);
    m_kernelTable->setObjectName(QStringLiteral("kernelTable"));
    m_kernelTable->setAccessibleName(tr("Kernel weights"));
    styleValueTable(m_kernelTable);
    const auto showRefusal = [this](const QString &why) {
        m_typingNote->setText(why);
        m_typingNote->setVisible(!why.isEmpty());
    };
    m_kernelTable->setItemDelegate(
        new ValueDelegate([this](int row, int column, double v) { setWeightValue(row, column, v); },
                          showRefusal, m_kernelTable));
    m_kernelTable->setToolTip(tr("Type a number to change a weight; the colour shows its sign "
                                 "and size (blue negative, red positive)."));
    m_statsLabel = new QLabel(kernelBox);
    m_statsLabel->setTextFormat(Qt::RichText);
    m_noteLabel = new QLabel(kernelBox);
    m_noteLabel->setWordWrap(true);
    m_noteLabel->setVisible(false);
    // Why the last typed value was not taken (a weight's or a bias's), until one is.
    m_typingNote = new QLabel(kernelBox);
    m_typingNote->setWordWrap(true);
    m_typingNote->setVisible(false);

    // The grid takes exactly the room its cells need (centred), the bias list the rest; the
    // tiles sit on the window colour, not on a white sheet.
    m_kernelTable->setSizePolicy(QSizePolicy::Maximum, QSizePolicy::Maximum);
    m_kernelTable->viewport()->setBackgroundRole(QPalette::Window);
    auto *gridRow = new QHBoxLayout;
    gridRow->addStretch(1);
    gridRow->addWidget(m_kernelTable);
    gridRow->addStretch(1);
    auto *kernelLayout = new QVBoxLayout(kernelBox);
    kernelLayout->addWidget(m_shapeLabel);
    kernelLayout->addLayout(pairRow);
    kernelLayout->addLayout(gridRow);
    kernelLayout->addWidget(m_statsLabel);
    kernelLayout->addWidget(m_noteLabel);
    kernelLayout->addWidget(m_typingNote);

    // ---- bias --------------------------------------------------------------------------------
    auto *biasBox = new QGroupBox(tr("Bias"), content);
    m_biasTable = new QTableWidget(biasBox);
    m_biasTable->setObjectName(QStringLiteral("biasTable"));
    m_biasTable->setAccessibleName(tr("Bias values"));
    styleValueTable(m_biasTable);
    // The list takes what the kernel grid leaves (its own hint would squeeze the grid).
    m_biasTable->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Ignored);
    m_biasTable->setColumnCount(1);
    m_biasTable->horizontalHeader()->setVisible(false);
    m_biasTable->setItemDelegate(new ValueDelegate(
        [this](int row, int, double v) { setBiasValue(row, v); }, showRefusal, m_biasTable));
    m_biasNote = new QLabel(biasBox);
    m_biasNote->setWordWrap(true);
    auto *biasLayout = new QVBoxLayout(biasBox);
    biasLayout->addWidget(m_biasTable, 1);
    biasLayout->addWidget(m_biasNote);

    auto *layout = new QVBoxLayout(content);
    layout->addWidget(makeBox);
    layout->addWidget(kernelBox);
    layout->addWidget(biasBox, 1);

    auto *scroll = new VerticalScrollArea(content, this);
    scroll->setObjectName(QStringLiteral("kernelPanelScroll"));
    scroll->setAccessibleName(tr("Kernel panel"));
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);

    connect(m_applyButton, &QPushButton::clicked, this, &KernelPanel::applyPreset);
    connect(m_presetCombo, &QComboBox::currentIndexChanged, this, [this] { refreshInfo(); });
    // The scope decides what the combo names: the whole tensor or the selected channel's kernel.
    connect(m_scopeCombo, &QComboBox::currentIndexChanged, this, [this] {
        syncPresetCombo();
        refreshInfo();
    });
    connect(m_randomiseButton, &QPushButton::clicked, this, &KernelPanel::randomise);
    auto pairChanged = [this] {
        if (m_updating)
            return;
        refreshKernelGrid();
        refreshBias();
        // With the "selected output channel" scope the combo names this channel's kernel.
        syncPresetCombo();
        refreshInfo();
        emit selectedPairChanged(selectedOutChannel(), selectedInChannel());
    };
    connect(m_outSpin, &QSpinBox::valueChanged, this, pairChanged);
    connect(m_inSpin, &QSpinBox::valueChanged, this, pairChanged);
    connect(m_seedSpin, &QSpinBox::valueChanged, this, [this] { refreshInfo(); });
    // Clicking a bias row selects that output channel, so its kernel shows above.
    connect(m_biasTable, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (!m_updating && row >= 0)
            m_outSpin->setValue(row);
    });

    setConfiguration(m_params, core::presetWeights(m_params, core::KernelPreset::Identity),
                     core::zeroBias(m_params));
    // Placeholder weights until a session is attached, not a choice: the session's own
    // default stays in charge of new shapes.
    m_recipes.reset();
}

KernelPanel::~KernelPanel() = default;

void KernelPanel::setConfiguration(const core::Conv2dParams &p, const core::Tensor &weight,
                                   const core::Tensor &bias)
{
    m_params = p;
    m_weight = weight;
    m_bias = bias;
    // Weights from the session (an echo of our own edit, undo/redo, a new shape, a loaded
    // file) carry the recipe that makes them, else the origin remembered for them, else none
    // (see WeightRecipe). Invalid parameters keep the old weights, and so their recipe.
    if (editable())
        m_recipes.adopt(m_params, m_weight, m_bias);
    refreshSelectors();
    refreshKernelGrid();
    refreshBias();
    syncPresetCombo();
    refreshInfo();
}

int KernelPanel::selectedOutChannel() const
{
    return m_outSpin->value();
}

int KernelPanel::selectedInChannel() const
{
    return m_inSpin->value();
}

void KernelPanel::setSelectedPair(int outChannel, int inChannel)
{
    m_updating = true;
    m_outSpin->setValue(outChannel);
    m_inSpin->setValue(inChannel);
    m_updating = false;
    refreshKernelGrid();
    refreshBias();
    syncPresetCombo();
    refreshInfo();
}

std::optional<core::KernelPreset> KernelPanel::currentPreset() const
{
    const int data = m_presetCombo->currentData().toInt();
    if (data < 0)
        return std::nullopt;
    return static_cast<core::KernelPreset>(data);
}

void KernelPanel::setCurrentPreset(core::KernelPreset preset)
{
    m_presetCombo->setCurrentIndex(m_presetCombo->findData(int(preset)));
}

std::uint64_t KernelPanel::seed() const
{
    return static_cast<std::uint64_t>(m_seedSpin->value());
}

void KernelPanel::setSeed(std::uint64_t seed)
{
    m_seedSpin->setValue(static_cast<int>(std::min<std::uint64_t>(
        seed, static_cast<std::uint64_t>(std::numeric_limits<int>::max()))));
}

bool KernelPanel::presetAppliesToAllChannels() const
{
    return m_scopeCombo->currentIndex() == 0;
}

void KernelPanel::setPresetAppliesToAllChannels(bool all)
{
    m_scopeCombo->setCurrentIndex(all ? 0 : 1);
}

bool KernelPanel::editable() const
{
    return weightsFit(m_params, m_weight, m_bias);
}

void KernelPanel::emitEdit(core::Tensor weight, core::Tensor bias, const QString &description,
                           std::optional<WeightRecipe> made)
{
    // Shown at once so that consecutive edits build on each other even before the session
    // echoes them back through setConfiguration().
    m_weight = weight;
    m_bias = bias;
    // An edit keeps the origin of the weights it changes (recipe()) unless the result is a
    // recipe's weights itself, e.g. a preset applied to each channel in turn.
    m_recipes.edited(m_params, m_weight, m_bias, made);
    refreshKernelGrid();
    refreshBias();
    syncPresetCombo();
    refreshInfo();
    emit weightsEdited(std::move(weight), std::move(bias), description);
}

void KernelPanel::applyPreset()
{
    if (!editable() || !currentPreset())
        return;
    const core::KernelPreset preset = *currentPreset();
    const QString name = QString::fromStdString(core::displayName(preset));
    core::Tensor w = core::presetWeights(m_params, preset);
    core::Tensor b = core::zeroBias(m_params);
    if (presetAppliesToAllChannels()) {
        emitEdit(std::move(w), std::move(b), tr("Apply %1").arg(name),
                 WeightRecipe{WeightRecipe::Kind::Preset, preset, recipe().seed});
        return;
    }
    // One output channel: copy its slice of the preset into the current weights.
    const int o = selectedOutChannel();
    core::Tensor nw = m_weight;
    core::Tensor nb = m_bias;
    const std::int64_t per = m_weight.dim(1) * m_weight.dim(2) * m_weight.dim(3);
    std::copy_n(w.data.begin() + o * per, per, nw.data.begin() + o * per);
    nb.data[static_cast<std::size_t>(o)] = 0.0f;
    emitEdit(std::move(nw), std::move(nb), tr("Apply %1 to out[%2]").arg(name).arg(o));
}

void KernelPanel::randomise()
{
    if (!editable())
        return;
    const std::uint64_t s = seed();
    emitEdit(core::kaimingUniformWeights(m_params, s), core::defaultBias(m_params, s),
             tr("Randomise (Kaiming, seed %1)").arg(s),
             WeightRecipe{WeightRecipe::Kind::Kaiming, recipe().preset, s});
}

void KernelPanel::setWeightValue(int ky, int kx, double value)
{
    if (!editable() || ky < 0 || kx < 0 || ky >= m_weight.dim(2) || kx >= m_weight.dim(3))
        return;
    const int o = selectedOutChannel();
    const int i = selectedInChannel();
    const auto v = static_cast<float>(value);
    if (m_weight.at(o, i, ky, kx) == v)
        return;
    core::Tensor w = m_weight;
    w.at(o, i, ky, kx) = v;
    emitEdit(std::move(w), m_bias, tr("Edit w[%1, %2, %3, %4]").arg(o).arg(i).arg(ky).arg(kx));
}

void KernelPanel::setBiasValue(int outChannel, double value)
{
    if (!editable() || outChannel < 0 || outChannel >= m_bias.size())
        return;
    const auto v = static_cast<float>(value);
    if (m_bias.data[static_cast<std::size_t>(outChannel)] == v)
        return;
    core::Tensor b = m_bias;
    b.data[static_cast<std::size_t>(outChannel)] = v;
    emitEdit(m_weight, std::move(b), tr("Edit b[%1]").arg(outChannel));
}

QString KernelPanel::inputChannelLabel(int inChannel) const
{
    // The input channel the kernel reads: its group's first channel plus the index.
    const int perGroup = m_weight.rank() == 4 ? int(m_weight.dim(1)) : 0;
    const int outPerGroup = m_params.groups > 0 ? m_params.outChannels / m_params.groups : 0;
    const int group = outPerGroup > 0 ? selectedOutChannel() / outPerGroup : 0;
    const int channel = group * perGroup + inChannel;
    QString name;
    if (m_params.inChannels == 3)
        name = QStringList{tr("red"), tr("green"), tr("blue")}.value(channel);
    else if (m_params.inChannels == 1)
        name = tr("gray");
    QString text = tr("reads input %1").arg(channel);
    if (!name.isEmpty())
        text += QStringLiteral(" (%1)").arg(name);
    if (m_params.groups > 1)
        text += tr(", group %1").arg(group);
    return text;
}

void KernelPanel::refreshSelectors()
{
    m_updating = true;
    const bool four = m_weight.rank() == 4;
    m_outSpin->setRange(0, four ? std::max<int>(0, int(m_weight.dim(0)) - 1) : 0);
    m_inSpin->setRange(0, four ? std::max<int>(0, int(m_weight.dim(1)) - 1) : 0);
    m_outSpin->setEnabled(four && m_weight.dim(0) > 1);
    m_inSpin->setEnabled(four && m_weight.dim(1) > 1);
    m_updating = false;
}

void KernelPanel::refreshKernelGrid()
{
    m_updating = true;
    const bool four = m_weight.rank() == 4 && m_weight.size() > 0;
    const int kh = four ? int(m_weight.dim(2)) : 0;
    const int kw = four ? int(m_weight.dim(3)) : 0;
    const int o = selectedOutChannel();
    const int i = selectedInChannel();
    if (m_kernelTable->rowCount() != kh || m_kernelTable->columnCount() != kw) {
        m_kernelTable->clear();
        m_kernelTable->setRowCount(kh);
        m_kernelTable->setColumnCount(kw);
    }
    QStringList rows, columns;
    for (int y = 0; y < kh; ++y)
        rows << QString::number(y);
    for (int x = 0; x < kw; ++x)
        columns << QString::number(x);
    m_kernelTable->setVerticalHeaderLabels(rows);
    m_kernelTable->setHorizontalHeaderLabels(columns);

    double sum = 0, lo = 0, hi = 0;
    if (four) {
        const float *k =
            &m_weight.data[static_cast<std::size_t>((o * m_weight.dim(1) + i) * kh * kw)];
        const double maxAbs =
            maxAbsOf(k, static_cast<std::size_t>(kh) * static_cast<std::size_t>(kw));
        lo = hi = k[0];
        for (int y = 0; y < kh; ++y) {
            for (int x = 0; x < kw; ++x) {
                const double v = k[y * kw + x];
                sum += v;
                lo = std::min(lo, v);
                hi = std::max(hi, v);
                setCell(m_kernelTable, y, x, v, maxAbs,
                        QStringLiteral("w[%1, %2, %3, %4]").arg(o).arg(i).arg(y).arg(x));
            }
        }
        m_pairLabel->setText(inputChannelLabel(i));
        m_statsLabel->setText(tr("sum <b>%1</b> &nbsp;&middot;&nbsp; min %2 &nbsp;&middot;&nbsp; "
                                 "max %3")
                                  .arg(formatShort(sum), formatShort(lo), formatShort(hi)));
    } else {
        m_pairLabel->clear();
        m_statsLabel->clear();
    }
    const bool ok = editable();
    m_kernelTable->setEditTriggers(ok ? QAbstractItemView::DoubleClicked
                                            | QAbstractItemView::EditKeyPressed
                                            | QAbstractItemView::AnyKeyPressed
                                      : QAbstractItemView::NoEditTriggers);
    m_noteLabel->setVisible(!ok);
    m_noteLabel->setText(tr("The parameters are not a valid Conv2d: these are the last valid "
                            "weights, read-only until the parameters are fixed."));
    m_updating = false;
    resizeCells();
}

void KernelPanel::refreshBias()
{
    m_updating = true;
    const int n = m_bias.rank() == 1 ? int(m_bias.size()) : 0;
    if (m_biasTable->rowCount() != n)
        m_biasTable->setRowCount(n);
    QStringList labels;
    const double maxAbs = maxAbsOf(m_bias.data.data(), m_bias.data.size());
    for (int c = 0; c < n; ++c) {
        labels << QStringLiteral("b[%1]").arg(c);
        setCell(m_biasTable, c, 0, m_bias.data[static_cast<std::size_t>(c)], maxAbs,
                QStringLiteral("b[%1]").arg(c));
    }
    m_biasTable->setVerticalHeaderLabels(labels);
    if (n > 0) {
        const int o = std::clamp(selectedOutChannel(), 0, n - 1);
        m_biasTable->setCurrentCell(o, 0);
        m_biasTable->scrollToItem(m_biasTable->item(o, 0));
    }
    const bool ok = editable();
    m_biasTable->setEditTriggers(ok ? QAbstractItemView::DoubleClicked
                                          | QAbstractItemView::EditKeyPressed
                                          | QAbstractItemView::AnyKeyPressed
                                    : QAbstractItemView::NoEditTriggers);
    m_biasTable->setEnabled(m_params.bias);
    m_biasNote->setText(m_params.bias ? tr("Added to every value of out[c].")
                                      : tr("bias=False: the values are kept but not used."));
    m_updating = false;
}

void KernelPanel::refreshInfo()
{
    const bool ok = editable();
    if (ok)
        m_kaimingLabel->setText(tr("U(&minus;b, b), b = 1/&radic;fan_in = 1/&radic;%1 = <b>%2</b>")
                                    .arg(core::fanIn(m_params))
                                    .arg(formatShort(core::kaimingBound(m_params))));
    else
        m_kaimingLabel->setText(tr("U(&minus;b, b), b = 1/&radic;fan_in"));
    m_shapeLabel->setText(tr("weight <b>%1</b> &nbsp; bias <b>[%2]</b>")
                              .arg(QString::fromStdString(core::formatShape(m_weight.shape)))
                              .arg(m_bias.size()));
    m_applyButton->setEnabled(ok && currentPreset().has_value());
    m_randomiseButton->setEnabled(ok);
    m_presetCombo->setEnabled(ok);
    m_scopeCombo->setEnabled(ok);
}

std::optional<core::KernelPreset> KernelPanel::presetInUse() const
{
    // With the "selected output channel" scope a class builds a stack one channel at a time,
    // so the combo names the selected channel's kernel; otherwise the whole tensor.
    return presetMaking(m_params, m_weight, m_bias, presetAppliesToAllChannels(),
                        selectedOutChannel());
}

QString KernelPanel::neutralPresetText() const
{
    if (!editable())
        return tr("(current weights)");
    if (reproduces(WeightRecipe{}, m_params, m_weight, m_bias))
        return tr("Start-up mix");
    // recipe() follows the weights in use (setConfiguration, emitEdit), so a seed restored by
    // undo is named here too.
    if (recipe().kind == WeightRecipe::Kind::Kaiming
        && reproduces(recipe(), m_params, m_weight, m_bias))
        return tr("Kaiming, seed %1").arg(recipe().seed);
    return tr("Custom weights");
}

void KernelPanel::syncPresetCombo()
{
    // The combo says which weights are in use, so nobody takes "Sobel x" on the screen for
    // the filter being applied; picking another preset and pressing Apply still works.
    const std::optional<core::KernelPreset> inUse = presetInUse();
    QSignalBlocker block(m_presetCombo);
    m_presetCombo->setItemText(0, inUse ? tr("(current weights)") : neutralPresetText());
    m_presetCombo->setItemData(0,
                               tr("The weights in use are no preset: the start-up mix (blur, "
                                  "edges, identity), a seeded initialisation, or edited or "
                                  "imported values. Pick a preset and press Apply to replace "
                                  "them."),
                               Qt::ToolTipRole);
    m_presetCombo->setCurrentIndex(inUse ? m_presetCombo->findData(int(*inUse)) : 0);
}

void KernelPanel::resizeCells()
{
    // Cells sized from the font, so presentation mode's large fonts stay readable; square-ish
    // tiles read as a kernel rather than a spreadsheet.
    const QFontMetrics fm(m_kernelTable->font());
    const int w =
        std::max(fm.horizontalAdvance(QStringLiteral("-0.000")) + fm.height(), fm.height() * 3);
    const int h = std::max(fm.height() * 2, w * 3 / 4);
    m_kernelTable->horizontalHeader()->setDefaultSectionSize(w);
    m_kernelTable->verticalHeader()->setDefaultSectionSize(h);
    m_kernelTable->horizontalHeader()->setMinimumSectionSize(w / 2);
    m_kernelTable->verticalHeader()->setMinimumSectionSize(h / 2);
    for (QTableWidget *t : {m_kernelTable, m_biasTable}) {
        // Headers keep the font they were built with unless told, which leaves tiny index
        // labels in presentation mode.
        t->horizontalHeader()->setFont(t->font());
        t->verticalHeader()->setFont(t->font());
    }
    const int kh = m_kernelTable->rowCount();
    const int kw = m_kernelTable->columnCount();
    // Up to 7x7 shows whole, larger kernels scroll, and at least a 3x3 corner stays visible
    // when the dock is narrow. (QTableView's own content size hint adds a margin that would
    // show as an empty band beside the tiles.)
    const int headerW = m_kernelTable->verticalHeader()->sizeHint().width();
    const int headerH = m_kernelTable->horizontalHeader()->sizeHint().height();
    const int frame = 2 * m_kernelTable->frameWidth() + 2;
    const int bar = style()->pixelMetric(QStyle::PM_ScrollBarExtent);
    const auto size = [&](int most) {
        return QSize(headerW + std::min(kw, most) * w + frame + (kh > most ? bar : 0),
                     headerH + std::min(kh, most) * h + frame + (kw > most ? bar : 0));
    };
    m_kernelTable->setMaximumSize(size(7));
    m_kernelTable->setMinimumSize(size(3));
    m_kernelTable->updateGeometry();

    const QFontMetrics bfm(m_biasTable->font());
    const int bw =
        std::max(bfm.horizontalAdvance(QStringLiteral("-0.0000")) + bfm.height(), bfm.height() * 5);
    const int bh = bfm.height() + bfm.height() / 2 + 4;
    m_biasTable->horizontalHeader()->setDefaultSectionSize(bw);
    m_biasTable->verticalHeader()->setDefaultSectionSize(bh);
    m_biasTable->horizontalHeader()->setStretchLastSection(true);
    m_biasTable->setMinimumHeight(std::min(std::max(m_biasTable->rowCount(), 1), 3) * bh + 4);
}

void KernelPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::FontChange)
        resizeCells();
    QWidget::changeEvent(event);
}

} // namespace convscope::ui
