// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// `convscope rf`: the receptive-field table of a stack of conv layers and, with --at, the
// input box and taps of one output position of the last layer. Qt-free.
#include "conv2dparams.h"

#include <ostream>
#include <string>
#include <vector>

namespace convscope::cli {

int runRf(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

// Parses one --layer spec: comma-separated key=value pairs, keys k (required), s, p, d and
// mode. k, s, p and d take N (both axes) or HxW (e.g. k=3x5); p also takes same or valid;
// mode is zeros, reflect, replicate or circular. The layer gets 1 input and 1 output
// channel and no bias: only geometry matters here. Throws ValueError naming the spec.
core::Conv2dParams parseLayerSpec(const std::string &spec);

// The spec written back in canonical form ("k=3 s=2 p=1", "k=3x5 p=same mode=reflect").
std::string formatLayerSpec(const core::Conv2dParams &p);

} // namespace convscope::cli
