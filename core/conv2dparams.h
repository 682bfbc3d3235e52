// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The value type that holds every torch.nn.Conv2d constructor argument.
#include <optional>
#include <string>

namespace convscope::core {

// A (height, width) pair: kernel, stride, padding and dilation are all 2-D values.
struct Hw {
    int h = 1;
    int w = 1;
    bool operator==(const Hw &) const = default;
};

enum class PaddingMode { Zeros, Reflect, Replicate, Circular };

// Explicit (h, w) padding, or one of PyTorch's padding strings.
enum class PaddingKind { Explicit, Same, Valid };

struct Conv2dParams {
    int inChannels = 1;
    int outChannels = 1;
    Hw kernel{3, 3};
    Hw stride{1, 1};
    PaddingKind paddingKind = PaddingKind::Explicit;
    Hw padding{0, 0}; // only meaningful for PaddingKind::Explicit
    PaddingMode paddingMode = PaddingMode::Zeros;
    Hw dilation{1, 1};
    int groups = 1;
    bool bias = true;
    bool operator==(const Conv2dParams &) const = default;
};

std::string toString(PaddingMode mode);
std::optional<PaddingMode> parsePaddingMode(const std::string &text);

// The module's repr exactly as PyTorch prints it, e.g.
// "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))".
std::string torchRepr(const Conv2dParams &p);

} // namespace convscope::core
