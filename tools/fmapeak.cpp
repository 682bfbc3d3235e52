// SPDX-License-Identifier: GPL-3.0-or-later
// FP32 FMA-throughput microbenchmark: the "peak" the README's Performance section quotes.
//   g++ -O2 -march=native -std=c++20 tools/fmapeak.cpp -o /tmp/fmapeak && /tmp/fmapeak
// One thread runs 12 independent FMA chains (more than latency x issue width, so the FMA
// pipes are the only limit), 32 FMAs per chain between compiler barriers so no stores sneak
// into the loop; the best of 20 repetitions of thread CPU time, so time slices lost to
// other processes on a shared machine do not count.
#include <immintrin.h>

#include <cstdio>
#include <cstring>
#include <ctime>

namespace {

double cpuSeconds()
{
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

template <class V, V (*Fma)(V, V, V), V (*Splat)(float)> double gflops(int lanes)
{
    V a[12];
    for (int i = 0; i < 12; ++i)
        a[i] = Splat(1.0f + float(i) * 1e-3f);
    const V m = Splat(0.999999f), c = Splat(1e-7f);
    constexpr long kOuter = 150000;
    double best = 1e9;
    for (int rep = 0; rep < 20; ++rep) {
        const double t0 = cpuSeconds();
        for (long i = 0; i < kOuter; ++i) {
#pragma GCC unroll 32
            for (int r = 0; r < 32; ++r)
#pragma GCC unroll 12
                for (int j = 0; j < 12; ++j)
                    a[j] = Fma(a[j], m, c);
            __asm__ volatile(""
                             : "+v"(a[0]), "+v"(a[1]), "+v"(a[2]), "+v"(a[3]), "+v"(a[4]),
                               "+v"(a[5]), "+v"(a[6]), "+v"(a[7]), "+v"(a[8]), "+v"(a[9]),
                               "+v"(a[10]), "+v"(a[11]));
        }
        const double t = cpuSeconds() - t0;
        best = t < best ? t : best;
    }
    float sink = 0;
    for (auto &v : a) {
        float f;
        std::memcpy(&f, &v, sizeof f);
        sink += f;
    }
    if (sink == 42.0f)
        std::puts("");
    return double(kOuter) * 32 * 12 * lanes * 2 / best / 1e9;
}

#ifdef __AVX512F__
__m512 fma512(__m512 a, __m512 b, __m512 c)
{
    return _mm512_fmadd_ps(a, b, c);
}
__m512 splat512(float x)
{
    return _mm512_set1_ps(x);
}
#endif
__m256 fma256(__m256 a, __m256 b, __m256 c)
{
    return _mm256_fmadd_ps(a, b, c);
}
__m256 splat256(float x)
{
    return _mm256_set1_ps(x);
}

} // namespace

int main()
{
#ifdef __AVX512F__
    std::printf("FP32 FMA peak, one thread, zmm (AVX-512): %.1f GFLOP/s\n",
                gflops<__m512, fma512, splat512>(16));
#endif
    std::printf("FP32 FMA peak, one thread, ymm (AVX2):    %.1f GFLOP/s\n",
                gflops<__m256, fma256, splat256>(8));
}
