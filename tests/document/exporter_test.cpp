// SPDX-License-Identifier: GPL-3.0-or-later
// Export round trips: what lands on disk is exactly what the engine computed, and an export
// writes every file or none.
#include "conv2d.h"
#include "exporter.h"
#include "npy.h"
#include "pytorchsnippet.h"
#include "random_tensor.h"
#include "shape.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <random>

using namespace convscope;
using namespace convscope::ui;

namespace {

using convscope::test::randomTensor;

// A small but not trivial configuration: RGB input, stride 2, padding 1, 5 output maps.
ExportRequest makeRequest(const QString &base = QStringLiteral("cat"))
{
    ExportRequest r;
    r.baseName = base;
    r.inputName = base + QStringLiteral(".png");
    r.inputSha256 = QByteArray(64, 'a');
    r.inputMode = InputMode::Rgb;
    r.input = randomTensor({1, 3, 13, 17}, 1, 0.0f, 1.0f);
    core::Conv2dParams p;
    p.inChannels = 3;
    p.outChannels = 5;
    p.stride = {2, 2};
    p.padding = {1, 1};
    const core::Tensor weight = randomTensor(core::weightShape(p), 2);
    const core::Tensor bias = randomTensor({5}, 3);
    r.network.layers = {core::makeConv2d(p, weight, bias)};
    core::conv2d(r.input, weight, &bias, p, r.output);
    r.view.gradient = Gradient::Viridis;
    r.view.rangeMode = RangeMode::PerMap;
    return r;
}

// The request's first layer, a Conv2d.
core::Conv2dLayer &conv(ExportRequest &r)
{
    return std::get<core::Conv2dLayer>(r.network.layers.front());
}
const core::Conv2dLayer &conv(const ExportRequest &r)
{
    return std::get<core::Conv2dLayer>(r.network.layers.front());
}

QStringList allEntries(const QString &dir)
{
    // Hidden too: a leftover staging folder counts as a partial export.
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
}

QJsonObject readJson(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

ExportFormats allFormats()
{
    ExportFormats f;
    f.png = f.png16 = f.npy = f.sheet = f.pdf = f.json = f.pytorch = true;
    f.svg = svgSupported();
    return f;
}

} // namespace

class ExporterTest : public QObject {
    Q_OBJECT

private slots:
    void npyEqualsEngineOutput()
    {
        QTemporaryDir dir;
        const ExportRequest r = makeRequest();
        ExportOptions o{dir.path(), allFormats()};
        const ExportResult res = exportResults({r}, o);
        QVERIFY2(res.ok(), qPrintable(res.message));
        const core::Tensor back = core::readNpy(dir.filePath("cat_output.npy").toStdString());
        QCOMPARE(back.shape, (core::Shape{1, 5, 7, 9}));
        QVERIFY(back == r.output); // bit-exact: float32 written and read as float32
        // The PyTorch kit: input and weights come back exactly as well.
        QVERIFY(core::readNpy(dir.filePath("cat_input.npy").toStdString()) == r.input);
        QVERIFY(core::readNpy(dir.filePath("cat_layer0_weight.npy").toStdString())
                == *conv(r).weight);
        QVERIFY(core::readNpy(dir.filePath("cat_layer0_bias.npy").toStdString()) == *conv(r).bias);
        // Exactly the planned files, nothing hidden left behind.
        QStringList planned;
        for (const QString &p : plannedFiles({r}, o))
            planned << QFileInfo(p).fileName();
        planned.sort();
        QCOMPARE(allEntries(dir.path()), planned);
        QCOMPARE(res.files.size(), planned.size());
    }

    void pngSizesEqualOutputSize()
    {
        QTemporaryDir dir;
        const ExportRequest r = makeRequest();
        ExportFormats f;
        f.png = f.png16 = true;
        const ExportResult res = exportResults({r}, {dir.path(), f});
        QVERIFY2(res.ok(), qPrintable(res.message));
        QCOMPARE(allEntries(dir.path()).size(), 10);
        for (int c = 0; c < 5; ++c) {
            const QImage colour(
                dir.filePath(QStringLiteral("cat_out%1.png").arg(c, 2, 10, QChar('0'))));
            const QImage raw(
                dir.filePath(QStringLiteral("cat_out%1_raw16.png").arg(c, 2, 10, QChar('0'))));
            QCOMPARE(colour.size(), QSize(9, 7));
            QCOMPARE(raw.size(), QSize(9, 7));
            QCOMPARE(raw.format(), QImage::Format_Grayscale16);
            // The coloured PNG is the GUI's renderer, pixel for pixel.
            QCOMPARE(colour.convertToFormat(QImage::Format_ARGB32),
                     renderChannel(r.output, 0, c, r.view));
        }
    }

    void colourPngs_areOpaqueRgbAndTheSameOnAnyThreadCount()
    {
        // Larger than a thread count's worth of maps, with both PNG kinds interleaved: the
        // maps are encoded a group at a time on several threads and must land in order.
        ExportRequest r = makeRequest();
        core::Conv2dParams p = conv(r).params;
        p.outChannels = 7;
        const core::Tensor weight = randomTensor(core::weightShape(p), 4);
        const core::Tensor bias = randomTensor({7}, 5);
        r.network.layers = {core::makeConv2d(p, weight, bias)};
        core::conv2d(r.input, weight, &bias, p, r.output);
        ExportFormats f;
        f.png = f.png16 = f.json = true;
        QByteArray reference;
        for (int threads : {1, 2, 3, 8}) {
            QTemporaryDir dir;
            ExportOptions o{dir.path(), f};
            o.threads = threads;
            const ExportResult res = exportResults({r}, o);
            QVERIFY2(res.ok(), qPrintable(res.message));
            QByteArray all;
            for (const QString &path : res.files) {
                QFile file(path);
                QVERIFY(file.open(QIODevice::ReadOnly));
                const QByteArray bytes = file.readAll();
                if (!path.endsWith(".json"))
                    all += bytes;
                if (path.endsWith("_raw16.png") || !path.endsWith(".png"))
                    continue;
                // IHDR's colour type (byte 25): 2 = RGB, 6 would be RGBA.
                QCOMPARE(int(bytes.at(25)), 2);
                QCOMPARE(int(bytes.at(24)), 8); // 8 bits per channel
            }
            if (threads == 1)
                reference = all;
            else
                QVERIFY2(all == reference, qPrintable(QStringLiteral("%1 threads").arg(threads)));
            // The sidecar names each 16-bit map with its own scale, in the order written.
            const QJsonArray maps =
                readJson(dir.filePath("cat_export.json"))["png16"].toObject()["maps"].toArray();
            QCOMPARE(maps.size(), 7);
            for (int c = 0; c < 7; ++c)
                QCOMPARE(maps[c].toObject()["channel"].toInt(), c);
        }
    }

    void png16AndSidecarRecoverValues()
    {
        QTemporaryDir dir;
        ExportRequest r = makeRequest();
        r.output.data[3] = 1000.0f; // a wide range makes the quantisation step visible
        ExportFormats f;
        f.png16 = f.json = true;
        const ExportResult res = exportResults({r}, {dir.path(), f});
        QVERIFY2(res.ok(), qPrintable(res.message));
        const QJsonObject side = readJson(dir.filePath("cat_export.json"));
        const QJsonArray maps = side["png16"].toObject()["maps"].toArray();
        QCOMPARE(maps.size(), 5);
        double worst = 0.0;
        for (const auto &m : maps) {
            const QJsonObject mo = m.toObject();
            const int c = mo["channel"].toInt();
            const double offset = mo["offset"].toDouble();
            const double scale = mo["scale"].toDouble();
            QVERIFY(scale > 0);
            const QImage img(dir.filePath(mo["file"].toString()));
            QCOMPARE(img.format(), QImage::Format_Grayscale16);
            // The PNG carries its own scale too.
            QCOMPARE(img.text("convscope:scale").toDouble(), scale);
            for (int y = 0; y < 7; ++y) {
                const auto *line = reinterpret_cast<const quint16 *>(img.constScanLine(y));
                for (int x = 0; x < 9; ++x) {
                    const double value = offset + line[x] * scale;
                    const double err = std::fabs(value - r.output.at(0, c, y, x));
                    QVERIFY2(err <= scale,
                             qPrintable(QStringLiteral("c %1 (%2,%3): error %4 > step %5")
                                            .arg(c)
                                            .arg(y)
                                            .arg(x)
                                            .arg(err)
                                            .arg(scale)));
                    worst = std::max(worst, err / scale);
                }
            }
        }
        QVERIFY(worst <= 0.5 + 1e-6); // rounding, so within half a step
    }

    void sidecarDescribesTheExport()
    {
        QTemporaryDir dir;
        const ExportRequest r = makeRequest();
        ExportFormats f;
        f.json = f.npy = true;
        QVERIFY(exportResults({r}, {dir.path(), f}).ok());
        const QJsonObject o = readJson(dir.filePath("cat_export.json"));
        QCOMPARE(o["torch"].toString(),
                 QStringLiteral("Conv2d(3, 5, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"));
        QCOMPARE(o["input"].toObject()["file"].toString(), QStringLiteral("cat.png"));
        QCOMPARE(o["input"].toObject()["sha256"].toString(), QString(64, 'a'));
        QCOMPARE(o["output"].toObject()["shape"].toArray(), (QJsonArray{1, 5, 7, 9}));
        QCOMPARE(o["view"].toObject()["colormap"].toString(), QStringLiteral("viridis"));
        QCOMPARE(o["view"].toObject()["range_mode"].toString(), QStringLiteral("per-map"));
        QVERIFY(!o["convscope_version"].toString().isEmpty());
        QVERIFY(QDateTime::fromString(o["created"].toString(), Qt::ISODate).isValid());
        const auto range = o["output"].toObject()["range"].toArray();
        QCOMPARE(static_cast<float>(range[0].toDouble()), outputRange(r.output).lo);
        QCOMPARE(static_cast<float>(range[1].toDouble()), outputRange(r.output).hi);
        // A request computed on the image itself (the headless command) says so.
        const QJsonObject res = o["resolution"].toObject();
        QVERIFY(res["full_resolution"].toBool());
        QCOMPARE(res["image"].toObject(), res["computed"].toObject());
        QCOMPARE(res["computed"].toObject()["height"].toInt(), int(r.input.shape[2]));
    }

    void sixteenBitInput_isRecordedAsPixelOver65535()
    {
        QTemporaryDir dir;
        ExportRequest r = makeRequest();
        r.pixelMax = 65535;
        ExportFormats f;
        f.json = f.pytorch = true;
        const ExportResult res = exportResults({r}, {dir.path(), f});
        QVERIFY2(res.ok(), qPrintable(res.message));
        const QJsonObject input = readJson(dir.filePath("cat_export.json"))["input"].toObject();
        QVERIFY2(input["scaling"].toString().startsWith("pixel / 65535 (16 bits per channel"),
                 qPrintable(input["scaling"].toString()));
        QCOMPARE(input["bits_per_channel"].toInt(), 16);
        QFile script(dir.filePath("cat_pytorch.py"));
        QVERIFY(script.open(QIODevice::ReadOnly));
        QVERIFY(script.readAll().contains("pixels / 65535."));
    }

    void existingFilesAreNotOverwritten()
    {
        QTemporaryDir dir;
        const ExportRequest r = makeRequest();
        ExportFormats f;
        f.npy = f.png = true;
        QVERIFY(exportResults({r}, {dir.path(), f}).ok());
        QFile marker(dir.filePath("cat_output.npy"));
        QVERIFY(marker.open(QIODevice::WriteOnly));
        marker.write("mine");
        marker.close();
        QFile::remove(dir.filePath("cat_out04.png")); // one planned file missing, the rest exist
        const QStringList before = allEntries(dir.path());

        const ExportResult refused = exportResults({r}, {dir.path(), f});
        QCOMPARE(refused.status, ExportResult::Status::ExistingFiles);
        QCOMPARE(refused.files.size(), 5);
        QCOMPARE(allEntries(dir.path()), before); // not even the missing file was written
        QVERIFY(marker.open(QIODevice::ReadOnly));
        QCOMPARE(marker.readAll(), QByteArray("mine"));
        marker.close();

        ExportOptions o{dir.path(), f};
        o.overwrite = true;
        QVERIFY(exportResults({r}, o).ok());
        QVERIFY(core::readNpy(dir.filePath("cat_output.npy").toStdString()) == r.output);
        QCOMPARE(allEntries(dir.path()).size(), 6);
    }

    void cancelledExportLeavesNoFiles_data()
    {
        QTest::addColumn<int>("cancelAt");
        QTest::newRow("first file") << 0;
        QTest::newRow("middle") << 4;
        QTest::newRow("before moving into place") << -1;
    }

    void cancelledExportLeavesNoFiles()
    {
        QFETCH(int, cancelAt);
        QTemporaryDir dir;
        const QString folder = dir.filePath("new/sub"); // created by the export, removed again
        const ExportRequest r = makeRequest();
        const ExportOptions o{folder, allFormats()};
        const int steps = static_cast<int>(plannedFiles({r}, o).size()) + 1;
        const int stopAt = cancelAt < 0 ? steps - 1 : cancelAt;
        int calls = 0;
        const ExportResult res = exportResults({r}, o, [&](double fraction, const QString &) {
            [&] { QVERIFY(fraction >= 0.0 && fraction < 1.0); }();
            return calls++ < stopAt;
        });
        QCOMPARE(res.status, ExportResult::Status::Cancelled);
        QCOMPARE(calls, stopAt + 1);
        QVERIFY(!QFileInfo::exists(dir.filePath("new")));
        QVERIFY(allEntries(dir.path()).isEmpty());
    }

    void cancelInExistingFolderKeepsItsFiles()
    {
        QTemporaryDir dir;
        QFile other(dir.filePath("notes.txt"));
        QVERIFY(other.open(QIODevice::WriteOnly));
        other.close();
        const ExportRequest r = makeRequest();
        int calls = 0;
        const ExportResult res = exportResults(
            {r}, {dir.path(), allFormats()}, [&](double, const QString &) { return ++calls < 6; });
        QCOMPARE(res.status, ExportResult::Status::Cancelled);
        QCOMPARE(allEntries(dir.path()), QStringList{"notes.txt"});
    }

    void unwritableFolderIsNamed()
    {
        QTemporaryDir dir;
        QFile file(dir.filePath("plain.txt"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        // A path below a regular file cannot be created, even by root.
        const QString folder = dir.filePath("plain.txt/out");
        ExportFormats f;
        f.npy = true;
        const ExportResult res = exportResults({makeRequest()}, {folder, f});
        QCOMPARE(res.status, ExportResult::Status::Failed);
        QVERIFY2(res.message.contains(folder), qPrintable(res.message));
        QCOMPARE(allEntries(dir.path()), QStringList{"plain.txt"});

        const ExportResult onFile = exportResults({makeRequest()}, {dir.filePath("plain.txt"), f});
        QCOMPARE(onFile.status, ExportResult::Status::Failed);
        QVERIFY2(onFile.message.contains("not a folder"), qPrintable(onFile.message));
    }

    void badRequestsWriteNothing()
    {
        QTemporaryDir dir;
        ExportFormats f;
        f.png = f.npy = true;
        // Two inputs with the same base name would collide.
        ExportResult res = exportResults({makeRequest("a"), makeRequest("a")}, {dir.path(), f});
        QCOMPARE(res.status, ExportResult::Status::Failed);
        QVERIFY2(res.message.contains("a_out00.png"), qPrintable(res.message));
        // No format chosen.
        res = exportResults({makeRequest()}, {dir.path(), ExportFormats{}});
        QCOMPARE(res.status, ExportResult::Status::Failed);
        // Weights that do not fit the parameters.
        ExportRequest bad = makeRequest();
        conv(bad).weight = std::make_shared<const core::Tensor>(core::Shape{5, 3, 5, 5});
        f.json = true;
        res = exportResults({bad}, {dir.path(), f});
        QCOMPARE(res.status, ExportResult::Status::Failed);
        QVERIFY2(res.message.contains("[5, 3, 3, 3]"), qPrintable(res.message));
        QVERIFY(allEntries(dir.path()).isEmpty());
    }

    void severalInputsInOneTransaction()
    {
        QTemporaryDir dir;
        ExportFormats f;
        f.npy = f.sheet = true;
        const ExportRequest a = makeRequest("a"), b = makeRequest("b");
        QVERIFY(exportResults({a, b}, {dir.path(), f}).ok());
        QCOMPARE(allEntries(dir.path()),
                 (QStringList{"a_output.npy", "a_sheet.png", "b_output.npy", "b_sheet.png"}));
    }

    void contactSheet()
    {
        ExportRequest r = makeRequest();
        r.view.rangeMode = RangeMode::Global;
        r.view.gradient = Gradient::Diverging;
        const QImage sheet = renderContactSheet(r, 1200);
        QCOMPARE(sheet.width(), 1200);
        QVERIFY(sheet.height() > 300);
        QCOMPARE(QSizeF(sheet.size()), contactSheetSize(r, 1200));
        // The first map is drawn somewhere: its most extreme colour must appear on the sheet.
        const QImage map = renderChannel(r.output, 0, 0, r.view);
        QSet<QRgb> sheetColours;
        for (int y = 0; y < sheet.height(); ++y)
            for (int x = 0; x < sheet.width(); ++x)
                sheetColours.insert(sheet.pixel(x, y));
        for (int y = 0; y < map.height(); ++y)
            for (int x = 0; x < map.width(); ++x)
                QVERIFY(sheetColours.contains(map.pixel(x, y)));

        const QByteArray pdf = contactSheetPdf(r, 1200);
        QVERIFY(pdf.startsWith("%PDF"));
        if (svgSupported()) {
            const QByteArray svg = contactSheetSvg(r, 1200);
            QVERIFY(svg.contains("<svg"));
        }
    }

    void pngFilesHaveNoStagingLeftovers()
    {
        QTemporaryDir dir;
        ExportFormats f;
        f.png = true;
        QVERIFY(exportResults({makeRequest()}, {dir.path(), f}).ok());
        for (const QString &name : allEntries(dir.path()))
            QVERIFY2(!name.startsWith('.'), qPrintable(name));
    }

    void formatsParse()
    {
        ExportFormats f;
        QString error;
        QVERIFY(parseFormats("png, npy,JSON", &f, &error));
        QVERIFY(f.png && f.npy && f.json && !f.png16 && !f.sheet);
        QCOMPARE(formatsToString(f), QStringLiteral("png,npy,json"));
        QVERIFY(!parseFormats("png,tiff", &f, &error));
        QVERIFY2(error.contains("tiff"), qPrintable(error));
    }

    void snippetSpellsOutTheModule()
    {
        const ExportRequest r = makeRequest();
        SnippetFiles files;
        files.inputNpy = "x.npy";
        files.weightNpy = {"w.npy"};
        files.biasNpy = {"b.npy"};
        const QString s = pytorchSnippet(r.network, files);
        QVERIFY(
            s.contains("model = nn.Conv2d(3, 5, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
                       "dilation=(1, 1), groups=1, bias=True, padding_mode=\"zeros\")"));
        QVERIFY(s.contains("np.load(FOLDER / \"w.npy\")"));
        QVERIFY(!s.contains("expected_path")); // no output file named, no comparison

        core::Network stack = r.network;
        core::Conv2dLayer second = conv(r);
        second.params.inChannels = 5;
        second.params.paddingKind = core::PaddingKind::Same;
        second.params.stride = {1, 1};
        second.params.bias = false;
        stack.layers.emplace_back(core::ReluLayer{});
        stack.layers.emplace_back(second);
        const QString seq = pytorchSnippet(stack, files);
        QVERIFY(seq.contains("model = nn.Sequential("));
        QVERIFY(seq.contains("model[2].weight.copy_"));
        QVERIFY(seq.contains("padding=\"same\""));
        QVERIFY(!seq.contains("model[2].bias"));
    }
};

QTEST_MAIN(ExporterTest)
#include "exporter_test.moc"
