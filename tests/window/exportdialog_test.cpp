// SPDX-License-Identifier: GPL-3.0-or-later
// The export dialog and the session <-> file conversions behind File > Open/Save Session.
#include "conv2d.h"
#include "exportactions.h"
#include "exportdialog.h"
#include "layerstackmodel.h"
#include "mainwindow.h"
#include "npy.h"
#include "random_tensor.h"
#include "session.h"
#include "shape.h"
#include "uitest_util.h"

#include <QAction>
#include <QCheckBox>
#include <QDir>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <random>

using namespace convscope;
using namespace convscope::ui;

namespace {

using convscope::test::randomTensor;

ExportRequest makeRequest(int channels, int size)
{
    ExportRequest r;
    r.baseName = "img";
    r.inputName = "img.png";
    r.input = randomTensor({1, 3, size, size}, 1);
    core::Conv2dParams p;
    p.inChannels = 3;
    p.outChannels = channels;
    p.padding = {1, 1};
    const core::Tensor weight = randomTensor(core::weightShape(p), 2);
    const core::Tensor bias = randomTensor({channels}, 3);
    r.network.layers = {core::makeConv2d(p, weight, bias)};
    core::conv2d(r.input, weight, &bias, p, r.output);
    return r;
}

QStringList entries(const QString &dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
}

} // namespace

class ExportDialogTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_settingsDir;

private slots:
    void initTestCase() { uitest::isolateSettings(m_settingsDir.path(), "exportdialog_test"); }

    void exportsAndRemembersChoices()
    {
        QTemporaryDir dir;
        ExportDialog dialog(makeRequest(3, 12));
        ExportFormats f;
        f.png16 = f.npy = f.json = true;
        dialog.setFormats(f);
        dialog.setFolder(dir.path());
        QSignalSpy done(&dialog, &ExportDialog::exportFinished);
        dialog.startExport();
        QVERIFY(done.wait(10000));
        QVERIFY2(dialog.lastResult().ok(), qPrintable(dialog.lastResult().message));
        QCOMPARE(entries(dir.path()).size(), 5);
        QCOMPARE(dialog.findChild<QProgressBar *>()->value(), 1000);
        QVERIFY(!dialog.isRunning());
        const auto buttons = dialog.findChildren<QPushButton *>();
        const auto exportButton = std::find_if(
            buttons.begin(), buttons.end(), [](QPushButton *b) { return b->text() == "Export"; });
        QVERIFY(exportButton != buttons.end());
        QVERIFY((*exportButton)->isEnabled()); // ready for another export
        if (const QByteArray shots = qgetenv("CONVSCOPE_SCREENSHOT_DIR"); !shots.isEmpty())
            dialog.grab().save(QDir(QString::fromLocal8Bit(shots)).filePath("exportdialog.png"));

        ExportDialog again(makeRequest(3, 12));
        QCOMPARE(again.options().folder, dir.path());
        QVERIFY(again.options().formats == f);
    }

    void asksBeforeReplacing()
    {
        QTemporaryDir dir;
        ExportDialog dialog(makeRequest(2, 10));
        ExportFormats f;
        f.npy = true;
        dialog.setFormats(f);
        dialog.setFolder(dir.path());
        QFile existing(dir.filePath("img_output.npy"));
        QVERIFY(existing.open(QIODevice::WriteOnly));
        existing.write("keep me");
        existing.close();

        QStringList asked;
        dialog.setConfirmOverwrite([&](const QStringList &files) {
            asked = files;
            return false;
        });
        dialog.startExport();
        QVERIFY(!dialog.isRunning());
        QCOMPARE(asked, QStringList{dir.filePath("img_output.npy")});
        QVERIFY(existing.open(QIODevice::ReadOnly));
        QCOMPARE(existing.readAll(), QByteArray("keep me"));
        existing.close();

        dialog.setConfirmOverwrite([](const QStringList &) { return true; });
        QSignalSpy done(&dialog, &ExportDialog::exportFinished);
        dialog.startExport();
        QVERIFY(done.wait(10000));
        QVERIFY(dialog.lastResult().ok());
        QVERIFY(core::readNpy(dir.filePath("img_output.npy").toStdString()).size()
                == std::int64_t{2} * 10 * 10);
    }

    void cancelLeavesNoFiles()
    {
        QTemporaryDir dir;
        ExportDialog dialog(makeRequest(48, 96)); // ~100 files: long enough to cancel midway
        ExportFormats f;
        f.png = f.png16 = f.sheet = f.npy = true;
        dialog.setFormats(f);
        dialog.setFolder(dir.filePath("out"));
        QSignalSpy done(&dialog, &ExportDialog::exportFinished);
        dialog.startExport();
        QVERIFY(dialog.isRunning());
        dialog.reject(); // the dialog's Cancel while running cancels the export, not the dialog
        QVERIFY(done.wait(20000));
        QCOMPARE(dialog.lastResult().status, ExportResult::Status::Cancelled);
        QVERIFY(entries(dir.path()).isEmpty());
    }

    void sessionStateRoundTrip()
    {
        Session a;
        QImage image(20, 14, QImage::Format_RGB32);
        image.fill(QColor(10, 200, 30));
        a.setImage(image, "clipboard");
        core::Conv2dParams p;
        p.inChannels = 3;
        p.outChannels = 4;
        p.kernel = {3, 5};
        p.stride = {2, 1};
        a.setParams(p);
        QVERIFY(a.setWeights(randomTensor(core::weightShape(p), 4), randomTensor({4}, 5)));
        a.setGradient(Gradient::Viridis);
        a.setRangeMode(RangeMode::Global);

        const SessionState state = sessionStateFor(a);
        QVERIFY(!state.imagePng.isEmpty()); // a pasted image travels inside the session
        QTemporaryDir dir;
        QString error;
        QVERIFY2(saveSession(dir.filePath("s.convscope.json"), state, &error), qPrintable(error));
        const auto loaded = loadSession(dir.filePath("s.convscope.json"), &error);
        QVERIFY2(loaded, qPrintable(error));

        Session b;
        QVERIFY2(applySessionState(b, *loaded, &error), qPrintable(error));
        QVERIFY(b.params() == a.params());
        QVERIFY(*b.weight() == *a.weight());
        QVERIFY(*b.bias() == *a.bias());
        QCOMPARE(b.gradient(), Gradient::Viridis);
        QCOMPARE(b.rangeMode(), RangeMode::Global);
        QCOMPARE(b.image().size(), image.size());
        QCOMPARE(b.image().pixel(3, 3), image.pixel(3, 3));

        // A stack the window cannot show is refused and changes nothing.
        SessionState stack = *loaded;
        stack.network.layers.push_back(stack.network.layers.front());
        const auto before = b.params();
        b.setGradient(Gradient::Grayscale);
        QVERIFY(!applySessionState(b, stack, &error));
        QVERIFY2(error.contains("2 layers"), qPrintable(error));
        QVERIFY(b.params() == before);
        QCOMPARE(b.gradient(), Gradient::Grayscale);

        // A missing image file is refused before anything changes.
        SessionState missing = *loaded;
        missing.imagePng.clear();
        missing.imagePath = dir.filePath("gone.png");
        missing.view.gradient = Gradient::Diverging;
        QVERIFY(!applySessionState(b, missing, &error));
        QVERIFY2(error.contains("gone.png"), qPrintable(error));
        QCOMPARE(b.gradient(), Gradient::Grayscale);
    }

    void mainWindowOffersTheActions()
    {
        MainWindow window;
        QStringList texts;
        for (QAction *a : window.findChildren<QAction *>())
            texts << a->text();
        for (const char *want : {"&Export…", "&Open Session…", "&Save Session…", "&Import Weights…",
                                 "Copy as &PyTorch"})
            QVERIFY2(texts.contains(QString::fromUtf8(want)), want);
        if (const QByteArray shots = qgetenv("CONVSCOPE_SCREENSHOT_DIR"); !shots.isEmpty())
            for (QMenu *menu : window.findChildren<QMenu *>())
                if (menu->title() == "&File" || menu->title() == "&Edit") {
                    menu->adjustSize();
                    menu->grab().save(QDir(QString::fromLocal8Bit(shots))
                                          .filePath(menu->title().mid(1) + "-menu.png"));
                }

        // End to end: the window computes the sample, the result exports and equals the engine.
        window.openSample();
        Session *session = window.session();
        QTRY_VERIFY_WITH_TIMEOUT(session->result() && session->resultIsCurrent(), 20000);
        QString error;
        const auto request = exportRequestFor(*session, &error);
        QVERIFY2(request, qPrintable(error));
        core::Tensor expected;
        const auto &l = std::get<core::Conv2dLayer>(request->network.layers.front());
        core::conv2d(request->input, *l.weight, l.params.bias ? l.bias.get() : nullptr, l.params,
                     expected);
        QVERIFY(request->output == expected);
        QTemporaryDir dir;
        ExportFormats f;
        f.npy = f.sheet = true;
        const ExportResult res = exportResults({*request}, {dir.path(), f});
        QVERIFY2(res.ok(), qPrintable(res.message));
        QVERIFY(core::readNpy(dir.filePath("sample_output.npy").toStdString()) == expected);
        if (const QByteArray shots = qgetenv("CONVSCOPE_SCREENSHOT_DIR"); !shots.isEmpty())
            QFile::copy(dir.filePath("sample_sheet.png"),
                        QDir(QString::fromLocal8Bit(shots)).filePath("sample_sheet.png"));

        // With a second layer shown, the export is the chain conv -> ReLU -> conv.
        LayerStackModel *stack = window.layerStack();
        stack->addLayer();
        stack->setShownLayer(1);
        stack->recompute();
        QTRY_VERIFY_WITH_TIMEOUT(stack->result(1) && !stack->isComputing(), 20000);
        const auto deep = exportRequestFor(*session, &error, stack);
        QVERIFY2(deep, qPrintable(error));
        // addLayer puts a ReLU before the new layer.
        QCOMPARE(deep->network.size(), std::size_t(3));
        QVERIFY(std::holds_alternative<core::ReluLayer>(deep->network.layers[1]));
        core::Tensor relued = expected;
        for (float &v : relued.data)
            v = std::max(v, 0.0f);
        const auto &l2 = std::get<core::Conv2dLayer>(deep->network.layers[2]);
        core::Tensor second;
        core::conv2d(relued, *l2.weight, l2.params.bias ? l2.bias.get() : nullptr, l2.params,
                     second);
        QVERIFY(deep->output == second);
        QVERIFY(!(deep->output == expected));
        // Without the stack (or with layer 1 shown) it is the first layer again.
        stack->setShownLayer(0);
        QCOMPARE(exportRequestFor(*session, &error, stack)->network.size(), std::size_t(1));
    }

    void windowSessionKeepsTheWholeStack()
    {
        MainWindow a;
        a.openSample();
        Session *session = a.session();
        QTRY_VERIFY_WITH_TIMEOUT(session->result() && session->resultIsCurrent(), 20000);
        LayerStackModel *stack = a.layerStack();
        stack->addLayer();
        stack->addLayer();
        core::Conv2dParams p3 = stack->params(2);
        p3.outChannels = 5;
        p3.kernel = {5, 3};
        p3.padding = {2, 0};
        stack->setLayerParams(2, p3);
        // Own tensors (not the seeded defaults a fresh window would draw again) and ReLU only
        // before layer 2.
        QCOMPARE(core::convParams(stack->network()).size(), std::size_t(3));
        core::Network extra;
        extra.layers.push_back(stack->network().layers.front());
        extra.layers.emplace_back(core::ReluLayer{});
        for (int i = 1; i <= 2; ++i) {
            const core::Conv2dParams p = stack->params(i);
            extra.layers.push_back(
                core::makeConv2d(p, randomTensor(core::weightShape(p), 20 + unsigned(i - 1)),
                                 randomTensor({p.outChannels}, 30 + unsigned(i - 1))));
        }
        QString error;
        QVERIFY2(stack->setNetwork(extra, &error), qPrintable(error));
        QVERIFY(stack->network() == extra);

        // What File > Save Session writes, through the file and File > Open Session.
        const SessionState state = sessionStateFor(*session, stack);
        QCOMPARE(core::convParams(state.network).size(), std::size_t(3));
        QTemporaryDir dir;
        const QString path = dir.filePath("stack.convscope.json");
        QVERIFY2(saveSession(path, state, &error), qPrintable(error));

        MainWindow b;
        auto *actions = b.findChild<ExportActions *>();
        QVERIFY(actions);
        actions->openSessionFile(path);
        LayerStackModel *stackB = b.layerStack();
        QCOMPARE(stackB->layerCount(), 3);
        QVERIFY(b.session()->params() == session->params());
        QVERIFY(*b.session()->weight() == *session->weight());
        QVERIFY(*b.session()->bias() == *session->bias());
        for (int l = 0; l < 3; ++l) {
            QVERIFY(stackB->params(l) == stack->params(l));
            QCOMPARE(stackB->reluBefore(l), stack->reluBefore(l));
        }
        QVERIFY(stackB->reluBefore(1));
        QVERIFY(!stackB->reluBefore(2));
        QVERIFY(stackB->network() == extra);
        QVERIFY(sessionStateFor(*b.session(), stackB) == sessionStateFor(*session, stack));
        // The restored stack computes.
        stackB->recompute();
        QTRY_VERIFY_WITH_TIMEOUT(stackB->result(2) && !stackB->isComputing(), 20000);

        // An inconsistent layer 3 is refused and changes nothing: neither the Session nor the
        // stack, even though layers 1 and 2 of it would fit.
        const auto loaded = loadSession(path, &error);
        QVERIFY2(loaded, qPrintable(error));
        SessionState bad = *loaded;
        QCOMPARE(bad.network.size(), std::size_t(4)); // conv, ReLU, conv, conv
        auto &third = std::get<core::Conv2dLayer>(bad.network.layers[3]);
        core::Shape wrong = third.weight->shape;
        wrong[1] += 1; // C_in/groups off by one
        third.weight = std::make_shared<const core::Tensor>(randomTensor(wrong, 40));
        bad.view.gradient = Gradient::Grayscale;
        const Gradient gradientBefore = b.session()->gradient();
        QVERIFY(gradientBefore != Gradient::Grayscale);
        QVERIFY(!applySessionState(*b.session(), bad, &error, stackB));
        QVERIFY2(error.contains("Layer 3"), qPrintable(error));
        QVERIFY(stackB->network() == extra);
        QCOMPARE(b.session()->gradient(), gradientBefore);
        QVERIFY(*b.session()->weight() == *session->weight());
        // The model's own check, used directly.
        core::Network badExtra = extra;
        std::get<core::Conv2dLayer>(badExtra.layers[3]).weight =
            std::make_shared<const core::Tensor>(randomTensor(wrong, 41));
        QVERIFY(!stackB->setNetwork(badExtra, &error));
        QVERIFY2(error.contains("Layer 3"), qPrintable(error));
        QVERIFY(stackB->network() == extra);

        // A stack that does not fit the image is refused too.
        SessionState tooDeep = *loaded;
        auto &deep = std::get<core::Conv2dLayer>(tooDeep.network.layers[3]);
        deep.params.kernel = {4000, 3};
        deep.weight = std::make_shared<const core::Tensor>(core::weightShape(deep.params));
        QVERIFY(!applySessionState(*b.session(), tooDeep, &error, stackB));
        QVERIFY2(error.contains("Layer 3"), qPrintable(error));
        QVERIFY(stackB->network() == extra);
    }

    void requestFromSessionResult()
    {
        Session s;
        QString error;
        QVERIFY(!exportRequestFor(s, &error) || s.result()); // no result yet -> message
        auto result = std::make_shared<ComputeResult>();
        const ExportRequest r = makeRequest(2, 9);
        const auto &conv = std::get<core::Conv2dLayer>(r.network.layers[0]);
        result->params = conv.params;
        result->input = std::make_shared<const core::Tensor>(r.input);
        result->weight = std::make_shared<const core::Tensor>(*conv.weight);
        result->bias = std::make_shared<const core::Tensor>(*conv.bias);
        result->output = r.output;
        s.setResult(result);
        s.setGradient(Gradient::Grayscale);
        const auto request = exportRequestFor(s, &error);
        QVERIFY2(request, qPrintable(error));
        QVERIFY(request->output == r.output);
        QVERIFY(request->network == r.network);
        QCOMPARE(request->view.gradient, Gradient::Grayscale);
    }
};

QTEST_MAIN(ExportDialogTest)
#include "exportdialog_test.moc"
