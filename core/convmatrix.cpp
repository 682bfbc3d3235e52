// SPDX-License-Identifier: GPL-3.0-or-later
#include "convmatrix.h"

#include "padding.h"

#include <stdexcept>
#include <vector>

namespace convscope::core {

namespace {

Shape unbatched(const Shape &s)
{
    if (s.size() == 4 && s[0] == 1)
        return {s[1], s[2], s[3]};
    if (s.size() == 3)
        return s;
    throw std::invalid_argument("the matrix view takes a [C, H, W] or [1, C, H, W] input, but got "
                                + formatShape(s));
}

} // namespace

ConvMatrix convMatrix(const Conv2dLayer &layer, const Shape &inputShape)
{
    const Shape in = unbatched(inputShape);
    if (!layer.weight)
        throw std::invalid_argument("the matrix view needs the layer's weight");
    Network one;
    one.layers.emplace_back(layer);
    if (auto e = validate(one, in))
        throw std::invalid_argument(e->message());
    if (in[1] > kConvMatrixMaxSide || in[2] > kConvMatrixMaxSide)
        throw std::invalid_argument("input " + formatShape(inputShape)
                                    + " is too large for the matrix view: expected at most "
                                    + std::to_string(kConvMatrixMaxSide) + " x "
                                    + std::to_string(kConvMatrixMaxSide) + " pixels");
    const Conv2dParams &p = layer.params;
    ConvMatrix m;
    m.padding = effectivePadding(p);
    const Shape os = outputShape(p, in); // [1, C_out, H_out, W_out]
    m.outputShape = {os[1], os[2], os[3]};
    const std::int64_t C = in[0], H = in[1], W = in[2];
    const std::int64_t Hp = H + m.padding.top + m.padding.bottom;
    const std::int64_t Wp = W + m.padding.left + m.padding.right;
    m.paddedShape = {C, Hp, Wp};
    const std::int64_t O = m.outputShape[0], Ho = m.outputShape[1], Wo = m.outputShape[2];
    const std::int64_t cg = C / p.groups, og = O / p.groups;
    std::vector<Eigen::Triplet<float>> entries;
    entries.reserve(static_cast<std::size_t>(O * Ho * Wo * cg * p.kernel.h * p.kernel.w));
    const Tensor &w = *layer.weight;
    for (std::int64_t o = 0; o < O; ++o)
        for (std::int64_t y = 0; y < Ho; ++y)
            for (std::int64_t x = 0; x < Wo; ++x) {
                const std::int64_t row = (o * Ho + y) * Wo + x;
                for (std::int64_t ci = 0; ci < cg; ++ci) {
                    const std::int64_t c = (o / og) * cg + ci;
                    for (std::int64_t ky = 0; ky < p.kernel.h; ++ky)
                        for (std::int64_t kx = 0; kx < p.kernel.w; ++kx) {
                            const std::int64_t py = y * p.stride.h + ky * p.dilation.h;
                            const std::int64_t px = x * p.stride.w + kx * p.dilation.w;
                            entries.emplace_back(static_cast<int>(row),
                                                 static_cast<int>((c * Hp + py) * Wp + px),
                                                 w.at(o, ci, ky, kx));
                        }
                }
            }
    m.matrix.resize(static_cast<int>(O * Ho * Wo), static_cast<int>(C * Hp * Wp));
    m.matrix.setFromTriplets(entries.begin(), entries.end());
    return m;
}

Eigen::VectorXf paddedVector(const Tensor &input, const Conv2dParams &params)
{
    const Shape in = unbatched(input.shape);
    const SidePadding pad = effectivePadding(params);
    const std::int64_t C = in[0], H = in[1], W = in[2];
    const std::int64_t Hp = H + pad.top + pad.bottom, Wp = W + pad.left + pad.right;
    Eigen::VectorXf v = Eigen::VectorXf::Zero(static_cast<Eigen::Index>(C * Hp * Wp));
    for (std::int64_t c = 0; c < C; ++c)
        for (std::int64_t y = 0; y < Hp; ++y) {
            const std::int64_t sy = sourceIndex(y - pad.top, H, params.paddingMode);
            for (std::int64_t x = 0; x < Wp; ++x) {
                const std::int64_t sx = sourceIndex(x - pad.left, W, params.paddingMode);
                if (sy >= 0 && sx >= 0)
                    v[static_cast<Eigen::Index>((c * Hp + y) * Wp + x)] =
                        input.data[static_cast<std::size_t>((c * H + sy) * W + sx)];
            }
        }
    return v;
}

Tensor matrixForward(const ConvMatrix &m, const Tensor &input, const Conv2dLayer &layer)
{
    const Eigen::VectorXf y = m.matrix * paddedVector(input, layer.params);
    Tensor out(m.outputShape);
    const std::int64_t plane = m.outputShape[1] * m.outputShape[2];
    for (Eigen::Index i = 0; i < y.size(); ++i) {
        const float b = layer.params.bias && layer.bias
                            ? layer.bias->data[static_cast<std::size_t>(i / plane)]
                            : 0.0f;
        out.data[static_cast<std::size_t>(i)] = y[i] + b;
    }
    return out;
}

Tensor matrixTransposed(const ConvMatrix &m, const Tensor &v)
{
    if (numel(v.shape) != m.matrix.rows())
        throw std::invalid_argument("expected a vector of the output's shape "
                                    + formatShape(m.outputShape) + ", but got "
                                    + formatShape(v.shape));
    const Eigen::Map<const Eigen::VectorXf> x(v.data.data(), m.matrix.rows());
    const Eigen::VectorXf t = m.matrix.transpose() * x;
    const std::int64_t C = m.paddedShape[0], Hp = m.paddedShape[1], Wp = m.paddedShape[2];
    const std::int64_t H = Hp - m.padding.top - m.padding.bottom;
    const std::int64_t W = Wp - m.padding.left - m.padding.right;
    Tensor out(Shape{C, H, W});
    for (std::int64_t c = 0; c < C; ++c)
        for (std::int64_t y = 0; y < H; ++y)
            for (std::int64_t x2 = 0; x2 < W; ++x2)
                out.data[static_cast<std::size_t>((c * H + y) * W + x2)] =
                    t[static_cast<Eigen::Index>(((c * Hp) + y + m.padding.top) * Wp + x2
                                                + m.padding.left)];
    return out;
}

} // namespace convscope::core
