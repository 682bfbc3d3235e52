// SPDX-License-Identifier: GPL-3.0-or-later
// File > Export of a session whose live view computes on a downscaled preview: the dialog
// offers the full image (recomputed, the default) or the preview as shown, cancel writes
// nothing, and an engine error at full size writes nothing and says why.
#include "conv2d.h"
#include "exportactions.h"
#include "exportdialog.h"
#include "layerstackmodel.h"
#include "mainwindow.h"
#include "npy.h"
#include "random_tensor.h"
#include "reference_conv.h"
#include "session.h"
#include "shape.h"
#include "uitest_util.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageBox>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QUndoStack>
#include <QtTest>

#include <cmath>
#include <random>

using namespace convscope;
using namespace convscope::ui;

namespace {

using convscope::test::randomTensor;

// A non-smooth image, so a value computed on the preview cannot pass for the full one.
QImage noiseImage(int w, int h, unsigned seed)
{
    QImage image(w, h, QImage::Format_RGB32);
    std::mt19937 rng(seed);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            image.setPixel(x, y, qRgb(int(rng() % 256), int(rng() % 256), int(rng() % 256)));
    return image;
}

// A session as the window would have it: image, preview limit, layer, and the live result
// computed on the preview, stamped with the revisions it was computed from (what
// ComputeController publishes).
void prepare(Session &s, const QImage &image, int previewLimit, const core::Conv2dParams &p)
{
    s.setPreviewLimit(previewLimit);
    QVERIFY(s.setImage(image, "clipboard"));
    s.setParams(p);
    QVERIFY(s.setWeights(randomTensor(core::weightShape(p), 7), randomTensor({p.outChannels}, 8)));
    auto r = std::make_shared<ComputeResult>();
    r->params = p;
    r->input = s.inputTensor();
    r->weight = s.weight();
    r->bias = p.bias ? s.bias() : nullptr;
    r->inputRevision = s.inputRevision();
    r->weightsRevision = s.weightsRevision();
    core::conv2d(*r->input, *r->weight, r->bias.get(), p, r->output);
    s.setResult(r);
}

core::Conv2dParams layer(int out)
{
    core::Conv2dParams p;
    p.inChannels = 3;
    p.outChannels = out;
    p.kernel = {3, 5};
    p.stride = {2, 1};
    p.padding = {1, 2};
    p.dilation = {1, 2};
    return p;
}

QStringList entries(const QString &dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
}

ExportResult run(ExportDialog &dialog, const QString &folder, bool json = true)
{
    ExportFormats f;
    f.npy = true;
    f.json = json;
    dialog.setFormats(f);
    dialog.setFolder(folder);
    QSignalSpy done(&dialog, &ExportDialog::exportFinished);
    dialog.startExport();
    if (!done.wait(60000))
        return {ExportResult::Status::Failed, "timed out", {}};
    return dialog.lastResult();
}

QJsonObject sidecar(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

} // namespace

class ExportActionsTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_settingsDir;

private slots:
    void initTestCase()
    {
        uitest::isolateSettings(m_settingsDir.path(), "exportactions_test");
        QSettings().clear();
    }

    void init()
    {
        QSettings().clear(); // every test starts with the first-run default (full resolution)
    }

    void resultOfAnotherImageIsNotRecomputedOnThisOne()
    {
        // Export right after opening another photo of the same size, before its run has
        // finished: the shown result belongs to the old image, so full resolution (which
        // would compute the new image's maps) is not offered.
        Session s;
        prepare(s, noiseImage(90, 61, 1), 40, layer(4));
        QVERIFY(s.setImage(noiseImage(90, 61, 2), "other"));
        QString error;
        const auto dialog = exportDialogFor(s, &error);
        QVERIFY2(dialog, qPrintable(error));
        QVERIFY(!dialog->offersFullResolution());
    }

    void fullResolutionEqualsTheReference()
    {
        Session s;
        const QImage image = noiseImage(90, 61, 1);
        prepare(s, image, 40, layer(4));
        QVERIFY(s.isDownscaled());
        QString error;
        const auto dialog = exportDialogFor(s, &error);
        QVERIFY2(dialog, qPrintable(error));
        QVERIFY(dialog->offersFullResolution());
        QCOMPARE(dialog->resolution(), ExportResolution::Full); // the default
        auto *full = dialog->findChild<QRadioButton *>("fullResolution");
        auto *shown = dialog->findChild<QRadioButton *>("asShown");
        QVERIFY(full && shown && full->isChecked());
        QVERIFY2(full->text().contains("90") && full->text().contains("61"),
                 qPrintable(full->text()));
        QVERIFY2(shown->text().contains("40") && shown->text().contains("27"),
                 qPrintable(shown->text()));
        if (const QByteArray shots = qgetenv("CONVSCOPE_SCREENSHOT_DIR"); !shots.isEmpty()) {
            dialog->adjustSize();
            dialog->grab().save(
                QDir(QString::fromLocal8Bit(shots)).filePath("exportdialog-resolution.png"));
        }

        QTemporaryDir dir;
        const ExportResult res = run(*dialog, dir.path());
        QVERIFY2(res.ok(), qPrintable(res.message));
        const core::Tensor out = core::readNpy(dir.filePath("convscope_output.npy").toStdString());
        const core::Tensor input = imageToTensor(s.image(), 3);
        const core::Tensor expected =
            core::referenceConv2d(input, *s.weight(), s.bias().get(), s.params());
        QCOMPARE(out.shape, expected.shape);
        QCOMPARE(out.shape,
                 (core::Shape{1, 4, 31, 86})); // (61 + 2 - 3) / 2 + 1 rows, 90 + 4 - 9 + 1 columns
        std::mt19937 rng(3);
        for (int i = 0; i < 50; ++i) {
            const std::size_t at = rng() % out.data.size();
            QVERIFY2(
                std::abs(out.data[at] - expected.data[at]) < 1e-4f,
                qPrintable(
                    QString("at %1: %2 vs %3").arg(at).arg(out.data[at]).arg(expected.data[at])));
        }
        const QJsonObject resolution =
            sidecar(dir.filePath("convscope_export.json"))["resolution"].toObject();
        QVERIFY(resolution["full_resolution"].toBool());
        QCOMPARE(resolution["image"].toObject()["width"].toInt(), 90);
        QCOMPARE(resolution["computed"].toObject()["height"].toInt(), 61);
    }

    void asShownExportsThePreviewAndIsRemembered()
    {
        Session s;
        prepare(s, noiseImage(90, 61, 2), 40, layer(3));
        QString error;
        auto dialog = exportDialogFor(s, &error);
        QVERIFY2(dialog, qPrintable(error));
        dialog->setResolution(ExportResolution::Shown);
        QTemporaryDir dir;
        const ExportResult res = run(*dialog, dir.path());
        QVERIFY2(res.ok(), qPrintable(res.message));
        const core::Tensor out = core::readNpy(dir.filePath("convscope_output.npy").toStdString());
        QCOMPARE(out.shape, s.result()->output.shape);
        QCOMPARE(out.shape, (core::Shape{1, 3, 14, 36})); // the 40 x 27 preview
        QVERIFY(out == s.result()->output);
        const QJsonObject resolution =
            sidecar(dir.filePath("convscope_export.json"))["resolution"].toObject();
        QVERIFY(!resolution["full_resolution"].toBool());
        QCOMPARE(resolution["image"].toObject()["width"].toInt(), 90);
        QCOMPARE(resolution["computed"].toObject()["width"].toInt(), 40);

        // The next dialog starts with the last choice.
        dialog = exportDialogFor(s, &error);
        QCOMPARE(dialog->resolution(), ExportResolution::Shown);
        dialog->setResolution(ExportResolution::Full);
        QTemporaryDir again;
        QVERIFY(run(*dialog, again.path(), false).ok());
        QCOMPARE(exportDialogFor(s, &error)->resolution(), ExportResolution::Full);

        // Without a preview there is nothing to choose.
        Session small;
        prepare(small, noiseImage(30, 20, 4), 40, layer(2));
        QVERIFY(!exportDialogFor(small, &error)->offersFullResolution());
    }

    void cancelWritesNothing()
    {
        Session s;
        core::Conv2dParams p = layer(32);
        p.kernel = {9, 9};
        p.stride = {1, 1};
        p.padding = {4, 8};
        prepare(s, noiseImage(1800, 1200, 5), 64, p);
        QString error;
        const auto dialog = exportDialogFor(s, &error);
        QVERIFY2(dialog, qPrintable(error));
        QCOMPARE(dialog->resolution(), ExportResolution::Full); // cancelled while recomputing
        ExportFormats f;
        f.npy = f.png = f.json = true;
        dialog->setFormats(f);
        QTemporaryDir dir;
        dialog->setFolder(dir.filePath("out"));
        QSignalSpy done(dialog.get(), &ExportDialog::exportFinished);
        dialog->startExport();
        QVERIFY(dialog->isRunning());
        dialog->reject(); // Cancel while recomputing
        QVERIFY(done.wait(60000));
        QCOMPARE(dialog->lastResult().status, ExportResult::Status::Cancelled);
        QVERIFY(entries(dir.path()).isEmpty());
    }

    void engineErrorAtFullSizeWritesNothing()
    {
        // 64 maps of 6000 x 6000 exceed the engine's 2^31-element limit; the preview does not.
        Session s;
        core::Conv2dParams p = layer(64);
        p.kernel = {3, 3};
        p.stride = {1, 1};
        p.padding = {1, 1};
        p.dilation = {1, 1};
        QImage big(6000, 6000, QImage::Format_RGB32);
        big.fill(Qt::gray);
        prepare(s, big, 64, p);
        QString error;
        const auto dialog = exportDialogFor(s, &error);
        QVERIFY2(dialog, qPrintable(error));
        QVERIFY(dialog->offersFullResolution());
        QTemporaryDir dir;
        const ExportResult res = run(*dialog, dir.filePath("out"));
        QCOMPARE(res.status, ExportResult::Status::Failed);
        QVERIFY2(res.message.contains("6000") && res.message.contains("layer 1")
                     && res.message.contains("2^31"),
                 qPrintable(res.message));
        QVERIFY(entries(dir.path()).isEmpty());
    }

    void deeperShownLayerRecomputesTheChain()
    {
        MainWindow window;
        Session *session = window.session();
        session->setPreviewLimit(48);
        QVERIFY(session->setImage(noiseImage(100, 70, 6), "clipboard"));
        QTRY_VERIFY_WITH_TIMEOUT(session->result() && session->resultIsCurrent(), 20000);
        LayerStackModel *stack = window.layerStack();
        stack->addLayer();
        stack->setShownLayer(1);
        stack->recompute();
        QTRY_VERIFY_WITH_TIMEOUT(stack->result(1) && !stack->isComputing(), 20000);
        QString error;
        const auto dialog = exportDialogFor(*session, &error, stack);
        QVERIFY2(dialog, qPrintable(error));
        QVERIFY(dialog->offersFullResolution());
        QTemporaryDir dir;
        const ExportResult res = run(*dialog, dir.path(), false);
        QVERIFY2(res.ok(), qPrintable(res.message));

        const auto shown = exportRequestFor(*session, &error, stack);
        QVERIFY(shown && shown->network.size() == 3
                && std::holds_alternative<core::ReluLayer>(shown->network.layers[1]));
        const auto &l1 = std::get<core::Conv2dLayer>(shown->network.layers[0]);
        const auto &l2 = std::get<core::Conv2dLayer>(shown->network.layers[2]);
        core::Tensor mid =
            core::referenceConv2d(imageToTensor(session->image(), l1.params.inChannels), *l1.weight,
                                  l1.params.bias ? l1.bias.get() : nullptr, l1.params);
        for (float &v : mid.data)
            v = std::max(v, 0.0f);
        const core::Tensor expected = core::referenceConv2d(
            mid, *l2.weight, l2.params.bias ? l2.bias.get() : nullptr, l2.params);
        const core::Tensor out = core::readNpy(dir.filePath("convscope_output.npy").toStdString());
        QCOMPARE(out.shape, expected.shape);
        QVERIFY(out.shape[3] > shown->output.shape[3]); // not the preview's maps
        for (std::size_t at = 0; at < out.data.size(); at += 97)
            QVERIFY(std::abs(out.data[at] - expected.data[at]) < 1e-3f);
    }
    void importWeightsOfAnotherLayer_offersThatLayerAsOneUndoStep()
    {
        QTemporaryDir dir;
        Session s;
        QVERIFY(s.setImage(uitest::testImage(), "test"));
        QUndoStack undo;
        ExportActions actions(&s, &undo, nullptr);
        const core::Conv2dParams before = s.params();
        QCOMPARE(before.inChannels, 3);
        // Depthwise 5x5 weights [6, 1, 5, 5] and a bias [6]: groups 3, C_out 6.
        core::Conv2dParams want = before;
        want.outChannels = 6;
        want.groups = 3;
        want.kernel = {5, 5};
        want.bias = true;
        const core::Tensor w = test::randomTensor(core::weightShape(want), 11);
        const core::Tensor b = test::randomTensor({6}, 12);
        core::writeNpy(dir.filePath("dw.npy").toStdString(), w);
        core::writeNpy(dir.filePath("dw_bias.npy").toStdString(), b);

        // The question names the layer the file holds; Yes imports.
        QStringList asked;
        QTimer answer;
        answer.setInterval(10);
        connect(&answer, &QTimer::timeout, [&] {
            if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget())) {
                asked << box->text();
                if (QAbstractButton *yes = box->button(QMessageBox::Yes))
                    yes->click();
                else
                    box->close();
            }
        });
        answer.start();
        actions.importWeightsFrom({dir.filePath("dw_bias.npy"), dir.filePath("dw.npy")});
        answer.stop();
        QCOMPARE(asked.size(), 1);
        QVERIFY2(asked[0].contains(
                     "Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1), padding=(1, 1), groups=3)"),
                 qPrintable(asked[0]));
        QCOMPARE(s.params(), want);
        QCOMPARE(*s.weight(), w);
        QCOMPARE(*s.bias(), b);
        QCOMPARE(undo.count(), 1); // one step: the layer and its weights
        QCOMPARE(undo.text(0), QStringLiteral("Import dw.npy"));
        undo.undo();
        QCOMPARE(s.params(), before);

        // Weights no Conv2d on 3 channels can own are refused with the reason.
        core::writeNpy(dir.filePath("two.npy").toStdString(), test::randomTensor({4, 2, 3, 3}, 13));
        answer.start();
        actions.importWeightsFrom({dir.filePath("two.npy")});
        answer.stop();
        QCOMPARE(asked.size(), 2);
        QVERIFY2(asked[1].contains("The weight [4, 2, 3, 3] reads 2 input channel(s) per group, "
                                   "which does not divide the image's in_channels=3"),
                 qPrintable(asked[1]));
        QCOMPARE(s.params(), before);
    }
};

QTEST_MAIN(ExportActionsTest)
#include "exportactions_test.moc"
