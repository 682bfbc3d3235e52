// SPDX-License-Identifier: GPL-3.0-or-later
// Lessons: the shipped ones load and make valid steps; every malformed variant is refused
// with a message that names the file, the step, the field, the expectation and the value;
// authoring appends a step that loads back equal.
#include "lesson.h"

#include "shape.h"
#include "validate.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <functional>

using namespace convscope;
using namespace convscope::ui;

namespace {

// A minimal valid lesson; each malformed case edits one thing in it.
QJsonObject validLesson()
{
    QJsonObject config{{"in_channels", 1}, {"out_channels", 1}, {"kernel_size", 3},
                       {"stride", 1},      {"padding", 1},      {"padding_mode", "zeros"}};
    QJsonObject step{
        {"caption", "hello"},
        {"config", config},
        {"input", QJsonObject{{"source", "pattern"}, {"pattern", "ramp"}, {"size", 5}}},
        {"kernel", QJsonObject{{"preset", "identity"}}},
        {"quiz", "output-height"}};
    return QJsonObject{{"format", "convscope-lesson"},
                       {"version", 1},
                       {"title", "T"},
                       {"steps", QJsonArray{step, step}}};
}

QByteArray bytes(const QJsonObject &o)
{
    return QJsonDocument(o).toJson();
}

// Applies `edit` to the second step's object (step 2 in messages).
QJsonObject withStep(const std::function<void(QJsonObject &)> &edit)
{
    QJsonObject lesson = validLesson();
    QJsonArray steps = lesson["steps"].toArray();
    QJsonObject step = steps[1].toObject();
    edit(step);
    steps[1] = step;
    lesson["steps"] = steps;
    return lesson;
}

QJsonObject withConfig(const char *key, const QJsonValue &value)
{
    return withStep([&](QJsonObject &s) {
        QJsonObject c = s["config"].toObject();
        if (value.isUndefined())
            c.remove(key);
        else
            c[key] = value;
        s["config"] = c;
    });
}

} // namespace

class LessonTest : public QObject {
    Q_OBJECT
private slots:
    void shippedLessons_loadAndEveryStepIsValid();
    void shippedCaptions_neverStateTheirOwnQuizAnswer();
    void malformed_isRejectedWithAClearMessage_data();
    void malformed_isRejectedWithAClearMessage();
    void notJson_isRejected();
    void saveAndAppend_roundTrip();
    void fieldsAnotherSourceUses_readBackAsTheyWereRead();
    void append_refusesToOverwriteABrokenFile();
    void patternTensor_isSmallWholeNumbers();
    void lockableControls_eachNameAFieldOfItsOwn();
};

void LessonTest::shippedLessons_loadAndEveryStepIsValid()
{
    const QStringList paths = shippedLessonPaths();
    QVERIFY2(paths.size() >= 3, qPrintable(paths.join(", ")));
    QStringList titles;
    for (const QString &path : paths) {
        QString error;
        const auto lesson = loadLesson(path, &error);
        QVERIFY2(lesson.has_value(), qPrintable(error));
        QVERIFY(!lesson->steps.isEmpty());
        titles << lesson->title;
        for (const LessonStep &s : lesson->steps) {
            const core::Shape in{1, s.params.inChannels, s.input.height, s.input.width};
            QVERIFY(!core::validate(s.params, in).has_value());
            QVERIFY(!s.caption.isEmpty());
            // Its quiz can be asked about its own grid.
            if (s.quiz) {
                core::QuizSetup setup;
                setup.params = s.params;
                setup.input = {s.input.height, s.input.width};
                setup.weight = lessonWeights(s.params, s.kernel).first;
                QVERIFY(!core::makeQuestion(*s.quiz, setup, 1).prompt.empty());
            }
            const auto [w, b] = lessonWeights(s.params, s.kernel);
            QCOMPARE(w.shape, core::weightShape(s.params));
            QCOMPARE(b.shape, core::Shape{s.params.outChannels});
        }
        // What we write reads back equal: authoring and the shipped files share one format.
        QString again;
        const auto reparsed = parseLesson(lessonToJson(*lesson), path, &again);
        QVERIFY2(reparsed.has_value(), qPrintable(again));
        QVERIFY(*reparsed == *lesson);
    }
    QVERIFY(titles.contains("Stride and padding"));
    QVERIFY(titles.contains("Dilation and receptive field"));
    QVERIFY(titles.contains("Groups and depthwise convolution"));
}

// Predict, then reveal: a caption that works the formula out to the number its quiz asks for
// gives the answer away before the class has predicted it.
void LessonTest::shippedCaptions_neverStateTheirOwnQuizAnswer()
{
    int checked = 0;
    for (const QString &path : shippedLessonPaths()) {
        QString error;
        const auto lesson = loadLesson(path, &error);
        QVERIFY2(lesson.has_value(), qPrintable(error));
        for (int i = 0; i < lesson->steps.size(); ++i) {
            const LessonStep &s = lesson->steps[i];
            if (!s.quiz || !core::expectsNumber(*s.quiz))
                continue;
            core::QuizSetup setup;
            setup.params = s.params;
            setup.input = {s.input.height, s.input.width};
            setup.weight = lessonWeights(s.params, s.kernel).first;
            const auto answer = core::correctAnswer(core::makeQuestion(*s.quiz, setup, 1)).number;
            QVERIFY(answer.has_value());
            // The numbers that give it away: the answer, and for a parameter count also the
            // weights alone (the caption would then only have to add the biases).
            QList<std::int64_t> giveaways{*answer};
            if (*s.quiz == core::QuizKind::ParameterCount && s.params.bias)
                giveaways << *answer - s.params.outChannels;
            for (const std::int64_t n : giveaways) {
                // "= 4", "= `4`" and "= **4**" as a formula's result, or "4 x 4" as the size.
                const QRegularExpression result(QStringLiteral(R"(=\s*[`*]*\s*%1(?!\d))").arg(n));
                const QRegularExpression size(QStringLiteral(R"((?<!\d)%1 x %1(?!\d))").arg(n));
                const QString where = QStringLiteral("%1 step %2 states %3 in its caption: %4")
                                          .arg(lesson->title)
                                          .arg(i + 1)
                                          .arg(n)
                                          .arg(s.caption);
                QVERIFY2(!result.match(s.caption).hasMatch(), qPrintable(where));
                if (*s.quiz != core::QuizKind::ParameterCount)
                    QVERIFY2(!size.match(s.caption).hasMatch(), qPrintable(where));
            }
            ++checked;
        }
    }
    QVERIFY(checked >= 9); // every shipped step with a number quiz
}

void LessonTest::malformed_isRejectedWithAClearMessage_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QStringList>("mustMention");
    auto row = [](const char *name, const QJsonObject &o, const QStringList &mention) {
        QTest::newRow(name) << bytes(o) << mention;
    };
    QJsonObject o = validLesson();
    o["format"] = "lesson";
    row("wrong format", o,
        {"lesson.json: ", "field 'format'", "\"convscope-lesson\"", "\"lesson\""});
    o = validLesson();
    o["version"] = 2;
    row("future version", o, {"field 'version'", "got 2"});
    o = validLesson();
    o.remove("title");
    row("no title", o, {"field 'title'", "missing"});
    o = validLesson();
    o["steps"] = QJsonArray();
    row("no steps", o, {"field 'steps'", "non-empty list", "got []"});
    o = validLesson();
    o["author"] = "me";
    row("unknown top-level field", o, {"field 'author'", "is unknown"});
    row("step not an object", withStep([](QJsonObject &s) { s = QJsonObject(); }),
        {"step 2: ", "field 'caption'"});
    row("missing caption", withStep([](QJsonObject &s) { s.remove("caption"); }),
        {"step 2: ", "field 'caption'", "missing"});
    row("missing config", withStep([](QJsonObject &s) { s.remove("config"); }),
        {"step 2: ", "field 'config'", "object"});
    row("missing kernel_size", withConfig("kernel_size", QJsonValue::Undefined),
        {"step 2: ", "config.kernel_size", "missing"});
    row("stride as text", withConfig("stride", "two"),
        {"step 2: ", "config.stride", "got \"two\""});
    row("stride zero", withConfig("stride", 0), {"config.stride", "1..16", "got 0"});
    row("fractional padding", withConfig("padding", 1.5), {"config.padding", "got 1.5"});
    // A step's grid is what the class follows: a padding of 8000 once asked the GUI for a
    // 16001 x 16001 output and froze it.
    row("padding beyond a grid", withConfig("padding", 8000),
        {"config.padding", "0..16", "got 8000", "step-through grid"});
    row("stride beyond a grid", withConfig("stride", QJsonArray{1, 65536}),
        {"config.stride[1]", "1..16", "got 65536"});
    row("dilation beyond a grid", withConfig("dilation", 17),
        {"config.dilation", "1..16", "got 17"});
    row("negative padding", withConfig("padding", QJsonArray{1, -1}),
        {"config.padding[1]", "got -1"});
    row("three-element kernel", withConfig("kernel_size", QJsonArray{3, 3, 3}),
        {"config.kernel_size", "[h, w]", "[3,3,3]"});
    row("padding string", withConfig("padding", "full"),
        {"config.padding", "\"same\"", "got \"full\""});
    row("padding mode", withConfig("padding_mode", "mirror"),
        {"config.padding_mode", "\"reflect\"", "got \"mirror\""});
    row("bias not bool", withConfig("bias", 1), {"config.bias", "true or false", "got 1"});
    row("unknown config field", withConfig("kernel", 3), {"config.kernel", "is unknown"});
    row("groups do not divide", withConfig("groups", 2),
        {"step 2: ", "config: Conv2d rejects it", "groups"});
    row("kernel larger than input", withConfig("kernel_size", 9),
        {"step 2: ", "Conv2d rejects it on the 5 x 5 input"});
    row("reflect padding too large", withStep([](QJsonObject &s) {
            QJsonObject c = s["config"].toObject();
            c["padding"] = 5;
            c["padding_mode"] = "reflect";
            s["config"] = c;
        }),
        {"step 2: ", "reflect"});
    row("grid too big", withStep([](QJsonObject &s) {
            s["input"] = QJsonObject{{"size", 40}};
        }),
        {"input.size", "1..16", "got 40"});
    row("unknown pattern", withStep([](QJsonObject &s) {
            s["input"] = QJsonObject{{"pattern", "noise"}};
        }),
        {"input.pattern", "\"ramp\"", "got \"noise\""});
    row("unknown source", withStep([](QJsonObject &s) {
            s["input"] = QJsonObject{{"source", "camera"}};
        }),
        {"input.source", "got \"camera\""});
    row("image crop with 2 channels", withStep([](QJsonObject &s) {
            s["input"] = QJsonObject{{"source", "image"}};
            QJsonObject c = s["config"].toObject();
            c["in_channels"] = 2;
            s["config"] = c;
        }),
        {"config.in_channels", "1 (grayscale) or 3 (RGB)", "got 2"});
    row("unknown preset", withStep([](QJsonObject &s) {
            s["kernel"] = QJsonObject{{"preset", "blurry"}};
        }),
        {"kernel.preset", "\"sobel-x\"", "got \"blurry\""});
    row("preset and seed", withStep([](QJsonObject &s) {
            s["kernel"] = QJsonObject{{"preset", "box"}, {"seed", 3}};
        }),
        {"field 'kernel'", "exactly one"});
    row("locked unknown control", withStep([](QJsonObject &s) {
            s["locked"] = QJsonArray{"stride", "speed"};
        }),
        {"locked[1]", "control names", "got \"speed\""});
    row("locked not a list", withStep([](QJsonObject &s) { s["locked"] = "stride"; }),
        {"field 'locked'", "got \"stride\""});
    row("unknown quiz", withStep([](QJsonObject &s) { s["quiz"] = "H_out"; }),
        {"field 'quiz'", "\"output-height\"", "got \"H_out\""});
    row("unknown step field", withStep([](QJsonObject &s) { s["notes"] = "x"; }),
        {"step 2: ", "field 'notes'", "is unknown"});
}

void LessonTest::malformed_isRejectedWithAClearMessage()
{
    QFETCH(QByteArray, json);
    QFETCH(QStringList, mustMention);
    QString error;
    const auto lesson = parseLesson(json, QStringLiteral("lesson.json"), &error);
    QVERIFY2(!lesson.has_value(), "a malformed lesson was accepted");
    QVERIFY(error.startsWith(QStringLiteral("lesson.json: ")));
    qInfo("%s", qPrintable(error)); // the log shows what a teacher would read
    for (const QString &part : mustMention)
        QVERIFY2(error.contains(part),
                 qPrintable(QStringLiteral("\"%1\" does not mention \"%2\"").arg(error, part)));
}

void LessonTest::notJson_isRejected()
{
    QString error;
    QVERIFY(!parseLesson("{\"format\": ", "x.json", &error));
    QVERIFY2(error.startsWith("x.json: not valid JSON at byte"), qPrintable(error));
    QVERIFY(!parseLesson("[1, 2]", "x.json", &error));
    QVERIFY2(error.contains("got an array"), qPrintable(error));
    QVERIFY(!loadLesson("/nonexistent/lesson.json", &error));
    QVERIFY2(error.contains("cannot open"), qPrintable(error));
}

// A seed on a ramp or a crop on a pattern means nothing to the grid, but a lesson that
// holds one must still read back as it was read (the lesson fuzzer found the seed dropped).
void LessonTest::fieldsAnotherSourceUses_readBackAsTheyWereRead()
{
    const QByteArray json = R"({"format": "convscope-lesson", "version": 1, "title": "t",
        "steps": [{"caption": "c",
        "config": {"kernel_size": 3},
        "input": {"pattern": "ramp", "seed": 11, "crop": [2, 3]}}]})";
    QString error;
    const auto lesson = parseLesson(json, QStringLiteral("t.json"), &error);
    QVERIFY2(lesson, qPrintable(error));
    QCOMPARE(lesson->steps[0].input.seed, std::uint64_t{11});
    const auto again = parseLesson(lessonToJson(*lesson), QStringLiteral("t.json"), &error);
    QVERIFY2(again, qPrintable(error));
    QVERIFY(*again == *lesson);
}

void LessonTest::saveAndAppend_roundTrip()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("mine.json");
    LessonStep a;
    a.params.kernel = {3, 2};
    a.params.stride = {2, 1};
    a.params.padding = {1, 0};
    a.params.paddingMode = core::PaddingMode::Circular;
    a.input.height = 7;
    a.input.width = 5;
    a.input.pattern = GridPattern::Digits;
    a.input.seed = 99;
    a.kernel.preset.reset();
    a.kernel.seed = 1234;
    a.caption = "**bold** caption";
    a.locked = {"stride", "kernel"};
    a.quiz = core::QuizKind::PaddedValue;
    QString error;
    QVERIFY2(appendLessonStep(path, a, "My class", &error), qPrintable(error));
    LessonStep b;
    b.params.paddingKind = core::PaddingKind::Same;
    b.params.dilation = {2, 2};
    b.input.source = GridSource::Image;
    b.input.cropY = 10;
    b.input.cropX = 20;
    b.caption = "second";
    QVERIFY2(appendLessonStep(path, b, "ignored: the file exists", &error), qPrintable(error));
    const auto back = loadLesson(path, &error);
    QVERIFY2(back.has_value(), qPrintable(error));
    QCOMPARE(back->title, QStringLiteral("My class"));
    QCOMPARE(back->steps.size(), 2);
    QVERIFY(back->steps[0] == a);
    QVERIFY(back->steps[1] == b);
}

void LessonTest::append_refusesToOverwriteABrokenFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("broken.json");
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{ not a lesson");
    }
    LessonStep s;
    s.caption = "x";
    QString error;
    QVERIFY(!appendLessonStep(path, s, "t", &error));
    QVERIFY2(error.contains("broken.json"), qPrintable(error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("{ not a lesson"));
}

void LessonTest::patternTensor_isSmallWholeNumbers()
{
    LessonInput in;
    in.height = 4;
    in.width = 5;
    for (GridPattern p :
         {GridPattern::Ramp, GridPattern::Edge, GridPattern::Checker, GridPattern::Digits}) {
        in.pattern = p;
        const core::Tensor t = patternTensor(in, 3);
        QCOMPARE(t.shape, (core::Shape{1, 3, 4, 5}));
        for (float v : t.data) {
            QVERIFY(v >= 0 && v <= 9);
            QCOMPARE(v, float(int(v)));
        }
    }
    in.pattern = GridPattern::Ramp;
    QCOMPARE(patternTensor(in, 1).at(0, 0, 1, 2), 7.0f); // (1 * 5 + 2) mod 10
}

void LessonTest::lockableControls_eachNameAFieldOfItsOwn()
{
    // The panels lock by field: every name a lesson may list must reach exactly one field.
    QList<core::Field> fields;
    for (const QString &name : lockableControls()) {
        const auto field = lockableField(name);
        QVERIFY2(field.has_value(), qPrintable(name));
        QVERIFY2(!fields.contains(*field), qPrintable(name));
        fields << *field;
    }
    QVERIFY(lockableField(QStringLiteral("kernel_size")) == core::Field::Kernel);
    QVERIFY(lockableField(QStringLiteral("kernel")) == core::Field::Weight);
    QVERIFY(lockableField(QStringLiteral("in_channels")) == core::Field::InChannels);
    QVERIFY(lockableField(QStringLiteral("padding_mode")) == core::Field::PaddingMode);
    QVERIFY(!lockableField(QStringLiteral("kernelH")).has_value());
    QVERIFY(!lockableField(QString()).has_value());
}

QTEST_GUILESS_MAIN(LessonTest)
#include "lesson_test.moc"
