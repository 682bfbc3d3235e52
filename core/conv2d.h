// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The engine's front door: picks a computation path, threads, reports progress and
// honours cancellation. Callers validate() first.
#include "conv2dparams.h"
#include "isa.h"
#include "tensor.h"

#include <functional>
#include <optional>
#include <vector>

namespace convscope::core {

// Called with the fraction done in [0, 1]; return false to cancel the run.
using ProgressCallback = std::function<bool(double fraction)>;

// Smallest and largest finite value of one output channel (over the whole batch);
// lo > hi when the channel holds no finite value.
struct MinMax {
    float lo = 0.0f;
    float hi = 0.0f;
    bool operator==(const MinMax &) const = default;
};

struct ForwardOptions {
    int threads = 0; // 0 = every CPU the process may use (core::availableCpus)
    ProgressCallback progress;
    // When set, receives one range per output channel, computed on each band right after
    // it is written while it is still in cache (a separate pass over a 1920x1080 x 8 output
    // re-reads 66 MB from memory: ~6 ms of a live redraw's budget).
    std::vector<MinMax> *channelRanges = nullptr;
    // When set, called on every stretch of output right after it is written, while it is
    // still in cache: channel c's `count` values at `data`, to transform in place (the
    // element-wise layers after a conv, fused into it). Runs on worker threads, before the
    // ranges are taken, so channelRanges describe the transformed output.
    std::function<void(std::int64_t channel, float *data, std::size_t count)> epilogue;
    // The micro-kernel's instruction set; nullopt: core::activeIsa(). One the CPU lacks
    // throws std::invalid_argument.
    std::optional<Isa> isa;
};

enum class ForwardStatus { Done, Cancelled };

// Computes the convolution into `out` (resized as needed). On Cancelled, `out` holds no
// meaningful values.
ForwardStatus conv2d(const Tensor &input, const Tensor &weight, const Tensor *bias,
                     const Conv2dParams &p, Tensor &out, const ForwardOptions &options = {});

} // namespace convscope::core
