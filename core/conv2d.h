#pragma once
// The engine's front door: picks a computation path, threads, reports progress and
// honours cancellation. Callers validate() first.
#include "conv2dparams.h"
#include "tensor.h"

#include <functional>

namespace convscope::core {

// Called with the fraction done in [0, 1]; return false to cancel the run.
using ProgressCallback = std::function<bool(double fraction)>;

struct ForwardOptions {
    int threads = 0; // 0 = all cores
    ProgressCallback progress;
};

enum class ForwardStatus { Done, Cancelled };

// Computes the convolution into `out` (resized as needed). On Cancelled, `out` holds no
// meaningful values.
ForwardStatus conv2d(const Tensor &input, const Tensor &weight, const Tensor *bias,
                     const Conv2dParams &p, Tensor &out, const ForwardOptions &options = {});

} // namespace convscope::core
