// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Input normalisation, the step before a network's first layer that pretrained networks
// expect: per channel x' = (x - mean[c]) / std[c], as torchvision's transforms.Normalize
// computes it on a float32 tensor (mean and std converted to float32, a subtraction then a
// division). A value apart from core::Network, so a network's layers, shapes and geometry
// stay what PyTorch prints; whatever runs a network on an input (the CLI's --normalize, the
// app) holds one beside it and applies it first.
#include "tensor.h"
#include "validate.h"

#include <optional>
#include <string>
#include <vector>

namespace convscope::core {

struct InputNormalization {
    std::vector<double> mean; // Python floats, one per input channel
    std::vector<double> stdDev;
    bool operator==(const InputNormalization &) const = default;
};

// ImageNet's statistics, the ones torchvision's pretrained models were trained with:
// mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
InputNormalization imagenetNormalization();

// The one validation. Without an input (channels < 0): mean and std non-empty with as many
// values each, every value finite, every std > 0 (also after the conversion to float32,
// which would divide by zero). With `channels` >= 0: also one value per input channel.
// Messages name the value, the expectation and what was received, e.g. "expected std > 0
// for every channel, but got std[1]=0.0".
std::optional<ValidationError> validate(const InputNormalization &n, int channels = -1);

// The channels of a 3-D (unbatched) or 4-D input: shape[rank - 3].
std::optional<ValidationError> validate(const InputNormalization &n, const Shape &inputShape);

// Normalises a validated input into `out` (resized; may be `in`: in place). float32:
// (x - float(mean[c])) / float(std[c]).
void normalizeInput(const InputNormalization &n, const Tensor &in, Tensor &out);

// The input gradient through the normalisation: d/dx = d/dx' / std[c], in place on a tensor
// of the input's shape (what a gradient with respect to the normalised input becomes with
// respect to the raw one).
void normalizeGradient(const InputNormalization &n, Tensor &grad);

// As torchvision prints the transform: "Normalize(mean=[0.485, 0.456, 0.406],
// std=[0.229, 0.224, 0.225])" (values as Python's repr of a float).
std::string torchRepr(const InputNormalization &n);

} // namespace convscope::core
