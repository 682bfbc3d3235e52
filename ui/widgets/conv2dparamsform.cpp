// SPDX-License-Identifier: GPL-3.0-or-later
#include "conv2dparamsform.h"

#include "paramlimits.h"
#include "rangespinbox.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QLabel>
#include <QSlider>
#include <QSpinBox>
#include <QToolButton>

namespace convscope::ui {

namespace {

// QSpinBox::setValue repaints and re-formats its editor even when the value is unchanged;
// syncing every box on every edit made each edit repaint the whole panel (~2 ms, bench-ui).
void setIfChanged(QSpinBox *box, int value)
{
    if (box->value() != value)
        box->setValue(value);
}

} // namespace

std::vector<QWidget *> Conv2dParamsForm::HwPair::controls() const
{
    std::vector<QWidget *> c;
    for (QWidget *wd : {static_cast<QWidget *>(h), static_cast<QWidget *>(w),
                        static_cast<QWidget *>(link), static_cast<QWidget *>(slider)})
        if (wd)
            c.push_back(wd);
    return c;
}

QStringList Conv2dParamsForm::paddingModeNames()
{
    return {QStringLiteral("zeros"), QStringLiteral("reflect"), QStringLiteral("replicate"),
            QStringLiteral("circular")};
}

Conv2dParamsForm::Conv2dParamsForm(const Options &options, QWidget *parent)
    : QWidget(parent), m_options(options)
{
    auto *grid = new QGridLayout(this);
    m_rangeNote = new QLabel(this);
    m_rangeNote->setObjectName(name(QStringLiteral("rangeNote")));
    m_rangeNote->setWordWrap(true);
    m_rangeNote->setVisible(false);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);
    grid->setVerticalSpacing(4);
    int row = 0;

    auto addLabel = [&](const QString &label, QWidget *buddy) {
        auto *l = new QLabel(text(label));
        l->setBuddy(buddy);
        grid->addWidget(l, row, 0);
        return l;
    };

    if (m_options.inputMode) {
        m_inputMode = new QComboBox;
        m_inputMode->setObjectName(name(QStringLiteral("inputMode")));
        m_inputMode->addItems({tr("Grayscale (1 channel)"), tr("RGB (3 channels)")});
        m_inputMode->setToolTip(tr("Which channels of the image are fed: in_channels = 1 or 3"));
        m_inputLabel = addLabel(tr("&Input"), m_inputMode);
        grid->addWidget(m_inputMode, row++, 1, 1, 4);
        connect(m_inputMode, &QComboBox::currentIndexChanged, this, [this](int i) {
            edit(tr("input mode"), {}, [i](auto &p) { p.inChannels = i == 0 ? 1 : 3; });
        });
        m_markWidgets[core::Field::InChannels] = {m_inputMode, m_inputLabel};
        m_markWidgets[core::Field::Input] = {m_inputMode, m_inputLabel};
        m_lockWidgets[core::Field::InChannels] = {m_inputMode};
    }

    m_outChannels = makeSpin(QStringLiteral("outChannels"), limits::kChannels.lo,
                             limits::kChannels.hi, tr("out_channels: the number of feature maps"));
    m_outLabel = addLabel(tr("&out_channels"), m_outChannels);
    grid->addWidget(m_outChannels, row++, 1, 1, 4);
    connect(m_outChannels, &QSpinBox::valueChanged, this, [this](int v) {
        edit(tr("out_channels"), spinKey(m_outChannels), [v](auto &p) { p.outChannels = v; });
    });
    m_markWidgets[core::Field::OutChannels] = {m_outChannels, m_outLabel};
    m_lockWidgets[core::Field::OutChannels] = {m_outChannels};
    if (m_options.sliders) {
        m_outSlider = makeSlider(QStringLiteral("outChannelsSlider"), limits::kChannels.lo,
                                 limits::kChannelsSlider);
        m_outSlider->setAccessibleName(tr("out_channels slider"));
        grid->addWidget(m_outSlider, row++, 1, 1, 4);
        connect(m_outSlider, &QSlider::sliderPressed, this, [this] { ++m_dragSerial; });
        connect(m_outSlider, &QSlider::valueChanged, this, [this](int v) {
            const QString key = m_outSlider->isSliderDown()
                                    ? QStringLiteral("out#%1").arg(m_dragSerial)
                                    : QString();
            edit(tr("out_channels"), key, [v](auto &p) { p.outChannels = v; });
        });
        m_lockWidgets[core::Field::OutChannels].push_back(m_outSlider);
    }

    m_kernel = addPair(grid, row, QStringLiteral("kernel"), tr("&kernel_size"), limits::kKernel.lo,
                       limits::kKernel.hi, limits::kKernelSlider, tr("kernel_size (height, width)"),
                       [](core::Conv2dParams &p) -> core::Hw & { return p.kernel; });
    m_stride = addPair(grid, row, QStringLiteral("stride"), tr("&stride"), limits::kStride.lo,
                       limits::kStride.hi, limits::kStrideSlider,
                       tr("stride (height, width): step of the kernel window"),
                       [](core::Conv2dParams &p) -> core::Hw & { return p.stride; });

    m_paddingKind = new QComboBox;
    m_paddingKind->setObjectName(name(QStringLiteral("paddingKind")));
    m_paddingKind->addItems({m_options.squareOnly ? tr("explicit") : tr("explicit (h, w)"),
                             QStringLiteral("'same'"), QStringLiteral("'valid'")});
    m_paddingKind->setToolTip(tr("padding: numbers, or PyTorch's 'same' (output size = input "
                                 "size, stride 1 only) or 'valid' (no padding)"));
    m_paddingLabel = addLabel(tr("&padding"), m_paddingKind);
    grid->addWidget(m_paddingKind, row++, 1, 1, 4);
    connect(m_paddingKind, &QComboBox::currentIndexChanged, this, [this](int i) {
        edit(tr("padding"), {},
             [i](auto &p) { p.paddingKind = static_cast<core::PaddingKind>(i); });
    });
    m_padding = addPair(grid, row, QStringLiteral("padding"), QString(), limits::kPadding.lo,
                        limits::kPadding.hi, limits::kPaddingSlider,
                        tr("padding (height, width) added on both sides"),
                        [](core::Conv2dParams &p) -> core::Hw & { return p.padding; });

    m_paddingMode = new QComboBox;
    m_paddingMode->setObjectName(name(QStringLiteral("paddingMode")));
    m_paddingMode->addItems(paddingModeNames());
    m_paddingMode->setToolTip(tr("padding_mode: what the padded border contains"));
    m_modeLabel = addLabel(tr("padding_&mode"), m_paddingMode);
    grid->addWidget(m_paddingMode, row++, 1, 1, 4);
    connect(m_paddingMode, &QComboBox::currentIndexChanged, this, [this](int i) {
        edit(tr("padding_mode"), {},
             [i](auto &p) { p.paddingMode = static_cast<core::PaddingMode>(i); });
    });

    m_dilation = addPair(grid, row, QStringLiteral("dilation"), tr("&dilation"),
                         limits::kDilation.lo, limits::kDilation.hi, limits::kDilationSlider,
                         tr("dilation (height, width): spacing between kernel taps"),
                         [](core::Conv2dParams &p) -> core::Hw & { return p.dilation; });

    m_groups = makeSpin(QStringLiteral("groups"), limits::kGroups.lo, limits::kGroups.hi,
                        tr("groups: must divide in_channels and out_channels"));
    m_groupsLabel = addLabel(tr("&groups"), m_groups);
    grid->addWidget(m_groups, row++, 1, 1, 4);
    connect(m_groups, &QSpinBox::valueChanged, this, [this](int v) {
        edit(tr("groups"), spinKey(m_groups), [v](auto &p) { p.groups = v; });
    });

    m_bias = new QCheckBox(text(tr("&bias")));
    m_bias->setObjectName(name(QStringLiteral("bias")));
    m_bias->setToolTip(tr("Add a learnable bias per output channel"));
    grid->addWidget(m_bias, row++, 1, 1, 4);
    connect(m_bias, &QCheckBox::toggled, this,
            [this](bool on) { edit(tr("bias"), {}, [on](auto &p) { p.bias = on; }); });
    grid->addWidget(m_rangeNote, row++, 0, 1, 5);

    auto pairMarks = [](const HwPair &pair) {
        std::vector<QWidget *> w{pair.h};
        if (pair.w)
            w.push_back(pair.w);
        return w;
    };
    m_markWidgets[core::Field::Kernel] = pairMarks(m_kernel);
    m_markWidgets[core::Field::Kernel].push_back(m_kernel.label);
    m_markWidgets[core::Field::Stride] = pairMarks(m_stride);
    m_markWidgets[core::Field::Stride].push_back(m_stride.label);
    m_markWidgets[core::Field::Padding] = pairMarks(m_padding);
    m_markWidgets[core::Field::Padding].insert(m_markWidgets[core::Field::Padding].begin(),
                                               m_paddingKind);
    m_markWidgets[core::Field::Padding].push_back(m_paddingLabel);
    m_markWidgets[core::Field::PaddingMode] = {m_paddingMode, m_modeLabel};
    m_markWidgets[core::Field::Dilation] = pairMarks(m_dilation);
    m_markWidgets[core::Field::Dilation].push_back(m_dilation.label);
    m_markWidgets[core::Field::Groups] = {m_groups, m_groupsLabel};

    m_lockWidgets[core::Field::Kernel] = m_kernel.controls();
    m_lockWidgets[core::Field::Stride] = m_stride.controls();
    m_lockWidgets[core::Field::Padding] = m_padding.controls();
    m_lockWidgets[core::Field::Padding].insert(m_lockWidgets[core::Field::Padding].begin(),
                                               m_paddingKind);
    m_lockWidgets[core::Field::PaddingMode] = {m_paddingMode};
    m_lockWidgets[core::Field::Dilation] = m_dilation.controls();
    m_lockWidgets[core::Field::Groups] = {m_groups};
    m_lockWidgets[core::Field::Bias] = {m_bias};
    for (const auto &[field, widgets] : m_lockWidgets)
        for (QWidget *w : widgets)
            m_tips[w] = w->toolTip();

    setParams(m_params);
}

QString Conv2dParamsForm::name(const QString &base) const
{
    if (m_options.namePrefix.isEmpty())
        return base;
    return m_options.namePrefix + base.left(1).toUpper() + base.mid(1);
}

QString Conv2dParamsForm::text(const QString &label) const
{
    return m_options.mnemonics ? label : QString(label).remove(QLatin1Char('&'));
}

QString Conv2dParamsForm::rangeNote() const
{
    return m_rangeNote->isVisible() ? m_rangeNote->text() : QString();
}

QSpinBox *Conv2dParamsForm::makeSpin(const QString &base, int lo, int hi, const QString &tip)
{
    auto *s = new RangeSpinBox;
    s->setObjectName(name(base));
    s->setRange(lo, hi);
    // The argument's PyTorch name from the tip ("kernel_size (height, width) — height").
    QString field = tip.section(QLatin1Char(':'), 0, 0).section(QStringLiteral(" ("), 0, 0);
    if (tip.endsWith(tr("height")) || tip.endsWith(tr("width")))
        field += QLatin1Char(' ') + tip.section(QLatin1Char(' '), -1);
    s->setAccessibleName(field); // a screen reader says "kernel_size width", not the row's label
    connect(s, &RangeSpinBox::outOfRange, this, [this, s, field](qlonglong typed) {
        m_rangeNote->setText(tr("%1: %2 is outside %3..%4, the range this editor offers; it "
                                "stays %5.")
                                 .arg(field)
                                 .arg(typed)
                                 .arg(s->minimum())
                                 .arg(s->maximum())
                                 .arg(s->value()));
        m_rangeNote->setVisible(true);
    });
    connect(s, &QSpinBox::valueChanged, this, [this] { m_rangeNote->setVisible(false); });
    // Typing "12" should be one edit, not "1" then "12"; arrows and the wheel still apply
    // at once.
    s->setKeyboardTracking(false);
    s->setToolTip(tip);
    s->setAccelerated(true);
    // Leaving the box (or confirming it) ends a run of steps that merge.
    connect(s, &QSpinBox::editingFinished, this, [this] { ++m_spinSerial; });
    return s;
}

QSlider *Conv2dParamsForm::makeSlider(const QString &base, int lo, int hi)
{
    auto *s = new QSlider(Qt::Horizontal);
    s->setObjectName(name(base));
    s->setRange(lo, hi);
    s->setPageStep(1);
    s->setFocusPolicy(Qt::StrongFocus);
    return s;
}

QString Conv2dParamsForm::spinKey(const QSpinBox *box) const
{
    if (!m_options.mergeSpinSteps)
        return {};
    return QStringLiteral("%1#%2").arg(box->objectName()).arg(m_spinSerial);
}

Conv2dParamsForm::HwPair
Conv2dParamsForm::addPair(QGridLayout *grid, int &row, const QString &base, const QString &label,
                          int lo, int hi, int sliderHi, const QString &tip,
                          const std::function<core::Hw &(core::Conv2dParams &)> &field)
{
    HwPair pair;
    if (!label.isEmpty()) {
        pair.label = new QLabel(text(label));
        grid->addWidget(pair.label, row, 0);
    }
    const QString what = label.isEmpty() ? base : QString(label).remove(QLatin1Char('&'));
    if (m_options.squareOnly) {
        const QString name = tip.left(tip.indexOf(QLatin1String(" ("))); // "stride", ...
        pair.h = makeSpin(base, lo, hi, name + tr(" (square)"));
        grid->addWidget(pair.h, row++, 1, 1, 4);
        QSpinBox *h = pair.h;
        connect(h, &QSpinBox::valueChanged, this, [=, this](int v) {
            edit(what, spinKey(h), [=](auto &p) { field(p) = {v, v}; });
        });
    } else {
        pair.h = makeSpin(base + QStringLiteral("H"), lo, hi, tip + tr(" — height"));
        pair.w = makeSpin(base + QStringLiteral("W"), lo, hi, tip + tr(" — width"));
        pair.link = new QToolButton;
        pair.link->setObjectName(name(base + QStringLiteral("Link")));
        pair.link->setCheckable(true);
        pair.link->setText(QStringLiteral("="));
        pair.link->setToolTip(tr("Linked: height and width change together (square)"));
        pair.link->setAccessibleName(tr("%1: height and width linked").arg(what));
        pair.link->setChecked(true);
        grid->addWidget(pair.h, row, 1);
        grid->addWidget(new QLabel(QStringLiteral("×")), row, 2);
        grid->addWidget(pair.w, row, 3);
        grid->addWidget(pair.link, row++, 4);
        QSpinBox *h = pair.h, *w = pair.w;
        QToolButton *link = pair.link;
        connect(h, &QSpinBox::valueChanged, this, [=, this](int v) {
            edit(what, spinKey(h), [=](auto &p) {
                field(p).h = v;
                if (link->isChecked())
                    field(p).w = v;
            });
        });
        connect(w, &QSpinBox::valueChanged, this, [=, this](int v) {
            edit(what, spinKey(w), [=](auto &p) {
                field(p).w = v;
                if (link->isChecked())
                    field(p).h = v;
            });
        });
        connect(link, &QToolButton::toggled, this, [=, this](bool on) {
            if (on && h->value() != w->value())
                edit(what, {}, [=](auto &p) { field(p).w = field(p).h; });
        });
    }
    if (pair.label)
        pair.label->setBuddy(pair.h);
    if (m_options.sliders) {
        pair.slider = makeSlider(base + QStringLiteral("Slider"), lo, std::min(hi, sliderHi));
        pair.slider->setAccessibleName(tr("%1 slider").arg(what));
        grid->addWidget(pair.slider, row++, 1, 1, 4);
        QSlider *slider = pair.slider;
        QToolButton *link = pair.link;
        connect(slider, &QSlider::sliderPressed, this, [this] { ++m_dragSerial; });
        connect(slider, &QSlider::valueChanged, this, [=, this](int v) {
            const QString key = slider->isSliderDown()
                                    ? QStringLiteral("%1#%2").arg(base).arg(m_dragSerial)
                                    : QString();
            edit(what, key, [=](auto &p) {
                field(p).h = v;
                if (!link || link->isChecked())
                    field(p).w = v;
            });
        });
    }
    return pair;
}

void Conv2dParamsForm::edit(const QString &what, const QString &mergeKey,
                            const std::function<void(core::Conv2dParams &)> &change)
{
    if (m_syncing)
        return;
    const core::Conv2dParams before = m_params;
    core::Conv2dParams after = before;
    change(after);
    if (after == before)
        return;
    emit paramsEdited(before, after, what, mergeKey);
}

void Conv2dParamsForm::setParams(const core::Conv2dParams &p)
{
    m_params = p;
    m_syncing = true;
    if (m_inputMode)
        m_inputMode->setCurrentIndex(p.inChannels == 1 ? 0 : 1);
    setIfChanged(m_outChannels, p.outChannels);
    if (m_outSlider && !m_outSlider->isSliderDown())
        m_outSlider->setValue(p.outChannels);
    auto syncPair = [](HwPair &pair, core::Hw v) {
        setIfChanged(pair.h, v.h);
        if (pair.w)
            setIfChanged(pair.w, v.w);
        if (pair.slider && !pair.slider->isSliderDown())
            pair.slider->setValue(v.h);
        // Square values start linked; a non-square pair starts unlinked.
        if (pair.link && v.h != v.w)
            pair.link->setChecked(false);
    };
    syncPair(m_kernel, p.kernel);
    syncPair(m_stride, p.stride);
    syncPair(m_padding, p.padding);
    syncPair(m_dilation, p.dilation);
    m_paddingKind->setCurrentIndex(static_cast<int>(p.paddingKind));
    m_paddingMode->setCurrentIndex(static_cast<int>(p.paddingMode));
    setIfChanged(m_groups, p.groups);
    m_bias->setChecked(p.bias);
    m_syncing = false;
    updateEnabled();
}

void Conv2dParamsForm::updateEnabled()
{
    for (const auto &[field, widgets] : m_lockWidgets)
        for (QWidget *w : widgets)
            w->setEnabled(!m_locked.count(field));
    // Numbers for the padding only when it is given as numbers.
    if (m_params.paddingKind != core::PaddingKind::Explicit)
        for (QWidget *w : m_padding.controls())
            w->setEnabled(false);
}

void Conv2dParamsForm::setLocked(core::Field field, bool locked)
{
    const auto it = m_lockWidgets.find(field);
    if (it == m_lockWidgets.end() || bool(m_locked.count(field)) == locked)
        return;
    if (locked)
        m_locked.insert(field);
    else
        m_locked.erase(field);
    const QString why = tr("Locked by the lesson step");
    for (QWidget *w : it->second)
        w->setToolTip(locked ? why : m_tips[w]);
    updateEnabled();
}

bool Conv2dParamsForm::isLocked(core::Field field) const
{
    return m_locked.count(field) > 0;
}

void Conv2dParamsForm::mark(QWidget *w, bool on)
{
    if (w->property("invalid").toBool() == on)
        return;
    w->setProperty("invalid", on);
    // Marked controls: a red frame the eye finds from across a lecture hall. The style sheet
    // sits on the marked widget only: a panel-wide one would stop font changes (presentation
    // mode) from reaching the controls.
    if (!on)
        w->setStyleSheet(QString());
    else if (qobject_cast<QLabel *>(w))
        w->setStyleSheet(QStringLiteral("QLabel { color: #d62728; font-weight: bold; }"));
    else
        w->setStyleSheet(QStringLiteral("border: 2px solid #d62728; border-radius: 3px;"
                                        " background: #fde2e1; color: black;"));
}

void Conv2dParamsForm::setMarked(std::optional<core::Field> field)
{
    // A widget listed under two fields (InChannels and Input share the combo) stays marked
    // when either is the marked one.
    std::set<QWidget *> marked;
    if (field) {
        const auto it = m_markWidgets.find(*field);
        if (it != m_markWidgets.end())
            marked.insert(it->second.begin(), it->second.end());
    }
    for (const auto &[f, widgets] : m_markWidgets)
        for (QWidget *w : widgets)
            mark(w, marked.count(w) > 0);
}

bool Conv2dParamsForm::isMarked(core::Field field) const
{
    const auto it = m_markWidgets.find(field);
    if (it == m_markWidgets.end())
        return false;
    for (QWidget *w : it->second)
        if (w->property("invalid").toBool())
            return true;
    return false;
}

} // namespace convscope::ui
