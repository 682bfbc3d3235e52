// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Conv2d as the matrix it is. A convolution is linear in its input: flatten the padded input
// into a vector and every output value is one row of a sparse matrix times it, the row
// holding the kernel's weights at the columns its window reads. The transposed convolution
// is the same matrix transposed, which is where its name comes from. Shown for small inputs
// (a lecture's 8 x 8 example), built with Eigen's sparse matrices.
#include "network.h"
#include "shape.h"
#include "tensor.h"

#include <Eigen/SparseCore>

#include <cstdint>

namespace convscope::core {

// The largest input side convMatrix() takes: a 32 x 32 RGB input and a 3 x 3 kernel already
// give a 27,648-entry matrix, more than anyone can read.
inline constexpr std::int64_t kConvMatrixMaxSide = 32;

struct ConvMatrix {
    // Rows: the outputs [C_out, H_out, W_out] in C order; columns: the padded input
    // [C_in, H + top + bottom, W + left + right] in C order; entries: weights.
    Eigen::SparseMatrix<float, Eigen::RowMajor> matrix;
    Shape outputShape; // [C_out, H_out, W_out]
    Shape paddedShape; // [C_in, H_p, W_p]
    SidePadding padding;
};

// The matrix of a Conv2d with weights on a [C, H, W] (or [1, C, H, W]) input. Throws
// std::invalid_argument when the layer is invalid on that input, has no weight, or a side of
// the input is past kConvMatrixMaxSide.
ConvMatrix convMatrix(const Conv2dLayer &layer, const Shape &inputShape);

// The input padded as the layer pads it (zeros, reflect, replicate or circular) and
// flattened in the matrix's column order.
Eigen::VectorXf paddedVector(const Tensor &input, const Conv2dParams &params);

// The output as the matrix gives it: matrix * paddedVector(input) + bias, as [C_out, H_out,
// W_out].
Tensor matrixForward(const ConvMatrix &m, const Tensor &input, const Conv2dLayer &layer);

// matrix^T * v for an output-shaped v, cropped from the padded input back to [C, H, W]: the
// transposed convolution of v (zeros padding) with the layer's weight.
Tensor matrixTransposed(const ConvMatrix &m, const Tensor &v);

} // namespace convscope::core
