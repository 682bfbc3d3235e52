// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A lesson: a titled list of steps a teacher walks through in front of a class. Each step
// is a Conv2d configuration, the small input the step-through animates, the kernel, an
// optional set of locked controls, a Markdown caption and an optional quiz. Stored as JSON
// (format "convscope-lesson", version 1); the loader refuses anything it does not
// understand with a message naming the file, the step, the field, what it expected and what
// it got, so a teacher editing a lesson by hand can fix it.
#include "conv2dparams.h"
#include "kernels.h"
#include "quiz.h"
#include "tensor.h"
#include "validate.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>

namespace convscope::ui {

// What the step-through grid shows.
enum class GridSource {
    Pattern, // a synthetic input with small whole numbers, readable on a projector
    Image,   // a crop of the session's image (values in [0, 1])
};

// Synthetic inputs: chosen so the arithmetic is easy to follow by hand.
enum class GridPattern {
    Ramp,    // (y * W + x) mod 10: every pixel different, so every tap is traceable
    Edge,    // 0 left of the middle, 9 right of it: a vertical edge for the Sobel kernels
    Checker, // 0 / 9 checkerboard
    Digits,  // seeded random whole numbers 0..9
};

QString identifier(GridPattern pattern);
std::optional<GridPattern> parseGridPattern(const QString &text);

struct LessonInput {
    GridSource source = GridSource::Pattern;
    GridPattern pattern = GridPattern::Ramp;
    int height = 6; // grid size, 1..16
    int width = 6;
    int cropY = 0; // GridSource::Image: top-left of the crop in the image
    int cropX = 0;
    std::uint64_t seed = 1; // GridPattern::Digits
    bool operator==(const LessonInput &) const = default;
};

// The weights: a preset (core::presetWeights, zero bias) or PyTorch's default
// initialisation with a seed (core::kaimingUniformWeights / defaultBias).
struct LessonKernel {
    std::optional<core::KernelPreset> preset; // set: a preset; unset: seeded initialisation
    std::uint64_t seed = 0;
    bool operator==(const LessonKernel &) const = default;
};

// Controls a step may lock (the names used in the JSON "locked" list).
const QStringList &lockableControls();
// The field a lockable control name stands for: the Conv2d arguments by their PyTorch names,
// "kernel" for the weights (Field::Weight) and "input" for the stepped input (Field::Input).
// nullopt for a name that is not in lockableControls().
std::optional<core::Field> lockableField(const QString &control);

struct LessonStep {
    QString title;             // optional short heading
    core::Conv2dParams params; // in_channels 1 = grayscale, 3 = RGB for an image crop
    LessonInput input;
    LessonKernel kernel;
    QStringList locked; // subset of lockableControls()
    QString caption;    // Markdown
    std::optional<core::QuizKind> quiz;
    bool operator==(const LessonStep &) const = default;
};

struct Lesson {
    QString title;
    QList<LessonStep> steps;
    bool operator==(const Lesson &) const = default;
};

// The input tensor [1, C_in, H, W] a step's pattern describes (GridSource::Pattern only;
// an image crop is made by the teaching panel from the session's image).
core::Tensor patternTensor(const LessonInput &input, int channels);
// The weights and bias [C_out] a step's kernel describes, for params.
std::pair<core::Tensor, core::Tensor> lessonWeights(const core::Conv2dParams &params,
                                                    const LessonKernel &kernel);

// Parses a lesson. `fileName` only appears in messages. On failure returns nullopt and a
// message in *error like "stride.json: step 2: field 'stride': expected a positive integer
// or [h, w] of positive integers, got \"two\"".
std::optional<Lesson> parseLesson(const QByteArray &json, const QString &fileName, QString *error);
std::optional<Lesson> loadLesson(const QString &path, QString *error);

// The JSON of a lesson (what parseLesson reads back to an equal Lesson).
QByteArray lessonToJson(const Lesson &lesson);
// Writes a lesson through QSaveFile (all or nothing).
bool saveLesson(const Lesson &lesson, const QString &path, QString *error);
// Teacher authoring: appends a step to the lesson at `path`, creating the file (titled
// `titleIfNew`) when it does not exist. A file that exists but is not a valid lesson is
// left alone and reported.
bool appendLessonStep(const QString &path, const LessonStep &step, const QString &titleIfNew,
                      QString *error);

// The lessons shipped in the resources (":/lessons/...json"), sorted by file name.
QStringList shippedLessonPaths();

} // namespace convscope::ui
