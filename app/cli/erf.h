// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// `convscope erf` (the gradient of one output with respect to the input, the path counts, or
// Luo et al.'s averaged effective receptive field) and `convscope coverage` (how many times
// a layer reads each pixel). Qt-free; images come through netargs' reader.
#include <ostream>
#include <string>
#include <vector>

namespace convscope::cli {

int runErf(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);
int runCoverage(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);
// `convscope bench-erf`: the effective field's timings on standard stacks (README figures).
int runBenchErf(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace convscope::cli
