// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: the lesson reader on any bytes, then what teaching mode does with each
// step it accepts (the pattern input, the weights, a core::Stepper through the whole grid),
// so a lesson can neither crash the app nor ask it for more than a step-through grid. A
// lesson it accepts must also write back to one that reads as equal.
#include "lesson.h"
#include "stepper.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace convscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray json(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    QString error;
    const auto lesson = ui::parseLesson(json, QStringLiteral("fuzz.json"), &error);
    if (!lesson) {
        if (error.isEmpty())
            std::abort();                          // a refusal always says why
        if (std::getenv("CONVSCOPE_FUZZ_VERBOSE")) // why a seed is refused
            std::fprintf(stderr, "%s\n", qPrintable(error));
        return 0;
    }
    const auto again =
        ui::parseLesson(ui::lessonToJson(*lesson), QStringLiteral("back.json"), &error);
    if (!again || !(*again == *lesson))
        std::abort();
    for (const ui::LessonStep &step : lesson->steps) {
        if (step.input.source != ui::GridSource::Pattern)
            continue;
        core::Tensor input = ui::patternTensor(step.input, step.params.inChannels);
        auto [weight, bias] = ui::lessonWeights(step.params, step.kernel);
        core::Stepper stepper(std::move(input), std::move(weight),
                              step.params.bias ? std::optional<core::Tensor>(std::move(bias))
                                               : std::nullopt,
                              step.params);
        // A lesson's grid is small by construction: every position is cheap to visit.
        if (stepper.count() > std::int64_t{64} * 48 * 48)
            std::abort();
        for (std::int64_t i = 0; i < stepper.count(); i += 1 + stepper.count() / 64) {
            stepper.seek(i);
            (void)stepper.frame();
        }
    }
    return 0;
}
