// SPDX-License-Identifier: GPL-3.0-or-later
#include "stepper.h"

#include "conv2d.h"
#include "validate.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace convscope::core {

Stepper::Stepper(Tensor input, Tensor weight, std::optional<Tensor> bias, const Conv2dParams &p)
    : m_input(std::move(input)), m_weight(std::move(weight)), m_bias(std::move(bias)), m_params(p)
{
    if (m_input.rank() != 4)
        throw std::invalid_argument("the step-through needs a batched input [N, C, H, W], got "
                                    + formatShape(m_input.shape));
    if (m_weight.rank() == 4) // the weight is the source of truth for the kernel, as in F.conv2d
        m_params.kernel = {static_cast<int>(m_weight.dim(2)), static_cast<int>(m_weight.dim(3))};
    m_params.bias = m_bias.has_value();
    const Shape *biasShape = m_bias ? &m_bias->shape : nullptr;
    if (auto error = validate(m_params, m_input.shape, m_weight.shape, biasShape))
        throw std::invalid_argument(error->message);
    m_params.inChannels = static_cast<int>(m_input.dim(1));
    m_params.outChannels = static_cast<int>(m_weight.dim(0));
    conv2d(m_input, m_weight, m_bias ? &*m_bias : nullptr, m_params, m_output);
    m_count = numel(m_output.shape);
}

OutputPosition Stepper::positionAt(std::int64_t index) const
{
    if (index < 0 || index >= m_count)
        throw std::out_of_range("step " + std::to_string(index) + " is outside 0.."
                                + std::to_string(m_count - 1));
    const std::int64_t W = outWidth(), H = outHeight(), O = m_output.dim(1);
    OutputPosition pos;
    pos.x = index % W;
    pos.y = index / W % H;
    pos.o = index / (W * H) % O;
    pos.n = index / (W * H * O);
    return pos;
}

std::int64_t Stepper::indexOf(const OutputPosition &pos) const
{
    const std::int64_t N = m_output.dim(0), O = m_output.dim(1), H = outHeight(), W = outWidth();
    if (pos.n < 0 || pos.n >= N || pos.o < 0 || pos.o >= O || pos.y < 0 || pos.y >= H || pos.x < 0
        || pos.x >= W)
        throw std::out_of_range("out[" + std::to_string(pos.n) + ", " + std::to_string(pos.o) + ", "
                                + std::to_string(pos.y) + ", " + std::to_string(pos.x)
                                + "] is not in the output " + formatShape(m_output.shape));
    return ((pos.n * O + pos.o) * H + pos.y) * W + pos.x;
}

bool Stepper::forward(bool loop)
{
    if (m_count == 0)
        return false;
    if (m_index + 1 < m_count) {
        ++m_index;
        return true;
    }
    if (!loop)
        return false;
    m_index = 0;
    return true;
}

bool Stepper::back(bool loop)
{
    if (m_count == 0)
        return false;
    if (m_index > 0) {
        --m_index;
        return true;
    }
    if (!loop)
        return false;
    m_index = m_count - 1;
    return true;
}

void Stepper::seek(std::int64_t index)
{
    m_index = m_count == 0 ? 0 : std::clamp<std::int64_t>(index, 0, m_count - 1);
}

StepFrame Stepper::frameAt(std::int64_t index) const
{
    StepFrame f;
    f.index = index;
    f.position = positionAt(index);
    const PlaneSize in{m_input.dim(2), m_input.dim(3)};
    f.taps = layerTaps(m_params, in, f.position.y, f.position.x);
    f.explanation = explainOutput(m_input, m_weight, m_bias ? &*m_bias : nullptr, m_params,
                                  f.position.n, f.position.o, f.position.y, f.position.x);
    // The group's channels, from the same arithmetic explainOutput used (o's group times
    // the channels per group), so the view and the sum can never disagree.
    f.inputChannelCount = m_weight.dim(1);
    f.firstInputChannel = f.explanation.group * f.inputChannelCount;
    return f;
}

} // namespace convscope::core
