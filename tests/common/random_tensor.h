#pragma once
// Uniformly random tensors for the core and ui test suites (Qt-free, header only; not a test
// file itself). One definition, so every suite draws its data the same way.
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

} // namespace convscope::test
