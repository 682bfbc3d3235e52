// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The obviously-correct Conv2d: plain loops, double accumulation. It is the oracle every
// fast path is tested against, and it stays in the code base forever.
#include "conv2dparams.h"
#include "tensor.h"

namespace convscope::core {

// input [N, C_in, H, W] (or [C_in, H, W]), weight [C_out, C_in/groups, kH, kW], bias [C_out]
// or nullptr. The caller has run validate(); p.kernel is taken from the weight shape.
// Returns [N, C_out, H_out, W_out] (or [C_out, H_out, W_out] for an unbatched input).
Tensor referenceConv2d(const Tensor &input, const Tensor &weight, const Tensor *bias,
                       const Conv2dParams &p);

} // namespace convscope::core
