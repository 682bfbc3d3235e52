// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernels.h"

#include "shape.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>
#include <utility>

namespace convscope::core {

namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Binomial row of length n (n >= 1): 1; 1 1; 1 2 1; 1 3 3 1 ...
std::vector<double> binomial(int n)
{
    std::vector<double> row{1.0};
    for (int i = 1; i < n; ++i) {
        std::vector<double> next(row.size() + 1, 0.0);
        for (std::size_t j = 0; j < row.size(); ++j) {
            next[j] += row[j];
            next[j + 1] += row[j];
        }
        row = std::move(next);
    }
    return row;
}

std::vector<double> convolve1d(const std::vector<double> &a, const std::vector<double> &b)
{
    std::vector<double> out(a.size() + b.size() - 1, 0.0);
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = 0; j < b.size(); ++j)
            out[i + j] += a[i] * b[j];
    return out;
}

// OpenCV's Sobel derivative row of length n; zeros when n == 1 (nothing to difference).
std::vector<double> derivative(int n)
{
    if (n == 1)
        return {0.0};
    if (n == 2)
        return {-1.0, 1.0};
    return convolve1d(binomial(n - 2), {-1.0, 0.0, 1.0});
}

std::vector<double> gaussian(int n)
{
    const double sigma = 0.3 * ((n - 1) * 0.5 - 1.0) + 0.8;
    const double centre = (n - 1) * 0.5;
    std::vector<double> row(static_cast<std::size_t>(n));
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
        const double d = i - centre;
        row[static_cast<std::size_t>(i)] = std::exp(-d * d / (2.0 * sigma * sigma));
        sum += row[static_cast<std::size_t>(i)];
    }
    for (double &v : row)
        v /= sum;
    return row;
}

std::vector<float> outer(const std::vector<double> &col, const std::vector<double> &row)
{
    std::vector<float> k;
    k.reserve(col.size() * row.size());
    for (double c : col)
        for (double r : row)
            k.push_back(static_cast<float>(c * r));
    return k;
}

// The 3x3 neighbourhood stencils (Laplacian, Sharpen, Edge) placed on the anchor: neighbours
// inside the kernel get `neighbour`, the centre gets centreBase + centrePerNeighbour * count.
std::vector<float> stencil(int kH, int kW, bool diagonals, float neighbour, float centreBase,
                           float centrePerNeighbour)
{
    std::vector<float> k(static_cast<std::size_t>(kH) * static_cast<std::size_t>(kW), 0.0f);
    const int ay = kernelAnchor(kH);
    const int ax = kernelAnchor(kW);
    int count = 0;
    for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
            if ((dy == 0 && dx == 0) || (!diagonals && dy != 0 && dx != 0))
                continue;
            const int y = ay + dy;
            const int x = ax + dx;
            if (y < 0 || y >= kH || x < 0 || x >= kW)
                continue;
            k[static_cast<std::size_t>(y) * static_cast<std::size_t>(kW)
              + static_cast<std::size_t>(x)] = neighbour;
            ++count;
        }
    }
    k[static_cast<std::size_t>(ay) * static_cast<std::size_t>(kW) + static_cast<std::size_t>(ax)] =
        centreBase + centrePerNeighbour * float(count);
    return k;
}

Shape clampedWeightShape(const Conv2dParams &p)
{
    Shape s = weightShape(p);
    for (auto &d : s)
        d = std::max<std::int64_t>(d, 0);
    return s;
}

// The top 53 bits of one mt19937_64 draw as a double in [0, 1): exact and identical on every
// platform, unlike std::uniform_real_distribution / std::generate_canonical.
double unitInterval(std::mt19937_64 &engine)
{
    return static_cast<double>(engine() >> 11) * 0x1.0p-53;
}

void fillUniform(Tensor &t, double bound, std::mt19937_64 &engine)
{
    for (float &v : t.data) {
        const double u = unitInterval(engine);
        v = static_cast<float>(-bound + 2.0 * bound * u);
    }
}

// splitmix64's finaliser: turns the user's seed into an unrelated seed for the bias stream.
std::uint64_t mix(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

} // namespace

const std::vector<KernelPreset> &allKernelPresets()
{
    static const std::vector<KernelPreset> presets{
        KernelPreset::Identity,  KernelPreset::BoxBlur, KernelPreset::Gaussian,
        KernelPreset::Sharpen,   KernelPreset::SobelX,  KernelPreset::SobelY,
        KernelPreset::Laplacian, KernelPreset::Emboss,  KernelPreset::Edge,
    };
    return presets;
}

std::string displayName(KernelPreset preset)
{
    switch (preset) {
    case KernelPreset::Identity: return "Identity";
    case KernelPreset::BoxBlur: return "Box blur";
    case KernelPreset::Gaussian: return "Gaussian";
    case KernelPreset::Sharpen: return "Sharpen";
    case KernelPreset::SobelX: return "Sobel x";
    case KernelPreset::SobelY: return "Sobel y";
    case KernelPreset::Laplacian: return "Laplacian";
    case KernelPreset::Emboss: return "Emboss";
    case KernelPreset::Edge: return "Edge";
    }
    return "Identity";
}

std::string identifier(KernelPreset preset)
{
    switch (preset) {
    case KernelPreset::Identity: return "identity";
    case KernelPreset::BoxBlur: return "box";
    case KernelPreset::Gaussian: return "gaussian";
    case KernelPreset::Sharpen: return "sharpen";
    case KernelPreset::SobelX: return "sobel-x";
    case KernelPreset::SobelY: return "sobel-y";
    case KernelPreset::Laplacian: return "laplacian";
    case KernelPreset::Emboss: return "emboss";
    case KernelPreset::Edge: return "edge";
    }
    return "identity";
}

std::optional<KernelPreset> parseKernelPreset(const std::string &text)
{
    const std::string t = lower(text);
    for (KernelPreset p : allKernelPresets())
        if (t == identifier(p) || t == lower(displayName(p)))
            return p;
    return std::nullopt;
}

int kernelAnchor(int extent)
{
    return extent > 0 ? (extent - 1) / 2 : 0;
}

std::vector<float> presetKernel(KernelPreset preset, int kH, int kW)
{
    if (kH <= 0 || kW <= 0)
        return {};
    const auto n = static_cast<std::size_t>(kH) * static_cast<std::size_t>(kW);
    switch (preset) {
    case KernelPreset::Identity: {
        std::vector<float> k(n, 0.0f);
        k[static_cast<std::size_t>(kernelAnchor(kH)) * static_cast<std::size_t>(kW)
          + static_cast<std::size_t>(kernelAnchor(kW))] = 1.0f;
        return k;
    }
    case KernelPreset::BoxBlur: return std::vector<float>(n, static_cast<float>(1.0 / double(n)));
    case KernelPreset::Gaussian: return outer(gaussian(kH), gaussian(kW));
    case KernelPreset::SobelX: return outer(binomial(kH), derivative(kW));
    case KernelPreset::SobelY: return outer(derivative(kH), binomial(kW));
    case KernelPreset::Laplacian: return stencil(kH, kW, false, 1.0f, 0.0f, -1.0f);
    case KernelPreset::Sharpen: return stencil(kH, kW, false, -1.0f, 1.0f, 1.0f);
    case KernelPreset::Edge: return stencil(kH, kW, true, -1.0f, 0.0f, 1.0f);
    case KernelPreset::Emboss: {
        std::vector<float> k(n, 0.0f);
        const double cy = (kH - 1) * 0.5;
        const double cx = (kW - 1) * 0.5;
        for (int y = 0; y < kH; ++y)
            for (int x = 0; x < kW; ++x)
                k[static_cast<std::size_t>(y) * static_cast<std::size_t>(kW)
                  + static_cast<std::size_t>(x)] = static_cast<float>((y - cy) + (x - cx));
        k[static_cast<std::size_t>(kernelAnchor(kH)) * static_cast<std::size_t>(kW)
          + static_cast<std::size_t>(kernelAnchor(kW))] += 1.0f;
        return k;
    }
    }
    return std::vector<float>(n, 0.0f);
}

Tensor presetWeights(const Conv2dParams &p, KernelPreset preset)
{
    Tensor w(clampedWeightShape(p));
    const std::int64_t cInG = w.dim(1);
    if (w.size() == 0)
        return w;
    const std::vector<float> k = presetKernel(preset, p.kernel.h, p.kernel.w);
    const float scale = 1.0f / static_cast<float>(cInG);
    auto out = w.data.begin();
    for (std::int64_t o = 0; o < w.dim(0); ++o)
        for (std::int64_t i = 0; i < cInG; ++i)
            for (float v : k)
                *out++ = v * scale;
    return w;
}

Tensor zeroBias(const Conv2dParams &p)
{
    return Tensor(Shape{std::max(p.outChannels, 0)});
}

std::int64_t fanIn(const Conv2dParams &p)
{
    const Shape s = clampedWeightShape(p);
    return s[1] * s[2] * s[3];
}

double kaimingBound(const Conv2dParams &p)
{
    const std::int64_t f = fanIn(p);
    return f > 0 ? 1.0 / std::sqrt(static_cast<double>(f)) : 0.0;
}

Tensor kaimingUniformWeights(const Conv2dParams &p, std::uint64_t seed)
{
    Tensor w(clampedWeightShape(p));
    std::mt19937_64 engine(seed);
    fillUniform(w, kaimingBound(p), engine);
    return w;
}

Tensor defaultBias(const Conv2dParams &p, std::uint64_t seed)
{
    Tensor b = zeroBias(p);
    std::mt19937_64 engine(mix(seed));
    fillUniform(b, kaimingBound(p), engine);
    return b;
}

std::pair<Tensor, Tensor> startupWeights(const Conv2dParams &p)
{
    const Shape shape = weightShape(p);
    Tensor w(shape, 0.0f);
    Tensor b(Shape{p.outChannels}, 0.0f);
    const std::int64_t cout = shape[0], cin = shape[1], kh = shape[2], kw = shape[3];
    for (std::int64_t o = 0; o < cout; ++o) {
        for (std::int64_t i = 0; i < cin; ++i) {
            for (std::int64_t y = 0; y < kh; ++y) {
                for (std::int64_t x = 0; x < kw; ++x) {
                    float v = 0.0f;
                    switch (o % 4) {
                    case 0: v = 1.0f / float(kh * kw); break; // box blur
                    case 1: // horizontal edge: bottom rows minus top rows
                        v = y < kh / 2 ? -1.0f : (2 * y + 1 == kh ? 0.0f : 1.0f);
                        v /= float(kw * std::max<std::int64_t>(1, kh / 2));
                        break;
                    case 2: // vertical edge: right columns minus left columns
                        v = x < kw / 2 ? -1.0f : (2 * x + 1 == kw ? 0.0f : 1.0f);
                        v /= float(kh * std::max<std::int64_t>(1, kw / 2));
                        break;
                    case 3: v = (y == kh / 2 && x == kw / 2) ? 1.0f : 0.0f; break; // identity
                    }
                    w.data[static_cast<std::size_t>(((o * cin + i) * kh + y) * kw + x)] =
                        v / float(cin);
                }
            }
        }
    }
    return {std::move(w), std::move(b)};
}

} // namespace convscope::core
