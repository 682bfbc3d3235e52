// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The step-through animation's model: the order in which the kernel visits the output
// positions and, for the position at hand, everything a view draws (the window's taps on
// the padded input, the per-channel products and sums, the bias and the total). Qt-free so
// the order and the arithmetic are tested without a widget.
#include "conv2dparams.h"
#include "explain.h"
#include "receptivefield.h"
#include "tensor.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace convscope::core {

// One output position out[n, o, y, x].
struct OutputPosition {
    std::int64_t n = 0;
    std::int64_t o = 0;
    std::int64_t y = 0;
    std::int64_t x = 0;
    bool operator==(const OutputPosition &) const = default;
};

// What the view shows at one step.
struct StepFrame {
    std::int64_t index = 0; // position in the visiting order, 0-based
    OutputPosition position;
    std::vector<Tap> taps;              // the window: kH * kW taps in weight order (layerTaps)
    Explanation explanation;            // products, per-channel subtotals, bias, total
    std::int64_t firstInputChannel = 0; // the input channels that feed channel o:
    std::int64_t inputChannelCount = 0; // [first, first + count) (its group)
    // The number the view writes into the output cell: the explanation's total, which is
    // bit-identical to the reference convolution (the tests check it against the engine).
    float sum() const { return explanation.value; }
};

// Visits every output position of one Conv2d in the order a teacher narrates it: batch
// item n, then output channel o, then rows y, then columns x (row-major within a map):
// index = ((n * C_out + o) * H_out + y) * W_out + x.
class Stepper {
public:
    // input [N, C_in, H, W], weight [C_out, C_in/groups, kH, kW], bias [C_out] or nullopt.
    // Validates first (core::validate); throws std::invalid_argument with the validation
    // message when the configuration is unusable, so a stepper always has positions unless
    // the output is empty (N = 0), in which case count() is 0 and frame() throws.
    Stepper(Tensor input, Tensor weight, std::optional<Tensor> bias, const Conv2dParams &p);

    const Conv2dParams &params() const { return m_params; }
    const Tensor &input() const { return m_input; }
    const Tensor &weight() const { return m_weight; }
    const std::optional<Tensor> &bias() const { return m_bias; }
    // The whole output as the engine (core::conv2d) computes it; views show the cells
    // already visited from here.
    const Tensor &output() const { return m_output; }
    std::int64_t outHeight() const { return m_output.dim(2); }
    std::int64_t outWidth() const { return m_output.dim(3); }

    std::int64_t count() const { return m_count; }
    std::int64_t index() const { return m_index; }
    OutputPosition position() const { return positionAt(m_index); }
    OutputPosition positionAt(std::int64_t index) const;   // throws std::out_of_range
    std::int64_t indexOf(const OutputPosition &pos) const; // throws std::out_of_range

    // Moves one step. At the end (start) forward (back) stays put and returns false, unless
    // `loop`, which wraps around (and returns true).
    bool forward(bool loop = false);
    bool back(bool loop = false);
    // Jumps to an index, clamped to [0, count - 1].
    void seek(std::int64_t index);
    void first() { seek(0); }
    void last() { seek(m_count - 1); }
    bool atEnd() const { return m_index + 1 >= m_count; }

    // The frame of the current step, or of any index (throws std::out_of_range).
    StepFrame frame() const { return frameAt(m_index); }
    StepFrame frameAt(std::int64_t index) const;

private:
    Tensor m_input;
    Tensor m_weight;
    std::optional<Tensor> m_bias;
    Conv2dParams m_params;
    Tensor m_output;
    std::int64_t m_count = 0;
    std::int64_t m_index = 0;
};

} // namespace convscope::core
