// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// NumPy .npy files: read little-endian float32/float64 (converted to float32) in C order,
// format versions 1, 2 and 3; write float32 version 1, atomically.
#include "tensor.h"

#include <stdexcept>
#include <string>

namespace convscope::core {

class NpyError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws NpyError with a message naming the file and the problem (missing, truncated,
// malformed header, Fortran order, big-endian, non-float dtype, ...).
Tensor readNpy(const std::string &path);

// Parses an in-memory .npy image; `name` is used in error messages.
Tensor parseNpy(const std::string &bytes, const std::string &name);

// Serialises a tensor as a version 1.0 '<f4' .npy image.
std::string serializeNpy(const Tensor &t);

// Writes through a temporary file in the same folder and a rename, so an error never
// leaves a partial or empty file at `path`. Throws NpyError.
void writeNpy(const std::string &path, const Tensor &t);

// Writes bytes atomically (temporary file + rename). Throws NpyError on failure.
void writeFileAtomically(const std::string &path, const std::string &bytes);

} // namespace convscope::core
