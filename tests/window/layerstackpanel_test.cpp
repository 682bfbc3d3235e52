// SPDX-License-Identifier: GPL-3.0-or-later
// The layer stack: adding and editing layers after the Session's, the receptive-field table
// (the Distill example), the extra layers' results (conv2d of the ReLU'd previous output), and
// undo of every stack edit on the window's undo stack.
#include "layerstackpanel.h"

#include "commands.h"
#include "conv2d.h"
#include "mainwindow.h"
#include "reference_conv.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTest>
#include <QUndoStack>

#include <cstring>

using namespace convscope;
using namespace convscope::ui;

namespace {

// What the compute controller would publish for the Session's current state.
void publish(Session &session)
{
    auto r = std::make_shared<ComputeResult>();
    r->params = session.params();
    r->input = session.inputTensor();
    r->weight = session.weight();
    r->bias = r->params.bias ? session.bias() : nullptr;
    QCOMPARE(core::conv2d(*r->input, *r->weight, r->bias.get(), r->params, r->output),
             core::ForwardStatus::Done);
    session.setResult(r);
}

QImage gradientImage(int w, int h)
{
    QImage img(w, h, QImage::Format_RGB32);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            img.setPixel(x, y, qRgb(x * 255 / w, y * 255 / h, (x * y) % 256));
    return img;
}

// Bit-identical: the same shape and the same bytes (== on floats would let -0 pass for 0).
bool sameBits(const core::Tensor &a, const core::Tensor &b)
{
    return a.shape == b.shape && a.data.size() == b.data.size()
           && std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0;
}

// The layers after the Session's, as the Layers dock shows them (a Conv2d and the ReLU on
// its input), read off the model's network.
struct Row {
    core::Conv2dParams params;
    bool reluBefore = false;
    core::Tensor weight;
    core::Tensor bias;
};

std::vector<Row> extraLayers(const LayerStackModel &model)
{
    std::vector<Row> rows;
    const core::Network net = model.network();
    bool relu = false;
    for (std::size_t i = 1; i < net.size(); ++i) {
        const auto *c = std::get_if<core::Conv2dLayer>(&net.layers[i]);
        if (!c) {
            relu = true;
            continue;
        }
        rows.push_back({c->params, relu, *c->weight, c->bias ? *c->bias : core::Tensor()});
        relu = false;
    }
    return rows;
}

bool sameLayers(const std::vector<Row> &a, const std::vector<Row> &b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(a[i].params == b[i].params) || a[i].reluBefore != b[i].reluBefore
            || !sameBits(a[i].weight, b[i].weight) || !sameBits(a[i].bias, b[i].bias))
            return false;
    return true;
}

// The output of the layer whose maps are shown, once the newest background run has landed.
core::Tensor shownMaps(LayerStackModel &model)
{
    if (model.isComputing()) {
        QSignalSpy results(&model, &LayerStackModel::resultsChanged);
        while (model.isComputing())
            if (!results.wait(2000))
                break;
    }
    const auto r = model.result(model.shownLayer());
    return r ? r->output : core::Tensor();
}

} // namespace

class LayerStackPanelTest : public QObject {
    Q_OBJECT
private slots:
    void tableShowsTheDistillExample();
    void extraLayersAreComputedThroughRelu();
    void invalidStackIsReported();
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("convscope-tests"));
    }
    void addAndRemoveUndoExactly();
    void paramEditsUndoAndSpinStepsMerge();
    void reluToggleUndoes();
    void mapsAfterUndoEqualMapsBefore();
    void windowEditsGoOnItsUndoStack();
    void undoingALayerOneEditRestoresTheNextLayer();
    void setNetworkRefusesKindsTheDockCannotShow();
};

void LayerStackPanelTest::tableShowsTheDistillExample()
{
    Session session;
    session.setImage(gradientImage(32, 32), QStringLiteral("test"));
    core::Conv2dParams p = session.params(); // k3, p1: layer 1 of the example
    p.outChannels = 2;
    session.setParams(p);
    LayerStackModel model(&session);
    LayerStackPanel panel(&model);
    QSignalSpy layers(&model, &LayerStackModel::layersChanged);

    auto *add = panel.findChild<QPushButton *>(QStringLiteral("addLayer"));
    QVERIFY(add);
    for (int i = 0; i < 3; ++i)
        add->click();
    QCOMPARE(model.layerCount(), 4);
    QCOMPARE(layers.count(), 3);
    QCOMPARE(model.params(1).inChannels, 2); // follows layer 1's out channels

    // Edit layers 2..4 through the panel's editor: k3/s2/p1, k2/s2/p0, k3/d2/p2.
    auto set = [&](int layer, int k, int s, int pad, int d) {
        panel.setCurrentLayer(layer);
        panel.findChild<QSpinBox *>(QStringLiteral("layerKernel"))->setValue(k);
        panel.findChild<QSpinBox *>(QStringLiteral("layerStride"))->setValue(s);
        panel.findChild<QSpinBox *>(QStringLiteral("layerPadding"))->setValue(pad);
        panel.findChild<QSpinBox *>(QStringLiteral("layerDilation"))->setValue(d);
    };
    set(1, 3, 2, 1, 1);
    set(2, 2, 2, 0, 1);
    set(3, 3, 1, 2, 2);
    QCOMPARE(model.params(3).dilation, (core::Hw{2, 2}));
    QCOMPARE(model.params(2).kernel, (core::Hw{2, 2}));

    const QStringList cols = LayerStackPanel::tableColumns();
    const int r = int(cols.indexOf(QStringLiteral("r")));
    const int j = int(cols.indexOf(QStringLiteral("j")));
    const int out = int(cols.indexOf(QStringLiteral("out")));
    const int start = int(cols.indexOf(QStringLiteral("start")));
    QCOMPARE(panel.table()->rowCount(), 8);
    const QStringList rs{"3", "5", "7", "23"}, js{"1", "2", "4", "4"}, outs{"32", "16", "8", "8"},
        starts{"-1", "-2", "-2", "-10"};
    for (int l = 0; l < 4; ++l)
        for (int axis = 0; axis < 2; ++axis) {
            const int row = 2 * l + axis;
            QCOMPARE(panel.tableText(row, r), rs[l]);
            QCOMPARE(panel.tableText(row, j), js[l]);
            QCOMPARE(panel.tableText(row, out), outs[l]);
            QCOMPARE(panel.tableText(row, start), starts[l]);
        }
    QCOMPARE(panel.tableText(2, int(cols.indexOf(QStringLiteral("pad")))), QStringLiteral("1+1"));
    QCOMPARE(panel.tableText(2, int(cols.indexOf(QStringLiteral("unreached")))),
             QStringLiteral("1"));

    // Removing layer 3 (k2/s2) shrinks the table and keeps the channels chained.
    panel.setCurrentLayer(2);
    panel.findChild<QPushButton *>(QStringLiteral("removeLayer"))->click();
    QCOMPARE(model.layerCount(), 3);
    QCOMPARE(panel.table()->rowCount(), 6);
    QCOMPARE(panel.tableText(4, r), QStringLiteral("13")); // 5 + (5 - 1) * 2
}

void LayerStackPanelTest::extraLayersAreComputedThroughRelu()
{
    Session session;
    session.setImage(gradientImage(20, 16), QStringLiteral("test"));
    LayerStackModel model(&session);
    model.addLayer();
    model.addLayer();
    core::Conv2dParams p2 = model.params(2);
    p2.outChannels = 4;
    p2.stride = {2, 2};
    p2.groups = 2;
    p2.paddingMode = core::PaddingMode::Reflect;
    model.setLayerParams(2, p2);
    model.setReluBefore(2, false);
    QSignalSpy results(&model, &LayerStackModel::resultsChanged);
    publish(session);
    QVERIFY(results.wait(2000));
    QVERIFY(model.result(0));
    QVERIFY(model.result(1));
    QVERIFY(model.result(2));
    QCOMPARE(model.result(2)->output.shape, (core::Shape{1, 4, 8, 10}));

    // Layer 2 reads ReLU(layer 1's output); layer 3 reads layer 2's output as is.
    core::Tensor relu = model.result(0)->output;
    bool hadNegative = false;
    for (float &v : relu.data) {
        hadNegative |= v < 0;
        v = std::max(v, 0.0f);
    }
    QVERIFY(*model.result(1)->input == relu);
    QVERIFY(*model.result(2)->input == model.result(1)->output);
    const auto ref = core::referenceConv2d(relu, *model.result(1)->weight,
                                           model.result(1)->bias.get(), model.params(1));
    for (std::size_t i = 0; i < ref.data.size(); ++i)
        QVERIFY(std::abs(ref.data[i] - model.result(1)->output.data[i]) < 1e-5f);
    (void)hadNegative;

    QCOMPARE(model.computedStack(2).size(), std::size_t(3));
    QCOMPARE(model.computedStack(2)[2], model.params(2));

    // A new channel count in layer 1 re-chains layer 2 and recomputes.
    core::Conv2dParams p0 = session.params();
    p0.outChannels = 6;
    session.setParams(p0);
    QCOMPARE(model.params(1).inChannels, 6);
    publish(session);
    QVERIFY(results.wait(2000));
    QCOMPARE(model.result(1)->input->dim(1), 6);
}

void LayerStackPanelTest::invalidStackIsReported()
{
    Session session;
    session.setImage(gradientImage(8, 8), QStringLiteral("test"));
    LayerStackModel model(&session);
    LayerStackPanel panel(&model);
    model.addLayer();
    core::Conv2dParams p = model.params(1);
    p.kernel = {11, 11};
    p.padding = {0, 0};
    model.setLayerParams(1, p);
    QVERIFY(model.stackError());
    QCOMPARE(model.stackError()->layer, std::size_t(2)); // counted from 1, as the dock does
    auto *error = panel.findChild<QLabel *>(QStringLiteral("stackError"));
    QVERIFY(error->text().startsWith(QStringLiteral("Layer 2:")));
    QCOMPARE(panel.table()->rowCount(), 0);
    QSignalSpy results(&model, &LayerStackModel::resultsChanged);
    publish(session);
    QVERIFY(results.wait(2000));
    QVERIFY(!model.isComputing());
    QVERIFY(model.result(0));
    QVERIFY(!model.result(1)); // not computed, not stale
}

void LayerStackPanelTest::addAndRemoveUndoExactly()
{
    Session session;
    session.setImage(gradientImage(16, 16), QStringLiteral("test"));
    LayerStackModel model(&session);
    QUndoStack undo;
    model.setUndoStack(&undo);

    model.addLayer();
    QCOMPARE(undo.count(), 1);
    QCOMPARE(undo.undoText(), QStringLiteral("Add layer 2"));
    const auto oneLayer = extraLayers(model);
    undo.undo();
    QCOMPARE(model.layerCount(), 1);
    undo.redo();
    QVERIFY(sameLayers(extraLayers(model), oneLayer)); // the same seeded weights, not new ones

    // Layer 2 with other out channels re-chains layer 3 (new input channels, new weights).
    model.addLayer();
    QCOMPARE(undo.undoText(), QStringLiteral("Add layer 3"));
    core::Conv2dParams p = model.params(1);
    p.outChannels = 5;
    model.setLayerParams(1, p);
    model.setReluBefore(2, false);
    const auto threeLayers = extraLayers(model);
    QCOMPARE(threeLayers[1].params.inChannels, 5);

    // Removing layer 2 re-chains layer 3 again; undo brings back both, weights included.
    model.removeLayer(1);
    QCOMPARE(undo.undoText(), QStringLiteral("Remove layer 2"));
    QCOMPARE(model.layerCount(), 2);
    const auto removed = extraLayers(model);
    QCOMPARE(removed[0].params.inChannels, session.params().outChannels);
    QVERIFY(!removed[0].reluBefore);
    undo.undo();
    QVERIFY(sameLayers(extraLayers(model), threeLayers));
    undo.redo();
    QVERIFY(sameLayers(extraLayers(model), removed));
    undo.undo();

    // Undo all the way back, then redo all the way forward.
    while (undo.canUndo())
        undo.undo();
    QCOMPARE(model.layerCount(), 1);
    while (undo.canRedo())
        undo.redo();
    QVERIFY(sameLayers(extraLayers(model), removed));
}

void LayerStackPanelTest::paramEditsUndoAndSpinStepsMerge()
{
    Session session;
    session.setImage(gradientImage(32, 32), QStringLiteral("test"));
    LayerStackModel model(&session);
    QUndoStack undo;
    model.setUndoStack(&undo);
    LayerStackPanel panel(&model);
    model.addLayer();
    model.addLayer();
    const auto start = extraLayers(model);
    const int base = undo.count();
    panel.setCurrentLayer(2);
    auto *stride = panel.findChild<QSpinBox *>(QStringLiteral("layerStride"));
    auto *kernel = panel.findChild<QSpinBox *>(QStringLiteral("layerKernel"));
    auto *out = panel.findChild<QSpinBox *>(QStringLiteral("layerOutChannels"));
    QVERIFY(stride && kernel && out);

    // Three steps on one spin box: one command named after where they ended.
    stride->stepUp();
    stride->stepUp();
    stride->stepUp();
    QCOMPARE(model.params(2).stride, (core::Hw{4, 4}));
    QCOMPARE(undo.count(), base + 1);
    QCOMPARE(undo.undoText(), QStringLiteral("Layer 3: stride 4"));
    undo.undo();
    QVERIFY(sameLayers(extraLayers(model), start));
    QCOMPARE(stride->value(), 1); // the editor follows undo
    undo.redo();
    QCOMPARE(model.params(2).stride, (core::Hw{4, 4}));

    // Another field is another command; leaving the field ends the merging.
    kernel->stepUp();
    QCOMPARE(undo.count(), base + 2);
    QCOMPARE(undo.undoText(), QStringLiteral("Layer 3: kernel 4"));
    emit kernel->editingFinished();
    kernel->stepUp();
    QCOMPARE(undo.count(), base + 3);
    QCOMPARE(undo.undoText(), QStringLiteral("Layer 3: kernel 5"));

    // Steps that end where they started leave nothing to undo.
    stride->stepUp();
    stride->stepDown();
    QCOMPARE(undo.count(), base + 3);

    // After an undo, a step does not fold into the command below (here: kernel 4).
    undo.undo();
    QCOMPARE(model.params(2).kernel, (core::Hw{4, 4}));
    kernel->stepDown();
    QCOMPARE(undo.count(), base + 3);
    QCOMPARE(undo.undoText(), QStringLiteral("Layer 3: kernel 3"));
    undo.undo();
    QCOMPARE(model.params(2).kernel, (core::Hw{4, 4}));

    // Out channels of layer 2 redraw its weights and layer 3's; undo restores both exactly.
    const auto beforeOut = extraLayers(model);
    panel.setCurrentLayer(1);
    out->stepUp();
    out->stepUp();
    QCOMPARE(undo.undoText(),
             QStringLiteral("Layer 2: out channels %1").arg(beforeOut[0].params.outChannels + 2));
    QCOMPARE(model.params(2).inChannels, beforeOut[0].params.outChannels + 2);
    const auto afterOut = extraLayers(model);
    undo.undo();
    QVERIFY(sameLayers(extraLayers(model), beforeOut));
    undo.redo();
    QVERIFY(sameLayers(extraLayers(model), afterOut));

    // A combo change through the panel, and a model edit with several fields at once.
    panel.findChild<QComboBox *>(QStringLiteral("layerPaddingKind"))->setCurrentIndex(1);
    QCOMPARE(undo.undoText(), QStringLiteral("Layer 2: padding 'same'"));
    core::Conv2dParams p = model.params(2);
    p.dilation = {2, 2};
    p.groups = 2;
    model.setLayerParams(2, p);
    QCOMPARE(undo.undoText(), QStringLiteral("Layer 3: dilation 2, groups 2"));
    undo.undo();
    QCOMPARE(model.params(2).dilation, (core::Hw{1, 1}));
    QCOMPARE(model.params(2).groups, 1);
}

void LayerStackPanelTest::reluToggleUndoes()
{
    Session session;
    session.setImage(gradientImage(16, 16), QStringLiteral("test"));
    LayerStackModel model(&session);
    QUndoStack undo;
    model.setUndoStack(&undo);
    LayerStackPanel panel(&model);
    panel.findChild<QPushButton *>(QStringLiteral("addLayer"))->click();
    QCOMPARE(panel.currentLayer(), 1);
    const auto before = extraLayers(model);
    auto *relu = panel.findChild<QCheckBox *>(QStringLiteral("relu"));
    QVERIFY(relu->isChecked());
    relu->click();
    QVERIFY(!model.reluBefore(1));
    QCOMPARE(undo.count(), 2); // add, ReLU: nothing else
    QCOMPARE(undo.undoText(), QStringLiteral("Layer 2: ReLU off"));
    const auto after = extraLayers(model);
    undo.undo();
    QVERIFY(model.reluBefore(1));
    QVERIFY(relu->isChecked());
    QVERIFY(sameLayers(extraLayers(model), before));
    undo.redo();
    QVERIFY(!relu->isChecked());
    QVERIFY(sameLayers(extraLayers(model), after));
    relu->click();
    QCOMPARE(undo.undoText(), QStringLiteral("Layer 2: ReLU on"));
    QCOMPARE(undo.count(), 3); // toggles do not merge
}

void LayerStackPanelTest::mapsAfterUndoEqualMapsBefore()
{
    Session session;
    session.setImage(gradientImage(24, 20), QStringLiteral("test"));
    LayerStackModel model(&session);
    QUndoStack undo;
    model.setUndoStack(&undo);
    LayerStackPanel panel(&model);
    model.addLayer();
    model.addLayer();
    publish(session);
    model.setShownLayer(2);
    const core::Tensor before = shownMaps(model);
    QCOMPARE(before.dim(1), session.params().outChannels);

    // Each edit changes the maps shown; its undo brings back exactly the maps before it.
    const std::vector<std::function<void()>> edits{
        [&] {
            core::Conv2dParams p = model.params(1);
            p.outChannels += 3; // new weights for layers 2 and 3
            model.setLayerParams(1, p);
        },
        [&] {
            core::Conv2dParams p = model.params(2);
            p.stride = {2, 2};
            model.setLayerParams(2, p);
        },
        [&] { model.setReluBefore(2, false); },
        [&] { model.removeLayer(1); },
    };
    for (std::size_t i = 0; i < edits.size(); ++i) {
        edits[i]();
        const core::Tensor edited = shownMaps(model);
        QVERIFY2(!sameBits(edited, before), qPrintable(QString::number(i)));
        undo.undo();
        QCOMPARE(model.shownLayer(), 2);
        QVERIFY2(sameBits(shownMaps(model), before), qPrintable(QString::number(i)));
        undo.redo();
        QVERIFY2(sameBits(shownMaps(model), edited), qPrintable(QString::number(i)));
        undo.undo();
    }

    // Removing the shown layer shows the one before; undo shows it again, as it was.
    model.removeLayer(2);
    QCOMPARE(model.shownLayer(), 1);
    undo.undo();
    QCOMPARE(model.shownLayer(), 2);
    QVERIFY(sameBits(shownMaps(model), before));
    // Which layer is shown is not an edit.
    const int count = undo.count();
    model.setShownLayer(0);
    QCOMPARE(undo.count(), count);
}

void LayerStackPanelTest::windowEditsGoOnItsUndoStack()
{
    MainWindow window;
    QUndoStack *undo = window.undoStack();
    const int base = undo->count();
    LayerStackPanel *panel = window.layerStackPanel();
    panel->findChild<QPushButton *>(QStringLiteral("addLayer"))->click();
    QCOMPARE(undo->count(), base + 1);
    QCOMPARE(undo->undoText(), QStringLiteral("Add layer 2"));
    undo->undo();
    QCOMPARE(window.layerStack()->layerCount(), 1);
}

void LayerStackPanelTest::undoingALayerOneEditRestoresTheNextLayer()
{
    // Layer 2 has grouped convolution and weights of its own (as a session file brings
    // them). A layer-1 out_channels edit re-chains it (8 -> 9 inputs: groups 2 no longer
    // divides, so it falls back to 1 with new weights); undoing the edit must bring layer 2
    // back as it was, groups and weights included, and redo the re-chained one.
    MainWindow window;
    QUndoStack *undo = window.undoStack();
    LayerStackModel *model = window.layerStack();
    core::Conv2dParams p1 = window.session()->params();
    p1.outChannels = 8;
    undo->push(new SetParamsCommand(window.session(), window.session()->params(), p1, "8 maps"));
    core::Conv2dParams lp;
    lp.inChannels = 8;
    lp.outChannels = 4;
    lp.groups = 2;
    lp.kernel = {3, 3};
    core::Tensor weight(core::weightShape(lp));
    for (std::size_t i = 0; i < weight.data.size(); ++i)
        weight.data[i] = 0.01f * float(i % 17) - 0.05f;
    core::Network net = model->network();
    net.layers.resize(1); // the Session's layer
    net.layers.emplace_back(core::ReluLayer{});
    net.layers.push_back(core::makeConv2d(lp, weight, core::Tensor({4}, 0.5f)));
    QString error;
    QVERIFY2(model->setNetwork(net, &error), qPrintable(error));
    const auto before = extraLayers(*model);

    core::Conv2dParams p2 = p1;
    p2.outChannels = 9;
    undo->push(new SetParamsCommand(window.session(), p1, p2, "9 maps"));
    const auto after = extraLayers(*model);
    QCOMPARE(after[0].params.inChannels, 9);
    QCOMPARE(after[0].params.groups, 1);
    QVERIFY(!sameBits(after[0].weight, before[0].weight));

    undo->undo();
    QVERIFY(sameLayers(extraLayers(*model), before));
    undo->redo();
    QVERIFY(sameLayers(extraLayers(*model), after));
}

void LayerStackPanelTest::setNetworkRefusesKindsTheDockCannotShow()
{
    // The dock's rows are Conv2d layers with a ReLU flag: a MaxPool2d must be refused by
    // name, not kept as a ReLU on the next layer.
    MainWindow window;
    LayerStackModel *model = window.layerStack();
    const auto before = extraLayers(*model);
    core::Network net = model->network();
    net.layers.resize(1);
    net.layers.emplace_back(core::MaxPool2dLayer{});
    QString error;
    QVERIFY(!model->setNetwork(net, &error));
    QVERIFY2(error.contains("MaxPool2d") && error.contains("Layer 2"), qPrintable(error));
    QVERIFY(sameLayers(extraLayers(*model), before));
}

QTEST_MAIN(LayerStackPanelTest)
#include "layerstackpanel_test.moc"
