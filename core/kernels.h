// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// How Conv2d weights are made: named kernel presets (the classic image-processing filters,
// generalised to any kernel size) and PyTorch's default initialisation, seeded so a class can
// reproduce it. Shared by the kernel panel, the CLI and the tests.
//
// Conv2d is a cross-correlation (the kernel is not flipped), so every kernel here is written
// the way it is applied: w[ky][kx] multiplies input[y + ky - anchor][x + kx - anchor].
#include "conv2dparams.h"
#include "tensor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace convscope::core {

enum class KernelPreset {
    Identity,  // 1 at the anchor: with padding='same' the output equals the input
    BoxBlur,   // every tap 1 / (kH * kW)
    Gaussian,  // sampled 2-D Gaussian, sigma from the size, normalised to sum 1
    Sharpen,   // identity minus the Laplacian: centre 5, 4-neighbours -1 (3x3)
    SobelX,    // responds positively where intensity increases to the right
    SobelY,    // responds positively where intensity increases downwards
    Laplacian, // 4-neighbour discrete Laplacian: centre -4, 4-neighbours 1 (3x3)
    Emboss,    // identity plus a top-left -> bottom-right ramp: [-2 -1 0; -1 1 1; 0 1 2] (3x3)
    Edge,      // centre minus its 8 neighbours: centre 8, neighbours -1 (3x3); sums to 0
};

// Every preset in enum order (the order of the UI's combo box).
const std::vector<KernelPreset> &allKernelPresets();

// Human-readable name for the UI and undo text ("Sobel x", "Box blur").
std::string displayName(KernelPreset preset);

// Stable lowercase identifier for the command line and settings ("sobel-x", "box").
std::string identifier(KernelPreset preset);

// Accepts the identifier or the display name, case-insensitively.
std::optional<KernelPreset> parseKernelPreset(const std::string &text);

// The anchor (tap that lines up with the output pixel under padding='same') of a kernel
// extent: (k - 1) / 2 rounded down, because 'same' puts the smaller half of an odd total
// padding before the input.
int kernelAnchor(int extent);

// One [kH, kW] kernel of the preset, row-major. Generalisation beyond 3x3 (chosen so that
// the 3x3 case is the textbook kernel and every size gives a sensible, documented result):
//  - Identity: 1 at (anchor(kH), anchor(kW)).
//  - BoxBlur: 1 / (kH * kW) everywhere.
//  - Gaussian: separable, exp(-d^2 / (2 sigma^2)) about the geometric centre (k - 1) / 2 of each
//    axis, sigma = 0.3 * ((k - 1) / 2 - 1) + 0.8 per axis (OpenCV's getGaussianKernel rule),
//    normalised to sum 1. Even sizes are symmetric about a half-pixel centre.
//  - SobelX / SobelY: OpenCV's extended Sobel, separable: smoothing across the derivative is
//    the binomial row of length k (1; 1 1; 1 2 1; 1 4 6 4 1 ...), the derivative is
//    [-1, 1] for k = 2 and binomial(k - 2) convolved with [-1, 0, 1] for k >= 3
//    (k = 5: -1 -2 0 2 1). An extent of 1 along the derivative cannot difference anything, so
//    the kernel is all zeros there. Sums to 0.
//  - Laplacian / Sharpen / Edge: the 3x3 stencil centred on the anchor inside a zero kernel.
//    Neighbours that fall outside a smaller kernel (extent 1 or 2) are dropped and the centre
//    is re-balanced (-count for the Laplacian, 1 + count for Sharpen, count for Edge), so the
//    Laplacian and Edge still sum to 0 and Sharpen to 1; e.g. Laplacian 1x3 = [1, -2, 1].
//  - Emboss: (y - cy) + (x - cx) about the geometric centre, plus 1 at the anchor. Sums to 1
//    for every size; the ramp grows with the size, as a larger emboss is stronger.
std::vector<float> presetKernel(KernelPreset preset, int kH, int kW);

// The weight tensor [C_out, C_in/groups, kH, kW] of a preset. Every output channel applies
// the same kernel to each input channel of its group, scaled by 1 / (C_in/groups): the
// response is that of the kernel on the group's channel mean (a grayscale-looking map for an
// RGB input), so a blur keeps the brightness and identity shows the image. With
// groups == C_in (depthwise) each output filters its own channel unscaled.
//
// Parameters nn.Conv2d would reject (groups not dividing, non-positive sizes) give the shape
// weightShape() reports with negative extents clamped to 0, never a crash; validate() is the
// place that reports them.
Tensor presetWeights(const Conv2dParams &p, KernelPreset preset);

// Bias [C_out] of zeros: presets come without a bias offset so the kernel alone is seen.
Tensor zeroBias(const Conv2dParams &p);

// fan_in of the weight as torch.nn.init computes it: C_in/groups * kH * kW.
std::int64_t fanIn(const Conv2dParams &p);

// The bound b of PyTorch's default nn.Conv2d initialisation: kaiming_uniform_(a=sqrt(5))
// gives gain sqrt(2 / (1 + 5)), std = gain / sqrt(fan_in), bound = sqrt(3) * std
// = 1 / sqrt(fan_in); reset_parameters() draws the bias from the same U(-b, b).
// 0 when fan_in is 0.
double kaimingBound(const Conv2dParams &p);

// Weights drawn from U(-b, b) like a fresh nn.Conv2d. Deterministic for a seed on every
// platform: std::mt19937_64 (fully specified by the standard) with our own 53-bit mapping
// to [0, 1), because std::uniform_real_distribution's output is implementation-defined.
// The distribution is PyTorch's, the numbers are not torch.manual_seed(seed)'s.
Tensor kaimingUniformWeights(const Conv2dParams &p, std::uint64_t seed);

// Bias [C_out] from U(-b, b) with the same bound, from a stream derived from the seed that
// is independent of the weights' stream (changing the channel count does not shift it).
Tensor defaultBias(const Conv2dParams &p, std::uint64_t seed);

// The start-up weights the window opens with: output channel c gets, for every input
// channel, kernel (c mod 4) of {box blur, horizontal edge, vertical edge, identity}, divided
// by the number of input channels per group; zero bias. Deterministic, so the first view is
// the same every time and teaches something before any weight is chosen.
std::pair<Tensor, Tensor> startupWeights(const Conv2dParams &p);

} // namespace convscope::core
