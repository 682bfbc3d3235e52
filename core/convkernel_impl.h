// SPDX-License-Identifier: GPL-3.0-or-later
// The micro-kernel's body, compiled once per instruction set: each convkernel_<isa>.cpp
// defines CONVSCOPE_KERNEL_NS, is built with that ISA's flags, and includes this file, so
// one binary carries every path and conv2d.cpp picks one at run time (core/isa.h). Nothing
// here may have external linkage outside that namespace: an inline function or template
// shared between the paths would be merged by the linker and one ISA's code would run on
// a CPU that picked another.
#ifndef CONVSCOPE_KERNEL_NS
#error "define CONVSCOPE_KERNEL_NS before including convkernel_impl.h"
#endif

#include "convkernel.h"

#include <cstring>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace convscope::core::CONVSCOPE_KERNEL_NS {

namespace {

// One SIMD register's worth of floats: AVX-512, AVX2+FMA, or a portable GCC vector type
// (SSE2 on x86-64), whichever this translation unit's flags allow.
#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
inline Vec load(const float *p)
{
    return _mm512_loadu_ps(p);
}
inline void store(float *p, Vec v)
{
    _mm512_storeu_ps(p, v);
}
inline Vec splat(float x)
{
    return _mm512_set1_ps(x);
}
inline Vec fma(Vec a, Vec b, Vec c)
{
    return _mm512_fmadd_ps(a, b, c);
}
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
inline Vec load(const float *p)
{
    return _mm256_loadu_ps(p);
}
inline void store(float *p, Vec v)
{
    _mm256_storeu_ps(p, v);
}
inline Vec splat(float x)
{
    return _mm256_set1_ps(x);
}
inline Vec fma(Vec a, Vec b, Vec c)
{
    return _mm256_fmadd_ps(a, b, c);
}
#else
typedef float Vec __attribute__((vector_size(16)));
constexpr int kLanes = 4;
inline Vec load(const float *p)
{
    Vec v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store(float *p, Vec v)
{
    std::memcpy(p, &v, sizeof v);
}
inline Vec splat(float x)
{
    return Vec{x, x, x, x};
}
inline Vec fma(Vec a, Vec b, Vec c)
{
    return a * b + c;
}
#endif

// Vectors per row of the register tile: Ob * Xb accumulators stay within 24 of AVX-512's
// 32 registers, and within 12 of the 16 that AVX2 and SSE2 have, leaving room for the loaded
// inputs and broadcast weights. With 16 registers, 6 channels x 2 vectors is the tile that
// keeps the most FMAs in flight per load.
#if defined(__AVX512F__)
constexpr int kBlockChannels = 8;
constexpr int kVectors[kMaxBlockChannels + 1] = {0, 12, 12, 8, 6, 4, 4, 3, 3};
#else
constexpr int kBlockChannels = 6;
constexpr int kVectors[kMaxBlockChannels + 1] = {0, 12, 6, 4, 3, 2, 2, 1, 1};
#endif
constexpr int vectorsFor(int channels)
{
    return kVectors[channels];
}

// std::min is an inline template with external linkage: see the note at the top.
constexpr std::int64_t smaller(std::int64_t a, std::int64_t b)
{
    return a < b ? a : b;
}

template <int Ob>
inline void block(const KernelArgs &a, std::int64_t q, float *dst, std::ptrdiff_t dstStride)
{
    constexpr int Xb = vectorsFor(Ob);
    Vec acc[Ob][Xb];
#pragma GCC unroll 8
    for (int o = 0; o < Ob; ++o) {
        const Vec b = splat(a.bias[o]);
#pragma GCC unroll 12
        for (int x = 0; x < Xb; ++x)
            acc[o][x] = b;
    }
    const float *in = a.input + q;
    const float *w = a.weights;
    for (int k = 0; k < a.taps; ++k, w += Ob) {
        const float *p = in + a.offsets[k];
        if constexpr (Ob >= Xb) {
            // Few positions, many channels: keep the inputs, broadcast each weight once.
            Vec xv[Xb];
#pragma GCC unroll 12
            for (int x = 0; x < Xb; ++x)
                xv[x] = load(p + std::ptrdiff_t(x) * kLanes);
#pragma GCC unroll 8
            for (int o = 0; o < Ob; ++o) {
                const Vec wv = splat(w[o]);
#pragma GCC unroll 12
                for (int x = 0; x < Xb; ++x)
                    acc[o][x] = fma(wv, xv[x], acc[o][x]);
            }
        } else {
            Vec wv[Ob];
#pragma GCC unroll 8
            for (int o = 0; o < Ob; ++o)
                wv[o] = splat(w[o]);
#pragma GCC unroll 12
            for (int x = 0; x < Xb; ++x) {
                const Vec xv = load(p + std::ptrdiff_t(x) * kLanes);
#pragma GCC unroll 8
                for (int o = 0; o < Ob; ++o)
                    acc[o][x] = fma(wv[o], xv, acc[o][x]);
            }
        }
    }
#pragma GCC unroll 8
    for (int o = 0; o < Ob; ++o)
#pragma GCC unroll 12
        for (int x = 0; x < Xb; ++x)
            store(dst + o * dstStride + std::ptrdiff_t(x) * kLanes, acc[o][x]);
}

// Copies the positions [q, qEnd) of a tile [Ob][P] into the output, dropping padding columns.
template <int Ob>
void scatter(const float *tile, int P, const KernelOutput &o, std::int64_t q, std::int64_t qEnd)
{
    std::int64_t y = q / o.planeWidth;
    std::int64_t x = q - y * o.planeWidth;
    const std::int64_t q0 = q;
    while (q < qEnd) {
        const std::int64_t run = smaller(o.planeWidth - x, qEnd - q);
        const std::int64_t valid = smaller(run, o.width - x);
        if (valid > 0)
            for (int c = 0; c < Ob; ++c)
                std::memcpy(o.out + c * o.channelStride + y * o.width + x,
                            tile + std::ptrdiff_t(c) * P + (q - q0),
                            static_cast<std::size_t>(valid) * sizeof(float));
        q += run;
        ++y;
        x = 0;
    }
}

template <int Ob>
void range(const KernelArgs &a, const KernelOutput &o, std::int64_t qBegin, std::int64_t qEnd)
{
    constexpr int P = vectorsFor(Ob) * kLanes;
    alignas(64) float tile[Ob * P];
    for (std::int64_t q = qBegin; q < qEnd; q += P) {
        const std::int64_t y = q / o.planeWidth;
        const std::int64_t x = q - y * o.planeWidth;
        if (x + P <= o.width && q + P <= qEnd) {
            // The whole block lies inside one output row: store straight into the output.
            block<Ob>(a, q, o.out + y * o.width + x, o.channelStride);
        } else {
            block<Ob>(a, q, tile, P);
            scatter<Ob>(tile, P, o, q, smaller(q + P, qEnd));
        }
    }
}

} // namespace

int blockChannels()
{
    return kBlockChannels;
}

void convRange(const KernelArgs &a, const KernelOutput &o, std::int64_t qBegin, std::int64_t qEnd)
{
    switch (a.channels) {
    case 1: range<1>(a, o, qBegin, qEnd); break;
    case 2: range<2>(a, o, qBegin, qEnd); break;
    case 3: range<3>(a, o, qBegin, qEnd); break;
    case 4: range<4>(a, o, qBegin, qEnd); break;
    case 5: range<5>(a, o, qBegin, qEnd); break;
    case 6: range<6>(a, o, qBegin, qEnd); break;
    case 7: range<7>(a, o, qBegin, qEnd); break;
    default: range<8>(a, o, qBegin, qEnd); break;
    }
}

} // namespace convscope::core::CONVSCOPE_KERNEL_NS
