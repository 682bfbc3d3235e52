// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The engine's register-blocked micro-kernel: an implicit GEMM over "phase planes".
//
// conv2d.cpp pads the input into a workspace and splits it into stride phases (for stride
// (sH, sW) every padded pixel (r, c) goes to plane (r % sH, c % sW) at (r / sH, c / sW)).
// Every tap (ci, ky, kx) of every output pixel then reads one plane at a fixed offset from
// the pixel's flat index q = y * Wq + x, whatever the stride, dilation or padding mode:
//
//     out[o][q] = bias[o] + sum_k wpack[k][o] * plane[q + offsets[k]]
//
// so one kernel serves small-C_in photos, deep layers, groups and depthwise alike. Each
// output lane is one chain of fused multiply-adds in tap order, so a value never depends on
// how the positions were blocked or split between threads.
#include <cstddef>
#include <cstdint>

namespace convscope::core {

// Output channels per register block (the weights are packed in blocks of this many).
constexpr int kMaxBlockChannels = 8;

struct KernelArgs {
    const float *input = nullptr;            // first phase plane of the packed band
    const std::ptrdiff_t *offsets = nullptr; // K tap offsets into input
    int taps = 0;                            // K
    const float *weights = nullptr;          // packed [K][channels]
    const float *bias = nullptr;             // [channels]
    int channels = 0;                        // 1..kMaxBlockChannels
};

// Where a block's results go: channel o, pixel (y, x) lands in
// out[o * channelStride + y * width + x]; flat positions have y = q / planeWidth,
// x = q % planeWidth, and columns x >= width are padding columns that are dropped.
struct KernelOutput {
    float *out = nullptr;
    std::ptrdiff_t channelStride = 0;
    std::int64_t planeWidth = 0; // Wq
    std::int64_t width = 0;      // W_out
};

// Computes the flat positions [qBegin, qEnd) for a.channels output channels. Reads input
// up to a block (at most 192 floats) past qEnd + the largest offset: the workspace must have
// that much slack after its last plane.
using ConvRangeFn = void (*)(const KernelArgs &a, const KernelOutput &o, std::int64_t qBegin,
                             std::int64_t qEnd);

// One instruction set's build of the kernel (convkernel_<isa>.cpp). Weights are packed in
// blocks of blockChannels() output channels for it.
namespace avx512 {
void convRange(const KernelArgs &a, const KernelOutput &o, std::int64_t qBegin, std::int64_t qEnd);
int blockChannels();
} // namespace avx512
namespace avx2 {
void convRange(const KernelArgs &a, const KernelOutput &o, std::int64_t qBegin, std::int64_t qEnd);
int blockChannels();
} // namespace avx2
namespace baseline {
void convRange(const KernelArgs &a, const KernelOutput &o, std::int64_t qBegin, std::int64_t qEnd);
int blockChannels();
} // namespace baseline

struct ConvKernel {
    ConvRangeFn convRange = nullptr;
    int blockChannels = 0;
};

} // namespace convscope::core
