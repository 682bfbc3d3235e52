// SPDX-License-Identifier: GPL-3.0-or-later
#include "shape.h"

namespace convscope::core {

std::int64_t effectiveKernel(int kernel, int dilation)
{
    return static_cast<std::int64_t>(dilation) * (kernel - 1) + 1;
}

SidePadding effectivePadding(const Conv2dParams &p)
{
    switch (p.paddingKind) {
    case PaddingKind::Valid: return {};
    case PaddingKind::Explicit: return {p.padding.h, p.padding.h, p.padding.w, p.padding.w};
    case PaddingKind::Same: {
        const int totalH = p.dilation.h * (p.kernel.h - 1);
        const int totalW = p.dilation.w * (p.kernel.w - 1);
        return {totalH / 2, totalH - totalH / 2, totalW / 2, totalW - totalW / 2};
    }
    }
    return {};
}

std::int64_t outputSize(std::int64_t in, int padBefore, int padAfter, int kernel, int stride,
                        int dilation)
{
    const std::int64_t span = in + padBefore + padAfter - effectiveKernel(kernel, dilation);
    if (span < 0 || stride <= 0)
        return 0;
    return span / stride + 1;
}

Shape outputShape(const Conv2dParams &p, const Shape &inputShape)
{
    const SidePadding pad = effectivePadding(p);
    const std::int64_t n = inputShape.size() == 4 ? inputShape[0] : 1;
    const std::int64_t h = inputShape[inputShape.size() - 2];
    const std::int64_t w = inputShape[inputShape.size() - 1];
    return {n, p.outChannels,
            outputSize(h, pad.top, pad.bottom, p.kernel.h, p.stride.h, p.dilation.h),
            outputSize(w, pad.left, pad.right, p.kernel.w, p.stride.w, p.dilation.w)};
}

Shape weightShape(const Conv2dParams &p)
{
    const int g = p.groups > 0 ? p.groups : 1;
    return {p.outChannels, p.inChannels / g, p.kernel.h, p.kernel.w};
}

std::int64_t parameterCount(const Conv2dParams &p)
{
    return numel(weightShape(p)) + (p.bias ? p.outChannels : 0);
}

std::int64_t macCount(const Conv2dParams &p, const Shape &inputShape)
{
    const Shape out = outputShape(p, inputShape);
    const std::int64_t perOutput = numel(weightShape(p)) / (p.outChannels > 0 ? p.outChannels : 1);
    return numel(out) * perOutput;
}

std::int64_t unreachedTail(std::int64_t in, int padBefore, int padAfter, int kernel, int stride,
                           int dilation)
{
    const std::int64_t out = outputSize(in, padBefore, padAfter, kernel, stride, dilation);
    if (out <= 0)
        return 0;
    const std::int64_t used = (out - 1) * stride + effectiveKernel(kernel, dilation);
    return in + padBefore + padAfter - used;
}

} // namespace convscope::core
