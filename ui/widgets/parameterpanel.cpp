#include "parameterpanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QLabel>
#include <QSlider>
#include <QSpinBox>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace convscope::ui {

namespace {

QSpinBox *makeSpin(const QString &name, int lo, int hi, const QString &tip)
{
    auto *s = new QSpinBox;
    s->setObjectName(name);
    s->setRange(lo, hi);
    // Typing "12" should be one edit, not "1" then "12"; arrows and the wheel still apply
    // at once.
    s->setKeyboardTracking(false);
    s->setToolTip(tip);
    s->setAccelerated(true);
    return s;
}

QSlider *makeSlider(const QString &name, int lo, int hi)
{
    auto *s = new QSlider(Qt::Horizontal);
    s->setObjectName(name);
    s->setRange(lo, hi);
    s->setPageStep(1);
    s->setFocusPolicy(Qt::StrongFocus);
    return s;
}

} // namespace

ParameterPanel::ParameterPanel(Session *session, QWidget *parent)
    : QWidget(parent), m_session(session)
{
    setObjectName(QStringLiteral("parameterPanel"));

    auto *outer = new QVBoxLayout(this);
    auto *grid = new QGridLayout;
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);
    grid->setVerticalSpacing(4);
    outer->addLayout(grid);
    int row = 0;

    auto addLabel = [&](const QString &text, QWidget *buddy) {
        auto *l = new QLabel(text);
        l->setBuddy(buddy);
        grid->addWidget(l, row, 0);
        return l;
    };

    m_inputMode = new QComboBox;
    m_inputMode->setObjectName(QStringLiteral("inputMode"));
    m_inputMode->addItems({tr("Grayscale (1 channel)"), tr("RGB (3 channels)")});
    m_inputMode->setToolTip(tr("Which channels of the image are fed: in_channels = 1 or 3"));
    auto *inputLabel = addLabel(tr("&Input"), m_inputMode);
    grid->addWidget(m_inputMode, row++, 1, 1, 4);
    connect(m_inputMode, &QComboBox::currentIndexChanged, this, [this](int i) {
        edit(tr("input mode"), {}, [i](auto &p) { p.inChannels = i == 0 ? 1 : 3; });
    });

    m_outChannels = makeSpin(QStringLiteral("outChannels"), 1, 256,
                             tr("out_channels: the number of feature maps"));
    auto *outLabel = addLabel(tr("&out_channels"), m_outChannels);
    grid->addWidget(m_outChannels, row++, 1, 1, 4);
    m_outSlider = makeSlider(QStringLiteral("outChannelsSlider"), 1, 64);
    grid->addWidget(m_outSlider, row++, 1, 1, 4);
    connect(m_outChannels, &QSpinBox::valueChanged, this, [this](int v) {
        edit(tr("out_channels"), {}, [v](auto &p) { p.outChannels = v; });
    });
    connect(m_outSlider, &QSlider::sliderPressed, this, [this] { ++m_dragSerial; });
    connect(m_outSlider, &QSlider::valueChanged, this, [this](int v) {
        const QString key = m_outSlider->isSliderDown()
                                ? QStringLiteral("out#%1").arg(m_dragSerial)
                                : QString();
        edit(tr("out_channels"), key, [v](auto &p) { p.outChannels = v; });
    });

    m_kernel = addPair(grid, row, QStringLiteral("kernel"), tr("&kernel_size"), 1, 31, 15,
                       tr("kernel_size (height, width)"),
                       [](core::Conv2dParams &p) -> core::Hw & { return p.kernel; });
    row += 2;
    m_stride = addPair(grid, row, QStringLiteral("stride"), tr("&stride"), 1, 16, 8,
                       tr("stride (height, width): step of the kernel window"),
                       [](core::Conv2dParams &p) -> core::Hw & { return p.stride; });
    row += 2;

    m_paddingKind = new QComboBox;
    m_paddingKind->setObjectName(QStringLiteral("paddingKind"));
    m_paddingKind->addItems({tr("explicit (h, w)"), QStringLiteral("'same'"),
                             QStringLiteral("'valid'")});
    m_paddingKind->setToolTip(tr("padding: numbers, or PyTorch's 'same' (output size = input "
                                 "size, stride 1 only) or 'valid' (no padding)"));
    auto *padKindLabel = addLabel(tr("&padding"), m_paddingKind);
    grid->addWidget(m_paddingKind, row++, 1, 1, 4);
    connect(m_paddingKind, &QComboBox::currentIndexChanged, this, [this](int i) {
        edit(tr("padding"), {}, [i](auto &p) { p.paddingKind = static_cast<core::PaddingKind>(i); });
    });
    m_padding = addPair(grid, row, QStringLiteral("padding"), QString(), 0, 64, 16,
                        tr("padding (height, width) added on both sides"),
                        [](core::Conv2dParams &p) -> core::Hw & { return p.padding; });
    row += 2;

    m_paddingMode = new QComboBox;
    m_paddingMode->setObjectName(QStringLiteral("paddingMode"));
    m_paddingMode->addItems({QStringLiteral("zeros"), QStringLiteral("reflect"),
                             QStringLiteral("replicate"), QStringLiteral("circular")});
    m_paddingMode->setToolTip(tr("padding_mode: what the padded border contains"));
    auto *modeLabel = addLabel(tr("padding_&mode"), m_paddingMode);
    grid->addWidget(m_paddingMode, row++, 1, 1, 4);
    connect(m_paddingMode, &QComboBox::currentIndexChanged, this, [this](int i) {
        edit(tr("padding_mode"), {},
             [i](auto &p) { p.paddingMode = static_cast<core::PaddingMode>(i); });
    });

    m_dilation = addPair(grid, row, QStringLiteral("dilation"), tr("&dilation"), 1, 16, 8,
                         tr("dilation (height, width): spacing between kernel taps"),
                         [](core::Conv2dParams &p) -> core::Hw & { return p.dilation; });
    row += 2;

    m_groups = makeSpin(QStringLiteral("groups"), 1, 256,
                        tr("groups: must divide in_channels and out_channels"));
    auto *groupsLabel = addLabel(tr("&groups"), m_groups);
    grid->addWidget(m_groups, row++, 1, 1, 4);
    connect(m_groups, &QSpinBox::valueChanged, this,
            [this](int v) { edit(tr("groups"), {}, [v](auto &p) { p.groups = v; }); });

    m_bias = new QCheckBox(tr("&bias"));
    m_bias->setObjectName(QStringLiteral("bias"));
    m_bias->setToolTip(tr("Add a learnable bias per output channel"));
    grid->addWidget(m_bias, row++, 1, 1, 4);
    connect(m_bias, &QCheckBox::toggled, this,
            [this](bool on) { edit(tr("bias"), {}, [on](auto &p) { p.bias = on; }); });

    m_error = new QLabel;
    m_error->setObjectName(QStringLiteral("errorLabel"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral(
        "QLabel { color: #7a1010; background: #fde2e1; border: 1px solid #d62728;"
        " border-radius: 4px; padding: 6px; }"));
    m_error->hide();
    outer->addWidget(m_error);
    outer->addStretch();

    m_fieldWidgets[core::Field::InChannels] = {m_inputMode, inputLabel};
    m_fieldWidgets[core::Field::Input] = {m_inputMode, inputLabel};
    m_fieldWidgets[core::Field::OutChannels] = {m_outChannels, outLabel};
    m_fieldWidgets[core::Field::Kernel] = {m_kernel.h, m_kernel.w, m_kernel.label};
    m_fieldWidgets[core::Field::Stride] = {m_stride.h, m_stride.w, m_stride.label};
    m_fieldWidgets[core::Field::Padding] = {m_paddingKind, m_padding.h, m_padding.w,
                                            padKindLabel};
    m_fieldWidgets[core::Field::PaddingMode] = {m_paddingMode, modeLabel};
    m_fieldWidgets[core::Field::Dilation] = {m_dilation.h, m_dilation.w, m_dilation.label};
    m_fieldWidgets[core::Field::Groups] = {m_groups, groupsLabel};

    connect(session, &Session::paramsChanged, this, &ParameterPanel::syncFromSession);
    connect(session, &Session::validationChanged, this, &ParameterPanel::showValidation);
    syncFromSession();
    showValidation();
}

ParameterPanel::HwPair ParameterPanel::addPair(QGridLayout *grid, int row, const QString &name,
                                               const QString &label, int lo, int hi,
                                               int sliderHi, const QString &tip,
                                               std::function<core::Hw &(core::Conv2dParams &)> field)
{
    HwPair pair;
    pair.h = makeSpin(name + QStringLiteral("H"), lo, hi, tip + tr(" — height"));
    pair.w = makeSpin(name + QStringLiteral("W"), lo, hi, tip + tr(" — width"));
    pair.link = new QToolButton;
    pair.link->setObjectName(name + QStringLiteral("Link"));
    pair.link->setCheckable(true);
    pair.link->setText(QStringLiteral("="));
    pair.link->setToolTip(tr("Linked: height and width change together (square)"));
    pair.link->setChecked(true);
    pair.slider = makeSlider(name + QStringLiteral("Slider"), lo, std::min(hi, sliderHi));
    pair.label = new QLabel(label);
    pair.label->setBuddy(pair.h);
    if (!label.isEmpty())
        grid->addWidget(pair.label, row, 0);
    grid->addWidget(pair.h, row, 1);
    grid->addWidget(new QLabel(QStringLiteral("×")), row, 2);
    grid->addWidget(pair.w, row, 3);
    grid->addWidget(pair.link, row, 4);
    grid->addWidget(pair.slider, row + 1, 1, 1, 4);

    const QString what = label.isEmpty() ? name : QString(label).remove(QLatin1Char('&'));
    QSpinBox *h = pair.h, *w = pair.w;
    QToolButton *link = pair.link;
    QSlider *slider = pair.slider;
    connect(h, &QSpinBox::valueChanged, this, [=, this](int v) {
        edit(what, {}, [=](auto &p) {
            field(p).h = v;
            if (link->isChecked())
                field(p).w = v;
        });
    });
    connect(w, &QSpinBox::valueChanged, this, [=, this](int v) {
        edit(what, {}, [=](auto &p) {
            field(p).w = v;
            if (link->isChecked())
                field(p).h = v;
        });
    });
    connect(link, &QToolButton::toggled, this, [=, this](bool on) {
        if (on && h->value() != w->value())
            edit(what, {}, [=](auto &p) { field(p).w = field(p).h; });
    });
    connect(slider, &QSlider::sliderPressed, this, [this] { ++m_dragSerial; });
    connect(slider, &QSlider::valueChanged, this, [=, this](int v) {
        const QString key = slider->isSliderDown()
                                ? QStringLiteral("%1#%2").arg(name).arg(m_dragSerial)
                                : QString();
        edit(what, key, [=](auto &p) {
            field(p).h = v;
            if (link->isChecked())
                field(p).w = v;
        });
    });
    return pair;
}

void ParameterPanel::edit(const QString &what, const QString &mergeKey,
                          const std::function<void(core::Conv2dParams &)> &change)
{
    if (m_syncing)
        return;
    const core::Conv2dParams before = m_session->params();
    core::Conv2dParams after = before;
    change(after);
    if (after == before)
        return;
    emit paramsEdited(before, after, what, mergeKey);
}

namespace {

// QSpinBox::setValue repaints and re-formats its editor even when the value is unchanged;
// syncing every box on every edit made each edit repaint the whole panel (~2 ms, bench-ui).
void setIfChanged(QSpinBox *box, int value)
{
    if (box->value() != value)
        box->setValue(value);
}

} // namespace

void ParameterPanel::syncFromSession()
{
    m_syncing = true;
    const auto &p = m_session->params();
    m_inputMode->setCurrentIndex(p.inChannels == 1 ? 0 : 1);
    setIfChanged(m_outChannels, p.outChannels);
    if (!m_outSlider->isSliderDown())
        m_outSlider->setValue(p.outChannels);
    auto syncPair = [](HwPair &pair, core::Hw v, bool enabled) {
        setIfChanged(pair.h, v.h);
        setIfChanged(pair.w, v.w);
        if (!pair.slider->isSliderDown())
            pair.slider->setValue(v.h);
        // Square values start linked; a non-square pair starts unlinked.
        if (v.h != v.w)
            pair.link->setChecked(false);
        for (QWidget *wd : {static_cast<QWidget *>(pair.h), static_cast<QWidget *>(pair.w),
                            static_cast<QWidget *>(pair.link),
                            static_cast<QWidget *>(pair.slider)})
            wd->setEnabled(enabled);
    };
    syncPair(m_kernel, p.kernel, true);
    syncPair(m_stride, p.stride, true);
    syncPair(m_padding, p.padding, p.paddingKind == core::PaddingKind::Explicit);
    syncPair(m_dilation, p.dilation, true);
    m_paddingKind->setCurrentIndex(static_cast<int>(p.paddingKind));
    m_paddingMode->setCurrentIndex(static_cast<int>(p.paddingMode));
    setIfChanged(m_groups, p.groups);
    m_bias->setChecked(p.bias);
    m_syncing = false;
}

void ParameterPanel::mark(QWidget *w, bool on)
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

void ParameterPanel::showValidation()
{
    const auto &err = m_session->validationError();
    for (auto &[field, widgets] : m_fieldWidgets)
        for (QWidget *w : widgets)
            mark(w, err && err->field == field);
    // A field listed twice (InChannels and Input share the combo) must stay marked.
    if (err) {
        auto it = m_fieldWidgets.find(err->field);
        if (it != m_fieldWidgets.end())
            for (QWidget *w : it->second)
                mark(w, true);
        m_error->setText(QString::fromStdString(err->message));
        m_error->show();
    } else {
        m_error->clear();
        m_error->hide();
    }
}

bool ParameterPanel::isMarked(core::Field field) const
{
    auto it = m_fieldWidgets.find(field);
    if (it == m_fieldWidgets.end())
        return false;
    for (QWidget *w : it->second)
        if (w->property("invalid").toBool())
            return true;
    return false;
}

QString ParameterPanel::errorText() const
{
    return m_error->text();
}

} // namespace convscope::ui
