// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A float32 tensor in C (row-major) order: NCHW for images and feature maps,
// [C_out, C_in/groups, kH, kW] for weights, [C_out] for bias.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace convscope::core {

using Shape = std::vector<std::int64_t>;

// Number of elements of a shape (1 for a rank-0 shape). Throws std::overflow_error when it
// does not fit an int64; checkedNumel() says nullopt instead.
std::int64_t numel(const Shape &shape);
std::optional<std::int64_t> checkedNumel(const Shape &shape);

// PyTorch's way of writing a size: "[1, 3, 8, 8]".
std::string formatShape(const Shape &shape);

struct Tensor {
    Shape shape;
    std::vector<float> data;

    Tensor() = default;
    explicit Tensor(Shape s, float fill = 0.0f);
    Tensor(Shape s, std::vector<float> values);

    std::int64_t size() const { return static_cast<std::int64_t>(data.size()); }
    int rank() const { return static_cast<int>(shape.size()); }
    std::int64_t dim(int i) const { return shape.at(static_cast<std::size_t>(i)); }

    // Element access for rank-4 tensors (no bounds checks beyond debug asserts).
    float &at(std::int64_t n, std::int64_t c, std::int64_t y, std::int64_t x);
    float at(std::int64_t n, std::int64_t c, std::int64_t y, std::int64_t x) const;

    bool operator==(const Tensor &) const = default;
};

// The window rows [y0, y0 + h) and columns [x0, x0 + w) of every map of a rank-4 tensor:
// [N, C, H, W] -> [N, C, h, w]. Throws std::invalid_argument for another rank and
// std::out_of_range when the window is empty or reaches outside the maps.
Tensor crop(const Tensor &t, std::int64_t y0, std::int64_t x0, std::int64_t h, std::int64_t w);

} // namespace convscope::core
