// SPDX-License-Identifier: GPL-3.0-or-later
// The kernel panel wired to a session and an undo stack: edits land in the session, undo and
// redo restore them, and new weight shapes are made with the panel's last recipe.
#include "kernelbinding.h"

#include "commands.h"

#include "kernelpanel.h"
#include "kernels.h"
#include "session.h"
#include "shape.h"

#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>
#include <QUndoStack>

using namespace convscope;
using namespace convscope::ui;

class KernelBindingTest : public QObject {
    Q_OBJECT
private slots:
    void panelShowsTheSessionAndFollowsIt();
    void presetIsOneUndoStep();
    void cellEditAndBiasEditUndoInOrder();
    void newShapesUseTheRecipe();
    void undoingAShapeChangeRestoresHandEditedWeights();
};

void KernelBindingTest::undoingAShapeChangeRestoresHandEditedWeights()
{
    Session session;
    QUndoStack undo;
    const core::Conv2dParams p3 = session.params();
    // A hand edit: the session's weights are no longer what any initializer makes.
    core::Tensor edited = *session.weight();
    edited.data[0] = 42.0f;
    const core::Tensor bias = *session.bias();
    undo.push(new SetWeightsCommand(&session, *session.weight(), bias, edited, bias,
                                    QStringLiteral("Edit w[0,0,0,0]")));
    QVERIFY(*session.weight() == edited);

    core::Conv2dParams p5 = p3;
    p5.kernel = {5, 5};
    undo.push(new SetParamsCommand(&session, p3, p5, QStringLiteral("kernel 5")));
    QCOMPARE(session.weight()->shape, core::weightShape(p5));
    const core::Tensor made5 = *session.weight();

    undo.undo(); // back to 3x3: the edited kernel, not a re-initialised one
    QCOMPARE(session.params(), p3);
    QVERIFY(*session.weight() == edited);
    undo.redo(); // and forward again to exactly the 5x5 weights seen before
    QVERIFY(*session.weight() == made5);
    undo.undo();
    undo.undo(); // the hand edit itself is undone last
    QVERIFY(*session.weight() != edited);
}

void KernelBindingTest::panelShowsTheSessionAndFollowsIt()
{
    Session session;
    QUndoStack undo;
    KernelPanel panel;
    attachKernelPanel(&panel, &session, &undo);
    // Nothing chosen yet: the session keeps its built-in default.
    const auto [w0, b0] = core::startupWeights(session.params());
    QVERIFY(*session.weight() == w0);
    QVERIFY(panel.weight() == w0);
    QCOMPARE(panel.params(), session.params());

    const core::Conv2dParams p = session.params();
    session.setWeights(core::kaimingUniformWeights(p, 11), core::defaultBias(p, 11));
    QVERIFY(panel.weight() == core::kaimingUniformWeights(p, 11));
    QVERIFY(panel.bias() == core::defaultBias(p, 11));
    QCOMPARE(undo.count(), 0); // changes from elsewhere are not the panel's undo steps
}

void KernelBindingTest::presetIsOneUndoStep()
{
    Session session;
    QUndoStack undo;
    KernelPanel panel;
    attachKernelPanel(&panel, &session, &undo);
    const core::Tensor before = *session.weight();
    QSignalSpy changed(&session, &Session::weightsChanged);

    panel.setCurrentPreset(core::KernelPreset::SobelY);
    panel.applyPreset();
    QCOMPARE(undo.count(), 1);
    QCOMPARE(undo.undoText(), QStringLiteral("Apply Sobel y"));
    QVERIFY(*session.weight() == core::presetWeights(session.params(), core::KernelPreset::SobelY));
    QCOMPARE(changed.count(), 1);

    undo.undo();
    QVERIFY(*session.weight() == before);
    QVERIFY(panel.weight() == before);
    undo.redo();
    QVERIFY(*session.weight() == core::presetWeights(session.params(), core::KernelPreset::SobelY));
}

void KernelBindingTest::cellEditAndBiasEditUndoInOrder()
{
    Session session;
    QUndoStack undo;
    KernelPanel panel;
    attachKernelPanel(&panel, &session, &undo);
    const core::Conv2dParams p = session.params();
    panel.setSeed(5);
    panel.randomise();
    const core::Tensor random = core::kaimingUniformWeights(p, 5);
    QVERIFY(*session.weight() == random);

    panel.setSelectedPair(1, 2);
    panel.setWeightValue(0, 2, 4.0);
    panel.setBiasValue(3, -1.25);
    QCOMPARE(undo.count(), 3);
    QCOMPARE(session.weight()->at(1, 2, 0, 2), 4.0f);
    QCOMPARE(session.bias()->data[3], -1.25f);
    QCOMPARE(undo.undoText(), QStringLiteral("Edit b[3]"));

    undo.undo();
    QCOMPARE(session.bias()->data[3], core::defaultBias(p, 5).data[3]);
    QCOMPARE(session.weight()->at(1, 2, 0, 2), 4.0f);
    QCOMPARE(undo.undoText(), QStringLiteral("Edit w[1, 2, 0, 2]"));
    undo.undo();
    QVERIFY(*session.weight() == random);
    QCOMPARE(panel.kernelTable()->item(0, 2)->data(Qt::UserRole + 1).toDouble(),
             double(random.at(1, 2, 0, 2)));
}

void KernelBindingTest::newShapesUseTheRecipe()
{
    Session session;
    QUndoStack undo;
    KernelPanel panel;
    attachKernelPanel(&panel, &session, &undo);
    panel.setCurrentPreset(core::KernelPreset::Laplacian);
    panel.applyPreset();

    core::Conv2dParams p = session.params();
    p.kernel = {5, 5};
    session.setParams(p);
    QVERIFY(*session.weight() == core::presetWeights(p, core::KernelPreset::Laplacian));
    QCOMPARE(panel.weight().shape, (core::Shape{p.outChannels, p.inChannels, 5, 5}));

    panel.setSeed(3);
    panel.randomise();
    p.outChannels = 2;
    session.setParams(p);
    QVERIFY(*session.weight() == core::kaimingUniformWeights(p, 3));
    QVERIFY(*session.bias() == core::defaultBias(p, 3));
}

QTEST_MAIN(KernelBindingTest)
#include "kernelbinding_test.moc"
