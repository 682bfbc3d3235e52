// SPDX-License-Identifier: GPL-3.0-or-later
#include "reference_conv.h"

#include "padding.h"
#include "shape.h"

namespace convscope::core {

Tensor referenceConv2d(const Tensor &input, const Tensor &weight, const Tensor *bias,
                       const Conv2dParams &params)
{
    const bool unbatched = input.rank() == 3;
    const Shape in4 = unbatched ? Shape{1, input.dim(0), input.dim(1), input.dim(2)} : input.shape;
    Conv2dParams p = params;
    p.kernel = {static_cast<int>(weight.dim(2)), static_cast<int>(weight.dim(3))};
    p.outChannels = static_cast<int>(weight.dim(0));
    const SidePadding pad = effectivePadding(p);
    const Shape os = outputShape(p, in4);
    const std::int64_t N = in4[0], C = in4[1], H = in4[2], W = in4[3];
    const std::int64_t O = os[1], Ho = os[2], Wo = os[3];
    const std::int64_t Cg = weight.dim(1), Og = O / p.groups;
    const std::int64_t kH = p.kernel.h, kW = p.kernel.w;

    Tensor out(os);
    for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t o = 0; o < O; ++o) {
            const std::int64_t g = o / Og;
            for (std::int64_t y = 0; y < Ho; ++y)
                for (std::int64_t x = 0; x < Wo; ++x) {
                    double acc = bias ? bias->data[static_cast<std::size_t>(o)] : 0.0;
                    for (std::int64_t ci = 0; ci < Cg; ++ci) {
                        const std::int64_t c = g * Cg + ci;
                        for (std::int64_t ky = 0; ky < kH; ++ky) {
                            const std::int64_t iy = sourceIndex(
                                y * p.stride.h - pad.top + ky * p.dilation.h, H, p.paddingMode);
                            if (iy < 0)
                                continue;
                            for (std::int64_t kx = 0; kx < kW; ++kx) {
                                const std::int64_t ix =
                                    sourceIndex(x * p.stride.w - pad.left + kx * p.dilation.w, W,
                                                p.paddingMode);
                                if (ix < 0)
                                    continue;
                                const float v = input.data[static_cast<std::size_t>(
                                    ((n * C + c) * H + iy) * W + ix)];
                                acc += double(v) * weight.at(o, ci, ky, kx);
                            }
                        }
                    }
                    out.at(n, o, y, x) = static_cast<float>(acc);
                }
        }
    if (unbatched)
        out.shape.erase(out.shape.begin());
    return out;
}

} // namespace convscope::core
