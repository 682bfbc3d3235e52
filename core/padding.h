// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Padding modes as one index-mapping function, shared by the engine, the views that draw
// the padded border and the explain-one-value breakdown.
#include "conv2dparams.h"

#include <cstdint>

namespace convscope::core {

// Maps a coordinate of the padded input (relative to the unpadded origin, so it may be
// negative or >= size) to the source coordinate it copies, or -1 when the tap reads a zero.
// Assumes validation passed: reflect needs pad < size, circular needs pad <= size.
inline std::int64_t sourceIndex(std::int64_t i, std::int64_t size, PaddingMode mode)
{
    if (i >= 0 && i < size)
        return i;
    switch (mode) {
    case PaddingMode::Zeros: return -1;
    case PaddingMode::Reflect: // mirror without repeating the edge pixel: -1 -> 1
        return i < 0 ? -i : 2 * (size - 1) - i;
    case PaddingMode::Replicate: return i < 0 ? 0 : size - 1;
    case PaddingMode::Circular: return ((i % size) + size) % size;
    }
    return -1;
}

} // namespace convscope::core
