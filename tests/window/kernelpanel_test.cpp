// SPDX-License-Identifier: GPL-3.0-or-later
// The kernel panel turns clicks and typed numbers into complete weight/bias edits.
#include "kernelpanel.h"

#include "kernelbinding.h"
#include "kernels.h"
#include "session.h"
#include "shape.h"

#include <QApplication>
#include <QComboBox>
#include <QCoreApplication>
#include <QHeaderView>
#include <QLabel>
#include <QLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>
#include <QUndoStack>

#include <algorithm>

using namespace convscope;
using convscope::ui::KernelPanel;

namespace {

core::Conv2dParams rgbParams()
{
    core::Conv2dParams p;
    p.inChannels = 3;
    p.outChannels = 4;
    p.kernel = {3, 3};
    return p;
}

struct Edit {
    core::Tensor weight;
    core::Tensor bias;
    QString description;
};

Edit editAt(const QSignalSpy &spy, int i)
{
    const QList<QVariant> &args = spy.at(i);
    return {args.at(0).value<core::Tensor>(), args.at(1).value<core::Tensor>(),
            args.at(2).toString()};
}

// Types `text` into a cell through the table's real editor and presses Return.
void typeIntoCell(QTableWidget *table, int row, int column, const QString &text)
{
    table->setCurrentCell(row, column);
    table->editItem(table->item(row, column));
    auto *editor = table->viewport()->findChild<QLineEdit *>();
    QVERIFY2(editor, "no line editor opened on the cell");
    editor->selectAll();
    QTest::keyClicks(editor, text);
    QTest::keyClick(editor, Qt::Key_Return);
    // The delegate commits Return through a queued call, as in the running app.
    QTRY_VERIFY(table->viewport()->findChildren<QLineEdit *>().isEmpty());
}

// Kaiming weights so that every value differs and an edit at a wrong index would show.
void showRandom(KernelPanel &panel, const core::Conv2dParams &p, std::uint64_t seed)
{
    panel.setConfiguration(p, core::kaimingUniformWeights(p, seed), core::defaultBias(p, seed));
}

// The preset chooser, found by its content (the combo that lists "Sobel x").
QComboBox *presetComboOf(const KernelPanel &panel)
{
    const QString sobel = QString::fromStdString(core::displayName(core::KernelPreset::SobelX));
    for (QComboBox *c : panel.findChildren<QComboBox *>())
        if (c->findText(sobel) >= 0)
            return c;
    return nullptr;
}

QString presetName(core::KernelPreset p)
{
    return QString::fromStdString(core::displayName(p));
}

// Rectangle of `w` in `root`'s coordinates.
QRect rectIn(const QWidget *w, const QWidget *root)
{
    return QRect(w->mapTo(root, QPoint(0, 0)), w->size());
}

} // namespace

class KernelPanelTest : public QObject {
    Q_OBJECT
private slots:
    void applyPresetEmitsThePresetTensor();
    void applyPresetToOneOutputChannelLeavesTheOthers();
    void editingACellEmitsTheValueAtItsIndex();
    void invalidTextIsIgnored();
    void typedNumbers_followTheLocalesDecimalCommaAndNeverChangeMeaning();
    void randomiseWithASeedIsReproducible();
    void editingABiasEmitsIt();
    void gridShowsTheSelectedPairWithSignedColours();
    void mismatchedWeightsAreReadOnly();
    void largerFontsGiveLargerCells();
    void applicationFontChangesReachTheCells();
    void recipeRemakesWeightsForNewShapes();
    void presetComboShowsTheWeightsInUse();
    void presetComboFollowsUndoRedoAndLoadedWeights();
    void undoneRecipeIsNotRemadeOnResize();
    void handEditsRemakeTheirOriginAfterUndo();
    void presetComboFollowsTheSelectedChannel();
    void shortPanelNeverOverlaps();
};

void KernelPanelTest::applyPresetEmitsThePresetTensor()
{
    KernelPanel panel;
    const core::Conv2dParams p = rgbParams();
    showRandom(panel, p, 1);
    QSignalSpy spy(&panel, &KernelPanel::weightsEdited);
    panel.setCurrentPreset(core::KernelPreset::SobelX);
    QTest::mouseClick(panel.applyButton(), Qt::LeftButton);
    QCOMPARE(spy.count(), 1);
    const Edit e = editAt(spy, 0);
    QVERIFY(e.weight == core::presetWeights(p, core::KernelPreset::SobelX));
    QVERIFY(e.bias == core::zeroBias(p));
    QCOMPARE(e.description, QStringLiteral("Apply Sobel x"));

    panel.setCurrentPreset(core::KernelPreset::Gaussian);
    QTest::mouseClick(panel.applyButton(), Qt::LeftButton);
    QCOMPARE(spy.count(), 2);
    QVERIFY(editAt(spy, 1).weight == core::presetWeights(p, core::KernelPreset::Gaussian));
}

void KernelPanelTest::applyPresetToOneOutputChannelLeavesTheOthers()
{
    KernelPanel panel;
    const core::Conv2dParams p = rgbParams();
    showRandom(panel, p, 2);
    const core::Tensor before = panel.weight();
    const core::Tensor biasBefore = panel.bias();
    panel.setSelectedPair(2, 0);
    panel.setPresetAppliesToAllChannels(false);
    panel.setCurrentPreset(core::KernelPreset::Laplacian);
    QSignalSpy spy(&panel, &KernelPanel::weightsEdited);
    panel.applyPreset();
    QCOMPARE(spy.count(), 1);
    const Edit e = editAt(spy, 0);
    const core::Tensor preset = core::presetWeights(p, core::KernelPreset::Laplacian);
    for (int o = 0; o < 4; ++o)
        for (int i = 0; i < 3; ++i)
            for (int y = 0; y < 3; ++y)
                for (int x = 0; x < 3; ++x)
                    QCOMPARE(e.weight.at(o, i, y, x),
                             o == 2 ? preset.at(o, i, y, x) : before.at(o, i, y, x));
    for (int o = 0; o < 4; ++o)
        QCOMPARE(e.bias.data[std::size_t(o)], o == 2 ? 0.0f : biasBefore.data[std::size_t(o)]);
    QCOMPARE(e.description, QStringLiteral("Apply Laplacian to out[2]"));
}

void KernelPanelTest::editingACellEmitsTheValueAtItsIndex()
{
    KernelPanel panel;
    panel.resize(400, 700);
    panel.show();
    core::Conv2dParams p = rgbParams();
    p.kernel = {3, 4}; // non-square, so swapped row/column would be caught
    showRandom(panel, p, 3);
    const core::Tensor before = panel.weight();
    panel.setSelectedPair(3, 1);
    QSignalSpy spy(&panel, &KernelPanel::weightsEdited);
    typeIntoCell(panel.kernelTable(), 2, 1, QStringLiteral("0.625"));
    QCOMPARE(spy.count(), 1);
    const Edit e = editAt(spy, 0);
    QCOMPARE(e.description, QStringLiteral("Edit w[3, 1, 2, 1]"));
    core::Tensor expected = before;
    expected.at(3, 1, 2, 1) = 0.625f;
    QVERIFY(e.weight == expected);
    QVERIFY(e.bias == panel.bias());
    QCOMPARE(panel.kernelTable()->item(2, 1)->text(), QStringLiteral("0.625"));

    // A second edit builds on the first even before anyone calls setConfiguration.
    typeIntoCell(panel.kernelTable(), 0, 3, QStringLiteral("-2"));
    QCOMPARE(spy.count(), 2);
    expected.at(3, 1, 0, 3) = -2.0f;
    QVERIFY(editAt(spy, 1).weight == expected);
}

void KernelPanelTest::invalidTextIsIgnored()
{
    KernelPanel panel;
    panel.show();
    showRandom(panel, rgbParams(), 4);
    QSignalSpy spy(&panel, &KernelPanel::weightsEdited);
    // "-" is not a number: Return closes the editor, the value stays and the panel says why
    // until a value is taken.
    QTableWidget *t = panel.kernelTable();
    typeIntoCell(t, 1, 1, QStringLiteral("-"));
    QCOMPARE(spy.count(), 0);
    QVERIFY2(panel.typingNote().startsWith("'-' is not a number"), qPrintable(panel.typingNote()));
    typeIntoCell(t, 1, 1, QStringLiteral("0.5"));
    QCOMPARE(spy.count(), 1);
    QVERIFY(panel.typingNote().isEmpty());
    spy.clear();
    panel.setWeightValue(1, 1, panel.weight().at(0, 0, 1, 1)); // unchanged value: no edit
    QCOMPARE(spy.count(), 0);
    panel.setWeightValue(3, 0, 1.0); // outside the 3x3 kernel
    QCOMPARE(spy.count(), 0);
}

void KernelPanelTest::typedNumbers_followTheLocalesDecimalCommaAndNeverChangeMeaning()
{
    const QLocale de(QLocale::German, QLocale::Germany),
        en(QLocale::English, QLocale::UnitedStates);
    auto parse = [](const char *text, const QLocale &locale) {
        QString why;
        const auto v = KernelPanel::parseTypedValue(QString::fromLatin1(text), locale, &why);
        return v ? QString::number(*v, 'g', 9) : QStringLiteral("refused: ") + why;
    };
    QCOMPARE(parse("0,125", de), QStringLiteral("0.125")); // was 125: ',' read as grouping
    QCOMPARE(parse("0.125", de), QStringLiteral("0.125")); // the C form always works
    QCOMPARE(parse("-1e-3", de), QStringLiteral("-0.001"));
    QCOMPARE(parse(" 2 ", en), QStringLiteral("2"));
    QVERIFY(parse("1.000,5", de).startsWith("refused: '1.000,5' is ambiguous"));
    QVERIFY(parse("1,5", en).startsWith("refused: '1,5' is not a number: write decimals with a "
                                        "point (1.5)"));
    QVERIFY(parse("1,000", en).startsWith("refused"));
    QVERIFY(parse("1e39", en).contains("beyond float32's range"));
    QVERIFY(parse("", en).startsWith("refused: '' is not a number"));

    // Through the real editor under a German locale.
    const QLocale saved;
    QLocale::setDefault(de);
    {
        KernelPanel panel;
        panel.show();
        showRandom(panel, rgbParams(), 5);
        QSignalSpy spy(&panel, &KernelPanel::weightsEdited);
        typeIntoCell(panel.kernelTable(), 0, 2, QStringLiteral("0,125"));
        QCOMPARE(spy.count(), 1);
        QCOMPARE(editAt(spy, 0).weight.at(0, 0, 0, 2), 0.125f);
    }
    QLocale::setDefault(saved);
}

void KernelPanelTest::randomiseWithASeedIsReproducible()
{
    KernelPanel panel;
    const core::Conv2dParams p = rgbParams();
    panel.setConfiguration(p, core::presetWeights(p, core::KernelPreset::Identity),
                           core::zeroBias(p));
    QSignalSpy spy(&panel, &KernelPanel::weightsEdited);
    panel.setSeed(42);
    QTest::mouseClick(panel.randomiseButton(), Qt::LeftButton);
    panel.setConfiguration(p, core::presetWeights(p, core::KernelPreset::BoxBlur),
                           core::zeroBias(p));
    QTest::mouseClick(panel.randomiseButton(), Qt::LeftButton);
    panel.setSeed(43);
    QTest::mouseClick(panel.randomiseButton(), Qt::LeftButton);
    QCOMPARE(spy.count(), 3);
    const Edit a = editAt(spy, 0), b = editAt(spy, 1), c = editAt(spy, 2);
    QVERIFY(a.weight == b.weight);
    QVERIFY(a.bias == b.bias);
    QVERIFY(a.weight == core::kaimingUniformWeights(p, 42));
    QVERIFY(a.bias == core::defaultBias(p, 42));
    QVERIFY(!(a.weight == c.weight));
    QVERIFY(!(a.bias == c.bias));
    QCOMPARE(a.description, QStringLiteral("Randomise (Kaiming, seed 42)"));
    QCOMPARE(panel.seed(), std::uint64_t(43));
}

void KernelPanelTest::editingABiasEmitsIt()
{
    KernelPanel panel;
    panel.show();
    const core::Conv2dParams p = rgbParams();
    showRandom(panel, p, 5);
    const core::Tensor weightBefore = panel.weight();
    core::Tensor expected = panel.bias();
    QSignalSpy spy(&panel, &KernelPanel::weightsEdited);
    typeIntoCell(panel.biasTable(), 1, 0, QStringLiteral("1.5"));
    QCOMPARE(spy.count(), 1);
    const Edit e = editAt(spy, 0);
    expected.data[1] = 1.5f;
    QVERIFY(e.bias == expected);
    QVERIFY(e.weight == weightBefore);
    QCOMPARE(e.description, QStringLiteral("Edit b[1]"));
    // Choosing a bias row selects that output channel's kernel.
    QCOMPARE(panel.selectedOutChannel(), 1);
}

void KernelPanelTest::gridShowsTheSelectedPairWithSignedColours()
{
    KernelPanel panel;
    core::Conv2dParams p = rgbParams();
    p.inChannels = 1;
    p.outChannels = 2;
    core::Tensor w(core::weightShape(p));
    const auto sx = core::presetKernel(core::KernelPreset::SobelX, 3, 3);
    const auto sy = core::presetKernel(core::KernelPreset::SobelY, 3, 3);
    std::copy(sx.begin(), sx.end(), w.data.begin());
    std::copy(sy.begin(), sy.end(), w.data.begin() + 9);
    panel.setConfiguration(p, w, core::zeroBias(p));
    QTableWidget *t = panel.kernelTable();
    QCOMPARE(t->rowCount(), 3);
    QCOMPARE(t->columnCount(), 3);
    QCOMPARE(t->item(1, 0)->text(), QStringLiteral("-2"));
    const QColor negative = t->item(1, 0)->background().color();
    const QColor positive = t->item(1, 2)->background().color();
    const QColor zero = t->item(1, 1)->background().color();
    QVERIFY(negative.blue() > negative.red());
    QVERIFY(positive.red() > positive.blue());
    QVERIFY(zero.lightness() > 230); // white-ish middle of the diverging scale

    panel.setSelectedPair(1, 0);
    QCOMPARE(t->item(0, 1)->text(), QStringLiteral("-2"));
    QCOMPARE(t->item(2, 1)->text(), QStringLiteral("2"));
}

void KernelPanelTest::mismatchedWeightsAreReadOnly()
{
    KernelPanel panel;
    core::Conv2dParams p = rgbParams();
    const core::Tensor w = core::presetWeights(p, core::KernelPreset::Identity);
    p.groups = 2; // 3 channels do not split into 2 groups: the session keeps the old weights
    panel.setConfiguration(p, w, core::zeroBias(p));
    QSignalSpy spy(&panel, &KernelPanel::weightsEdited);
    QVERIFY(!panel.applyButton()->isEnabled());
    QVERIFY(!panel.randomiseButton()->isEnabled());
    panel.applyPreset();
    panel.randomise();
    panel.setWeightValue(0, 0, 3.0);
    panel.setBiasValue(0, 3.0);
    QCOMPARE(spy.count(), 0);
    QCOMPARE(panel.kernelTable()->editTriggers(), QAbstractItemView::NoEditTriggers);
    QCOMPARE(panel.kernelTable()->item(1, 1)->text(), QStringLiteral("0.333"));
}

void KernelPanelTest::largerFontsGiveLargerCells()
{
    KernelPanel panel;
    showRandom(panel, rgbParams(), 6);
    const int before = panel.kernelTable()->horizontalHeader()->defaultSectionSize();
    QFont big = panel.font();
    big.setPointSizeF(big.pointSizeF() * 2.5);
    panel.setFont(big);
    const int after = panel.kernelTable()->horizontalHeader()->defaultSectionSize();
    QVERIFY2(after > before * 2, qPrintable(QStringLiteral("%1 -> %2").arg(before).arg(after)));
}

void KernelPanelTest::applicationFontChangesReachTheCells()
{
    // Presentation mode sets the application font rather than the panel's.
    const QFont original = QApplication::font();
    KernelPanel panel;
    panel.show();
    showRandom(panel, rgbParams(), 6);
    const int before = panel.kernelTable()->verticalHeader()->defaultSectionSize();
    QFont big = original;
    big.setPointSizeF(original.pointSizeF() * 2.5);
    QApplication::setFont(big);
    QTRY_VERIFY(panel.kernelTable()->verticalHeader()->defaultSectionSize() > before * 2);
    QCOMPARE(panel.kernelTable()->horizontalHeader()->font().pointSizeF(), big.pointSizeF());
    QApplication::setFont(original);
}

void KernelPanelTest::recipeRemakesWeightsForNewShapes()
{
    KernelPanel panel;
    core::Conv2dParams p = rgbParams();
    showRandom(panel, p, 7);
    QCOMPARE(panel.recipe().kind, ui::WeightRecipe::Kind::Builtin);
    QVERIFY(ui::makeWeights(panel.recipe(), p).first.size() == 0);

    panel.setCurrentPreset(core::KernelPreset::Emboss);
    panel.applyPreset();
    core::Conv2dParams bigger = p;
    bigger.kernel = {5, 5};
    auto [w, b] = ui::makeWeights(panel.recipe(), bigger);
    QVERIFY(w == core::presetWeights(bigger, core::KernelPreset::Emboss));

    panel.setSeed(9);
    panel.randomise();
    std::tie(w, b) = ui::makeWeights(panel.recipe(), bigger);
    QVERIFY(w == core::kaimingUniformWeights(bigger, 9));
    QVERIFY(b == core::defaultBias(bigger, 9));

    // Applying to one output channel is a local edit, not a recipe for every channel.
    panel.setPresetAppliesToAllChannels(false);
    panel.setCurrentPreset(core::KernelPreset::Identity);
    panel.applyPreset();
    QCOMPARE(panel.recipe().kind, ui::WeightRecipe::Kind::Kaiming);
}

void KernelPanelTest::presetComboShowsTheWeightsInUse()
{
    KernelPanel panel;
    QComboBox *combo = presetComboOf(panel);
    QVERIFY(combo);
    const core::Conv2dParams p = rgbParams();
    // The session's start-up weights (box blur, edges, identity per channel) are no preset:
    // the combo must not claim one (it said "Sobel x").
    const auto [w0, b0] = core::startupWeights(p);
    panel.setConfiguration(p, w0, b0);
    for (core::KernelPreset preset : core::allKernelPresets())
        QVERIFY2(combo->currentText() != presetName(preset), qPrintable(combo->currentText()));
    QVERIFY(!panel.applyButton()->isEnabled()); // nothing chosen to apply yet

    panel.setConfiguration(p, core::presetWeights(p, core::KernelPreset::Gaussian),
                           core::zeroBias(p));
    QCOMPARE(combo->currentText(), presetName(core::KernelPreset::Gaussian));
    QVERIFY(panel.applyButton()->isEnabled());

    // A hand edit makes them custom.
    core::Tensor edited = core::presetWeights(p, core::KernelPreset::Gaussian);
    edited.at(1, 0, 1, 1) = 0.5f;
    panel.setConfiguration(p, edited, core::zeroBias(p));
    QCOMPARE(combo->currentText(), QStringLiteral("Custom weights"));

    // Picking a preset and applying it works from the neutral entry.
    QSignalSpy spy(&panel, &KernelPanel::weightsEdited);
    panel.setCurrentPreset(core::KernelPreset::SobelY);
    QVERIFY(panel.applyButton()->isEnabled());
    QTest::mouseClick(panel.applyButton(), Qt::LeftButton);
    QCOMPARE(spy.count(), 1);
    QVERIFY(editAt(spy, 0).weight == core::presetWeights(p, core::KernelPreset::SobelY));
}

void KernelPanelTest::presetComboFollowsUndoRedoAndLoadedWeights()
{
    ui::Session session;
    QUndoStack undo;
    KernelPanel panel;
    ui::attachKernelPanel(&panel, &session, &undo);
    QComboBox *combo = presetComboOf(panel);
    QVERIFY(combo);
    const QString startText = combo->currentText();
    for (core::KernelPreset preset : core::allKernelPresets())
        QVERIFY2(startText != presetName(preset), qPrintable(startText));

    panel.setCurrentPreset(core::KernelPreset::Laplacian);
    panel.applyPreset();
    QCOMPARE(combo->currentText(), presetName(core::KernelPreset::Laplacian));
    undo.undo();
    QCOMPARE(combo->currentText(), startText);
    undo.redo();
    QCOMPARE(combo->currentText(), presetName(core::KernelPreset::Laplacian));

    // Weights set from elsewhere (a session file, an import) are shown for what they are.
    const core::Conv2dParams p = session.params();
    session.setWeights(core::presetWeights(p, core::KernelPreset::Emboss), core::zeroBias(p));
    QCOMPARE(combo->currentText(), presetName(core::KernelPreset::Emboss));
    session.setWeights(core::kaimingUniformWeights(p, 4), core::defaultBias(p, 4));
    QCOMPARE(combo->currentText(), QStringLiteral("Custom weights"));

    // One channel at a time: the combo names the selected channel's kernel.
    panel.setPresetAppliesToAllChannels(false);
    panel.setSelectedPair(1, 0);
    panel.setCurrentPreset(core::KernelPreset::SobelX);
    panel.applyPreset();
    QCOMPARE(combo->currentText(), presetName(core::KernelPreset::SobelX));
}

void KernelPanelTest::undoneRecipeIsNotRemadeOnResize()
{
    // Apply Laplacian, undo it: the start-up mix is back, and a new kernel size must re-make
    // the start-up mix, not the Laplacian the user took back.
    ui::Session session;
    QUndoStack undo;
    KernelPanel panel;
    ui::attachKernelPanel(&panel, &session, &undo);
    QComboBox *combo = presetComboOf(panel);
    QVERIFY(combo);
    const core::Conv2dParams p3 = session.params();
    core::Conv2dParams p5 = p3;
    p5.kernel = {5, 5};

    panel.setCurrentPreset(core::KernelPreset::Laplacian);
    panel.applyPreset();
    undo.undo();
    QCOMPARE(combo->currentText(), QStringLiteral("Start-up mix"));
    session.setParams(p5);
    QVERIFY(*session.weight() == core::startupWeights(p5).first);
    QCOMPARE(combo->currentText(), QStringLiteral("Start-up mix"));

    // Redo brings the Laplacian back, and with it the Laplacian for new sizes.
    session.setParams(p3);
    undo.redo();
    QCOMPARE(combo->currentText(), presetName(core::KernelPreset::Laplacian));
    session.setParams(p5);
    QVERIFY(*session.weight() == core::presetWeights(p5, core::KernelPreset::Laplacian));
    session.setParams(p3);

    // A seeded initialisation restored by undo is re-made with its seed.
    panel.setSeed(7);
    panel.randomise();
    panel.setCurrentPreset(core::KernelPreset::SobelX);
    panel.applyPreset();
    undo.undo();
    QCOMPARE(combo->currentText(), QStringLiteral("Kaiming, seed 7"));
    session.setParams(p5);
    QVERIFY(*session.weight() == core::kaimingUniformWeights(p5, 7));
    QVERIFY(*session.bias() == core::defaultBias(p5, 7));
    QCOMPARE(combo->currentText(), QStringLiteral("Kaiming, seed 7"));
    session.setParams(p3);

    // Loaded weights that no recipe makes do not inherit the last applied preset either.
    panel.setCurrentPreset(core::KernelPreset::Emboss);
    panel.applyPreset();
    core::Tensor loaded = core::kaimingUniformWeights(p3, 99);
    loaded.data[0] = 3.0f;
    session.setWeights(loaded, core::zeroBias(p3));
    QCOMPARE(combo->currentText(), QStringLiteral("Custom weights"));
    session.setParams(p5);
    QVERIFY(*session.weight() == core::startupWeights(p5).first);
}

void KernelPanelTest::handEditsRemakeTheirOriginAfterUndo()
{
    // Hand-edited weights have no meaning at another size; they re-make the recipe they were
    // edited from, also when undo brings them back after another preset was applied.
    ui::Session session;
    QUndoStack undo;
    KernelPanel panel;
    ui::attachKernelPanel(&panel, &session, &undo);
    QComboBox *combo = presetComboOf(panel);
    const core::Conv2dParams p3 = session.params();
    core::Conv2dParams p5 = p3;
    p5.kernel = {5, 5};

    panel.setCurrentPreset(core::KernelPreset::Laplacian);
    panel.applyPreset();
    panel.setWeightValue(1, 1, 9.0);
    QCOMPARE(combo->currentText(), QStringLiteral("Custom weights"));
    panel.setCurrentPreset(core::KernelPreset::SobelY);
    panel.applyPreset();
    undo.undo(); // the edited Laplacian
    QCOMPARE(combo->currentText(), QStringLiteral("Custom weights"));
    QCOMPARE(panel.recipe().kind, ui::WeightRecipe::Kind::Preset);
    QCOMPARE(panel.recipe().preset, core::KernelPreset::Laplacian);
    session.setParams(p5);
    QVERIFY(*session.weight() == core::presetWeights(p5, core::KernelPreset::Laplacian));

    // Hand edits of the start-up mix re-make the start-up mix.
    session.setParams(p3);
    undo.undo(); // the resize was no undo step here; this undoes the edit
    undo.undo(); // and the Laplacian
    QCOMPARE(combo->currentText(), QStringLiteral("Start-up mix"));
    panel.setWeightValue(0, 0, 5.0);
    QCOMPARE(combo->currentText(), QStringLiteral("Custom weights"));
    QCOMPARE(panel.recipe().kind, ui::WeightRecipe::Kind::Builtin);
    session.setParams(p5);
    QVERIFY(*session.weight() == core::startupWeights(p5).first);
}

void KernelPanelTest::presetComboFollowsTheSelectedChannel()
{
    KernelPanel panel;
    QComboBox *combo = presetComboOf(panel);
    const core::Conv2dParams p = rgbParams();
    // out 0 Sobel x, out 1 Sobel y, out 2 and 3 random.
    core::Tensor w = core::kaimingUniformWeights(p, 5);
    const core::Tensor sx = core::presetWeights(p, core::KernelPreset::SobelX);
    const core::Tensor sy = core::presetWeights(p, core::KernelPreset::SobelY);
    const std::ptrdiff_t per = std::ptrdiff_t{3} * 3 * 3;
    std::copy_n(sx.data.begin(), per, w.data.begin());
    std::copy_n(sy.data.begin() + per, per, w.data.begin() + per);
    panel.setConfiguration(p, w, core::zeroBias(p));
    QCOMPARE(combo->currentText(), QStringLiteral("Custom weights"));

    panel.setPresetAppliesToAllChannels(false); // the scope itself changes what is named
    QCOMPARE(combo->currentText(), presetName(core::KernelPreset::SobelX));
    QVERIFY(panel.applyButton()->isEnabled());

    // The user steps through the output channels with the grid's "out" spin box.
    QSpinBox *out = nullptr;
    for (QSpinBox *s : panel.findChildren<QSpinBox *>())
        if (s->prefix().startsWith(QStringLiteral("out")))
            out = s;
    QVERIFY(out);
    out->setValue(1);
    QCOMPARE(combo->currentText(), presetName(core::KernelPreset::SobelY));
    out->setValue(2);
    QCOMPARE(combo->currentText(), QStringLiteral("Custom weights"));
    QVERIFY(!panel.applyButton()->isEnabled());
    // Selected from elsewhere (the feature-map grid), too.
    panel.setSelectedPair(0, 1);
    QCOMPARE(combo->currentText(), presetName(core::KernelPreset::SobelX));
    // A bias row selects its channel.
    panel.biasTable()->setCurrentCell(1, 0);
    QCOMPARE(combo->currentText(), presetName(core::KernelPreset::SobelY));

    panel.setPresetAppliesToAllChannels(true);
    QCOMPARE(combo->currentText(), QStringLiteral("Custom weights"));
}

void KernelPanelTest::shortPanelNeverOverlaps()
{
    // A short Kernel dock (laptop screen, presentation fonts): the dock gives the panel less
    // height than its boxes need. Nothing may be drawn over anything else.
    QWidget host;
    host.resize(460, 900);
    auto *panel = new KernelPanel(&host);
    showRandom(*panel, rgbParams(), 3);
    host.show();
    QVERIFY(QTest::qWaitForWindowExposed(&host));
    for (int height : {700, 420, 260, 160}) {
        panel->setGeometry(0, 0, 460, height);
        QCoreApplication::processEvents();
        // Siblings inside each box, and the boxes themselves, stay apart and inside.
        for (QWidget *parent : panel->findChildren<QWidget *>()) {
            if (!parent->isVisible() || !parent->layout())
                continue;
            QList<QWidget *> kids;
            for (QWidget *k : parent->findChildren<QWidget *>(Qt::FindDirectChildrenOnly))
                if (k->isVisible() && parent->layout()->indexOf(k) >= 0)
                    kids << k;
            for (int a = 0; a < kids.size(); ++a)
                for (int b = a + 1; b < kids.size(); ++b)
                    QVERIFY2(!kids[a]->geometry().intersects(kids[b]->geometry()),
                             qPrintable(QStringLiteral("height %1: %2 %3 overlaps %4 %5")
                                            .arg(height)
                                            .arg(kids[a]->metaObject()->className(),
                                                 kids[a]->objectName(),
                                                 kids[b]->metaObject()->className(),
                                                 kids[b]->objectName())));
        }
        // The bias list ends above its caption.
        QLabel *caption = nullptr;
        for (QLabel *l : panel->findChildren<QLabel *>())
            if (l->text().startsWith(QStringLiteral("Added to every value")))
                caption = l;
        QVERIFY(caption);
        QVERIFY2(rectIn(panel->biasTable(), panel).bottom() < rectIn(caption, panel).top(),
                 qPrintable(QStringLiteral("height %1").arg(height)));
    }
}

QTEST_MAIN(KernelPanelTest)
#include "kernelpanel_test.moc"
