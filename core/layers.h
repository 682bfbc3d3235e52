// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The layer kinds of a core::Network besides Conv2d and ReLU: pools, BatchNorm2d in eval
// mode, element-wise activations and padding layers, each with PyTorch 1.13's float32
// semantics. Per kind: the module checks that need no input (validateModule), the checks
// against an input shape (validate), the shape rule (outputShape), the module's repr as
// PyTorch prints it (torchRepr) and a plain forward loop. network.cpp dispatches on the
// variant; nothing here knows about a network.
//
// Sizes given as (h, w) print as one int when h == w and as a tuple otherwise: the repr of
// the module built from an int for a square size, a tuple for the others (PyTorch keeps the
// argument as given, so MaxPool2d((2, 2)) would print a tuple).
#include "conv2d.h"
#include "conv2dparams.h"
#include "shape.h"
#include "tensor.h"
#include "validate.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace convscope::core {

// torch.nn.MaxPool2d. Padded positions never win (PyTorch pads with -inf); a NaN in a
// window wins, as in PyTorch.
struct MaxPool2dLayer {
    Hw kernel{2, 2};
    std::optional<Hw> stride; // nullopt: the kernel size (PyTorch's stride=None)
    Hw padding{0, 0};
    Hw dilation{1, 1};
    bool ceilMode = false;
    Hw strideOrKernel() const { return stride ? *stride : kernel; }
};

// torch.nn.AvgPool2d.
struct AvgPool2dLayer {
    Hw kernel{2, 2};
    std::optional<Hw> stride; // nullopt: the kernel size
    Hw padding{0, 0};
    bool ceilMode = false;
    bool countIncludePad = true;
    std::optional<int> divisorOverride;
    Hw strideOrKernel() const { return stride ? *stride : kernel; }
};

// torch.nn.AdaptiveAvgPool2d with both sizes given (0 is allowed, as in PyTorch).
struct AdaptiveAvgPool2dLayer {
    Hw outputSize{1, 1};
};

// torch.nn.BatchNorm2d in eval mode (running statistics, track_running_stats=True). The
// tensors are immutable and shared like Conv2dLayer's; null ones are checked for nothing
// but refused by forward(). `weight` and `bias` are used only when `affine`. `momentum`
// only matters in training; it is kept for the repr.
struct BatchNorm2dLayer {
    int numFeatures = 1;
    double eps = 1e-5;
    double momentum = 0.1;
    bool affine = true;
    std::shared_ptr<const Tensor> runningMean;
    std::shared_ptr<const Tensor> runningVar;
    std::shared_ptr<const Tensor> weight;
    std::shared_ptr<const Tensor> bias;
};

// A BatchNorm2d owning copies of its tensors, num_features from running_mean's size;
// `weight` and `bias` are ignored without `affine`.
BatchNorm2dLayer makeBatchNorm2d(Tensor runningMean, Tensor runningVar, bool affine,
                                 Tensor weight = {}, Tensor bias = {}, double eps = 1e-5);

// Element-wise activations. The slope is a Python float; the kernel applies it as float32.
struct LeakyReluLayer {
    double negativeSlope = 0.01;
};
struct Relu6Layer {};
struct GeluLayer {}; // approximate='none': x * Phi(x) with the exact erf
struct SiluLayer {};
struct SigmoidLayer {};
struct TanhLayer {};

// Padding layers, per side. Negative amounts (which PyTorch uses to crop) are refused.
struct ZeroPad2dLayer {
    SidePadding padding;
};
struct ConstantPad2dLayer {
    SidePadding padding;
    double value = 0.0; // applied as float32
};
struct ReflectionPad2dLayer {
    SidePadding padding;
};
struct ReplicationPad2dLayer {
    SidePadding padding;
};

// The value with Python's repr of a float: "0.01", "1e-05", "2.0", "100000.0".
std::string pythonFloat(double v);

// --- checks that need no input --------------------------------------------------------
std::optional<ValidationError> validateModule(const MaxPool2dLayer &l);
std::optional<ValidationError> validateModule(const AvgPool2dLayer &l);
std::optional<ValidationError> validateModule(const AdaptiveAvgPool2dLayer &l);
// num_features positive; running_mean/var (and weight/bias with affine) of shape
// [num_features] when present.
std::optional<ValidationError> validateModule(const BatchNorm2dLayer &l);
std::optional<ValidationError> validateModule(const SidePadding &padding);

// --- checks against an input (validateModule first) -------------------------------------
std::optional<ValidationError> validate(const MaxPool2dLayer &l, const Shape &in);
std::optional<ValidationError> validate(const AvgPool2dLayer &l, const Shape &in);
std::optional<ValidationError> validate(const AdaptiveAvgPool2dLayer &l, const Shape &in);
std::optional<ValidationError> validate(const BatchNorm2dLayer &l, const Shape &in);
// A padding layer: `reflect` adds PyTorch's limit pad < size, `nonEmpty` the refusal of
// inputs with zero channels, rows or columns (reflection and replication).
std::optional<ValidationError> validatePad(const SidePadding &padding, const Shape &in,
                                           bool reflect, bool nonEmpty);

// PyTorch's pooling_output_shape: floor((in + 2 pad - d (k - 1) - 1) / s) + 1, with ceil
// instead of floor in ceil mode, where the last window must also start inside the input or
// the left padding (otherwise it is dropped). May be <= 0: callers validate first.
std::int64_t poolOutputSize(std::int64_t in, int kernel, int stride, int pad, int dilation,
                            bool ceilMode);

// Output shapes for a validated 3-D or 4-D input.
Shape outputShape(const MaxPool2dLayer &l, const Shape &in);
Shape outputShape(const AvgPool2dLayer &l, const Shape &in);
Shape outputShape(const AdaptiveAvgPool2dLayer &l, const Shape &in);
Shape paddedShape(const SidePadding &padding, const Shape &in);

std::string torchRepr(const MaxPool2dLayer &l);
std::string torchRepr(const AvgPool2dLayer &l);
std::string torchRepr(const AdaptiveAvgPool2dLayer &l);
std::string torchRepr(const BatchNorm2dLayer &l);
std::string torchRepr(const LeakyReluLayer &l);
// "(left, right, top, bottom)".
std::string padTuple(const SidePadding &padding);

// --- forward loops, on validated shapes. `progress` (may be empty) gets the fraction of
// this layer done after each [H, W] plane; false cancels. ----------------------------------
// The fast path: row-wise and vectorised, on up to `threads` threads (0: every CPU the
// process may use; progress is reported on the caller's thread). The same values as
// maxPool2dReference, the plain window loop kept to test it against.
ForwardStatus maxPool2d(const Tensor &in, const MaxPool2dLayer &l, Tensor &out,
                        const ProgressCallback &progress, int threads = 1);
ForwardStatus maxPool2dReference(const Tensor &in, const MaxPool2dLayer &l, Tensor &out,
                                 const ProgressCallback &progress);
ForwardStatus avgPool2d(const Tensor &in, const AvgPool2dLayer &l, Tensor &out,
                        const ProgressCallback &progress);
ForwardStatus adaptiveAvgPool2d(const Tensor &in, const AdaptiveAvgPool2dLayer &l, Tensor &out,
                                const ProgressCallback &progress);
// Needs every tensor the layer uses.
ForwardStatus batchNorm2d(const Tensor &in, const BatchNorm2dLayer &l, Tensor &out,
                          const ProgressCallback &progress);

enum class PadMode { Constant, Reflect, Replicate };
ForwardStatus pad2d(const Tensor &in, const SidePadding &padding, PadMode mode, float value,
                    Tensor &out, const ProgressCallback &progress);

enum class Activation { Relu, LeakyRelu, Relu6, Gelu, Silu, Sigmoid, Tanh };
// `slope` is LeakyReLU's negative_slope (ignored by the others).
ForwardStatus activate(const Tensor &in, Activation kind, float slope, Tensor &out,
                       const ProgressCallback &progress);

// The element-wise kernels behind batchNorm2d and activate, on `count` values from `src` to
// `dst` (which may be `src`: in place). A network runs them on a conv's output while it is in
// cache (core::forward fuses a Conv2d with the BatchNorm2d and activations after it); the
// values are the layer-by-layer ones because the code is the same.
void activateValues(const float *src, float *dst, std::size_t count, Activation kind, float slope);
// BatchNorm2d in eval mode as PyTorch computes it, folded per channel: y = x * alpha + beta.
struct ChannelAffine {
    std::vector<float> alpha, beta;
};
// Needs the tensors the layer uses (as batchNorm2d).
ChannelAffine foldBatchNorm(const BatchNorm2dLayer &l);
void affineValues(const float *src, float *dst, std::size_t count, float alpha, float beta);

} // namespace convscope::core
