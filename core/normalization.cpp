// SPDX-License-Identifier: GPL-3.0-or-later
#include "normalization.h"

#include "layers.h"
#include "shape.h"

#include <cmath>

namespace convscope::core {

namespace {

std::string listOf(const std::vector<double> &v)
{
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i)
        s += (i ? ", " : "") + pythonFloat(v[i]);
    return s + "]";
}

} // namespace

InputNormalization imagenetNormalization()
{
    return {{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}};
}

std::optional<ValidationError> validate(const InputNormalization &n, int channels)
{
    const auto bad = [](std::string m) { return ValidationError{Field::Input, std::move(m)}; };
    if (n.mean.empty() || n.stdDev.empty())
        return bad("expected mean and std to hold one value per input channel, but got mean="
                   + listOf(n.mean) + " and std=" + listOf(n.stdDev));
    if (n.mean.size() != n.stdDev.size())
        return bad("expected mean and std to have as many values, but got "
                   + std::to_string(n.mean.size()) + " mean and " + std::to_string(n.stdDev.size())
                   + " std values");
    for (std::size_t i = 0; i < n.mean.size(); ++i)
        if (!std::isfinite(n.mean[i]) || !std::isfinite(static_cast<float>(n.mean[i])))
            return bad("expected a finite mean for every channel, but got mean[" + std::to_string(i)
                       + "]=" + pythonFloat(n.mean[i]));
    for (std::size_t i = 0; i < n.stdDev.size(); ++i)
        if (!std::isfinite(n.stdDev[i]) || !(static_cast<float>(n.stdDev[i]) > 0.0f)
            || !std::isfinite(static_cast<float>(n.stdDev[i])))
            return bad("expected a finite std > 0 for every channel (it divides), but got std["
                       + std::to_string(i) + "]=" + pythonFloat(n.stdDev[i])
                       + (n.stdDev[i] > 0.0 && std::isfinite(n.stdDev[i])
                              ? ", which is 0 in float32"
                              : ""));
    if (channels >= 0 && n.mean.size() != static_cast<std::size_t>(channels))
        return bad("expected one mean and one std value per input channel ("
                   + std::to_string(channels) + "), but got " + std::to_string(n.mean.size())
                   + ": mean=" + listOf(n.mean) + ", std=" + listOf(n.stdDev));
    return std::nullopt;
}

std::optional<ValidationError> validate(const InputNormalization &n, const Shape &inputShape)
{
    if (inputShape.size() != 3 && inputShape.size() != 4)
        return ValidationError{Field::Input, "expected a 3-D (unbatched) or 4-D (batched) input, "
                                             "but got input of shape "
                                                 + formatShape(inputShape)};
    const std::int64_t channels = inputShape[inputShape.size() - 3];
    return validate(n, static_cast<int>(std::min<std::int64_t>(channels, 1 << 30)));
}

void normalizeInput(const InputNormalization &n, const Tensor &in, Tensor &out)
{
    const Nchw d = nchw(in.shape);
    if (&out != &in) {
        out.shape = in.shape;
        out.data.resize(in.data.size());
    }
    const std::int64_t plane = d.h * d.w;
    for (std::int64_t p = 0; p < d.n * d.c; ++p) {
        const auto c = static_cast<std::size_t>(p % d.c);
        const auto mean = static_cast<float>(n.mean[c]);
        const auto sd = static_cast<float>(n.stdDev[c]);
        const float *src = in.data.data() + p * plane;
        float *dst = out.data.data() + p * plane;
        for (std::int64_t i = 0; i < plane; ++i)
            dst[i] = (src[i] - mean) / sd;
    }
}

void normalizeGradient(const InputNormalization &n, Tensor &grad)
{
    const Nchw d = nchw(grad.shape);
    const std::int64_t plane = d.h * d.w;
    for (std::int64_t p = 0; p < d.n * d.c; ++p) {
        const auto sd = static_cast<float>(n.stdDev[static_cast<std::size_t>(p % d.c)]);
        float *g = grad.data.data() + p * plane;
        for (std::int64_t i = 0; i < plane; ++i)
            g[i] /= sd;
    }
}

std::string torchRepr(const InputNormalization &n)
{
    return "Normalize(mean=" + listOf(n.mean) + ", std=" + listOf(n.stdDev) + ")";
}

} // namespace convscope::core
