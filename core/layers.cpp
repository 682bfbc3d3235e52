// SPDX-License-Identifier: GPL-3.0-or-later
#include "layers.h"

#include "padding.h"
#include "shape.h"
#include "threadpool.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>

namespace convscope::core {

namespace {

ValidationError err(Field f, std::string m)
{
    return {f, std::move(m)};
}

// An (h, w) size as PyTorch prints the argument: an int for a square size, else a tuple.
std::string size2(Hw v)
{
    if (v.h == v.w)
        return std::to_string(v.h);
    return "(" + std::to_string(v.h) + ", " + std::to_string(v.w) + ")";
}

std::string pyBool(bool b)
{
    return b ? "True" : "False";
}

Shape withPlane(const Shape &in, std::int64_t h, std::int64_t w)
{
    Shape out = in;
    out[out.size() - 2] = h;
    out[out.size() - 1] = w;
    return out;
}

// Channels, rows and columns must not be empty (the batch may be): the pools' and the
// non-constant pads' common rule.
bool emptyPlane(const Shape &in)
{
    const Nchw d = nchw(in);
    return d.c == 0 || d.h == 0 || d.w == 0;
}

std::optional<ValidationError> poolChecks(Hw kernel, Hw stride, Hw padding, Hw dilation)
{
    if (kernel.h <= 0 || kernel.w <= 0)
        return err(Field::Kernel, "kernel size should be greater than zero, but got kH: "
                                      + std::to_string(kernel.h)
                                      + " kW: " + std::to_string(kernel.w));
    if (stride.h <= 0 || stride.w <= 0)
        return err(Field::Stride,
                   "stride should be greater than zero, but got dH: " + std::to_string(stride.h)
                       + " dW: " + std::to_string(stride.w));
    for (int p : {padding.h, padding.w})
        if (p < 0)
            return err(Field::Padding,
                       "pad must be non-negative, but got pad: " + std::to_string(p));
    if (dilation.h <= 0 || dilation.w <= 0)
        return err(Field::Dilation, "dilation should be greater than zero, but got dilationH: "
                                        + std::to_string(dilation.h)
                                        + " dilationW: " + std::to_string(dilation.w));
    // PyTorch compares with half the kernel, not the dilated span.
    for (auto [p, k] : {std::pair{padding.h, kernel.h}, std::pair{padding.w, kernel.w}})
        if (p > k / 2)
            return err(Field::Padding,
                       "pad should be at most half of kernel size, but got pad=" + std::to_string(p)
                           + " and kernel_size=" + std::to_string(k));
    return std::nullopt;
}

std::optional<ValidationError> poolInput(const Shape &in, Hw kernel, Hw stride, Hw padding,
                                         Hw dilation, bool ceilMode)
{
    if ((in.size() != 3 && in.size() != 4) || emptyPlane(in))
        return err(Field::Input, "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                                 "size for input, but got: "
                                     + formatShape(in));
    const Nchw d = nchw(in);
    const std::int64_t oh =
        poolOutputSize(d.h, kernel.h, stride.h, padding.h, dilation.h, ceilMode);
    const std::int64_t ow =
        poolOutputSize(d.w, kernel.w, stride.w, padding.w, dilation.w, ceilMode);
    if (oh < 1 || ow < 1)
        return err(Field::Kernel, "Given input size: (" + std::to_string(d.c) + "x"
                                      + std::to_string(d.h) + "x" + std::to_string(d.w)
                                      + "). Calculated output size: (" + std::to_string(d.c) + "x"
                                      + std::to_string(oh) + "x" + std::to_string(ow)
                                      + "). Output size is too small");
    return std::nullopt;
}

// Calls `progress` after plane `p` of `planes`; false when the caller cancels.
bool planeDone(const ProgressCallback &progress, std::int64_t p, std::int64_t planes)
{
    return !progress || progress(static_cast<double>(p + 1) / static_cast<double>(planes));
}

} // namespace

std::string pythonFloat(double v)
{
    if (std::isnan(v))
        return "nan";
    if (std::isinf(v))
        return v < 0 ? "-inf" : "inf";
    // The shortest digits that round-trip (Python's repr), then Python's layout: positional
    // for decimal exponents in [-4, 16), else d.ddde+XX.
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    std::string sci(buf, r.ptr);
    std::string sign;
    if (sci[0] == '-') {
        sign = "-";
        sci.erase(0, 1);
    }
    const auto e = sci.find('e');
    std::string digits = sci.substr(0, e);
    digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
    const int exp = std::stoi(sci.substr(e + 1));
    if (exp >= -4 && exp < 16) {
        std::string s;
        if (exp < 0) {
            s = "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
        } else if (static_cast<std::size_t>(exp) + 1 >= digits.size()) {
            s = digits + std::string(static_cast<std::size_t>(exp) + 1 - digits.size(), '0') + ".0";
        } else {
            s = digits.substr(0, static_cast<std::size_t>(exp) + 1) + "."
                + digits.substr(static_cast<std::size_t>(exp) + 1);
        }
        return sign + s;
    }
    std::string mantissa = digits.substr(0, 1);
    if (digits.size() > 1)
        mantissa += "." + digits.substr(1);
    const std::string expDigits = std::to_string(std::abs(exp));
    return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (expDigits.size() < 2 ? "0" : "")
           + expDigits;
}

BatchNorm2dLayer makeBatchNorm2d(Tensor runningMean, Tensor runningVar, bool affine, Tensor weight,
                                 Tensor bias, double eps)
{
    BatchNorm2dLayer l;
    l.numFeatures = static_cast<int>(runningMean.size());
    l.eps = eps;
    l.affine = affine;
    l.runningMean = std::make_shared<const Tensor>(std::move(runningMean));
    l.runningVar = std::make_shared<const Tensor>(std::move(runningVar));
    if (affine) {
        l.weight = std::make_shared<const Tensor>(std::move(weight));
        l.bias = std::make_shared<const Tensor>(std::move(bias));
    }
    return l;
}

std::int64_t poolOutputSize(std::int64_t in, int kernel, int stride, int pad, int dilation,
                            bool ceilMode)
{
    const std::int64_t span = static_cast<std::int64_t>(dilation) * (kernel - 1) + 1;
    std::int64_t out =
        floorDiv(in + 2 * static_cast<std::int64_t>(pad) - span + (ceilMode ? stride - 1 : 0),
                 stride)
        + 1;
    // Ceil mode adds a partial window at the end; PyTorch drops it when it would start in
    // the right padding (or beyond), so every window starts on an input or left-pad position.
    if (ceilMode && (out - 1) * stride >= in + pad)
        --out;
    return out;
}

// --- module checks ------------------------------------------------------------------------

std::optional<ValidationError> validateModule(const MaxPool2dLayer &l)
{
    return poolChecks(l.kernel, l.strideOrKernel(), l.padding, l.dilation);
}

std::optional<ValidationError> validateModule(const AvgPool2dLayer &l)
{
    if (auto e = poolChecks(l.kernel, l.strideOrKernel(), l.padding, Hw{1, 1}))
        return e;
    if (l.divisorOverride && *l.divisorOverride == 0)
        return err(Field::Option, "divisor must be not zero, but got divisor_override=0");
    return std::nullopt;
}

std::optional<ValidationError> validateModule(const AdaptiveAvgPool2dLayer &l)
{
    if (l.outputSize.h < 0 || l.outputSize.w < 0)
        return err(Field::Option, "adaptive_avg_pool2d: elements of output_size must be greater "
                                  "than or equal to 0 but received {"
                                      + std::to_string(l.outputSize.h) + ", "
                                      + std::to_string(l.outputSize.w) + "}");
    return std::nullopt;
}

std::optional<ValidationError> validateModule(const BatchNorm2dLayer &l)
{
    if (l.numFeatures <= 0)
        return err(Field::InChannels, "num_features should be a positive integer, but got "
                                      "num_features="
                                          + std::to_string(l.numFeatures));
    const Shape want{l.numFeatures};
    const struct {
        const Tensor *t;
        const char *name;
        Field field;
    } tensors[] = {{l.runningMean.get(), "running_mean", Field::Weight},
                   {l.runningVar.get(), "running_var", Field::Weight},
                   {l.affine ? l.weight.get() : nullptr, "weight", Field::Weight},
                   {l.affine ? l.bias.get() : nullptr, "bias", Field::Bias}};
    for (const auto &t : tensors)
        if (t.t && (t.t->shape != want || t.t->size() != l.numFeatures))
            return err(t.field, std::string("expected ") + t.name + " of shape [num_features] = "
                                    + formatShape(want) + ", but got " + formatShape(t.t->shape));
    return std::nullopt;
}

std::optional<ValidationError> validateModule(const SidePadding &p)
{
    if (p.left < 0 || p.right < 0 || p.top < 0 || p.bottom < 0)
        return err(Field::Padding, "negative padding is not supported: padding should be at least "
                                   "zero, but got padding="
                                       + padTuple(p));
    return std::nullopt;
}

// --- checks against an input ----------------------------------------------------------------

std::optional<ValidationError> validate(const MaxPool2dLayer &l, const Shape &in)
{
    if (auto e = validateModule(l))
        return e;
    return poolInput(in, l.kernel, l.strideOrKernel(), l.padding, l.dilation, l.ceilMode);
}

std::optional<ValidationError> validate(const AvgPool2dLayer &l, const Shape &in)
{
    if (auto e = validateModule(l))
        return e;
    return poolInput(in, l.kernel, l.strideOrKernel(), l.padding, Hw{1, 1}, l.ceilMode);
}

std::optional<ValidationError> validate(const AdaptiveAvgPool2dLayer &l, const Shape &in)
{
    if (auto e = validateModule(l))
        return e;
    if (in.size() != 3 && in.size() != 4)
        return err(Field::Input,
                   "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got " + formatShape(in));
    for (std::size_t i = in.size() - 3; i < in.size(); ++i)
        if (in[i] == 0)
            return err(Field::Input, "adaptive_avg_pool2d(): Expected input to have non-zero size "
                                     "for non-batch dimensions, but input has sizes "
                                         + formatShape(in) + " with dimension " + std::to_string(i)
                                         + " being empty");
    return checkTensorSize(Field::Option, "output", outputShape(l, in));
}

std::optional<ValidationError> validate(const BatchNorm2dLayer &l, const Shape &in)
{
    if (auto e = validateModule(l))
        return e;
    if (in.size() != 4)
        return err(Field::Input,
                   "expected 4D input (got " + std::to_string(in.size()) + "D input)");
    if (in[1] != l.numFeatures)
        return err(Field::InChannels,
                   "running_mean should contain " + std::to_string(in[1]) + " elements not "
                       + std::to_string(l.numFeatures)
                       + ": expected num_features=" + std::to_string(in[1])
                       + " to match the channels of input " + formatShape(in)
                       + ", but got num_features=" + std::to_string(l.numFeatures));
    return std::nullopt;
}

std::optional<ValidationError> validatePad(const SidePadding &p, const Shape &in, bool reflect,
                                           bool nonEmpty)
{
    if (auto e = validateModule(p))
        return e;
    if (in.size() != 3 && in.size() != 4)
        return err(Field::Input,
                   "expected a 3D or 4D input, but got input of size " + formatShape(in));
    if (nonEmpty && emptyPlane(in))
        return err(Field::Input, "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                                 "and other non-zero dimensions for input, but got: "
                                     + formatShape(in));
    if (reflect) {
        const Nchw d = nchw(in);
        const int r = static_cast<int>(in.size());
        const struct {
            int before, after;
            std::int64_t size;
            int dim;
        } sides[] = {{p.left, p.right, d.w, r - 1}, {p.top, p.bottom, d.h, r - 2}};
        for (const auto &s : sides)
            if (s.before >= s.size || s.after >= s.size)
                return err(Field::Padding, "Padding size should be less than the corresponding "
                                           "input dimension, but got: padding ("
                                               + std::to_string(s.before) + ", "
                                               + std::to_string(s.after) + ") at dimension "
                                               + std::to_string(s.dim) + " of input "
                                               + formatShape(in));
    }
    return checkTensorSize(Field::Padding, "padded output", paddedShape(p, in));
}

// --- shapes and reprs -----------------------------------------------------------------------

Shape outputShape(const MaxPool2dLayer &l, const Shape &in)
{
    const Nchw d = nchw(in);
    const Hw s = l.strideOrKernel();
    return withPlane(in,
                     poolOutputSize(d.h, l.kernel.h, s.h, l.padding.h, l.dilation.h, l.ceilMode),
                     poolOutputSize(d.w, l.kernel.w, s.w, l.padding.w, l.dilation.w, l.ceilMode));
}

Shape outputShape(const AvgPool2dLayer &l, const Shape &in)
{
    const Nchw d = nchw(in);
    const Hw s = l.strideOrKernel();
    return withPlane(in, poolOutputSize(d.h, l.kernel.h, s.h, l.padding.h, 1, l.ceilMode),
                     poolOutputSize(d.w, l.kernel.w, s.w, l.padding.w, 1, l.ceilMode));
}

Shape outputShape(const AdaptiveAvgPool2dLayer &l, const Shape &in)
{
    return withPlane(in, l.outputSize.h, l.outputSize.w);
}

Shape paddedShape(const SidePadding &p, const Shape &in)
{
    const Nchw d = nchw(in);
    return withPlane(in, d.h + p.top + p.bottom, d.w + p.left + p.right);
}

std::string torchRepr(const MaxPool2dLayer &l)
{
    return "MaxPool2d(kernel_size=" + size2(l.kernel) + ", stride=" + size2(l.strideOrKernel())
           + ", padding=" + size2(l.padding) + ", dilation=" + size2(l.dilation)
           + ", ceil_mode=" + pyBool(l.ceilMode) + ")";
}

std::string torchRepr(const AvgPool2dLayer &l)
{
    // AvgPool2d.extra_repr prints these three only.
    return "AvgPool2d(kernel_size=" + size2(l.kernel) + ", stride=" + size2(l.strideOrKernel())
           + ", padding=" + size2(l.padding) + ")";
}

std::string torchRepr(const AdaptiveAvgPool2dLayer &l)
{
    return "AdaptiveAvgPool2d(output_size=" + size2(l.outputSize) + ")";
}

std::string torchRepr(const BatchNorm2dLayer &l)
{
    return "BatchNorm2d(" + std::to_string(l.numFeatures) + ", eps=" + pythonFloat(l.eps)
           + ", momentum=" + pythonFloat(l.momentum) + ", affine=" + pyBool(l.affine)
           + ", track_running_stats=True)";
}

std::string torchRepr(const LeakyReluLayer &l)
{
    return "LeakyReLU(negative_slope=" + pythonFloat(l.negativeSlope) + ")";
}

std::string padTuple(const SidePadding &p)
{
    return "(" + std::to_string(p.left) + ", " + std::to_string(p.right) + ", "
           + std::to_string(p.top) + ", " + std::to_string(p.bottom) + ")";
}

// --- forward loops --------------------------------------------------------------------------
// Each loop walks the [H, W] planes of a contiguous NCHW (or CHW) tensor, in PyTorch's order
// of accumulation within a window (rows, then columns), in float32 as PyTorch's CPU kernels.

ForwardStatus maxPool2dReference(const Tensor &in, const MaxPool2dLayer &l, Tensor &out,
                                 const ProgressCallback &progress)
{
    const Nchw d = nchw(in.shape);
    out.shape = outputShape(l, in.shape);
    const Nchw o = nchw(out.shape);
    out.data.resize(static_cast<std::size_t>(numel(out.shape)));
    const Hw s = l.strideOrKernel();
    const std::int64_t planes = d.n * d.c;
    for (std::int64_t p = 0; p < planes; ++p) {
        const float *src = in.data.data() + p * d.h * d.w;
        float *dst = out.data.data() + p * o.h * o.w;
        for (std::int64_t oy = 0; oy < o.h; ++oy) {
            std::int64_t y0 = oy * s.h - l.padding.h;
            const std::int64_t y1 =
                std::min(y0 + static_cast<std::int64_t>(l.kernel.h - 1) * l.dilation.h + 1, d.h);
            while (y0 < 0)
                y0 += l.dilation.h;
            for (std::int64_t ox = 0; ox < o.w; ++ox) {
                std::int64_t x0 = ox * s.w - l.padding.w;
                const std::int64_t x1 = std::min(
                    x0 + static_cast<std::int64_t>(l.kernel.w - 1) * l.dilation.w + 1, d.w);
                while (x0 < 0)
                    x0 += l.dilation.w;
                float best = -std::numeric_limits<float>::infinity();
                for (std::int64_t y = y0; y < y1; y += l.dilation.h)
                    for (std::int64_t x = x0; x < x1; x += l.dilation.w) {
                        const float v = src[y * d.w + x];
                        if (v > best || std::isnan(v))
                            best = v;
                    }
                dst[oy * o.w + ox] = best;
            }
        }
        if (!planeDone(progress, p, planes))
            return ForwardStatus::Cancelled;
    }
    return ForwardStatus::Done;
}

namespace {

// PyTorch's comparison: a larger value or a NaN replaces the best so far, so a NaN anywhere
// in the window wins. Branch-free, so the row loops below vectorise.
inline float maxOrNan(float best, float v)
{
    return v > best || v != v ? v : best;
}

} // namespace

ForwardStatus maxPool2d(const Tensor &in, const MaxPool2dLayer &l, Tensor &out,
                        const ProgressCallback &progress, int threads)
{
    const Nchw d = nchw(in.shape);
    out.shape = outputShape(l, in.shape);
    const Nchw o = nchw(out.shape);
    out.data.resize(static_cast<std::size_t>(numel(out.shape)));
    const Hw s = l.strideOrKernel();
    const std::int64_t planes = d.n * d.c;
    if (out.data.empty() || planes == 0) {
        if (progress && !progress(1.0))
            return ForwardStatus::Cancelled;
        return ForwardStatus::Done;
    }
    // Row by row: first the column maximum of the window's kH input rows, one contiguous pass
    // per row, into a row padded with -inf (padded positions never win); then the windows
    // along that row, read from its stride phases (phase p holds columns p, p + sW, ...), so
    // every tap is a contiguous run of outputs. Max is exact, so the order of the comparisons
    // changes nothing but which of two equal values (0.0 and -0.0) is kept.
    const std::int64_t padW = l.padding.w;
    const std::int64_t rowLen = std::max<std::int64_t>(
        d.w + 2 * padW,
        (o.w - 1) * s.w + static_cast<std::int64_t>(l.kernel.w - 1) * l.dilation.w + 1);
    const std::int64_t phaseLen = (rowLen + s.w - 1) / s.w + 1;
    constexpr float kNegInf = -std::numeric_limits<float>::infinity();
    // Tasks: blocks of output rows within a plane, so one image of few channels still
    // spreads over the threads.
    const std::int64_t rowBlock = std::max<std::int64_t>(
        1, std::min<std::int64_t>(o.h, 16384 / std::max<std::int64_t>(1, o.w)));
    const std::int64_t blocks = (o.h + rowBlock - 1) / rowBlock;
    const std::int64_t tasks = planes * blocks;
    const std::function<void(std::int64_t)> task = [&](std::int64_t t) {
        thread_local std::vector<float> row, phases;
        row.assign(static_cast<std::size_t>(rowLen), kNegInf);
        phases.resize(static_cast<std::size_t>(phaseLen * s.w));
        const std::int64_t p = t / blocks, b = t % blocks;
        const float *src = in.data.data() + p * d.h * d.w;
        float *dst = out.data.data() + p * o.h * o.w;
        for (std::int64_t oy = b * rowBlock; oy < std::min(o.h, (b + 1) * rowBlock); ++oy) {
            std::int64_t y0 = oy * s.h - l.padding.h;
            const std::int64_t y1 =
                std::min(y0 + static_cast<std::int64_t>(l.kernel.h - 1) * l.dilation.h + 1, d.h);
            while (y0 < 0)
                y0 += l.dilation.h;
            float *r = row.data() + padW;
            std::fill(r, r + d.w, kNegInf);
            for (std::int64_t y = y0; y < y1; y += l.dilation.h) {
                const float *line = src + y * d.w;
                for (std::int64_t x = 0; x < d.w; ++x)
                    r[x] = maxOrNan(r[x], line[x]);
            }
            float *dr = dst + oy * o.w;
            if (s.w == 1) {
                std::fill(dr, dr + o.w, kNegInf);
                for (int kx = 0; kx < l.kernel.w; ++kx) {
                    const float *tap = row.data() + static_cast<std::int64_t>(kx) * l.dilation.w;
                    for (std::int64_t x = 0; x < o.w; ++x)
                        dr[x] = maxOrNan(dr[x], tap[x]);
                }
                continue;
            }
            for (std::int64_t x = 0; x < rowLen; ++x)
                phases[static_cast<std::size_t>((x % s.w) * phaseLen + x / s.w)] =
                    row[static_cast<std::size_t>(x)];
            std::fill(dr, dr + o.w, kNegInf);
            for (int kx = 0; kx < l.kernel.w; ++kx) {
                const std::int64_t off = static_cast<std::int64_t>(kx) * l.dilation.w;
                const float *tap = phases.data() + (off % s.w) * phaseLen + off / s.w;
                for (std::int64_t x = 0; x < o.w; ++x)
                    dr[x] = maxOrNan(dr[x], tap[x]);
            }
        }
    };
    const auto tick = [&](std::int64_t finished) {
        return !progress || progress(static_cast<double>(finished) / static_cast<double>(tasks));
    };
    // The pool ticks only after the tasks the caller's thread runs, which may be none: ask
    // before and after too.
    if (progress && !progress(0.0))
        return ForwardStatus::Cancelled;
    const int workers = threads > 0 ? std::min(threads, 256) : ThreadPool::hardwareThreads();
    if (!ThreadPool::instance().run(workers, tasks, task, tick))
        return ForwardStatus::Cancelled;
    return !progress || progress(1.0) ? ForwardStatus::Done : ForwardStatus::Cancelled;
}

ForwardStatus avgPool2d(const Tensor &in, const AvgPool2dLayer &l, Tensor &out,
                        const ProgressCallback &progress)
{
    const Nchw d = nchw(in.shape);
    out.shape = outputShape(l, in.shape);
    const Nchw o = nchw(out.shape);
    out.data.resize(static_cast<std::size_t>(numel(out.shape)));
    const Hw s = l.strideOrKernel();
    const std::int64_t planes = d.n * d.c;
    for (std::int64_t p = 0; p < planes; ++p) {
        const float *src = in.data.data() + p * d.h * d.w;
        float *dst = out.data.data() + p * o.h * o.w;
        for (std::int64_t oy = 0; oy < o.h; ++oy)
            for (std::int64_t ox = 0; ox < o.w; ++ox) {
                // The window clipped to the padded input counts for count_include_pad (a
                // ceil-mode window reaching past the right padding counts that part for
                // nothing), then to the input for the sum.
                std::int64_t y0 = oy * s.h - l.padding.h;
                std::int64_t x0 = ox * s.w - l.padding.w;
                std::int64_t y1 = std::min(y0 + l.kernel.h, d.h + l.padding.h);
                std::int64_t x1 = std::min(x0 + l.kernel.w, d.w + l.padding.w);
                const std::int64_t poolSize = (y1 - y0) * (x1 - x0);
                y0 = std::max<std::int64_t>(y0, 0);
                x0 = std::max<std::int64_t>(x0, 0);
                y1 = std::min(y1, d.h);
                x1 = std::min(x1, d.w);
                if (y0 >= y1 || x0 >= x1) {
                    dst[oy * o.w + ox] = 0.0f;
                    continue;
                }
                float sum = 0.0f;
                for (std::int64_t y = y0; y < y1; ++y)
                    for (std::int64_t x = x0; x < x1; ++x)
                        sum += src[y * d.w + x];
                std::int64_t divisor = 0;
                if (l.divisorOverride)
                    divisor = *l.divisorOverride;
                else if (l.countIncludePad)
                    divisor = poolSize;
                else
                    divisor = (y1 - y0) * (x1 - x0);
                dst[oy * o.w + ox] = sum / static_cast<float>(divisor);
            }
        if (!planeDone(progress, p, planes))
            return ForwardStatus::Cancelled;
    }
    return ForwardStatus::Done;
}

ForwardStatus adaptiveAvgPool2d(const Tensor &in, const AdaptiveAvgPool2dLayer &l, Tensor &out,
                                const ProgressCallback &progress)
{
    const Nchw d = nchw(in.shape);
    out.shape = outputShape(l, in.shape);
    const Nchw o = nchw(out.shape);
    out.data.resize(static_cast<std::size_t>(numel(out.shape)));
    // Window i of n over a size: [floor(i * size / n), ceil((i + 1) * size / n)), so windows
    // overlap when n does not divide the size.
    const auto start = [](std::int64_t i, std::int64_t n, std::int64_t size) {
        return (i * size) / n;
    };
    const auto end = [](std::int64_t i, std::int64_t n, std::int64_t size) {
        return ((i + 1) * size + n - 1) / n;
    };
    const std::int64_t planes = d.n * d.c;
    for (std::int64_t p = 0; p < planes; ++p) {
        const float *src = in.data.data() + p * d.h * d.w;
        float *dst = out.data.data() + p * o.h * o.w;
        for (std::int64_t oy = 0; oy < o.h; ++oy) {
            const std::int64_t y0 = start(oy, o.h, d.h), y1 = end(oy, o.h, d.h);
            for (std::int64_t ox = 0; ox < o.w; ++ox) {
                const std::int64_t x0 = start(ox, o.w, d.w), x1 = end(ox, o.w, d.w);
                float sum = 0.0f;
                for (std::int64_t y = y0; y < y1; ++y)
                    for (std::int64_t x = x0; x < x1; ++x)
                        sum += src[y * d.w + x];
                dst[oy * o.w + ox] =
                    sum / static_cast<float>(y1 - y0) / static_cast<float>(x1 - x0);
            }
        }
        if (!planeDone(progress, p, planes))
            return ForwardStatus::Cancelled;
    }
    return ForwardStatus::Done;
}

ChannelAffine foldBatchNorm(const BatchNorm2dLayer &l)
{
    if (!l.runningMean || !l.runningVar || (l.affine && (!l.weight || !l.bias)))
        throw std::invalid_argument("forward needs the running statistics (and, with affine, "
                                    "the weight and bias) of every BatchNorm2d layer");
    const auto channels = static_cast<std::size_t>(l.numFeatures);
    ChannelAffine f;
    f.alpha.resize(channels);
    f.beta.resize(channels);
    const auto eps = static_cast<float>(l.eps);
    for (std::size_t c = 0; c < channels; ++c) {
        // PyTorch folds the statistics into y = x * alpha + beta per channel.
        const float invstd = 1.0f / std::sqrt(l.runningVar->data[c] + eps);
        f.alpha[c] = l.affine ? invstd * l.weight->data[c] : invstd;
        f.beta[c] = (l.affine ? l.bias->data[c] : 0.0f) - l.runningMean->data[c] * f.alpha[c];
    }
    return f;
}

void affineValues(const float *src, float *dst, std::size_t count, float alpha, float beta)
{
    for (std::size_t i = 0; i < count; ++i)
        dst[i] = src[i] * alpha + beta;
}

ForwardStatus batchNorm2d(const Tensor &in, const BatchNorm2dLayer &l, Tensor &out,
                          const ProgressCallback &progress)
{
    const ChannelAffine f = foldBatchNorm(l);
    const Nchw d = nchw(in.shape);
    out.shape = in.shape;
    out.data.resize(in.data.size());
    const std::int64_t plane = d.h * d.w;
    const std::int64_t planes = d.n * d.c;
    for (std::int64_t p = 0; p < planes; ++p) {
        const auto c = static_cast<std::size_t>(p % d.c);
        affineValues(in.data.data() + p * plane, out.data.data() + p * plane,
                     static_cast<std::size_t>(plane), f.alpha[c], f.beta[c]);
        if (!planeDone(progress, p, planes))
            return ForwardStatus::Cancelled;
    }
    return ForwardStatus::Done;
}

ForwardStatus pad2d(const Tensor &in, const SidePadding &padding, PadMode mode, float value,
                    Tensor &out, const ProgressCallback &progress)
{
    const Nchw d = nchw(in.shape);
    out.shape = paddedShape(padding, in.shape);
    const Nchw o = nchw(out.shape);
    out.data.resize(static_cast<std::size_t>(numel(out.shape)));
    const PaddingMode m = mode == PadMode::Reflect     ? PaddingMode::Reflect
                          : mode == PadMode::Replicate ? PaddingMode::Replicate
                                                       : PaddingMode::Zeros;
    // The source column of every output column, once (-1: the constant).
    std::vector<std::int64_t> cols(static_cast<std::size_t>(o.w));
    for (std::int64_t x = 0; x < o.w; ++x)
        cols[static_cast<std::size_t>(x)] = sourceIndex(x - padding.left, d.w, m);
    const std::int64_t planes = d.n * d.c;
    for (std::int64_t p = 0; p < planes; ++p) {
        const float *src = in.data.data() + p * d.h * d.w;
        float *dst = out.data.data() + p * o.h * o.w;
        for (std::int64_t y = 0; y < o.h; ++y) {
            const std::int64_t sy = sourceIndex(y - padding.top, d.h, m);
            for (std::int64_t x = 0; x < o.w; ++x) {
                const std::int64_t sx = cols[static_cast<std::size_t>(x)];
                dst[y * o.w + x] = sy < 0 || sx < 0 ? value : src[sy * d.w + sx];
            }
        }
        if (!planeDone(progress, p, planes))
            return ForwardStatus::Cancelled;
    }
    return ForwardStatus::Done;
}

void activateValues(const float *src, float *dst, std::size_t count, Activation kind, float slope)
{
    // One loop per kind, so the simple ones vectorise.
    switch (kind) {
    case Activation::Relu:
        for (std::size_t i = 0; i < count; ++i)
            dst[i] = std::max(src[i], 0.0f); // NaN passes through
        return;
    case Activation::LeakyRelu:
        for (std::size_t i = 0; i < count; ++i)
            dst[i] = src[i] > 0.0f ? src[i] : src[i] * slope;
        return;
    case Activation::Relu6: // hardtanh(0, 6): NaN passes through
        for (std::size_t i = 0; i < count; ++i)
            dst[i] = src[i] <= 0.0f ? 0.0f : (src[i] >= 6.0f ? 6.0f : src[i]);
        return;
    case Activation::Gelu:
        for (std::size_t i = 0; i < count; ++i)
            dst[i] = src[i] * 0.5f * (1.0f + std::erf(src[i] * static_cast<float>(M_SQRT1_2)));
        return;
    case Activation::Silu:
        for (std::size_t i = 0; i < count; ++i)
            dst[i] = src[i] / (1.0f + std::exp(-src[i]));
        return;
    case Activation::Sigmoid:
        for (std::size_t i = 0; i < count; ++i)
            dst[i] = 1.0f / (1.0f + std::exp(-src[i]));
        return;
    case Activation::Tanh:
        for (std::size_t i = 0; i < count; ++i)
            dst[i] = std::tanh(src[i]);
        return;
    }
}

ForwardStatus activate(const Tensor &in, Activation kind, float slope, Tensor &out,
                       const ProgressCallback &progress)
{
    out.shape = in.shape;
    out.data.resize(in.data.size());
    // Chunks rather than planes: a plane may be empty (an adaptive pool to size 0).
    constexpr std::size_t kChunk = 1 << 16;
    const std::size_t n = in.data.size();
    const std::size_t chunks = std::max<std::size_t>(1, (n + kChunk - 1) / kChunk);
    for (std::size_t c = 0; c < chunks; ++c) {
        const std::size_t b = c * kChunk, e = std::min(n, b + kChunk);
        activateValues(in.data.data() + b, out.data.data() + b, e - b, kind, slope);
        if (!planeDone(progress, static_cast<std::int64_t>(c), static_cast<std::int64_t>(chunks)))
            return ForwardStatus::Cancelled;
    }
    return ForwardStatus::Done;
}

} // namespace convscope::core
