// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Conv2dParams as a JSON object with nn.Conv2d's own argument names, written and read in one
// place for every file that holds them: session files and the export sidecar (strict, what
// the app writes), lessons (hand-written by a teacher, so lenient with the lesson ranges) and
// the settings (lenient, clamped to the editor ranges). Which values are acceptable is the
// caller's choice of ParamsLimits; whether PyTorch accepts the combination is still
// core::validate's question.
#include "conv2dparams.h"
#include "paramlimits.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <climits>
#include <optional>

namespace convscope::ui {

// How a (h, w) pair is written.
enum class PairStyle {
    List,        // always [h, w]: session files and the sidecar
    SquareAsInt, // a single int when h == w, as people write kernel_size=3: lessons
};

QJsonObject paramsToJson(const core::Conv2dParams &p, PairStyle pairs = PairStyle::List);
// One pair in that style (lessons write their grid size the same way).
QJsonValue pairToJson(core::Hw v, PairStyle style);

// The keys the writer produces and the reader knows, in nn.Conv2d's argument order.
const QStringList &paramsJsonKeys();

// The accepted range of each integer argument (pairs apply theirs to both sides).
struct ParamsLimits {
    limits::Range inChannels;
    limits::Range outChannels;
    limits::Range kernel;
    limits::Range stride;
    limits::Range padding;
    limits::Range dilation;
    limits::Range groups;
};

inline constexpr limits::Range kAnyIntRange{INT_MIN, INT_MAX};
// Session files: any int, so a file loads whatever the engine accepts and the engine's own
// message explains what it does not.
inline constexpr ParamsLimits kAnyParamLimits{kAnyIntRange, kAnyIntRange, kAnyIntRange,
                                              kAnyIntRange, kAnyIntRange, kAnyIntRange,
                                              kAnyIntRange};
// Lessons: a class follows the arithmetic on a step-through grid of at most kLessonGrid.
inline constexpr ParamsLimits kLessonParamLimits{.inChannels = limits::kLessonChannels,
                                                 .outChannels = limits::kLessonChannels,
                                                 .kernel = {1, limits::kLessonGrid},
                                                 .stride = limits::kLessonStride,
                                                 .padding = limits::kLessonPadding,
                                                 .dilation = limits::kLessonDilation,
                                                 .groups = limits::kLessonGroups};
// The editors: what the Parameters dock can show. in_channels follows the image (1 or 3),
// which is the settings reader's business, not a range.
inline constexpr ParamsLimits kEditorParamLimits{.inChannels = kAnyIntRange,
                                                 .outChannels = limits::kChannels,
                                                 .kernel = limits::kKernel,
                                                 .stride = limits::kStride,
                                                 .padding = limits::kPadding,
                                                 .dilation = limits::kDilation,
                                                 .groups = limits::kGroups};

enum class ParamsKeys {
    Strict,  // every key present, pairs as [h, w]: files the app wrote itself
    Lenient, // missing keys keep Conv2dParams' defaults (kernel_size has none, as in
             // nn.Conv2d), a pair may be one int for both sides
};

enum class OutOfRange {
    Reject, // an error naming the field and the range
    Clamp,  // the nearest value in range: settings a previous version left behind
};

struct ParamsReadOptions {
    ParamsKeys keys = ParamsKeys::Strict;
    ParamsLimits limits = kAnyParamLimits;
    OutOfRange outOfRange = OutOfRange::Reject;
};

// The readers of the three formats that hold parameters.
inline constexpr ParamsReadOptions kSessionParams{
    .keys = ParamsKeys::Strict, .limits = kAnyParamLimits, .outOfRange = OutOfRange::Reject};
inline constexpr ParamsReadOptions kLessonParams{
    .keys = ParamsKeys::Lenient, .limits = kLessonParamLimits, .outOfRange = OutOfRange::Reject};
inline constexpr ParamsReadOptions kSettingsParams{
    .keys = ParamsKeys::Lenient, .limits = kEditorParamLimits, .outOfRange = OutOfRange::Clamp};

// What was wrong, in parts, so each file format can word it in its own vocabulary (a lesson
// says "field 'config.stride': expected ..., got ..." like the rest of its messages).
struct ParamsJsonError {
    QString field;    // "stride", or "padding[1]" for one side of a pair
    QString expected; // "an integer >= 1", "a list of 2 integers [h, w]", ...
    QJsonValue got;   // the offending value; undefined when the key is missing
    // "missing field 'groups'" / "field 'groups' must be an integer".
    QString message() const;
};

std::optional<core::Conv2dParams>
paramsFromJson(const QJsonObject &o, const ParamsReadOptions &options, ParamsJsonError *error);
// The strict reader (session files) with the message prefixed "parameters: ".
std::optional<core::Conv2dParams> paramsFromJson(const QJsonObject &o, QString *error);

} // namespace convscope::ui
