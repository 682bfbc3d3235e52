#include "tensor.h"

#include <cassert>
#include <stdexcept>

namespace convscope::core {

std::int64_t numel(const Shape &shape)
{
    std::int64_t n = 1;
    for (auto d : shape)
        n *= d;
    return n;
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

} // namespace convscope::core
