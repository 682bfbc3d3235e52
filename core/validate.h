// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The single validation function: everything torch.nn.Conv2d / F.conv2d rejects is rejected
// here, before any work, with a message that names the value, the expectation and what was
// received (modelled on ATen's check_shape_forward).
#include "conv2dparams.h"
#include "tensor.h"

#include <optional>
#include <string>

namespace convscope::core {

// Which user-facing value is at fault, so a GUI can mark the offending control.
enum class Field {
    InChannels,
    OutChannels,
    Kernel,
    Stride,
    Padding,
    PaddingMode,
    Dilation,
    Groups,
    Input,
    Weight,
    Bias,
    // Another option of a layer (ceil_mode, divisor_override, eps, output_size, ...).
    Option,
};

struct ValidationError {
    Field field;
    std::string message;
};

// Validates a configuration against concrete tensor shapes. `biasShape` is nullptr when
// there is no bias. `p.inChannels`, `p.outChannels` and `p.kernel` are ignored: the
// weight shape is the source of truth, as in F.conv2d. Input may be 3-D (unbatched) or
// 4-D; N = 0 is accepted.
std::optional<ValidationError> validate(const Conv2dParams &p, const Shape &inputShape,
                                        const Shape &weightShape, const Shape *biasShape);

// The checks nn.Conv2d's constructor makes, which need no input: positive channels, kernel,
// stride and dilation, non-negative padding, groups dividing both channel counts, 'same'
// only with stride 1.
std::optional<ValidationError> validateModule(const Conv2dParams &p);

// The tensor-size limit every layer's output is held to (2^31 elements): nullopt when the
// shape is within it, else an error of `field` naming `what` and the shape.
std::optional<ValidationError> checkTensorSize(Field field, const std::string &what,
                                               const Shape &shape);

// validateModule() and then
// against an input of the given shape, with the weight/bias shapes the module would own.
std::optional<ValidationError> validate(const Conv2dParams &p, const Shape &inputShape);

} // namespace convscope::core
