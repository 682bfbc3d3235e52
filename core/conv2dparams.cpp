// SPDX-License-Identifier: GPL-3.0-or-later
#include "conv2dparams.h"

#include <sstream>

namespace convscope::core {

std::string toString(PaddingMode mode)
{
    switch (mode) {
    case PaddingMode::Zeros: return "zeros";
    case PaddingMode::Reflect: return "reflect";
    case PaddingMode::Replicate: return "replicate";
    case PaddingMode::Circular: return "circular";
    }
    return "zeros";
}

std::optional<PaddingMode> parsePaddingMode(const std::string &text)
{
    for (auto m : {PaddingMode::Zeros, PaddingMode::Reflect, PaddingMode::Replicate,
                   PaddingMode::Circular}) {
        if (toString(m) == text)
            return m;
    }
    return std::nullopt;
}

static std::string pair(Hw v)
{
    return "(" + std::to_string(v.h) + ", " + std::to_string(v.w) + ")";
}

std::string torchRepr(const Conv2dParams &p)
{
    // Mirrors torch.nn.modules.conv._ConvNd.extra_repr: defaults are omitted, except
    // stride, which is always printed.
    std::ostringstream s;
    s << "Conv2d(" << p.inChannels << ", " << p.outChannels << ", kernel_size=" << pair(p.kernel)
      << ", stride=" << pair(p.stride);
    if (p.paddingKind == PaddingKind::Same)
        s << ", padding=same";
    else if (p.paddingKind == PaddingKind::Valid)
        s << ", padding=valid";
    else if (p.padding != Hw{0, 0})
        s << ", padding=" << pair(p.padding);
    if (p.dilation != Hw{1, 1})
        s << ", dilation=" << pair(p.dilation);
    if (p.groups != 1)
        s << ", groups=" << p.groups;
    if (!p.bias)
        s << ", bias=False";
    if (p.paddingMode != PaddingMode::Zeros)
        s << ", padding_mode=" << toString(p.paddingMode);
    s << ")";
    return s.str();
}

} // namespace convscope::core
