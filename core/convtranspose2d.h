// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// torch.nn.ConvTranspose2d with PyTorch 1.13's float32 semantics: the module checks, the
// checks against an input (with ATen's messages: check_shape_forward, then
// slow_conv_transpose2d_shape_check), the size rule, the repr, a plain reference loop and
// the threaded forward pass the network runs.
//
// Each input pixel scatters its dilated kernel footprint into the output at stride-spaced
// positions; `padding` then crops that many rows and columns from each side of the full
// result, and `output_padding` adds rows and columns at the bottom and right only. PyTorch
// wants it smaller than the stride or the dilation: only then does it pick between output
// sizes that a strided Conv2d maps to one input size, rather than invent a border.
#include "conv2d.h"
#include "conv2dparams.h"
#include "tensor.h"
#include "validate.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace convscope::core {

// Every constructor argument of nn.ConvTranspose2d but padding_mode (only 'zeros' exists).
struct ConvTranspose2dParams {
    int inChannels = 1;
    int outChannels = 1;
    Hw kernel{3, 3};
    Hw stride{1, 1};
    Hw padding{0, 0};
    Hw outputPadding{0, 0};
    Hw dilation{1, 1};
    int groups = 1;
    bool bias = true;
    bool operator==(const ConvTranspose2dParams &) const = default;
};

// The module with its tensors, immutable and shared like Conv2dLayer's. `weight` null: the
// shapes the module would own, for geometry-only checks; forward() refuses it. `bias` is
// used only when params.bias is set.
struct ConvTranspose2dLayer {
    ConvTranspose2dParams params;
    std::shared_ptr<const Tensor> weight;
    std::shared_ptr<const Tensor> bias;
};

// A layer owning copies of the tensors; `bias` is ignored when p.bias is false.
ConvTranspose2dLayer makeConvTranspose2d(const ConvTranspose2dParams &p, Tensor weight,
                                         Tensor bias = {});

// The weight PyTorch's module owns: [C_in, C_out / groups, kH, kW] (the transpose of a
// Conv2d's, which maps C_out back to C_in).
Shape weightShape(const ConvTranspose2dParams &p);

// (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1. May be <= 0:
// callers validate first.
std::int64_t convTransposeOutputSize(std::int64_t in, int kernel, int stride, int padding,
                                     int outputPadding, int dilation);

// [N, C_out, H_out, W_out] (or [C_out, H_out, W_out]) for a validated input.
Shape outputShape(const ConvTranspose2dParams &p, const Shape &inputShape);

// Multiply-adds of one forward pass: every input value times its kernel footprint.
std::int64_t macCount(const ConvTranspose2dParams &p, const Shape &inputShape);

// The checks that need no input: positive channels, kernel, stride, dilation and groups,
// non-negative padding and output_padding, output_padding smaller than the stride or the
// dilation, groups dividing both channel counts, and the weight [C_in, C_out/groups, kH, kW]
// and bias [C_out] shapes when the tensors are present.
std::optional<ValidationError> validateModule(const ConvTranspose2dLayer &l);

// validateModule(), then against an input: 3-D or 4-D, C_in channels, no empty plane unless
// the batch is empty, a positive output size and the tensor-size limit.
std::optional<ValidationError> validate(const ConvTranspose2dLayer &l, const Shape &inputShape);

// "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1),
// output_padding=(1, 1))": _ConvNd.extra_repr, defaults omitted but for the stride.
std::string torchRepr(const ConvTranspose2dParams &p);

// The obvious loop, double accumulation: for every output pixel, the input pixels and kernel
// taps that land on it. The oracle the threaded path is tested against. Caller validated.
Tensor referenceConvTranspose2d(const Tensor &input, const Tensor &weight, const Tensor *bias,
                                const ConvTranspose2dParams &p);

// The network's path: one task per (batch, output channel) plane, spread over the thread
// pool; each task scatters every input row of its group into its own output rows, so no
// two threads write one value. float32 accumulation, as PyTorch's CPU kernel. `progress`
// (called on the caller's thread only) gets the fraction done; false cancels. Caller
// validated; needs the weight (and bias when params.bias).
ForwardStatus convTranspose2d(const Tensor &input, const ConvTranspose2dLayer &l, Tensor &out,
                              int threads, const ProgressCallback &progress);

} // namespace convscope::core
