// SPDX-License-Identifier: GPL-3.0-or-later
#include "conv2d.h"

#include "checked.h"
#include "convkernel.h"
#include "isa.h"
#include "padding.h"
#include "shape.h"
#include "threadpool.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>

namespace convscope::core {

namespace {

// Everything the fast path derives from the shapes, once per call.
struct Geometry {
    std::int64_t N = 0, C = 0, H = 0, W = 0; // input
    std::int64_t O = 0, Ho = 0, Wo = 0;      // output
    std::int64_t G = 1, Cg = 0, Og = 0;      // groups, channels per group
    std::int64_t kH = 0, kW = 0;
    int sH = 1, sW = 1, dH = 1, dW = 1;
    PaddingMode mode = PaddingMode::Zeros;
    SidePadding pad;
    // Padded extent that any tap reaches (the rest of the padded input is never read).
    std::int64_t Hneed = 0, Wneed = 0;
    // A task computes a band of `bandRows` output rows of one group. Its input is packed
    // into a per-thread buffer of sH * sW phase planes per channel, each bandHq x Wq.
    std::int64_t Wq = 0, bandRows = 0, bandHq = 0, planeSize = 0, channelStride = 0;
    std::int64_t bandFloats = 0;
    std::int64_t taps = 0; // K = Cg * kH * kW
    // The packed band would be larger than the input itself by far (huge strides or
    // dilations spread the few pixels read over a vast padded extent): compute each output
    // value straight from the input instead, with no workspace.
    bool direct = false;
};

// Floats the kernel's last block may read past the last plane (see convRange).
constexpr std::int64_t kSlackFloats = 2 * 192 + 64;

Geometry makeGeometry(const Shape &in4, const Tensor &weight, const Conv2dParams &params)
{
    Conv2dParams p = params;
    p.kernel = {static_cast<int>(weight.dim(2)), static_cast<int>(weight.dim(3))};
    p.outChannels = static_cast<int>(weight.dim(0));
    Geometry g;
    g.N = in4[0];
    g.C = in4[1];
    g.H = in4[2];
    g.W = in4[3];
    const Shape os = outputShape(p, in4);
    g.O = os[1];
    g.Ho = os[2];
    g.Wo = os[3];
    g.G = p.groups;
    g.Cg = weight.dim(1);
    g.Og = g.O / g.G;
    g.kH = p.kernel.h;
    g.kW = p.kernel.w;
    g.sH = p.stride.h;
    g.sW = p.stride.w;
    g.dH = p.dilation.h;
    g.dW = p.dilation.w;
    g.mode = p.paddingMode;
    g.pad = effectivePadding(p);
    g.Hneed = (g.Ho - 1) * g.sH + (g.kH - 1) * g.dH + 1;
    g.Wneed = (g.Wo - 1) * g.sW + (g.kW - 1) * g.dW + 1;
    g.Wq = (g.Wneed + g.sW - 1) / g.sW;
    g.taps = g.Cg * g.kH * g.kW;

    // Band height: at least ~2M multiply-adds and ~400 positions per task (the kernel's
    // blocks mostly full), and at least 4x the rows a band re-reads from its neighbour
    // (kernel overlap), so re-packing the overlap stays cheap; at most ~32M multiply-adds
    // (well under a millisecond), fine-grained enough for a 20 ms cancel and for load
    // balance between threads.
    const std::int64_t costPerRow = std::max<std::int64_t>(1, g.Og * g.taps) * g.Wq;
    const std::int64_t overlapRows = (g.kH - 1) * g.dH / g.sH + 1;
    const std::int64_t minRows = std::max<std::int64_t>(
        (384 + g.Wq - 1) / g.Wq, ((std::int64_t{1} << 21) + costPerRow - 1) / costPerRow);
    const std::int64_t maxRows = std::max(minRows, (std::int64_t{1} << 25) / costPerRow);
    g.bandRows =
        std::clamp<std::int64_t>(std::min(maxRows, std::max(minRows, 4 * overlapRows)), 1, g.Ho);
    // Rows a band reads below its last output row, plus one row for the reads of the
    // padding columns at the right edge that wrap into the next row.
    g.bandHq = g.bandRows + overlapRows;
    // For ordinary configurations the band is at most the padded input of one group; allow
    // that twice over plus a fixed 1 MiB (small inputs with wide padding), and go direct
    // beyond it (or when it overflows): a band of mostly zeros for the stride to skip costs
    // its packing and nothing reads it.
    const std::optional<std::int64_t> bandFloats =
        checkedProduct({g.bandHq, g.Wq, g.sH, g.sW, g.Cg});
    const std::int64_t budget = (std::int64_t{1} << 18) + 2 * g.Cg * g.H * g.W;
    if (!bandFloats || *bandFloats > budget) {
        g.direct = true;
        return g;
    }
    g.planeSize = g.bandHq * g.Wq;
    g.channelStride = g.planeSize * g.sH * g.sW;
    g.bandFloats = *bandFloats + kSlackFloats;
    return g;
}

// A float buffer that keeps its allocation between calls and is not zero-filled on growth.
class Workspace {
public:
    float *get(std::size_t count)
    {
        if (count > m_capacity) {
            m_data.reset();
            m_data.reset(static_cast<float *>(
                ::operator new[](count * sizeof(float), std::align_val_t(64))));
            m_capacity = count;
        }
        return m_data.get();
    }

private:
    struct Free {
        void operator()(float *p) const { ::operator delete[](p, std::align_val_t(64)); }
    };
    std::unique_ptr<float, Free> m_data;
    std::size_t m_capacity = 0;
};

// Per thread and reused from call to call: each task packs its band here (the calling
// thread's and the pool workers' own copies).
thread_local Workspace t_band;
// Per calling thread; the workers only read them.
thread_local std::vector<float> t_weights;
thread_local std::vector<float> t_bias;
thread_local std::vector<std::ptrdiff_t> t_offsets;
thread_local std::vector<std::int64_t> t_columns;

// Input columns of each phase plane column (-1 = zero), [sW][Wq].
void mapColumns(const Geometry &g, std::vector<std::int64_t> &columns)
{
    columns.assign(static_cast<std::size_t>(g.sW * g.Wq), -1);
    for (int pw = 0; pw < g.sW; ++pw)
        for (std::int64_t j = 0; j < g.Wq; ++j) {
            const std::int64_t c = pw + j * g.sW;
            if (c < g.Wneed)
                columns[static_cast<std::size_t>(pw * g.Wq + j)] =
                    sourceIndex(c - g.pad.left, g.W, g.mode);
        }
}

// One padded input row split into its sW phase rows: dst[pw][j] = row[columns[pw][j]]
// (0 where the map says -1). In the interior, where every phase reads a real pixel, the
// map is an arithmetic sequence and the copy runs without it: a memcpy for stride 1, a
// loop the compiler vectorises (de-interleaving loads) for strides 2 to 4.
template <int Stride>
void packRow(const Geometry &g, const float *row, const std::int64_t *columns, float *const *dst)
{
    const std::int64_t sW = Stride > 0 ? Stride : g.sW;
    // Phase columns j with left <= j * sW and j * sW + sW - 1 < min(left + W, Wneed).
    const std::int64_t jA = std::min(g.Wq, (g.pad.left + sW - 1) / sW);
    const std::int64_t end = std::min<std::int64_t>(g.pad.left + g.W, g.Wneed);
    const std::int64_t jB = std::max(jA, std::min(g.Wq, floorDiv(end - sW, sW) + 1));
    for (std::int64_t pw = 0; pw < sW; ++pw) {
        const std::int64_t *col = columns + pw * g.Wq;
        float *d = dst[pw];
        for (std::int64_t j = 0; j < jA; ++j)
            d[j] = col[j] < 0 ? 0.0f : row[col[j]];
        for (std::int64_t j = jB; j < g.Wq; ++j)
            d[j] = col[j] < 0 ? 0.0f : row[col[j]];
    }
    const float *src = row + (jA * sW - g.pad.left);
    const std::int64_t n = jB - jA;
    if constexpr (Stride == 1) {
        std::memcpy(dst[0] + jA, src, static_cast<std::size_t>(n) * sizeof(float));
    } else if constexpr (Stride > 1) {
        float *d[Stride];
        for (int pw = 0; pw < Stride; ++pw)
            d[pw] = dst[pw] + jA;
        for (std::int64_t j = 0; j < n; ++j)
            for (int pw = 0; pw < Stride; ++pw)
                d[pw][j] = src[j * Stride + pw];
    } else {
        for (std::int64_t pw = 0; pw < sW; ++pw)
            for (std::int64_t j = 0; j < n; ++j)
                dst[pw][jA + j] = src[j * sW + pw];
    }
}

// Packs the input a band needs: channels [gi * Cg, (gi + 1) * Cg) of image n, phase rows
// [y0, y0 + bandHq) of every phase plane, padding applied through sourceIndex.
void packBand(const Geometry &g, const float *input, const std::int64_t *columns, float *band,
              std::int64_t n, std::int64_t gi, std::int64_t y0)
{
    constexpr int kMaxStride = 64;
    float *dst[kMaxStride];
    const bool split = g.sW <= kMaxStride;
    for (std::int64_t ci = 0; ci < g.Cg; ++ci) {
        const float *src = input + (n * g.C + gi * g.Cg + ci) * g.H * g.W;
        for (int ph = 0; ph < g.sH; ++ph)
            for (std::int64_t i = 0; i < g.bandHq; ++i) {
                const std::int64_t r = ph + (y0 + i) * g.sH; // padded row
                const std::int64_t sy = r < g.Hneed ? sourceIndex(r - g.pad.top, g.H, g.mode) : -1;
                float *first =
                    band + ci * g.channelStride + std::int64_t(ph) * g.sW * g.planeSize + i * g.Wq;
                if (sy < 0) {
                    for (int pw = 0; pw < g.sW; ++pw)
                        std::fill(first + pw * g.planeSize, first + pw * g.planeSize + g.Wq, 0.0f);
                    continue;
                }
                const float *row = src + sy * g.W;
                if (!split) { // absurd strides: one phase at a time through the map
                    for (int pw = 0; pw < g.sW; ++pw)
                        for (std::int64_t j = 0; j < g.Wq; ++j) {
                            const std::int64_t c = columns[pw * g.Wq + j];
                            first[pw * g.planeSize + j] = c < 0 ? 0.0f : row[c];
                        }
                    continue;
                }
                for (int pw = 0; pw < g.sW; ++pw)
                    dst[pw] = first + pw * g.planeSize;
                switch (g.sW) {
                case 1: packRow<1>(g, row, columns, dst); break;
                case 2: packRow<2>(g, row, columns, dst); break;
                case 3: packRow<3>(g, row, columns, dst); break;
                case 4: packRow<4>(g, row, columns, dst); break;
                default: packRow<0>(g, row, columns, dst); break;
                }
            }
    }
    std::fill(band + g.bandFloats - kSlackFloats, band + g.bandFloats, 0.0f);
}

// Weights regrouped so the kernel reads one tap's weights for a channel block in a row:
// [group][block][K][channels]; block b of group gi starts at (gi * Og + b * blockChannels) * K.
void packWeights(const Geometry &g, const Tensor &weight, int blockChannels,
                 std::vector<float> &packed)
{
    packed.resize(static_cast<std::size_t>(g.O * g.taps));
    for (std::int64_t gi = 0; gi < g.G; ++gi)
        for (std::int64_t o0 = 0; o0 < g.Og; o0 += blockChannels) {
            const std::int64_t ob = std::min<std::int64_t>(blockChannels, g.Og - o0);
            float *dst = packed.data() + (gi * g.Og + o0) * g.taps;
            for (std::int64_t k = 0; k < g.taps; ++k)
                for (std::int64_t o = 0; o < ob; ++o)
                    dst[k * ob + o] =
                        weight.data[static_cast<std::size_t>((gi * g.Og + o0 + o) * g.taps + k)];
        }
}

void tapOffsets(const Geometry &g, std::vector<std::ptrdiff_t> &offsets)
{
    offsets.resize(static_cast<std::size_t>(g.taps));
    std::size_t k = 0;
    for (std::int64_t ci = 0; ci < g.Cg; ++ci)
        for (std::int64_t ky = 0; ky < g.kH; ++ky)
            for (std::int64_t kx = 0; kx < g.kW; ++kx) {
                const std::int64_t ry = ky * g.dH, rx = kx * g.dW;
                offsets[k++] = ci * g.channelStride + ((ry % g.sH) * g.sW + rx % g.sW) * g.planeSize
                               + (ry / g.sH) * g.Wq + rx / g.sW;
            }
}

// Output rows [y0, y0 + rows) of every channel of group gi of image n, each value computed
// from the input through sourceIndex: one fused multiply-add per tap in the micro-kernel's
// tap order, from the bias, so the values are the ones the packed path would give.
void directBand(const Geometry &g, const float *input, const float *weights, const float *bias,
                float *out, std::int64_t n, std::int64_t gi, std::int64_t y0, std::int64_t rows)
{
    for (std::int64_t oi = 0; oi < g.Og; ++oi) {
        const std::int64_t o = gi * g.Og + oi;
        const float *w = weights + o * g.taps;
        float *dst = out + (n * g.O + o) * g.Ho * g.Wo;
        for (std::int64_t y = y0; y < y0 + rows; ++y)
            for (std::int64_t x = 0; x < g.Wo; ++x) {
                float acc = bias[o];
                std::int64_t k = 0;
                for (std::int64_t ci = 0; ci < g.Cg; ++ci) {
                    const float *plane = input + (n * g.C + gi * g.Cg + ci) * g.H * g.W;
                    for (std::int64_t ky = 0; ky < g.kH; ++ky) {
                        const std::int64_t iy =
                            sourceIndex(y * g.sH - g.pad.top + ky * g.dH, g.H, g.mode);
                        for (std::int64_t kx = 0; kx < g.kW; ++kx, ++k) {
                            const std::int64_t ix =
                                sourceIndex(x * g.sW - g.pad.left + kx * g.dW, g.W, g.mode);
                            const float v = iy < 0 || ix < 0 ? 0.0f : plane[iy * g.W + ix];
                            acc = std::fma(w[k], v, acc);
                        }
                    }
                }
                dst[y * g.Wo + x] = acc;
            }
    }
}

// Resizes out to `count` floats in slices, asking the callback in between: zero-filling a
// 4K multi-map output takes longer than a cancel may wait.
bool resizeOutput(Tensor &out, std::size_t count, const ProgressCallback &progress)
{
    if (out.data.size() == count)
        return true;
    if (out.data.size() > count || !progress) {
        out.data.resize(count);
        return true;
    }
    out.data.clear();
    out.data.reserve(count);
    constexpr std::size_t slice = std::size_t{1} << 20;
    while (out.data.size() < count) {
        out.data.resize(std::min(count, out.data.size() + slice));
        if (!progress(0.0))
            return false;
    }
    return true;
}

// Widens r by the finite values of data[0, count). Eight independent lanes, which the
// compiler turns into vector min/max (one running min/max is a serial chain it may not
// reorder); NaN fails both comparisons and is skipped. Infinities would enter the lanes, so
// a segment whose lanes end up non-finite is scanned again value by value.
void widenRange(MinMax &r, const float *data, std::size_t count)
{
    constexpr std::size_t kLanes = 8;
    constexpr float kMax = std::numeric_limits<float>::max();
    float lo[kLanes], hi[kLanes];
    for (std::size_t j = 0; j < kLanes; ++j) {
        lo[j] = kMax;
        hi[j] = -kMax;
    }
    std::size_t i = 0;
    for (; i + kLanes <= count; i += kLanes)
        for (std::size_t j = 0; j < kLanes; ++j) {
            const float v = data[i + j];
            lo[j] = v < lo[j] ? v : lo[j];
            hi[j] = v > hi[j] ? v : hi[j];
        }
    for (; i < count; ++i) {
        lo[0] = data[i] < lo[0] ? data[i] : lo[0];
        hi[0] = data[i] > hi[0] ? data[i] : hi[0];
    }
    float l = lo[0], h = hi[0];
    for (std::size_t j = 1; j < kLanes; ++j) {
        l = std::min(l, lo[j]);
        h = std::max(h, hi[j]);
    }
    if (!std::isfinite(l) || !std::isfinite(h)) {
        l = kMax;
        h = -kMax;
        for (std::size_t k = 0; k < count; ++k)
            if (std::isfinite(data[k])) {
                l = std::min(l, data[k]);
                h = std::max(h, data[k]);
            }
    }
    r.lo = std::min(r.lo, l);
    r.hi = std::max(r.hi, h);
}

// Calls the progress callback from the calling thread at most every ~2 ms.
class ProgressTicker {
public:
    ProgressTicker(const ProgressCallback &callback, std::int64_t tasks)
        : m_callback(callback), m_tasks(tasks)
    {
    }
    bool operator()(std::int64_t finished)
    {
        if (!m_callback)
            return true;
        const auto now = std::chrono::steady_clock::now();
        if (now - m_last < std::chrono::milliseconds(2))
            return true;
        m_last = now;
        const double f = std::min(1.0, double(finished) / double(m_tasks));
        return m_callback(f);
    }

private:
    const ProgressCallback &m_callback;
    std::int64_t m_tasks;
    std::chrono::steady_clock::time_point m_last = std::chrono::steady_clock::now();
};

} // namespace

ForwardStatus conv2d(const Tensor &input, const Tensor &weight, const Tensor *bias,
                     const Conv2dParams &params, Tensor &out, const ForwardOptions &options)
{
    if (&out == &input || &out == &weight || &out == bias) {
        // The output is written while the inputs are read: compute into a fresh tensor.
        Tensor result;
        const ForwardStatus status = conv2d(input, weight, bias, params, result, options);
        if (status == ForwardStatus::Done)
            out = std::move(result);
        return status;
    }
    const auto &progress = options.progress;
    if (progress && !progress(0.0))
        return ForwardStatus::Cancelled;

    const bool unbatched = input.rank() == 3;
    const Shape in4 = unbatched ? Shape{1, input.dim(0), input.dim(1), input.dim(2)} : input.shape;
    const Geometry g = makeGeometry(in4, weight, params);
    const Isa isa = options.isa ? *options.isa : activeIsa();
    if (!cpuHas(isa))
        throw std::invalid_argument("conv2d: this CPU cannot run the " + isaName(isa) + " path");
    const ConvKernel kernel = convKernel(isa);
    Shape os{g.N, g.O, g.Ho, g.Wo};
    if (unbatched)
        os.erase(os.begin());
    out.shape = os;
    if (!resizeOutput(out, static_cast<std::size_t>(numel(os)), progress))
        return ForwardStatus::Cancelled;
    if (out.data.empty()) {
        if (options.channelRanges) // no values: every channel's range is empty (lo > hi)
            options.channelRanges->assign(
                static_cast<std::size_t>(g.O),
                MinMax{std::numeric_limits<float>::max(), -std::numeric_limits<float>::max()});
        if (progress)
            progress(1.0);
        return ForwardStatus::Done;
    }

    // More threads than tasks or than is sane only adds idle workers.
    const int threads =
        options.threads > 0 ? std::min(options.threads, 256) : ThreadPool::hardwareThreads();
    if (!g.direct) {
        mapColumns(g, t_columns);
        packWeights(g, weight, kernel.blockChannels, t_weights);
        tapOffsets(g, t_offsets);
    }
    t_bias.assign(static_cast<std::size_t>(g.O), 0.0f);
    if (bias)
        std::copy(bias->data.begin(), bias->data.end(), t_bias.begin());

    const std::int64_t bands = (g.Ho + g.bandRows - 1) / g.bandRows;
    const std::int64_t tasks = g.N * g.G * bands;
    const std::int64_t *columns = t_columns.data();
    const float *packedWeights = t_weights.data();
    const float *biasValues = t_bias.data();
    const std::ptrdiff_t *offsets = t_offsets.data();
    const float *inData = input.data.data();
    float *outData = out.data.data();
    // Per-task partial ranges [task][channel of the task's group], merged after the run:
    // tasks never share a slot, so the result does not depend on the thread count.
    constexpr float kMax = std::numeric_limits<float>::max();
    std::vector<MinMax> partial;
    if (options.channelRanges)
        partial.assign(static_cast<std::size_t>(tasks * g.Og), MinMax{kMax, -kMax});
    const std::function<void(std::int64_t)> task = [&](std::int64_t t) {
        const std::int64_t b = t % bands, ng = t / bands;
        const std::int64_t n = ng / g.G, gi = ng % g.G;
        const std::int64_t y0 = b * g.bandRows, rows = std::min(g.bandRows, g.Ho - y0);
        if (g.direct) {
            directBand(g, inData, weight.data.data(), biasValues, outData, n, gi, y0, rows);
            for (std::int64_t c = 0; c < g.Og; ++c) {
                float *o = outData + ((n * g.O + gi * g.Og + c) * g.Ho + y0) * g.Wo;
                const auto count = static_cast<std::size_t>(rows * g.Wo);
                if (options.epilogue)
                    options.epilogue(gi * g.Og + c, o, count);
                if (!partial.empty())
                    widenRange(partial[static_cast<std::size_t>(t * g.Og + c)], o, count);
            }
            return;
        }
        float *band = t_band.get(static_cast<std::size_t>(g.bandFloats));
        packBand(g, inData, columns, band, n, gi, y0);
        KernelArgs a;
        a.input = band;
        a.offsets = offsets;
        a.taps = static_cast<int>(g.taps);
        KernelOutput ko;
        ko.channelStride = g.Ho * g.Wo;
        ko.planeWidth = g.Wq;
        ko.width = g.Wo;
        for (std::int64_t o0 = 0; o0 < g.Og; o0 += kernel.blockChannels) {
            const std::int64_t oc = gi * g.Og + o0;
            a.channels = static_cast<int>(std::min<std::int64_t>(kernel.blockChannels, g.Og - o0));
            a.weights = packedWeights + oc * g.taps;
            a.bias = biasValues + oc;
            ko.out = outData + ((n * g.O + oc) * g.Ho + y0) * g.Wo;
            kernel.convRange(a, ko, 0, rows * g.Wq);
            for (int c = 0; c < a.channels; ++c) {
                float *o = ko.out + c * ko.channelStride;
                const auto count = static_cast<std::size_t>(rows * g.Wo);
                if (options.epilogue)
                    options.epilogue(oc + c, o, count);
                if (!partial.empty())
                    widenRange(partial[static_cast<std::size_t>(t * g.Og + o0 + c)], o, count);
            }
        }
    };
    ProgressTicker ticker(progress, tasks);
    if (!ThreadPool::instance().run(threads, tasks, task, ticker))
        return ForwardStatus::Cancelled;
    if (options.channelRanges) {
        auto &ranges = *options.channelRanges;
        ranges.assign(static_cast<std::size_t>(g.O), MinMax{kMax, -kMax});
        for (std::int64_t t = 0; t < tasks; ++t) {
            const std::int64_t gi = (t / bands) % g.G;
            for (std::int64_t c = 0; c < g.Og; ++c) {
                const MinMax &p = partial[static_cast<std::size_t>(t * g.Og + c)];
                MinMax &r = ranges[static_cast<std::size_t>(gi * g.Og + c)];
                r.lo = std::min(r.lo, p.lo);
                r.hi = std::max(r.hi, p.hi);
            }
        }
    }
    if (progress)
        progress(1.0);
    return ForwardStatus::Done;
}

} // namespace convscope::core
