// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// NumPy .npy files: read little-endian float32/float64 (converted to float32) in C order,
// format versions 1, 2 and 3; write float32 version 1, atomically and streaming.
#include "tensor.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

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

// Receives the bytes of a .npy file in order; returns false to stop (a write failed).
using NpySink = std::function<bool(const char *data, std::size_t size)>;

// The data goes out in pieces of at most this size, each straight from the tensor's buffer.
inline constexpr std::size_t kNpyChunkBytes = std::size_t{1} << 20;

// The version 1.0 header for `shape`: magic, version, length, the padded dict. `descr` is
// numpy's dtype string: '<f4' (float32) or '<i8' (int64).
std::string npyHeader(const Shape &shape, const std::string &descr = "<f4");

// Streams a tensor as a .npy file: the header, then the data in chunks from the tensor's own
// buffer, never a second copy of it. False when `sink` returned false.
bool writeNpyTo(const Tensor &t, const NpySink &sink);

// Serialises a tensor as a version 1.0 '<f4' .npy image in memory (a copy: for small
// tensors and tests; files are written with writeNpy or writeNpyTo).
std::string serializeNpy(const Tensor &t);

// An int64 array (counts) as a '<i8' .npy image in memory.
std::string serializeNpyInt64(const Shape &shape, const std::vector<std::int64_t> &data);

// Streams through a temporary file in the same folder and a rename, so an error never
// leaves a partial or empty file at `path` (a device such as /dev/stdout is written
// directly). Throws NpyError with the system's reason ("no space left on device").
void writeNpy(const std::string &path, const Tensor &t);

// Writes bytes atomically (temporary file + rename). Throws NpyError on failure.
void writeFileAtomically(const std::string &path, const std::string &bytes);

} // namespace convscope::core
