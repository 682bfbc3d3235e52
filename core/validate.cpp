// SPDX-License-Identifier: GPL-3.0-or-later
#include "validate.h"

#include "checked.h"
#include "shape.h"

#include <initializer_list>
#include <limits>
#include <tuple>

namespace convscope::core {

namespace {

std::string hwList(Hw v)
{
    return "[" + std::to_string(v.h) + ", " + std::to_string(v.w) + "]";
}

ValidationError err(Field f, std::string m)
{
    return {f, std::move(m)};
}

// Tensors above this many elements (8 GiB of float32) are refused up front: PyTorch would try
// and run out of memory (or overflow an index); a desktop tool should say why instead.
constexpr std::int64_t kMaxElements = std::int64_t{1} << 31;

// Refuses a tensor of the given dimensions above kMaxElements, quoting its element count
// (counted with overflow checks: absurd shapes are exactly where it matters).
std::optional<ValidationError> sizeError(Field f, const std::string &what,
                                         std::optional<std::int64_t> elements,
                                         const std::string &shapeText)
{
    if (elements && *elements <= kMaxElements)
        return std::nullopt;
    const std::string count =
        elements ? std::to_string(*elements)
                 : "more than " + std::to_string(std::numeric_limits<std::int64_t>::max());
    return err(f, what + " of size " + shapeText + " would have " + count
                      + " elements; convscope limits a tensor to 2^31 elements (8 GiB)");
}

std::optional<ValidationError> checkSize(Field f, const std::string &what,
                                         std::initializer_list<std::int64_t> dims,
                                         const std::string &shapeText)
{
    return sizeError(f, what, checkedProduct(dims), shapeText);
}

// The checks that depend on the configuration only (ATen checks these before shapes).
std::optional<ValidationError> checkHyperParameters(const Conv2dParams &p)
{
    if (p.stride.h <= 0 || p.stride.w <= 0)
        return err(Field::Stride, "non-positive stride is not supported: stride should be "
                                  "greater than zero, but got stride="
                                      + hwList(p.stride));
    if (p.paddingKind == PaddingKind::Explicit && (p.padding.h < 0 || p.padding.w < 0))
        return err(Field::Padding,
                   "negative padding is not supported: padding should be at least zero, but got "
                   "padding="
                       + hwList(p.padding));
    if (p.dilation.h <= 0 || p.dilation.w <= 0)
        return err(Field::Dilation,
                   "dilation should be greater than zero, but got " + hwList(p.dilation));
    if (p.groups <= 0)
        return err(Field::Groups, "non-positive groups is not supported: groups should be a "
                                  "positive integer, but got groups="
                                      + std::to_string(p.groups));
    if (p.paddingKind == PaddingKind::Same && (p.stride.h != 1 || p.stride.w != 1))
        return err(Field::Padding,
                   "padding='same' is not supported for strided convolutions: expected stride "
                   "[1, 1], but got stride="
                       + hwList(p.stride));
    return std::nullopt;
}

} // namespace

std::optional<ValidationError> validate(const Conv2dParams &p, const Shape &in, const Shape &w,
                                        const Shape *bias)
{
    if (in.size() != 3 && in.size() != 4)
        return err(Field::Input,
                   "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of "
                   "size: "
                       + formatShape(in));
    if (w.size() != 4)
        return err(Field::Weight, "expected weight to be 4-dimensional [C_out, C_in/groups, kH, "
                                  "kW] for conv2d, but got weight of size "
                                      + formatShape(w));
    for (auto d : in)
        if (d < 0)
            return err(Field::Input, "input sizes must be non-negative, but got input of size "
                                         + formatShape(in));
    if (auto e = checkHyperParameters(p))
        return e;

    const std::int64_t g = p.groups;
    if (w[0] < g)
        return err(Field::Weight, "Given groups=" + std::to_string(g)
                                      + ", expected weight to be at least " + std::to_string(g)
                                      + " at dimension 0, but got weight of size " + formatShape(w)
                                      + " instead");
    if (w[0] % g != 0)
        return err(Field::Groups, "Given groups=" + std::to_string(g)
                                      + ", expected weight to be divisible by " + std::to_string(g)
                                      + " at dimension 0, but got weight of size " + formatShape(w)
                                      + " instead");
    if (w[1] <= 0)
        return err(Field::Weight, "expected weight to have at least one input channel per group, "
                                  "but got weight of size "
                                      + formatShape(w));
    const std::int64_t channels = in[in.size() - 3];
    if (channels != w[1] * g)
        return err(Field::Groups, "Given groups=" + std::to_string(g) + ", weight of size "
                                      + formatShape(w) + ", expected input" + formatShape(in)
                                      + " to have " + std::to_string(w[1] * g)
                                      + " channels, but got " + std::to_string(channels)
                                      + " channels instead");
    if (w[2] <= 0 || w[3] <= 0)
        return err(Field::Kernel, "kernel size should be greater than zero, but got kernel_height: "
                                      + std::to_string(w[2])
                                      + " kernel_width: " + std::to_string(w[3]));
    if (bias && (bias->size() != 1 || (*bias)[0] != w[0]))
        return err(Field::Bias, "Given weight of size " + formatShape(w)
                                    + ", expected bias to be 1-dimensional with "
                                    + std::to_string(w[0]) + " elements, but got bias of size "
                                    + formatShape(*bias) + " instead");

    // Hw and SidePadding hold ints: a dilated kernel wider than that would overflow the
    // 'same' padding arithmetic. PyTorch fails on it too, allocating the padded input.
    constexpr std::int64_t maxSpan = std::numeric_limits<int>::max();
    for (const auto &[k, d, name] :
         {std::tuple{w[2], p.dilation.h, "height"}, std::tuple{w[3], p.dilation.w, "width"}})
        if (k > maxSpan || effectiveKernel(static_cast<int>(k), d) > maxSpan)
            return err(Field::Dilation,
                       std::string("dilated kernel ") + name
                           + " is too large: dilation * (kernel_size - 1) + 1 should be at most "
                           + std::to_string(maxSpan) + ", but got dilation " + std::to_string(d)
                           + " and kernel_size " + std::to_string(k));

    // The input's size first: its height and width take part in the arithmetic below.
    const std::int64_t n = in.size() == 4 ? in[0] : 1;
    const std::int64_t h = in[in.size() - 2];
    const std::int64_t wd = in[in.size() - 1];
    if (auto e = checkSize(Field::Input, "input", {n, channels, h, wd}, formatShape(in)))
        return e;

    Conv2dParams q = p;
    q.kernel = {static_cast<int>(w[2]), static_cast<int>(w[3])};
    const SidePadding pad = effectivePadding(q);

    // Non-zero padding modes pad the input first (F.pad), with their own limits. Reflect and
    // circular refuse an empty height or width below (no padding fits it); replicate has
    // its own check, which does not spare an empty batch.
    if (p.paddingMode == PaddingMode::Replicate && (h == 0 || wd == 0))
        return err(Field::Input, "Expected 3D or 4D (batch mode) tensor with possibly 0 batch "
                                 "size and other non-zero dimensions for input, but got: "
                                     + formatShape(in));
    if (p.paddingMode == PaddingMode::Reflect || p.paddingMode == PaddingMode::Circular) {
        const bool reflect = p.paddingMode == PaddingMode::Reflect;
        const struct {
            int before, after;
            std::int64_t size;
            const char *name;
            int dim;
        } sides[] = {{pad.top, pad.bottom, h, "height", static_cast<int>(in.size()) - 2},
                     {pad.left, pad.right, wd, "width", static_cast<int>(in.size()) - 1}};
        for (const auto &s : sides) {
            const int most = s.before > s.after ? s.before : s.after;
            if (reflect && most >= s.size)
                return err(Field::Padding,
                           "reflect padding should be less than the input " + std::string(s.name)
                               + ", but got: padding (" + std::to_string(s.before) + ", "
                               + std::to_string(s.after) + ") at dimension " + std::to_string(s.dim)
                               + " of input " + formatShape(in));
            if (!reflect && most > s.size)
                return err(Field::Padding,
                           "circular padding should be at most the input " + std::string(s.name)
                               + " (padding value causes wrapping around more than once), "
                                 "but got: padding ("
                               + std::to_string(s.before) + ", " + std::to_string(s.after)
                               + ") at dimension " + std::to_string(s.dim) + " of input "
                               + formatShape(in));
        }
    }

    const std::int64_t paddedH = h + pad.top + pad.bottom;
    const std::int64_t paddedW = wd + pad.left + pad.right;
    const std::int64_t kh = effectiveKernel(q.kernel.h, p.dilation.h);
    const std::int64_t kw = effectiveKernel(q.kernel.w, p.dilation.w);
    if (paddedH < kh || paddedW < kw)
        return err(Field::Kernel, "Calculated padded input size per channel: ("
                                      + std::to_string(paddedH) + " x " + std::to_string(paddedW)
                                      + "). Kernel size: (" + std::to_string(kh) + " x "
                                      + std::to_string(kw)
                                      + "). Kernel size can't be greater than actual input size");

    // Only a zero batch may leave the input empty (the 4-D shape is the one PyTorch names);
    // an empty map has no pixel to convolve, and zeros padding would invent the output.
    if ((h == 0 || wd == 0) && n != 0)
        return err(Field::Input,
                   "Only zero batch or zero channel inputs are supported, but got input shape: "
                       + formatShape({n, channels, h, wd}));

    if (auto e = checkSize(Field::Weight, "weight", {w[0], w[1], w[2], w[3]}, formatShape(w)))
        return e;
    if (auto e = checkSize(Field::Padding, "padded input", {n, channels, paddedH, paddedW},
                           formatShape({n, channels, paddedH, paddedW})))
        return e;
    const std::int64_t outH = (paddedH - kh) / p.stride.h + 1;
    const std::int64_t outW = (paddedW - kw) / p.stride.w + 1;
    if (auto e = checkSize(Field::OutChannels, "output", {n, w[0], outH, outW},
                           formatShape({n, w[0], outH, outW})))
        return e;
    return std::nullopt;
}

std::optional<ValidationError> checkTensorSize(Field field, const std::string &what,
                                               const Shape &shape)
{
    return sizeError(field, what, checkedProduct(shape.begin(), shape.end()), formatShape(shape));
}

std::optional<ValidationError> validateModule(const Conv2dParams &p)
{
    if (p.inChannels <= 0)
        return err(Field::InChannels, "in_channels should be a positive integer, but got "
                                          + std::to_string(p.inChannels));
    if (p.outChannels <= 0)
        return err(Field::OutChannels, "out_channels should be a positive integer, but got "
                                           + std::to_string(p.outChannels));
    if (p.kernel.h <= 0 || p.kernel.w <= 0)
        return err(Field::Kernel, "kernel size should be greater than zero, but got "
                                  "kernel_height: "
                                      + std::to_string(p.kernel.h)
                                      + " kernel_width: " + std::to_string(p.kernel.w));
    if (auto e = checkHyperParameters(p))
        return e;
    if (p.inChannels % p.groups != 0)
        return err(Field::Groups, "in_channels must be divisible by groups, but got in_channels="
                                      + std::to_string(p.inChannels)
                                      + " and groups=" + std::to_string(p.groups));
    if (p.outChannels % p.groups != 0)
        return err(Field::Groups, "out_channels must be divisible by groups, but got out_channels="
                                      + std::to_string(p.outChannels)
                                      + " and groups=" + std::to_string(p.groups));
    return std::nullopt;
}

std::optional<ValidationError> validate(const Conv2dParams &p, const Shape &inputShape)
{
    if (auto e = validateModule(p))
        return e;
    const Shape w = weightShape(p);
    const Shape b{p.outChannels};
    return validate(p, inputShape, w, p.bias ? &b : nullptr);
}

} // namespace convscope::core
