// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Output-shape and cost arithmetic of Conv2d, written once and used by the engine,
// the CLI, the shape panel and the receptive-field code.
#include "conv2dparams.h"
#include "tensor.h"

#include <cstdint>

namespace convscope::core {

// Padding actually applied on each side of the input.
struct SidePadding {
    int top = 0;
    int bottom = 0;
    int left = 0;
    int right = 0;
    bool operator==(const SidePadding &) const = default;
};

// [N, C, H, W] of a 3-D (unbatched: N = 1) or 4-D shape, for the loops over its planes.
struct Nchw {
    std::int64_t n, c, h, w;
};
inline Nchw nchw(const Shape &s)
{
    if (s.size() == 4)
        return {s[0], s[1], s[2], s[3]};
    return {1, s[0], s[1], s[2]};
}

// Division rounding toward minus infinity (ATen's div_rtn) and toward plus infinity, for
// window arithmetic whose numerator may be negative (b != 0).
inline std::int64_t floorDiv(std::int64_t a, std::int64_t b)
{
    const std::int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
inline std::int64_t ceilDiv(std::int64_t a, std::int64_t b)
{
    return -floorDiv(-a, b);
}

// Span of a dilated kernel: dilation * (k - 1) + 1 input pixels.
std::int64_t effectiveKernel(int kernel, int dilation);

// Resolves explicit / 'same' / 'valid' into per-side padding.
// 'same' pads dilation*(k-1) in total per dimension; when that total is odd the extra
// pixel goes to the bottom/right side (top/left = total/2, rounded down), as PyTorch does.
SidePadding effectivePadding(const Conv2dParams &p);

// floor((in + padBefore + padAfter - effectiveKernel) / stride) + 1.
// Returns a value <= 0 when the kernel does not fit; callers validate first.
std::int64_t outputSize(std::int64_t in, int padBefore, int padAfter, int kernel, int stride,
                        int dilation);

// Output shape [N, C_out, H_out, W_out] for an input [N, C_in, H, W].
Shape outputShape(const Conv2dParams &p, const Shape &inputShape);

// Shape of the weight tensor: [C_out, C_in / groups, kH, kW].
Shape weightShape(const Conv2dParams &p);

// Learnable parameters: weights plus bias.
std::int64_t parameterCount(const Conv2dParams &p);

// Multiply-accumulates of one forward pass over the given input shape.
std::int64_t macCount(const Conv2dParams &p, const Shape &inputShape);

// The number of input rows (or columns) at the bottom/right of the padded input that no
// kernel window reaches because of the floor in the output-size formula.
std::int64_t unreachedTail(std::int64_t in, int padBefore, int padAfter, int kernel, int stride,
                           int dilation);

} // namespace convscope::core
