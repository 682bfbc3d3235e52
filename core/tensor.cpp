// SPDX-License-Identifier: GPL-3.0-or-later
#include "tensor.h"

#include "checked.h"

#include <cassert>
#include <limits>
#include <stdexcept>

namespace convscope::core {

std::optional<std::int64_t> checkedNumel(const Shape &shape)
{
    return checkedProduct(shape.begin(), shape.end());
}

std::int64_t numel(const Shape &shape)
{
    if (const auto n = checkedNumel(shape))
        return *n;
    throw std::overflow_error("shape " + formatShape(shape) + " has more than "
                              + std::to_string(std::numeric_limits<std::int64_t>::max())
                              + " elements");
}

std::string formatShape(const Shape &shape)
{
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i)
            s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

Tensor::Tensor(Shape s, float fill)
    : shape(std::move(s)), data(static_cast<std::size_t>(numel(shape)), fill)
{
}

Tensor::Tensor(Shape s, std::vector<float> values) : shape(std::move(s)), data(std::move(values))
{
    if (static_cast<std::int64_t>(data.size()) != numel(shape))
        throw std::invalid_argument("Tensor: " + std::to_string(data.size())
                                    + " values do not fill shape " + formatShape(shape));
}

float &Tensor::at(std::int64_t n, std::int64_t c, std::int64_t y, std::int64_t x)
{
    assert(shape.size() == 4);
    return data[static_cast<std::size_t>(((n * shape[1] + c) * shape[2] + y) * shape[3] + x)];
}

float Tensor::at(std::int64_t n, std::int64_t c, std::int64_t y, std::int64_t x) const
{
    assert(shape.size() == 4);
    return data[static_cast<std::size_t>(((n * shape[1] + c) * shape[2] + y) * shape[3] + x)];
}

Tensor crop(const Tensor &t, std::int64_t y0, std::int64_t x0, std::int64_t h, std::int64_t w)
{
    if (t.rank() != 4)
        throw std::invalid_argument("crop: expected an [N, C, H, W] tensor, got "
                                    + formatShape(t.shape));
    const std::int64_t H = t.dim(2), W = t.dim(3);
    if (h <= 0 || w <= 0 || y0 < 0 || x0 < 0 || y0 > H - h || x0 > W - w)
        throw std::out_of_range("crop: window " + std::to_string(h) + " x " + std::to_string(w)
                                + " at (" + std::to_string(y0) + ", " + std::to_string(x0)
                                + ") does not fit maps of " + std::to_string(H) + " x "
                                + std::to_string(W));
    Tensor out({t.dim(0), t.dim(1), h, w});
    for (std::int64_t n = 0; n < t.dim(0); ++n)
        for (std::int64_t c = 0; c < t.dim(1); ++c)
            for (std::int64_t y = 0; y < h; ++y)
                for (std::int64_t x = 0; x < w; ++x)
                    out.at(n, c, y, x) = t.at(n, c, y0 + y, x0 + x);
    return out;
}

} // namespace convscope::core
