// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// `convscope bench-ui`: the latency from a parameter edit to every feature map redrawn,
// measured in the real main window on the offscreen platform.
#include <ostream>
#include <string>
#include <vector>

namespace convscope::ui {

int runBenchUi(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace convscope::ui
