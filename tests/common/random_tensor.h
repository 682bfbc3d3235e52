// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Random tensors (uniform, or normal with `Normal`) for the core and ui test suites (Qt-free,
// header only; not a test file itself). One definition, so every suite draws its data the same way.
#include "tensor.h"

#include <random>
#include <utility>

namespace convscope::test {

// Values in [lo, hi) drawn from `rng`, in storage order.
inline core::Tensor randomTensor(core::Shape shape, std::mt19937 &rng, float lo = -1.0f,
                                 float hi = 1.0f)
{
    std::uniform_real_distribution<float> dist(lo, hi);
    core::Tensor t(std::move(shape));
    for (float &v : t.data)
        v = dist(rng);
    return t;
}

// The same from a fresh generator seeded with `seed`.
inline core::Tensor randomTensor(core::Shape shape, unsigned seed, float lo = -1.0f,
                                 float hi = 1.0f)
{
    std::mt19937 gen(seed);
    return randomTensor(std::move(shape), gen, lo, hi);
}

// Standard normal values times `stddev`, e.g. Normal{1 / sqrt(fan_in)} for weights.
struct Normal {
    float stddev = 1.0f;
};

// Values N(0, 1) * stddev drawn from `rng`, in storage order. The product is taken after
// the draw (not a N(0, stddev) distribution) so the numbers match the bench's inputs.
inline core::Tensor randomTensor(core::Shape shape, std::mt19937 &rng, Normal normal)
{
    core::Tensor t(std::move(shape));
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (float &v : t.data)
        v = dist(rng) * normal.stddev;
    return t;
}

} // namespace convscope::test
