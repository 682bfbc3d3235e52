// SPDX-License-Identifier: GPL-3.0-or-later
#include "convtranspose2d.h"

#include "checked.h"
#include "threadpool.h"

#include <algorithm>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace convscope::core {

namespace {

ValidationError err(Field f, std::string m)
{
    return {f, std::move(m)};
}

std::string hwList(Hw v)
{
    return "[" + std::to_string(v.h) + ", " + std::to_string(v.w) + "]";
}

std::string pair(Hw v)
{
    return "(" + std::to_string(v.h) + ", " + std::to_string(v.w) + ")";
}

// The 4-D view of a 3-D or 4-D shape (N = 1 for 3-D), as PyTorch names it in messages after
// it unsqueezes an unbatched input.
Shape batched(const Shape &in)
{
    if (in.size() == 3)
        return {1, in[0], in[1], in[2]};
    return in;
}

// Smallest i >= 0 with i * s + offset >= 0, and one past the largest with i * s + offset < size,
// clipped to [0, count): the input indices whose tap at `offset` lands inside the output.
std::pair<std::int64_t, std::int64_t> landing(std::int64_t offset, std::int64_t s,
                                              std::int64_t size, std::int64_t count)
{
    std::int64_t lo = 0;
    if (offset < 0)
        lo = (-offset + s - 1) / s;
    std::int64_t hi = 0;
    if (size - offset > 0)
        hi = (size - offset - 1) / s + 1;
    return {std::min(lo, count), std::clamp(hi, std::int64_t{0}, count)};
}

} // namespace

ConvTranspose2dLayer makeConvTranspose2d(const ConvTranspose2dParams &p, Tensor weight, Tensor bias)
{
    ConvTranspose2dLayer l;
    l.params = p;
    l.weight = std::make_shared<const Tensor>(std::move(weight));
    if (p.bias)
        l.bias = std::make_shared<const Tensor>(std::move(bias));
    return l;
}

Shape weightShape(const ConvTranspose2dParams &p)
{
    return {p.inChannels, p.groups > 0 ? p.outChannels / p.groups : 0, p.kernel.h, p.kernel.w};
}

std::int64_t convTransposeOutputSize(std::int64_t in, int kernel, int stride, int padding,
                                     int outputPadding, int dilation)
{
    return (in - 1) * stride - 2 * static_cast<std::int64_t>(padding)
           + static_cast<std::int64_t>(dilation) * (kernel - 1) + outputPadding + 1;
}

Shape outputShape(const ConvTranspose2dParams &p, const Shape &in)
{
    Shape out = in;
    const std::size_t r = in.size();
    out[r - 3] = p.outChannels;
    out[r - 2] = convTransposeOutputSize(in[r - 2], p.kernel.h, p.stride.h, p.padding.h,
                                         p.outputPadding.h, p.dilation.h);
    out[r - 1] = convTransposeOutputSize(in[r - 1], p.kernel.w, p.stride.w, p.padding.w,
                                         p.outputPadding.w, p.dilation.w);
    return out;
}

std::int64_t macCount(const ConvTranspose2dParams &p, const Shape &in)
{
    const auto m = checkedProduct(
        {numel(in), p.groups > 0 ? p.outChannels / p.groups : 0, p.kernel.h, p.kernel.w});
    return m ? *m : std::numeric_limits<std::int64_t>::max();
}

std::optional<ValidationError> validateModule(const ConvTranspose2dLayer &l)
{
    const ConvTranspose2dParams &p = l.params;
    if (p.inChannels <= 0)
        return err(Field::InChannels, "in_channels should be a positive integer, but got "
                                          + std::to_string(p.inChannels));
    if (p.outChannels <= 0)
        return err(Field::OutChannels, "out_channels should be a positive integer, but got "
                                           + std::to_string(p.outChannels));
    if (p.groups <= 0)
        return err(Field::Groups,
                   "groups must be a positive integer, but got groups=" + std::to_string(p.groups));
    if (p.inChannels % p.groups != 0)
        return err(Field::Groups, "in_channels must be divisible by groups, but got in_channels="
                                      + std::to_string(p.inChannels)
                                      + " and groups=" + std::to_string(p.groups));
    if (p.outChannels % p.groups != 0)
        return err(Field::Groups, "out_channels must be divisible by groups, but got out_channels="
                                      + std::to_string(p.outChannels)
                                      + " and groups=" + std::to_string(p.groups));
    if (p.stride.h <= 0 || p.stride.w <= 0)
        return err(Field::Stride, "non-positive stride is not supported: stride should be "
                                  "greater than zero, but got stride="
                                      + hwList(p.stride));
    if (p.padding.h < 0 || p.padding.w < 0)
        return err(Field::Padding,
                   "negative padding is not supported: padding should be at least zero, but got "
                   "padding="
                       + hwList(p.padding));
    if (p.outputPadding.h < 0 || p.outputPadding.w < 0)
        return err(Field::Option, "negative output_padding is not supported: output_padding "
                                  "should be at least zero, but got output_padding="
                                      + hwList(p.outputPadding));
    if (p.kernel.h <= 0 || p.kernel.w <= 0)
        return err(Field::Kernel, "kernel size should be greater than zero, but got "
                                  "kernel_height: "
                                      + std::to_string(p.kernel.h)
                                      + " kernel_width: " + std::to_string(p.kernel.w));
    if (p.dilation.h <= 0 || p.dilation.w <= 0)
        return err(Field::Dilation, "dilation should be greater than zero, but got "
                                    "dilation_height: "
                                        + std::to_string(p.dilation.h)
                                        + ", dilation_width: " + std::to_string(p.dilation.w));
    const auto tooLarge = [](int op, int s, int d) { return op >= s && op >= d; };
    if (tooLarge(p.outputPadding.h, p.stride.h, p.dilation.h)
        || tooLarge(p.outputPadding.w, p.stride.w, p.dilation.w))
        return err(Field::Option,
                   "output padding must be smaller than either stride or dilation, but got "
                   "output_padding_height: "
                       + std::to_string(p.outputPadding.h) + " output_padding_width: "
                       + std::to_string(p.outputPadding.w) + " stride_height: "
                       + std::to_string(p.stride.h) + " stride_width: " + std::to_string(p.stride.w)
                       + " dilation_height: " + std::to_string(p.dilation.h)
                       + " dilation_width: " + std::to_string(p.dilation.w));
    const Shape wantWeight = weightShape(p);
    if (l.weight && (l.weight->shape != wantWeight || l.weight->size() != numel(wantWeight)))
        return err(Field::Weight, "expected weight of shape [C_in, C_out/groups, kH, kW] = "
                                      + formatShape(wantWeight) + ", but got "
                                      + formatShape(l.weight->shape));
    const Shape wantBias{p.outChannels};
    if (p.bias && l.weight
        && (!l.bias || l.bias->shape != wantBias || l.bias->size() != p.outChannels))
        return err(Field::Bias,
                   "expected bias of shape [C_out] = " + formatShape(wantBias) + ", but got "
                       + (l.bias ? formatShape(l.bias->shape) : std::string("no bias")));
    return checkTensorSize(Field::Weight, "weight", wantWeight);
}

std::optional<ValidationError> validate(const ConvTranspose2dLayer &l, const Shape &in)
{
    if (auto e = validateModule(l))
        return e;
    const ConvTranspose2dParams &p = l.params;
    if (in.size() != 3 && in.size() != 4)
        return err(Field::Input, "Expected 3D (unbatched) or 4D (batched) input to "
                                 "conv_transpose2d, but got input of size: "
                                     + formatShape(in));
    for (auto d : in)
        if (d < 0)
            return err(Field::Input, "input sizes must be non-negative, but got input of size "
                                         + formatShape(in));
    const Shape in4 = batched(in);
    if (in4[1] != p.inChannels)
        return err(Field::InChannels, "Given transposed=1, weight of size "
                                          + formatShape(weightShape(p)) + ", expected input"
                                          + formatShape(in4) + " to have "
                                          + std::to_string(p.inChannels) + " channels, but got "
                                          + std::to_string(in4[1]) + " channels instead");
    if (auto e = checkTensorSize(Field::Input, "input", in4))
        return e;
    if ((in4[2] == 0 || in4[3] == 0) && in4[0] != 0)
        return err(Field::Input,
                   "Only zero batch or zero channel inputs are supported, but got input shape: "
                       + formatShape(in4));
    const Shape out = outputShape(p, in4);
    if (out[2] < 1 || out[3] < 1)
        return err(Field::Kernel, "Given input size per channel: (" + std::to_string(in4[2]) + " x "
                                      + std::to_string(in4[3])
                                      + "). Calculated output size per channel: ("
                                      + std::to_string(out[2]) + " x " + std::to_string(out[3])
                                      + "). Output size is too small");
    return checkTensorSize(Field::OutChannels, "output", out);
}

std::string torchRepr(const ConvTranspose2dParams &p)
{
    // _ConvNd.extra_repr, in its order: padding, dilation, output_padding, groups, bias.
    std::ostringstream s;
    s << "ConvTranspose2d(" << p.inChannels << ", " << p.outChannels
      << ", kernel_size=" << pair(p.kernel) << ", stride=" << pair(p.stride);
    if (p.padding != Hw{0, 0})
        s << ", padding=" << pair(p.padding);
    if (p.dilation != Hw{1, 1})
        s << ", dilation=" << pair(p.dilation);
    if (p.outputPadding != Hw{0, 0})
        s << ", output_padding=" << pair(p.outputPadding);
    if (p.groups != 1)
        s << ", groups=" << p.groups;
    if (!p.bias)
        s << ", bias=False";
    s << ")";
    return s.str();
}

Tensor referenceConvTranspose2d(const Tensor &input, const Tensor &weight, const Tensor *bias,
                                const ConvTranspose2dParams &p)
{
    const bool unbatched = input.rank() == 3;
    const Shape in4 = batched(input.shape);
    const Shape os = outputShape(p, in4);
    const std::int64_t N = in4[0], C = in4[1], H = in4[2], W = in4[3];
    const std::int64_t O = os[1], Ho = os[2], Wo = os[3];
    const std::int64_t Cg = C / p.groups, Og = O / p.groups;
    Tensor out(os);
    for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t o = 0; o < O; ++o) {
            const std::int64_t g = o / Og, oo = o % Og;
            for (std::int64_t y = 0; y < Ho; ++y)
                for (std::int64_t x = 0; x < Wo; ++x) {
                    double acc = bias ? bias->data[static_cast<std::size_t>(o)] : 0.0;
                    for (std::int64_t ci = 0; ci < Cg; ++ci) {
                        const std::int64_t c = g * Cg + ci;
                        for (std::int64_t ky = 0; ky < p.kernel.h; ++ky) {
                            // Output row y receives input row iy through tap ky when
                            // y = iy * stride - padding + ky * dilation.
                            const std::int64_t ty = y + p.padding.h - ky * p.dilation.h;
                            if (ty < 0 || ty % p.stride.h != 0 || ty / p.stride.h >= H)
                                continue;
                            const std::int64_t iy = ty / p.stride.h;
                            for (std::int64_t kx = 0; kx < p.kernel.w; ++kx) {
                                const std::int64_t tx = x + p.padding.w - kx * p.dilation.w;
                                if (tx < 0 || tx % p.stride.w != 0 || tx / p.stride.w >= W)
                                    continue;
                                const std::int64_t ix = tx / p.stride.w;
                                acc += double(input.data[static_cast<std::size_t>(
                                           ((n * C + c) * H + iy) * W + ix)])
                                       * weight.at(c, oo, ky, kx);
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

ForwardStatus convTranspose2d(const Tensor &input, const ConvTranspose2dLayer &l, Tensor &out,
                              int threads, const ProgressCallback &progress)
{
    const ConvTranspose2dParams &p = l.params;
    if (!l.weight || (p.bias && !l.bias))
        throw std::invalid_argument("forward needs the weights (and, with bias, the bias) of "
                                    "every ConvTranspose2d layer");
    if (&out == &input || &out == l.weight.get() || &out == l.bias.get()) {
        Tensor result;
        const ForwardStatus status = convTranspose2d(input, l, result, threads, progress);
        if (status == ForwardStatus::Done)
            out = std::move(result);
        return status;
    }
    if (progress && !progress(0.0))
        return ForwardStatus::Cancelled;
    const Shape in4 = batched(input.shape);
    const Shape os = outputShape(p, in4);
    const std::int64_t C = in4[1], H = in4[2], W = in4[3];
    const std::int64_t O = os[1], Ho = os[2], Wo = os[3];
    const std::int64_t Cg = C / p.groups, Og = O / p.groups;
    const std::int64_t kH = p.kernel.h, kW = p.kernel.w;
    out.shape = outputShape(p, input.shape);
    out.data.assign(static_cast<std::size_t>(numel(os)), 0.0f);
    const float *src = input.data.data();
    const float *w = l.weight->data.data();
    const float *b = p.bias ? l.bias->data.data() : nullptr;
    float *dst = out.data.data();

    // The first input column each kernel column kx reaches, and the range of input columns
    // whose tap lands inside the output, once per layer.
    std::vector<std::pair<std::int64_t, std::int64_t>> cols(static_cast<std::size_t>(kW));
    for (std::int64_t kx = 0; kx < kW; ++kx)
        cols[static_cast<std::size_t>(kx)] =
            landing(kx * p.dilation.w - p.padding.w, p.stride.w, Wo, W);

    const auto task = [&](std::int64_t t) {
        const std::int64_t n = t / O, o = t % O;
        const std::int64_t g = o / Og, oo = o % Og;
        float *plane = dst + t * Ho * Wo;
        if (b)
            std::fill(plane, plane + Ho * Wo, b[o]);
        for (std::int64_t ci = 0; ci < Cg; ++ci) {
            const std::int64_t c = g * Cg + ci;
            const float *in = src + (n * C + c) * H * W;
            const float *wk = w + (c * Og + oo) * kH * kW;
            for (std::int64_t iy = 0; iy < H; ++iy) {
                const float *row = in + iy * W;
                for (std::int64_t ky = 0; ky < kH; ++ky) {
                    const std::int64_t y = iy * p.stride.h - p.padding.h + ky * p.dilation.h;
                    if (y < 0 || y >= Ho)
                        continue;
                    float *outRow = plane + y * Wo;
                    for (std::int64_t kx = 0; kx < kW; ++kx) {
                        const float wv = wk[ky * kW + kx];
                        const std::int64_t offset = kx * p.dilation.w - p.padding.w;
                        const auto [lo, hi] = cols[static_cast<std::size_t>(kx)];
                        if (p.stride.w == 1) {
                            float *o1 = outRow + offset;
                            for (std::int64_t ix = lo; ix < hi; ++ix)
                                o1[ix] += wv * row[ix];
                        } else {
                            for (std::int64_t ix = lo; ix < hi; ++ix)
                                outRow[ix * p.stride.w + offset] += wv * row[ix];
                        }
                    }
                }
            }
        }
    };
    const std::int64_t tasks = in4[0] * O;
    const int n = threads > 0 ? std::min(threads, 256) : ThreadPool::hardwareThreads();
    const auto tick = [&](std::int64_t finished) {
        return !progress || progress(static_cast<double>(finished) / static_cast<double>(tasks));
    };
    if (tasks > 0 && !ThreadPool::instance().run(n, tasks, task, tick))
        return ForwardStatus::Cancelled;
    if (progress && !progress(1.0))
        return ForwardStatus::Cancelled;
    return ForwardStatus::Done;
}

} // namespace convscope::core
