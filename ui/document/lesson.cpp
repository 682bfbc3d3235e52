// SPDX-License-Identifier: GPL-3.0-or-later
#include "lesson.h"

#include "fileerror.h"

#include "kernels.h"
#include "paramsjson.h"
#include "shape.h"
#include "validate.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <cmath>
#include <limits>
#include <random>

namespace convscope::ui {

namespace {

constexpr int kLessonVersion = 1;
const char *const kFormat = "convscope-lesson";
constexpr int kMaxGrid = limits::kLessonGrid;

// A value as the message shows it: strings quoted, containers as compact JSON.
QString describe(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Undefined: return QStringLiteral("nothing (the field is missing)");
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Bool: return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double: return QString::number(v.toDouble(), 'g', 17);
    case QJsonValue::String: return QLatin1Char('"') + v.toString() + QLatin1Char('"');
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    }
    return {};
}

// Thrown inside the parser only; parseLesson turns it into the *error message.
struct ParseFailure {
    QString message;
};

class Parser {
public:
    explicit Parser(QString fileName) : m_file(std::move(fileName)) {}

    [[noreturn]] void fail(const QString &field, const QString &expected,
                           const QJsonValue &got) const
    {
        throw ParseFailure{where()
                           + QStringLiteral("field '%1': expected %2, got %3")
                                 .arg(field, expected, describe(got))};
    }
    [[noreturn]] void failText(const QString &text) const { throw ParseFailure{where() + text}; }

    void setStep(int index) { m_step = index; }

    void rejectUnknown(const QJsonObject &o, const QStringList &known, const QString &in) const
    {
        for (const QString &key : o.keys())
            if (!known.contains(key))
                failText(QStringLiteral("field '%1' is unknown (known fields: %2)")
                             .arg(in.isEmpty() ? key : in + QLatin1Char('.') + key,
                                  known.join(QStringLiteral(", "))));
    }

    int integer(const QJsonValue &v, const QString &field, int lo, int hi) const
    {
        const QString expected = hi == std::numeric_limits<int>::max()
                                     ? QStringLiteral("an integer >= %1").arg(lo)
                                     : QStringLiteral("an integer in %1..%2").arg(lo).arg(hi);
        if (!v.isDouble())
            fail(field, expected, v);
        const double d = v.toDouble();
        if (d != std::floor(d) || d < lo || d > hi)
            fail(field, expected, v);
        return static_cast<int>(d);
    }

    // An int (both axes) or [h, w].
    core::Hw pair(const QJsonValue &v, const QString &field, int lo, int hi) const
    {
        if (v.isArray()) {
            const QJsonArray a = v.toArray();
            if (a.size() != 2)
                fail(field, QStringLiteral("an integer or [h, w]"), v);
            return {integer(a[0], field + QStringLiteral("[0]"), lo, hi),
                    integer(a[1], field + QStringLiteral("[1]"), lo, hi)};
        }
        if (!v.isDouble())
            fail(field, QStringLiteral("an integer >= %1 or [h, w] of integers >= %1").arg(lo), v);
        const int n = integer(v, field, lo, hi);
        return {n, n};
    }

    QString string(const QJsonValue &v, const QString &field, bool allowEmpty) const
    {
        if (!v.isString() || (!allowEmpty && v.toString().trimmed().isEmpty()))
            fail(field,
                 allowEmpty ? QStringLiteral("a string") : QStringLiteral("a non-empty string"), v);
        return v.toString();
    }

private:
    QString where() const
    {
        QString s = m_file + QStringLiteral(": ");
        if (m_step >= 0)
            s += QStringLiteral("step %1: ").arg(m_step + 1);
        return s;
    }
    QString m_file;
    int m_step = -1;
};

core::Conv2dParams parseConfig(const Parser &ps, const QJsonValue &value)
{
    if (!value.isObject())
        ps.fail(QStringLiteral("config"), QStringLiteral("an object of Conv2d arguments"), value);
    const QJsonObject o = value.toObject();
    ps.rejectUnknown(o, paramsJsonKeys(), QStringLiteral("config"));
    ParamsJsonError error;
    const auto p = paramsFromJson(o, kLessonParams, &error);
    if (!p) {
        // A whole number refused is out of a lesson's range: say why the range is smaller
        // than what Conv2d accepts.
        const double d = error.got.toDouble();
        const bool outOfRange = error.got.isDouble() && d == std::floor(d);
        ps.fail(QStringLiteral("config.") + error.field,
                outOfRange ? error.expected
                                 + QStringLiteral(" (a lesson keeps to a step-through grid a "
                                                  "class can follow)")
                           : error.expected,
                error.got);
    }
    return *p;
}

LessonInput parseInput(const Parser &ps, const QJsonValue &value)
{
    LessonInput in;
    if (value.isUndefined())
        return in;
    if (!value.isObject())
        ps.fail(QStringLiteral("input"), QStringLiteral("an object"), value);
    const QJsonObject o = value.toObject();
    ps.rejectUnknown(o,
                     {QStringLiteral("source"), QStringLiteral("pattern"), QStringLiteral("size"),
                      QStringLiteral("crop"), QStringLiteral("seed")},
                     QStringLiteral("input"));
    if (o.contains(QStringLiteral("source"))) {
        const QJsonValue v = o.value(QStringLiteral("source"));
        if (v == QJsonValue(QStringLiteral("pattern")))
            in.source = GridSource::Pattern;
        else if (v == QJsonValue(QStringLiteral("image")))
            in.source = GridSource::Image;
        else
            ps.fail(QStringLiteral("input.source"), QStringLiteral("\"pattern\" or \"image\""), v);
    }
    if (o.contains(QStringLiteral("pattern"))) {
        const QJsonValue v = o.value(QStringLiteral("pattern"));
        const auto pattern = v.isString() ? parseGridPattern(v.toString()) : std::nullopt;
        if (!pattern)
            ps.fail(QStringLiteral("input.pattern"),
                    QStringLiteral("one of \"ramp\", \"edge\", \"checker\", \"digits\""), v);
        in.pattern = *pattern;
    }
    if (o.contains(QStringLiteral("size"))) {
        const core::Hw size =
            ps.pair(o.value(QStringLiteral("size")), QStringLiteral("input.size"), 1, kMaxGrid);
        in.height = size.h;
        in.width = size.w;
    }
    if (o.contains(QStringLiteral("crop"))) {
        const core::Hw crop = ps.pair(o.value(QStringLiteral("crop")), QStringLiteral("input.crop"),
                                      0, std::numeric_limits<int>::max());
        in.cropY = crop.h;
        in.cropX = crop.w;
    }
    if (o.contains(QStringLiteral("seed")))
        in.seed = static_cast<std::uint64_t>(ps.integer(o.value(QStringLiteral("seed")),
                                                        QStringLiteral("input.seed"), 0,
                                                        std::numeric_limits<int>::max()));
    return in;
}

LessonKernel parseKernel(const Parser &ps, const QJsonValue &value)
{
    LessonKernel k;
    k.preset = core::KernelPreset::Identity;
    if (value.isUndefined())
        return k;
    const QString expected = QStringLiteral("{\"preset\": name} or {\"seed\": integer}");
    if (!value.isObject())
        ps.fail(QStringLiteral("kernel"), expected, value);
    const QJsonObject o = value.toObject();
    ps.rejectUnknown(o, {QStringLiteral("preset"), QStringLiteral("seed")},
                     QStringLiteral("kernel"));
    const bool hasPreset = o.contains(QStringLiteral("preset"));
    const bool hasSeed = o.contains(QStringLiteral("seed"));
    if (hasPreset == hasSeed)
        ps.fail(QStringLiteral("kernel"), expected + QStringLiteral(" (exactly one of them)"),
                value);
    if (hasPreset) {
        const QJsonValue v = o.value(QStringLiteral("preset"));
        const auto preset =
            v.isString() ? core::parseKernelPreset(v.toString().toStdString()) : std::nullopt;
        if (!preset) {
            QStringList names;
            for (core::KernelPreset p : core::allKernelPresets())
                names << QStringLiteral("\"%1\"").arg(QString::fromStdString(core::identifier(p)));
            ps.fail(QStringLiteral("kernel.preset"),
                    QStringLiteral("one of %1").arg(names.join(QStringLiteral(", "))), v);
        }
        k.preset = *preset;
    } else {
        k.preset.reset();
        k.seed = static_cast<std::uint64_t>(ps.integer(o.value(QStringLiteral("seed")),
                                                       QStringLiteral("kernel.seed"), 0,
                                                       std::numeric_limits<int>::max()));
    }
    return k;
}

LessonStep parseStep(const Parser &ps, const QJsonValue &value)
{
    if (!value.isObject())
        ps.fail(QStringLiteral("(the step)"), QStringLiteral("an object"), value);
    const QJsonObject o = value.toObject();
    ps.rejectUnknown(o,
                     {QStringLiteral("title"), QStringLiteral("caption"), QStringLiteral("config"),
                      QStringLiteral("input"), QStringLiteral("kernel"), QStringLiteral("locked"),
                      QStringLiteral("quiz")},
                     QString());
    LessonStep step;
    if (o.contains(QStringLiteral("title")))
        step.title = ps.string(o.value(QStringLiteral("title")), QStringLiteral("title"), true);
    step.caption = ps.string(o.value(QStringLiteral("caption")), QStringLiteral("caption"), false);
    step.params = parseConfig(ps, o.value(QStringLiteral("config")));
    step.input = parseInput(ps, o.value(QStringLiteral("input")));
    step.kernel = parseKernel(ps, o.value(QStringLiteral("kernel")));
    if (o.contains(QStringLiteral("locked"))) {
        const QJsonValue v = o.value(QStringLiteral("locked"));
        const QString expected = QStringLiteral("a list of control names (%1)")
                                     .arg(lockableControls().join(QStringLiteral(", ")));
        if (!v.isArray())
            ps.fail(QStringLiteral("locked"), expected, v);
        const QJsonArray a = v.toArray();
        for (qsizetype i = 0; i < a.size(); ++i) {
            if (!a[i].isString() || !lockableControls().contains(a[i].toString()))
                ps.fail(QStringLiteral("locked[%1]").arg(i), expected, a[i]);
            step.locked << a[i].toString();
        }
    }
    if (o.contains(QStringLiteral("quiz"))) {
        const QJsonValue v = o.value(QStringLiteral("quiz"));
        const auto kind =
            v.isString() ? core::parseQuizKind(v.toString().toStdString()) : std::nullopt;
        if (!kind) {
            QStringList names;
            for (core::QuizKind k : core::allQuizKinds())
                names << QStringLiteral("\"%1\"").arg(QString::fromStdString(core::identifier(k)));
            ps.fail(QStringLiteral("quiz"),
                    QStringLiteral("one of %1").arg(names.join(QStringLiteral(", "))), v);
        }
        step.quiz = kind;
    }
    // A step must be something Conv2d accepts on its own grid: the class sees a result,
    // never an error, when the teacher presses Page Down.
    if (step.input.source == GridSource::Image && step.params.inChannels != 1
        && step.params.inChannels != 3)
        ps.fail(QStringLiteral("config.in_channels"),
                QStringLiteral("1 (grayscale) or 3 (RGB) for an image crop"),
                QJsonValue(step.params.inChannels));
    const core::Shape inShape{1, step.params.inChannels, step.input.height, step.input.width};
    if (auto error = core::validate(step.params, inShape))
        ps.failText(QStringLiteral("config: Conv2d rejects it on the %1 x %2 input: %3")
                        .arg(step.input.height)
                        .arg(step.input.width)
                        .arg(QString::fromStdString(error->message)));
    return step;
}

QJsonObject stepJson(const LessonStep &s)
{
    const QJsonObject config = paramsToJson(s.params, PairStyle::SquareAsInt);

    QJsonObject input;
    input[QStringLiteral("source")] =
        s.input.source == GridSource::Image ? QStringLiteral("image") : QStringLiteral("pattern");
    input[QStringLiteral("pattern")] = identifier(s.input.pattern);
    input[QStringLiteral("size")] =
        pairToJson({s.input.height, s.input.width}, PairStyle::SquareAsInt);
    // What only one source or pattern uses is still written when it was set, so a lesson
    // reads back as it was read.
    const LessonInput defaults;
    if (s.input.source == GridSource::Image || s.input.cropY != defaults.cropY
        || s.input.cropX != defaults.cropX)
        input[QStringLiteral("crop")] = QJsonArray{s.input.cropY, s.input.cropX};
    if (s.input.pattern == GridPattern::Digits || s.input.seed != defaults.seed)
        input[QStringLiteral("seed")] = static_cast<qint64>(s.input.seed);

    QJsonObject kernel;
    if (s.kernel.preset)
        kernel[QStringLiteral("preset")] =
            QString::fromStdString(core::identifier(*s.kernel.preset));
    else
        kernel[QStringLiteral("seed")] = static_cast<qint64>(s.kernel.seed);

    QJsonObject o;
    if (!s.title.isEmpty())
        o[QStringLiteral("title")] = s.title;
    o[QStringLiteral("caption")] = s.caption;
    o[QStringLiteral("config")] = config;
    o[QStringLiteral("input")] = input;
    o[QStringLiteral("kernel")] = kernel;
    if (!s.locked.isEmpty())
        o[QStringLiteral("locked")] = QJsonArray::fromStringList(s.locked);
    if (s.quiz)
        o[QStringLiteral("quiz")] = QString::fromStdString(core::identifier(*s.quiz));
    return o;
}

} // namespace

QString identifier(GridPattern pattern)
{
    switch (pattern) {
    case GridPattern::Ramp: return QStringLiteral("ramp");
    case GridPattern::Edge: return QStringLiteral("edge");
    case GridPattern::Checker: return QStringLiteral("checker");
    case GridPattern::Digits: return QStringLiteral("digits");
    }
    return {};
}

std::optional<GridPattern> parseGridPattern(const QString &text)
{
    for (GridPattern p :
         {GridPattern::Ramp, GridPattern::Edge, GridPattern::Checker, GridPattern::Digits})
        if (identifier(p) == text)
            return p;
    return std::nullopt;
}

namespace {

// The lesson vocabulary of lockable controls, in the order the loader's messages list them.
struct LockableControl {
    const char *name;
    core::Field field;
};
constexpr LockableControl kLockable[] = {
    {"in_channels", core::Field::InChannels},
    {"out_channels", core::Field::OutChannels},
    {"kernel_size", core::Field::Kernel},
    {"stride", core::Field::Stride},
    {"padding", core::Field::Padding},
    {"padding_mode", core::Field::PaddingMode},
    {"dilation", core::Field::Dilation},
    {"groups", core::Field::Groups},
    {"bias", core::Field::Bias},
    {"kernel", core::Field::Weight},
    {"input", core::Field::Input},
};

} // namespace

const QStringList &lockableControls()
{
    static const QStringList names = [] {
        QStringList n;
        for (const LockableControl &c : kLockable)
            n << QLatin1String(c.name);
        return n;
    }();
    return names;
}

std::optional<core::Field> lockableField(const QString &control)
{
    for (const LockableControl &c : kLockable)
        if (control == QLatin1String(c.name))
            return c.field;
    return std::nullopt;
}

core::Tensor patternTensor(const LessonInput &input, int channels)
{
    const int H = input.height, W = input.width;
    core::Tensor t({1, channels, H, W});
    std::mt19937_64 rng(input.seed);
    for (int c = 0; c < channels; ++c)
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                int v = 0;
                switch (input.pattern) {
                // Channels are offset so a multi-channel sum shows each channel's share.
                case GridPattern::Ramp: v = (y * W + x + 3 * c) % 10; break;
                case GridPattern::Edge: v = (x >= W / 2) ? 9 - 3 * c : 3 * c; break;
                case GridPattern::Checker: v = ((y + x + c) % 2) ? 9 : 0; break;
                case GridPattern::Digits: v = static_cast<int>(rng() % 10); break;
                }
                t.at(0, c, y, x) = static_cast<float>(v);
            }
    return t;
}

std::pair<core::Tensor, core::Tensor> lessonWeights(const core::Conv2dParams &params,
                                                    const LessonKernel &kernel)
{
    if (kernel.preset)
        return {core::presetWeights(params, *kernel.preset), core::zeroBias(params)};
    return {core::kaimingUniformWeights(params, kernel.seed),
            core::defaultBias(params, kernel.seed)};
}

std::optional<Lesson> parseLesson(const QByteArray &json, const QString &fileName, QString *error)
{
    Parser ps(fileName);
    try {
        QJsonParseError jerr;
        const QJsonDocument doc = QJsonDocument::fromJson(json, &jerr);
        if (jerr.error != QJsonParseError::NoError)
            ps.failText(QStringLiteral("not valid JSON at byte %1: %2")
                            .arg(jerr.offset)
                            .arg(jerr.errorString()));
        if (!doc.isObject())
            ps.failText(QStringLiteral("expected a JSON object with \"format\", \"version\", "
                                       "\"title\" and \"steps\", got an array"));
        const QJsonObject o = doc.object();
        ps.rejectUnknown(o,
                         {QStringLiteral("format"), QStringLiteral("version"),
                          QStringLiteral("title"), QStringLiteral("steps")},
                         QString());
        if (o.value(QStringLiteral("format")) != QJsonValue(QLatin1String(kFormat)))
            ps.fail(QStringLiteral("format"), QStringLiteral("\"%1\"").arg(QLatin1String(kFormat)),
                    o.value(QStringLiteral("format")));
        if (o.value(QStringLiteral("version")) != QJsonValue(kLessonVersion))
            ps.fail(QStringLiteral("version"),
                    QStringLiteral("%1 (this convscope reads lesson format version %1)")
                        .arg(kLessonVersion),
                    o.value(QStringLiteral("version")));
        Lesson lesson;
        lesson.title = ps.string(o.value(QStringLiteral("title")), QStringLiteral("title"), false);
        const QJsonValue steps = o.value(QStringLiteral("steps"));
        if (!steps.isArray() || steps.toArray().isEmpty())
            ps.fail(QStringLiteral("steps"), QStringLiteral("a non-empty list of steps"), steps);
        const QJsonArray a = steps.toArray();
        for (qsizetype i = 0; i < a.size(); ++i) {
            ps.setStep(static_cast<int>(i));
            lesson.steps << parseStep(ps, a[i]);
        }
        return lesson;
    } catch (const ParseFailure &f) {
        if (error)
            *error = f.message;
        return std::nullopt;
    }
}

std::optional<Lesson> loadLesson(const QString &path, QString *error)
{
    QFile f(path);
    const QString name = QFileInfo(path).fileName();
    if (const QString why = unreadableFileReason(path); !why.isEmpty()) {
        if (error)
            *error = QStringLiteral("%1: cannot open: %2").arg(path, why);
        return std::nullopt;
    }
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("%1: cannot open: %2").arg(path, fileErrorText(f));
        return std::nullopt;
    }
    // A lesson is a few kilobytes; refuse something that is clearly not one.
    if (f.size() > qint64{4} * 1024 * 1024) {
        if (error)
            *error =
                QStringLiteral("%1: %2 bytes is too large for a lesson").arg(name).arg(f.size());
        return std::nullopt;
    }
    return parseLesson(f.readAll(), name, error);
}

QByteArray lessonToJson(const Lesson &lesson)
{
    QJsonArray steps;
    for (const LessonStep &s : lesson.steps)
        steps.append(stepJson(s));
    QJsonObject o;
    o[QStringLiteral("format")] = QLatin1String(kFormat);
    o[QStringLiteral("version")] = kLessonVersion;
    o[QStringLiteral("title")] = lesson.title;
    o[QStringLiteral("steps")] = steps;
    return QJsonDocument(o).toJson(QJsonDocument::Indented);
}

bool saveLesson(const Lesson &lesson, const QString &path, QString *error)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("%1: cannot write: %2").arg(path, fileErrorText(f));
        return false;
    }
    const QByteArray bytes = lessonToJson(lesson);
    if (f.write(bytes) != bytes.size() || !f.commit()) {
        if (error)
            *error = QStringLiteral("%1: cannot write: %2").arg(path, fileErrorText(f));
        return false;
    }
    return true;
}

bool appendLessonStep(const QString &path, const LessonStep &step, const QString &titleIfNew,
                      QString *error)
{
    Lesson lesson;
    if (QFileInfo::exists(path)) {
        auto existing = loadLesson(path, error);
        if (!existing)
            return false; // never overwrite a file we could not read as a lesson
        lesson = *existing;
    } else {
        lesson.title = titleIfNew.trimmed().isEmpty() ? QStringLiteral("My lesson") : titleIfNew;
    }
    lesson.steps << step;
    // Round-trip check: what we write must load back, or the teacher finds out in class.
    QString why;
    if (!parseLesson(lessonToJson(lesson), QFileInfo(path).fileName(), &why)) {
        if (error)
            *error = why;
        return false;
    }
    return saveLesson(lesson, path, error);
}

QStringList shippedLessonPaths()
{
    QStringList paths;
    const QDir dir(QStringLiteral(":/lessons"));
    for (const QString &name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name))
        paths << dir.filePath(name);
    return paths;
}

} // namespace convscope::ui
