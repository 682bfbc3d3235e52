// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Predict, then reveal: questions generated from a configuration, answers checked against
// the core's own arithmetic (shape.h, receptivefield.h, padding.h), and an explanation that
// writes the formula out with the numbers substituted. Qt-free; the teaching panel asks,
// reads the answer (a number typed, or pixels clicked) and shows the verdict.
#include "conv2dparams.h"
#include "receptivefield.h"
#include "tensor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace convscope::core {

enum class QuizKind {
    OutputHeight,    // "What is H_out?"                      -> a number
    OutputWidth,     // "What is W_out?"                      -> a number
    ParameterCount,  // "How many parameters?"                -> a number
    ReadPixels,      // "Which input pixels does out[0, c, y, x] read?" -> a set of pixels
    PaddedValue,     // "Which pixel does padded position (py, px) copy under reflect?"
                     //                                       -> one pixel
    CoverageCount,   // "How many times do the windows read input pixel (py, px)?" -> a number
    UnreadPixels,    // "Click every input pixel no output reads" -> a set of pixels
    EffectivePixels, // "How few pixels of out[0, c, y, x]'s field carry half of |d out / d in|?"
                     //                                      -> a number (needs the weights)
};

// Every kind, in enum order (the order of the UI's menu).
const std::vector<QuizKind> &allQuizKinds();
// Stable lowercase identifier for lesson files ("output-height", "read-pixels", ...).
std::string identifier(QuizKind kind);
std::optional<QuizKind> parseQuizKind(const std::string &text);
// Whether the answer is entered as a number (else by clicking pixels).
bool expectsNumber(QuizKind kind);

// An input pixel (row, column), 0-based.
struct Pixel {
    std::int64_t y = 0;
    std::int64_t x = 0;
    bool operator==(const Pixel &) const = default;
    auto operator<=>(const Pixel &) const = default;
};

// What a question is about: one layer and the input it is applied to.
struct QuizSetup {
    Conv2dParams params;
    PlaneSize input; // H, W of the input
    std::int64_t batch = 1;
    // The layer's weights: what EffectivePixels is about (the other kinds need geometry only).
    std::optional<Tensor> weight;
};

struct Question {
    QuizKind kind = QuizKind::OutputHeight;
    QuizSetup setup;
    std::string prompt; // plain text, one or two sentences
    // ReadPixels, EffectivePixels: the output position asked about (n = 0).
    std::int64_t channel = 0;
    std::int64_t y = 0;
    std::int64_t x = 0;
    // CoverageCount: the input pixel asked about is (py, px).
    // PaddedValue: the padding the question uses (the setup's when it pads, else a stated
    // hypothetical one) and the padded position, relative to the unpadded origin (negative
    // or >= size in the padding).
    PaddingMode mode = PaddingMode::Reflect;
    SidePadding padding;
    std::int64_t py = 0;
    std::int64_t px = 0;
};

// The correct answer: a number, or a set of pixels (sorted, distinct).
struct Answer {
    std::optional<std::int64_t> number;
    std::vector<Pixel> pixels;
    bool operator==(const Answer &) const = default;
};

struct Verdict {
    bool correct = false;
    Answer expected;
    std::string explanation; // the formula with the numbers substituted, and why
};

// Builds a question of the given kind. The seed chooses the output position / padded
// position (the same seed gives the same question on every platform). The setup must be
// valid (core::validate passes for an input [batch, C_in, H, W]); throws
// std::invalid_argument otherwise, naming the problem.
Question makeQuestion(QuizKind kind, const QuizSetup &setup, std::uint64_t seed);

// The right answer, computed with the core's arithmetic.
Answer correctAnswer(const Question &q);

// Checks a student's answer. Pixels are compared as sets (order and repeats ignored).
Verdict check(const Question &q, const Answer &given);

} // namespace convscope::core
