// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Backward through a Network: the exact gradient of one output of a layer (or of a sum of
// outputs over a region) with respect to the input image, and the same walk with uniform
// weights and no nonlinearity, which counts the paths that connect each input value to the
// output. These are what an effective receptive field is made of (Luo et al., "Understanding
// the Effective Receptive Field in Deep Convolutional Neural Networks", NeurIPS 2016): the
// theoretical box says which pixels can reach an output, the gradient says how much each one
// does.
//
// Every layer kind is walked backwards the way autograd does it, in double precision:
// Conv2d scatters its output gradient through the kernel taps (padding modes fold back onto
// the pixels they copy), ConvTranspose2d gathers it, MaxPool2d routes it to the window's
// winner (PyTorch's rule: the first maximum in row-major order, a NaN wins), AvgPool2d and
// AdaptiveAvgPool2d spread it over their windows, padding layers fold it back, BatchNorm2d
// scales it, and activations multiply by their derivative at the forward values.
#include "network.h"
#include "tensor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace convscope::core {

// The output the gradient is of: the sum of out[batch, c, y, x] of layer `layer` (counted
// from 1) over rows [y0, y1), columns [x0, x1) and channel `channel` (-1: every channel).
struct GradientTarget {
    std::size_t layer = 1;
    int channel = 0;
    std::int64_t y0 = 0, x0 = 0, y1 = 1, x1 = 1;
    std::int64_t batch = 0;

    // One output value out[c, y, x] of layer `layer`.
    static GradientTarget at(std::size_t layer, int c, std::int64_t y, std::int64_t x);
    bool operator==(const GradientTarget &) const = default;
};

// Why a target cannot be taken on this network and input: names the value, the layer's
// output shape and what was expected, e.g. "channel 5 is outside layer 2's output
// [1, 4, 30, 30]: expected 0 to 3". validate(net, inputShape) first (its message otherwise).
std::optional<std::string> validateTarget(const Network &net, const Shape &inputShape,
                                          const GradientTarget &target);

// d(target)/d(input): a tensor of the input's shape. Runs forward() up to the target's layer
// (every weight needed), then backward. Throws std::invalid_argument with validate's or
// validateTarget's message. `progress` gets the fraction of forward and backward done; false
// cancels (`grad` then holds nothing meaningful).
ForwardStatus inputGradient(const Network &net, const Tensor &input, const GradientTarget &target,
                            Tensor &grad, const ProgressCallback &progress = {}, int threads = 0);

// Exact integer counts, row-major, with a shape.
struct Counts {
    Shape shape;
    std::vector<std::int64_t> data;
    std::int64_t at(std::size_t i) const { return data[i]; }
    bool operator==(const Counts &) const = default;
};

// For every input value, the number of paths through the network that connect it to the
// target: the gradient with every weight 1, every pool's window weighted 1 (a max-pool's
// whole window, not just its winner), BatchNorm2d and activations as the identity. Needs the
// geometry only (no weights, no input values). Shape = inputShape. Throws
// std::invalid_argument on an invalid network or target, std::overflow_error naming the
// layer when a count passes 2^63.
Counts pathCounts(const Network &net, const Shape &inputShape, const GradientTarget &target);

// A box of input rows [y0, y1) and columns [x0, x1); it may reach outside the input.
struct Box {
    std::int64_t y0 = 0, x0 = 0, y1 = 0, x1 = 0;
    std::int64_t height() const { return y1 - y0; }
    std::int64_t width() const { return x1 - x0; }
    bool operator==(const Box &) const = default;
};

// The theoretical receptive field of the target's rows and columns through every layer
// kind, unclipped: the input rows and columns a window can touch if the image were
// unbounded, with each layer's padding as an offset (a reflecting pad reads inside the
// input, but its box still starts before it, as it would for zeros). validateTarget first.
Box theoreticalBox(const Network &net, const Shape &inputShape, const GradientTarget &target);

// How the gradient mass spreads over a box: the smallest fraction of the box's pixels (those
// inside the input) that holds 50, 90 and 99 % of sum |g|, and the RMS distance in pixels of
// |g| from its centroid (the ERF's radius). `magnitude` is [H, W] (|g| summed over channels).
struct MassStats {
    double fraction50 = 0.0, fraction90 = 0.0, fraction99 = 0.0;
    // The same as pixel counts, of the boxPixels inside the input.
    std::int64_t pixels50 = 0, pixels90 = 0, pixels99 = 0, boxPixels = 0;
    double radius = 0.0;
    double centroidY = 0.0, centroidX = 0.0;
    double total = 0.0;
};
MassStats massStats(const std::vector<double> &magnitude, std::int64_t h, std::int64_t w,
                    const Box &box);

// |g| summed over the channels of a [C, H, W] or [1, C, H, W] gradient: [H, W].
std::vector<double> channelMagnitude(const Tensor &grad);

// Luo et al.'s measurement: |d out[c, y, x] / d input| averaged over a grid of up to
// `samples` x `samples` output positions of the layer whose theoretical box lies inside the
// input (all positions when none does), each aligned on its box's top-left corner. The result
// is [C_in, boxH, boxW] with the box of the first sampled position; `positions` says how many
// were averaged.
struct AveragedGradient {
    Tensor map;
    int positions = 0;
};
ForwardStatus averagedGradient(const Network &net, const Tensor &input, std::size_t layer,
                               int channel, int samples, AveragedGradient &result,
                               const ProgressCallback &progress = {}, int threads = 0);

// How evenly a layer reads its input: for a Conv2d or a pool, the number of output positions
// whose window reads each input pixel (pixels a stride skips read 0; a reflecting padding
// reads the pixels it mirrors again); for a ConvTranspose2d, the number of input pixels and
// kernel taps that write each output pixel (its 1/2/4 checkerboard); for a padding layer, the
// number of output pixels copying each input pixel; 1 everywhere for element-wise layers.
// Spatial only: [H, W]. `layer` counted from 1; `inputShape` is the network's input.
struct Coverage {
    Counts counts;           // [H, W]: rows[y] * cols[x]
    bool overOutput = false; // true for ConvTranspose2d: counts are over its output
    // The counts along each axis (a window is a row pattern times a column pattern).
    std::vector<std::int64_t> rows, cols;
};
Coverage layerCoverage(const Network &net, const Shape &inputShape, std::size_t layer);

} // namespace convscope::core
