// The layer stack: adding and editing layers after the Session's, the receptive-field table
// (the Distill example), and the extra layers' results (conv2d of the ReLU'd previous output).
#include "layerstackpanel.h"

#include "conv2d.h"
#include "reference_conv.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>

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

} // namespace

class LayerStackPanelTest : public QObject {
    Q_OBJECT
  private slots:
    void tableShowsTheDistillExample();
    void extraLayersAreComputedThroughRelu();
    void invalidStackIsReported();
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
    QCOMPARE(model.stackError()->layer, std::size_t(1));
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

QTEST_MAIN(LayerStackPanelTest)
#include "layerstackpanel_test.moc"
