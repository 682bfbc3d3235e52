// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// `convscope forward`: runs a network given as print(model) text, with weights from a
// state_dict file (.npz, .safetensors, .pt/.pth) or seeded defaults, on a .npy input, and
// writes the last (or a chosen) layer's output. Qt-free.
#include <ostream>
#include <string>
#include <vector>

namespace convscope::cli {

int runForward(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace convscope::cli
