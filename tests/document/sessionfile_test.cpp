// SPDX-License-Identifier: GPL-3.0-or-later
// Sessions survive a save/open round trip exactly, and anything malformed or newer is
// refused with a message and no state.
#include "npy.h"
#include "random_tensor.h"
#include "sessionfile.h"
#include "shape.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <functional>
#include <random>

using namespace convscope;
using namespace convscope::ui;

namespace {

using convscope::test::randomTensor;

// Two layers that exercise every parameter kind: tuple values, groups, 'same', reflect,
// no bias, ReLU in between.
SessionState makeSession(const QString &imagePath)
{
    SessionState s;
    s.imagePath = imagePath;
    s.imagePng = QByteArray("\x89PNG\r\n\x1a\n-not-really", 20);
    s.inputMode = InputMode::Rgb;
    core::Conv2dParams a;
    a.inChannels = 3;
    a.outChannels = 6;
    a.kernel = {3, 5};
    a.stride = {2, 1};
    a.padding = {1, 2};
    a.dilation = {1, 2};
    a.groups = 3;
    a.paddingMode = core::PaddingMode::Reflect;
    core::Conv2dParams b;
    b.inChannels = 6;
    b.outChannels = 4;
    b.paddingKind = core::PaddingKind::Same;
    b.bias = false;
    s.network.layers = {
        core::makeConv2d(a, randomTensor(core::weightShape(a), 1), randomTensor({6}, 2)),
        core::ReluLayer{}, core::makeConv2d(b, randomTensor(core::weightShape(b), 3))};
    s.view.gradient = Gradient::Viridis;
    s.view.rangeMode = RangeMode::Global;
    return s;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void writeAll(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

} // namespace

class SessionFileTest : public QObject {
    Q_OBJECT

private slots:
    void roundTripRestoresEverything()
    {
        QTemporaryDir dir;
        const SessionState s = makeSession(dir.filePath("images/cat.png"));
        const QString path = dir.filePath("lesson.convscope.json");
        QString error;
        QVERIFY2(saveSession(path, s, &error), qPrintable(error));
        const auto loaded = loadSession(path, &error);
        QVERIFY2(loaded, qPrintable(error));
        const auto got = core::convLayers(loaded->network);
        const auto want = core::convLayers(s.network);
        QCOMPARE(loaded->network.size(), std::size_t(3));
        QVERIFY(std::holds_alternative<core::ReluLayer>(loaded->network.layers[1]));
        QCOMPARE(got.size(), std::size_t(2));
        QVERIFY(got[0]->params == want[0]->params);
        QVERIFY(got[1]->params == want[1]->params);
        QVERIFY(*got[0]->weight == *want[0]->weight); // bit-exact floats
        QVERIFY(*got[0]->bias == *want[0]->bias);
        QVERIFY(*got[1]->weight == *want[1]->weight);
        QCOMPARE(loaded->imagePath, s.imagePath);
        QCOMPARE(loaded->imagePng, s.imagePng);
        QVERIFY(*loaded == s);
        // The image path is stored relative, so a folder moved as a whole still works.
        const QJsonObject o = QJsonDocument::fromJson(readAll(path)).object();
        QCOMPARE(o["image"].toObject()["path"].toString(), QStringLiteral("images/cat.png"));
        QCOMPARE(o["format_version"].toInt(), kSessionFormatVersion);
    }

    void rejectsMalformedSessions_data()
    {
        QTest::addColumn<QString>("edit");     // which corruption to apply
        QTest::addColumn<QString>("expected"); // a fragment of the message
        QTest::newRow("not json") << "notjson"
                                  << "not valid JSON";
        QTest::newRow("array") << "array"
                               << "not an object";
        QTest::newRow("newer") << "newer"
                               << "newer convscope";
        QTest::newRow("no version") << "noversion"
                                    << "format_version";
        QTest::newRow("stride string") << "stridestring"
                                       << "'stride'";
        QTest::newRow("groups float") << "groupsfloat"
                                      << "'groups' must be an integer";
        QTest::newRow("weight shape") << "weightshape"
                                      << "expected weight of shape";
        QTest::newRow("weight data count") << "datacount"
                                           << "needs 90 values";
        QTest::newRow("weight count beyond int64") << "hugeshape"
                                                   << "shape [1000000000, 1000000000, "
                                                      "1000000000] needs 1e+27 values";
        QTest::newRow("weight data type") << "datatype"
                                          << "finite numbers";
        QTest::newRow("channels between layers") << "chain"
                                                 << "input channels";
        QTest::newRow("bad groups") << "badgroups"
                                    << "divisible by groups";
        QTest::newRow("no layers") << "nolayers"
                                   << "'layers'";
        QTest::newRow("bad colormap") << "colormap"
                                      << "colormap";
        QTest::newRow("bias missing") << "nobias"
                                      << "bias";
        QTest::newRow("bad base64") << "base64"
                                    << "base64";
    }

    void rejectsMalformedSessions()
    {
        QFETCH(QString, edit);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString path = dir.filePath("s.convscope.json");
        QString error;
        QVERIFY(saveSession(path, makeSession(dir.filePath("cat.png")), &error));
        QJsonObject o = QJsonDocument::fromJson(readAll(path)).object();
        QJsonArray layers = o["layers"].toArray();
        QJsonObject l0 = layers[0].toObject();
        QJsonObject p0 = l0["params"].toObject();
        QJsonObject w0 = l0["weight"].toObject();
        QByteArray bytes;
        const auto setLayer0 = [&] {
            l0["params"] = p0;
            l0["weight"] = w0;
            layers[0] = l0;
            o["layers"] = layers;
        };
        if (edit == "notjson") {
            bytes = "{\"format_version\": 1, ";
        } else if (edit == "array") {
            bytes = "[1, 2]";
        } else if (edit == "newer") {
            o["format_version"] = kSessionFormatVersion + 1;
        } else if (edit == "noversion") {
            o.remove("format_version");
        } else if (edit == "stridestring") {
            p0["stride"] = "2";
            setLayer0();
        } else if (edit == "groupsfloat") {
            p0["groups"] = 1.5;
            setLayer0();
        } else if (edit == "weightshape") {
            w0["shape"] = QJsonArray{6, 1, 3, 3};
            w0["data"] = QJsonArray::fromVariantList(QVariantList(54, 0.5));
            setLayer0();
        } else if (edit == "hugeshape") {
            w0["shape"] = QJsonArray{1e9, 1e9, 1e9};
            setLayer0();
        } else if (edit == "datacount") {
            QJsonArray d = w0["data"].toArray();
            d.removeLast();
            w0["data"] = d;
            setLayer0();
        } else if (edit == "datatype") {
            QJsonArray d = w0["data"].toArray();
            d[0] = "0.5";
            w0["data"] = d;
            setLayer0();
        } else if (edit == "chain") {
            QJsonObject l1 = layers[1].toObject();
            QJsonObject p1 = l1["params"].toObject();
            p1["in_channels"] = 3; // layer 0 makes 6 channels
            l1["params"] = p1;
            l1["weight"] =
                QJsonObject{{"shape", QJsonArray{4, 3, 3, 3}},
                            {"data", QJsonArray::fromVariantList(QVariantList(108, 0.0))}};
            layers[1] = l1;
            o["layers"] = layers;
        } else if (edit == "badgroups") {
            p0["groups"] = 4;
            setLayer0();
        } else if (edit == "nolayers") {
            o["layers"] = QJsonArray();
        } else if (edit == "colormap") {
            o["view"] = QJsonObject{{"colormap", "jet"}, {"range_mode", "global"}};
        } else if (edit == "nobias") {
            l0.remove("bias");
            setLayer0();
        } else if (edit == "base64") {
            QJsonObject image = o["image"].toObject();
            image["png_base64"] = "***";
            o["image"] = image;
        }
        if (bytes.isEmpty())
            bytes = QJsonDocument(o).toJson();
        writeAll(path, bytes);
        error.clear();
        const auto loaded = loadSession(path, &error);
        QVERIFY(!loaded);
        QVERIFY2(error.contains(expected), qPrintable(error));
        QVERIFY2(error.contains(path), qPrintable(error)); // the message names the file
    }

    void missingFileIsAnError()
    {
        QString error;
        QVERIFY(!loadSession("/nonexistent/x.convscope.json", &error));
        QVERIFY(error.contains("/nonexistent/x.convscope.json"));
    }

    void saveRefusesInconsistentLayersAndKeepsOldFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("s.convscope.json");
        QString error;
        QVERIFY(saveSession(path, makeSession({}), &error));
        const QByteArray before = readAll(path);
        SessionState bad = makeSession({});
        auto &first = std::get<core::Conv2dLayer>(bad.network.layers[0]);
        first.weight = std::make_shared<const core::Tensor>(core::Shape{6, 1, 3, 3});
        QVERIFY(!saveSession(path, bad, &error));
        QVERIFY2(error.contains("expected weight of shape"), qPrintable(error));
        QCOMPARE(readAll(path), before);
    }

    // The format holds Conv2d layers with ReLU flags: a pool, a pad or an activation other
    // than ReLU is refused by name, never saved as a ReLU or dropped.
    void saveRefusesLayerKindsTheFormatCannotHold()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("s.convscope.json");
        core::MaxPool2dLayer pool;
        const std::vector<core::Layer> kinds{pool, core::GeluLayer{}, core::ReflectionPad2dLayer{}};
        for (const core::Layer &kind : kinds) {
            SessionState s = makeSession({});
            s.network.layers.insert(s.network.layers.begin() + 1, kind);
            const auto bad = checkNetwork(s.network);
            QVERIFY(bad);
            QCOMPARE(bad->layer, std::size_t(2));
            QCOMPARE(bad->conv, std::size_t(2));
            QCOMPARE(QString::fromStdString(bad->kind), QString::fromStdString(kindName(kind)));
            QString error;
            QVERIFY(!saveSession(path, s, &error));
            QVERIFY2(error.contains(QString::fromStdString(kindName(kind)) + " cannot be saved"),
                     qPrintable(error));
            QVERIFY(!QFile::exists(path));
        }
    }

    void paramsJsonRoundTrip()
    {
        for (auto kind :
             {core::PaddingKind::Explicit, core::PaddingKind::Same, core::PaddingKind::Valid}) {
            core::Conv2dParams p;
            p.inChannels = 4;
            p.outChannels = 8;
            p.kernel = {1, 7};
            p.paddingKind = kind;
            p.padding = {0, 3};
            p.paddingMode = core::PaddingMode::Circular;
            p.groups = 2;
            p.bias = false;
            QString error;
            const auto back = paramsFromJson(paramsToJson(p), &error);
            QVERIFY2(back, qPrintable(error));
            if (kind == core::PaddingKind::Explicit)
                QVERIFY(*back == p);
            else
                QCOMPARE(back->paddingKind, kind);
        }
    }

    void importWeightsChecksShapes()
    {
        QTemporaryDir dir;
        core::Conv2dParams p;
        p.inChannels = 3;
        p.outChannels = 4;
        const core::Tensor w = randomTensor({4, 3, 3, 3}, 7);
        const core::Tensor b = randomTensor({4}, 8);
        core::writeNpy(dir.filePath("w.npy").toStdString(), w);
        core::writeNpy(dir.filePath("b.npy").toStdString(), b);
        core::writeNpy(dir.filePath("w5.npy").toStdString(), core::Tensor({4, 3, 5, 5}));
        core::writeNpy(dir.filePath("b3.npy").toStdString(), core::Tensor({3}));

        QString error;
        auto ok = importWeights(dir.filePath("w.npy"), dir.filePath("b.npy"), p, &error);
        QVERIFY2(ok, qPrintable(error));
        QVERIFY(ok->weight == w);
        QVERIFY(ok->bias && *ok->bias == b);
        auto noBias = importWeights(dir.filePath("w.npy"), {}, p, &error);
        QVERIFY(noBias && !noBias->bias);

        QVERIFY(!importWeights(dir.filePath("w5.npy"), {}, p, &error));
        QCOMPARE(error,
                 QStringLiteral("'w5.npy': expected weight of shape [C_out, C_in/groups, kH, kW] = "
                                "[4, 3, 3, 3], got [4, 3, 5, 5]"));
        QVERIFY(!importWeights(dir.filePath("w.npy"), dir.filePath("b3.npy"), p, &error));
        QCOMPARE(error, QStringLiteral("'b3.npy': expected bias of shape [C_out] = [4], got [3]"));
        p.groups = 3; // now the weight must be [4?] -- 4 is not divisible by 3, shape [4, 1, 3, 3]
        QVERIFY(!importWeights(dir.filePath("w.npy"), {}, p, &error));
        QVERIFY2(error.contains("[4, 1, 3, 3]"), qPrintable(error));
        p.groups = 1;
        p.bias = false;
        QVERIFY(!importWeights(dir.filePath("w.npy"), dir.filePath("b.npy"), p, &error));
        QVERIFY2(error.contains("bias=False"), qPrintable(error));
        QVERIFY(!importWeights(dir.filePath("missing.npy"), {}, p, &error));
        QVERIFY2(error.contains("missing.npy"), qPrintable(error));
    }
};

QTEST_MAIN(SessionFileTest)
#include "sessionfile_test.moc"
