// SPDX-License-Identifier: GPL-3.0-or-later
// Conv2dParams as JSON: what the writer produces reads back equal in every mode, the strict
// reader wants every key in the app's own layout, the lenient one fills in defaults and takes
// a single int for a square pair, and limits reject (with the range in the message) or clamp.
#include "paramsjson.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

using namespace convscope;
using namespace convscope::ui;

namespace {

// Every argument away from its default, with a non-square pair wherever one is possible.
core::Conv2dParams unusualParams()
{
    core::Conv2dParams p;
    p.inChannels = 4;
    p.outChannels = 8;
    p.kernel = {1, 7};
    p.stride = {2, 3};
    p.paddingKind = core::PaddingKind::Explicit;
    p.padding = {0, 3};
    p.paddingMode = core::PaddingMode::Circular;
    p.dilation = {2, 1};
    p.groups = 2;
    p.bias = false;
    return p;
}

std::optional<core::Conv2dParams> read(const QJsonObject &o, const ParamsReadOptions &options,
                                       ParamsJsonError *error = nullptr)
{
    ParamsJsonError ignored;
    return paramsFromJson(o, options, error ? error : &ignored);
}

} // namespace

class ParamsJsonTest : public QObject {
    Q_OBJECT
private slots:
    void roundTrip_isExactInEveryStyleAndMode()
    {
        for (auto kind :
             {core::PaddingKind::Explicit, core::PaddingKind::Same, core::PaddingKind::Valid}) {
            core::Conv2dParams p = unusualParams();
            p.paddingKind = kind;
            if (kind != core::PaddingKind::Explicit)
                p.padding = {0, 0}; // not written for 'same' / 'valid'
            for (auto style : {PairStyle::List, PairStyle::SquareAsInt}) {
                const QJsonObject o = paramsToJson(p, style);
                ParamsJsonError error;
                const auto lenient = read(o, kLessonParams, &error);
                QVERIFY2(lenient, qPrintable(error.message()));
                QCOMPARE(*lenient, p);
                if (style == PairStyle::List) {
                    const auto strict = read(o, kSessionParams, &error);
                    QVERIFY2(strict, qPrintable(error.message()));
                    QCOMPARE(*strict, p);
                }
            }
        }
    }

    void writer_usesPyTorchKeysAndWritesSquarePairsAsOneIntOnlyWhenAsked()
    {
        core::Conv2dParams p;
        p.kernel = {3, 3};
        p.stride = {2, 1};
        const QJsonObject list = paramsToJson(p);
        QCOMPARE(QStringList(list.keys()).size(), paramsJsonKeys().size());
        for (const QString &key : paramsJsonKeys())
            QVERIFY2(list.contains(key), qPrintable(key));
        QCOMPARE(list["kernel_size"], QJsonValue(QJsonArray{3, 3}));
        const QJsonObject square = paramsToJson(p, PairStyle::SquareAsInt);
        QCOMPARE(square["kernel_size"], QJsonValue(3));
        QCOMPARE(square["stride"], QJsonValue(QJsonArray{2, 1}));
        QCOMPARE(square["padding"], QJsonValue(0));
        p.paddingKind = core::PaddingKind::Same;
        QCOMPARE(paramsToJson(p)["padding"], QJsonValue("same"));
        QCOMPARE(paramsToJson(p)["padding_mode"], QJsonValue("zeros"));
    }

    void strict_refusesAMissingKeyOrASingleIntPair()
    {
        const QJsonObject full = paramsToJson(unusualParams());
        for (const QString &key : paramsJsonKeys()) {
            QJsonObject o = full;
            o.remove(key);
            ParamsJsonError error;
            QVERIFY2(!read(o, kSessionParams, &error), qPrintable(key));
            QCOMPARE(error.field, key);
            QVERIFY(error.got.isUndefined());
            QCOMPARE(error.message(), QStringLiteral("missing field '%1'").arg(key));
        }
        QJsonObject o = full;
        o["stride"] = 2;
        ParamsJsonError error;
        QVERIFY(!read(o, kSessionParams, &error));
        QCOMPARE(error.message(),
                 QStringLiteral("field 'stride' must be a list of 2 integers [h, w]"));
        QVERIFY(read(o, kLessonParams)); // the lenient reader takes it for (2, 2)
        QCOMPARE(read(o, kLessonParams)->stride, (core::Hw{2, 2}));
    }

    void strict_messagesReadAsTheSessionFileShowsThem()
    {
        QJsonObject o = paramsToJson(unusualParams());
        o["groups"] = 1.5;
        QString error;
        QVERIFY(!paramsFromJson(o, &error));
        QCOMPARE(error, QStringLiteral("parameters: field 'groups' must be an integer"));

        o = paramsToJson(unusualParams());
        o.remove("in_channels");
        QVERIFY(!paramsFromJson(o, &error));
        QCOMPARE(error, QStringLiteral("parameters: missing field 'in_channels'"));

        o = paramsToJson(unusualParams());
        o["padding"] = "full";
        QVERIFY(!paramsFromJson(o, &error));
        QCOMPARE(error, QStringLiteral("parameters: field 'padding' must be a list of 2 integers "
                                       "[h, w] (or \"same\" / \"valid\")"));

        o = paramsToJson(unusualParams());
        o["bias"] = 1;
        QVERIFY(!paramsFromJson(o, &error));
        QCOMPARE(error, QStringLiteral("parameters: field 'bias' must be true or false"));
    }

    void strict_acceptsAnyIntSoTheEngineExplainsBadValues()
    {
        // A session file holds what the engine computed; editor ranges must not refuse it.
        core::Conv2dParams p = unusualParams();
        p.outChannels = 1000;
        p.kernel = {40, 1};
        p.padding = {-1, 200};
        const auto back = read(paramsToJson(p), kSessionParams);
        QVERIFY(back);
        QCOMPARE(*back, p);
    }

    void lenient_missingKeysKeepTheDefaultsButKernelSizeIsRequired()
    {
        const auto p = read(QJsonObject{{"kernel_size", 5}}, kLessonParams);
        QVERIFY(p);
        core::Conv2dParams expected;
        expected.kernel = {5, 5};
        QCOMPARE(*p, expected);

        ParamsJsonError error;
        QVERIFY(!read(QJsonObject{{"stride", 2}}, kLessonParams, &error));
        QCOMPARE(error.field, QStringLiteral("kernel_size"));
        QVERIFY(error.got.isUndefined());
    }

    void lenient_errorsNameTheFieldTheRangeAndTheValue_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("expected");
        QTest::newRow("channels over the lesson range")
            << "out_channels" << QJsonValue(65) << "out_channels"
            << "an integer in 1..64";
        QTest::newRow("kernel over the grid") << "kernel_size" << QJsonValue(17) << "kernel_size"
                                              << "an integer in 1..16";
        QTest::newRow("stride zero") << "stride" << QJsonValue(0) << "stride"
                                     << "an integer in 1..16";
        QTest::newRow("one side of a pair")
            << "padding" << QJsonValue(QJsonArray{1, -1}) << "padding[1]"
            << "an integer in 0..16";
        QTest::newRow("three sides")
            << "kernel_size" << QJsonValue(QJsonArray{3, 3, 3}) << "kernel_size"
            << "an integer or [h, w]";
        QTest::newRow("text for a pair") << "dilation" << QJsonValue("two") << "dilation"
                                         << "an integer >= 1 or [h, w] of integers >= 1";
        QTest::newRow("unknown padding word") << "padding" << QJsonValue("full") << "padding"
                                              << "an integer >= 0, [h, w], \"same\" or \"valid\"";
        QTest::newRow("unknown padding mode")
            << "padding_mode" << QJsonValue("mirror") << "padding_mode"
            << "one of \"zeros\", \"reflect\", \"replicate\", \"circular\"";
        QTest::newRow("bias as a number") << "bias" << QJsonValue(1) << "bias"
                                          << "true or false";
    }

    void lenient_errorsNameTheFieldTheRangeAndTheValue()
    {
        QFETCH(QString, key);
        QFETCH(QJsonValue, value);
        QFETCH(QString, field);
        QFETCH(QString, expected);
        QJsonObject o{{"kernel_size", 3}};
        o[key] = value;
        ParamsJsonError error;
        QVERIFY(!read(o, kLessonParams, &error));
        QCOMPARE(error.field, field);
        QCOMPARE(error.expected, expected);
        if (field == key)
            QCOMPARE(error.got, value);
    }

    void clamp_bringsOutOfRangeValuesToTheNearestEditorValue()
    {
        const QJsonObject o{{"in_channels", 3}, {"out_channels", 999},
                            {"kernel_size", 0}, {"stride", QJsonArray{40, 2}},
                            {"padding", -3},    {"dilation", QJsonArray{1, 100}},
                            {"groups", 0},      {"bias", false}};
        const auto p = read(o, kSettingsParams);
        QVERIFY(p);
        QCOMPARE(p->outChannels, limits::kChannels.hi);
        QCOMPARE(p->kernel, (core::Hw{limits::kKernel.lo, limits::kKernel.lo}));
        QCOMPARE(p->stride, (core::Hw{limits::kStride.hi, 2}));
        QCOMPARE(p->padding, (core::Hw{0, 0}));
        QCOMPARE(p->dilation, (core::Hw{1, limits::kDilation.hi}));
        QCOMPARE(p->groups, limits::kGroups.lo);
        QCOMPARE(p->bias, false);
        // Clamping fixes a range, never a type: a fraction is still refused.
        QJsonObject bad = o;
        bad["groups"] = 1.5;
        QVERIFY(!read(bad, kSettingsParams));
    }
};

QTEST_GUILESS_MAIN(ParamsJsonTest)
#include "paramsjson_test.moc"
