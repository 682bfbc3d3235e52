// SPDX-License-Identifier: GPL-3.0-or-later
// The Conv2d form both docks use: edits are emitted as (before, after, what, mergeKey) and
// never applied by the form itself, square-only pairs set both axes, spin steps merge only
// when asked, locks hold until released whatever setParams() enables, and the ranges are
// the editor ranges of paramlimits.h in both variants.
#include "conv2dparamsform.h"

#include "paramlimits.h"

#include <QCheckBox>
#include <QComboBox>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTest>

using namespace convscope;
using namespace convscope::ui;

Q_DECLARE_METATYPE(convscope::core::Conv2dParams)

namespace {

Conv2dParamsForm::Options layersOptions()
{
    Conv2dParamsForm::Options o;
    o.inputMode = false;
    o.squareOnly = true;
    o.sliders = false;
    o.mnemonics = false;
    o.mergeSpinSteps = true;
    o.namePrefix = QStringLiteral("layer");
    return o;
}

template <typename T> T *child(QWidget &form, const char *name)
{
    auto *c = form.findChild<T *>(QLatin1String(name));
    if (!c)
        qFatal("no child named %s", name);
    return c;
}

core::Conv2dParams editedAfter(const QSignalSpy &spy, int i)
{
    return spy.at(i).at(1).value<core::Conv2dParams>();
}

} // namespace

class Conv2dParamsFormTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { qRegisterMetaType<core::Conv2dParams>(); }
    void edit_emitsBeforeAndAfterWithoutApplyingIt();
    void setParams_showsTheValuesAndEmitsNothing();
    void squareOnly_editSetsBothAxes();
    void spinSteps_mergeOnlyWhenAskedAndUntilTheBoxIsLeft();
    void lock_holdsThroughSetParamsUntilReleased();
    void ranges_areTheEditorLimitsInBothVariants();
    void paddingModes_inCorePaddingModeOrder();
    void numberPastTheRange_isRefusedAloudNotTruncated();
};

void Conv2dParamsFormTest::edit_emitsBeforeAndAfterWithoutApplyingIt()
{
    Conv2dParamsForm form({});
    core::Conv2dParams p;
    p.kernel = {3, 3};
    form.setParams(p);
    QSignalSpy spy(&form, &Conv2dParamsForm::paramsEdited);
    child<QSpinBox>(form, "kernelH")->setValue(5); // linked: both axes
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).value<core::Conv2dParams>(), p);
    QCOMPARE(editedAfter(spy, 0).kernel, (core::Hw{5, 5}));
    QCOMPARE(spy.at(0).at(2).toString(), QStringLiteral("kernel_size"));
    QVERIFY(spy.at(0).at(3).toString().isEmpty()); // no merging for the Parameters dock
    QCOMPARE(form.params(), p);                    // the owner decides
    child<QComboBox>(form, "paddingMode")->setCurrentIndex(2);
    QCOMPARE(spy.count(), 2);
    QVERIFY(editedAfter(spy, 1).paddingMode == core::PaddingMode::Replicate);
    QCOMPARE(editedAfter(spy, 1).kernel, p.kernel); // relative to the shown params
}

void Conv2dParamsFormTest::setParams_showsTheValuesAndEmitsNothing()
{
    Conv2dParamsForm form({});
    QSignalSpy spy(&form, &Conv2dParamsForm::paramsEdited);
    core::Conv2dParams p;
    p.inChannels = 1;
    p.outChannels = 12;
    p.kernel = {3, 5};
    p.paddingKind = core::PaddingKind::Same;
    p.bias = false;
    form.setParams(p);
    QCOMPARE(spy.count(), 0);
    QCOMPARE(child<QComboBox>(form, "inputMode")->currentIndex(), 0);
    QCOMPARE(child<QSpinBox>(form, "outChannels")->value(), 12);
    QCOMPARE(child<QSlider>(form, "outChannelsSlider")->value(), 12);
    QCOMPARE(child<QSpinBox>(form, "kernelW")->value(), 5);
    QVERIFY(!child<QWidget>(form, "kernelLink")->property("checked").toBool()); // not square
    QVERIFY(!child<QCheckBox>(form, "bias")->isChecked());
    // 'same' padding: the numbers do not apply.
    QVERIFY(!child<QSpinBox>(form, "paddingH")->isEnabled());
    QVERIFY(child<QComboBox>(form, "paddingKind")->isEnabled());
}

// A plain QSpinBox drops the keystroke that leaves its range: 400 typed into out_channels
// (at most 256) became 40 without a word.
void Conv2dParamsFormTest::numberPastTheRange_isRefusedAloudNotTruncated()
{
    Conv2dParamsForm form({});
    core::Conv2dParams p;
    p.outChannels = 8;
    form.setParams(p);
    form.show();
    QSignalSpy spy(&form, &Conv2dParamsForm::paramsEdited);
    auto *out = child<QSpinBox>(form, "outChannels");
    out->setFocus();
    out->selectAll();
    QTest::keyClicks(out, QStringLiteral("400"));
    QCOMPARE(out->cleanText(), QStringLiteral("400")); // what was typed stays visible
    QTest::keyClick(out, Qt::Key_Return);
    QCOMPARE(spy.count(), 0); // neither 400 nor 40
    QCOMPARE(out->value(), 8);
    QCOMPARE(form.rangeNote(),
             QStringLiteral("out_channels: 400 is outside 1..256, the range this editor offers; "
                            "it stays 8."));
    // A value in range is taken and the note goes.
    out->selectAll();
    QTest::keyClicks(out, QStringLiteral("40"));
    QTest::keyClick(out, Qt::Key_Return);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(editedAfter(spy, 0).outChannels, 40);
    QVERIFY(form.rangeNote().isEmpty());
    // A pair's box names its side.
    auto *kernelW = child<QSpinBox>(form, "kernelW");
    kernelW->setFocus();
    kernelW->selectAll();
    QTest::keyClicks(kernelW, QStringLiteral("99"));
    QTest::keyClick(kernelW, Qt::Key_Return);
    QVERIFY2(form.rangeNote().startsWith("kernel_size width: 99 is outside 1..31"),
             qPrintable(form.rangeNote()));
}

void Conv2dParamsFormTest::squareOnly_editSetsBothAxes()
{
    Conv2dParamsForm form(layersOptions());
    QVERIFY(!form.findChild<QSpinBox *>(QStringLiteral("layerKernelW")));
    QVERIFY(!form.findChild<QSlider *>());
    QVERIFY(!form.findChild<QComboBox *>(QStringLiteral("layerInputMode")));
    core::Conv2dParams p;
    p.stride = {1, 2}; // a non-square value from a session file stays until it is edited
    form.setParams(p);
    QSignalSpy spy(&form, &Conv2dParamsForm::paramsEdited);
    child<QSpinBox>(form, "layerDilation")->setValue(3);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(editedAfter(spy, 0).dilation, (core::Hw{3, 3}));
    QCOMPARE(editedAfter(spy, 0).stride, (core::Hw{1, 2}));
    child<QSpinBox>(form, "layerStride")->setValue(4);
    QCOMPARE(editedAfter(spy, 1).stride, (core::Hw{4, 4}));
}

void Conv2dParamsFormTest::spinSteps_mergeOnlyWhenAskedAndUntilTheBoxIsLeft()
{
    Conv2dParamsForm form(layersOptions());
    QSignalSpy spy(&form, &Conv2dParamsForm::paramsEdited);
    auto *out = child<QSpinBox>(form, "layerOutChannels");
    auto *groups = child<QSpinBox>(form, "layerGroups");
    out->stepUp();
    form.setParams(editedAfter(spy, 0)); // the owner applies each step
    out->stepUp();
    QCOMPARE(spy.count(), 2);
    const QString first = spy.at(0).at(3).toString();
    QVERIFY(!first.isEmpty());
    QCOMPARE(spy.at(1).at(3).toString(), first); // one run of steps
    groups->stepUp();
    QVERIFY(spy.at(2).at(3).toString() != first); // another box
    emit out->editingFinished();
    out->stepUp();
    QVERIFY(spy.at(3).at(3).toString() != first); // the box was left
    // Combos never merge.
    child<QComboBox>(form, "layerPaddingMode")->setCurrentIndex(1);
    QVERIFY(spy.last().at(3).toString().isEmpty());
}

void Conv2dParamsFormTest::lock_holdsThroughSetParamsUntilReleased()
{
    Conv2dParamsForm form({});
    core::Conv2dParams p;
    form.setParams(p);
    auto *kernelH = child<QSpinBox>(form, "kernelH");
    auto *kernelSlider = child<QSlider>(form, "kernelSlider");
    auto *out = child<QSpinBox>(form, "outChannels");
    auto *outSlider = child<QSlider>(form, "outChannelsSlider");
    auto *padKind = child<QComboBox>(form, "paddingKind");
    auto *padH = child<QSpinBox>(form, "paddingH");
    const QString tip = kernelH->toolTip();
    form.setLocked(core::Field::Kernel, true);
    form.setLocked(core::Field::OutChannels, true);
    form.setLocked(core::Field::Padding, true);
    form.setLocked(core::Field::Weight, true); // no control here: ignored
    QVERIFY(form.isLocked(core::Field::Kernel));
    QVERIFY(!form.isLocked(core::Field::Weight));
    for (QWidget *w : {static_cast<QWidget *>(kernelH), static_cast<QWidget *>(kernelSlider),
                       static_cast<QWidget *>(out), static_cast<QWidget *>(outSlider),
                       static_cast<QWidget *>(padKind), static_cast<QWidget *>(padH)})
        QVERIFY2(!w->isEnabled(), qPrintable(w->objectName()));
    QVERIFY(kernelH->toolTip() != tip);
    QVERIFY(child<QSpinBox>(form, "strideH")->isEnabled());
    form.setParams(p); // a later edit re-syncs the controls: still locked
    QVERIFY(!kernelH->isEnabled());
    QVERIFY(!padH->isEnabled());
    form.setLocked(core::Field::Kernel, false);
    QVERIFY(kernelH->isEnabled());
    QVERIFY(kernelSlider->isEnabled());
    QCOMPARE(kernelH->toolTip(), tip);
    // Released, the padding numbers follow the padding kind again.
    p.paddingKind = core::PaddingKind::Valid;
    form.setParams(p);
    form.setLocked(core::Field::Padding, false);
    QVERIFY(padKind->isEnabled());
    QVERIFY(!padH->isEnabled());
}

void Conv2dParamsFormTest::ranges_areTheEditorLimitsInBothVariants()
{
    Conv2dParamsForm params({});
    Conv2dParamsForm layers(layersOptions());
    auto check = [](QSpinBox *box, limits::Range r) {
        QCOMPARE(box->minimum(), r.lo);
        QCOMPARE(box->maximum(), r.hi);
    };
    check(child<QSpinBox>(params, "outChannels"), limits::kChannels);
    check(child<QSpinBox>(layers, "layerOutChannels"), limits::kChannels);
    check(child<QSpinBox>(params, "groups"), limits::kGroups);
    check(child<QSpinBox>(layers, "layerGroups"), limits::kGroups);
    check(child<QSpinBox>(params, "kernelW"), limits::kKernel);
    check(child<QSpinBox>(layers, "layerKernel"), limits::kKernel);
    check(child<QSpinBox>(params, "strideH"), limits::kStride);
    check(child<QSpinBox>(layers, "layerStride"), limits::kStride);
    check(child<QSpinBox>(params, "paddingH"), limits::kPadding);
    check(child<QSpinBox>(layers, "layerPadding"), limits::kPadding);
    check(child<QSpinBox>(params, "dilationH"), limits::kDilation);
    check(child<QSpinBox>(layers, "layerDilation"), limits::kDilation);
    QCOMPARE(child<QSlider>(params, "kernelSlider")->maximum(), limits::kKernelSlider);
    QCOMPARE(child<QSlider>(params, "outChannelsSlider")->maximum(), limits::kChannelsSlider);
}

void Conv2dParamsFormTest::paddingModes_inCorePaddingModeOrder()
{
    const QStringList names = Conv2dParamsForm::paddingModeNames();
    const core::PaddingMode modes[] = {core::PaddingMode::Zeros, core::PaddingMode::Reflect,
                                       core::PaddingMode::Replicate, core::PaddingMode::Circular};
    QCOMPARE(names.size(), qsizetype(std::size(modes)));
    for (std::size_t i = 0; i < std::size(modes); ++i)
        QCOMPARE(names[qsizetype(i)], QString::fromStdString(core::toString(modes[i])));
    Conv2dParamsForm layers(layersOptions());
    auto *combo = child<QComboBox>(layers, "layerPaddingMode");
    for (int i = 0; i < combo->count(); ++i)
        QCOMPARE(combo->itemText(i), names[i]);
}

QTEST_MAIN(Conv2dParamsFormTest)
#include "conv2dparamsform_test.moc"
