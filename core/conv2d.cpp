#include "conv2d.h"

#include "convkernel.h"
#include "padding.h"
#include "shape.h"
#include "threadpool.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <new>

namespace convscope::core {

namespace {

// Everything the fast path derives from the shapes, once per call.
struct Geometry {
    std::int64_t N = 0, C = 0, H = 0, W = 0;   // input
    std::int64_t O = 0, Ho = 0, Wo = 0;        // output
    std::int64_t G = 1, Cg = 0, Og = 0;        // groups, channels per group
    std::int64_t kH = 0, kW = 0;
    int sH = 1, sW = 1, dH = 1, dW = 1;
    PaddingMode mode = PaddingMode::Zeros;
    SidePadding pad;
    // Padded extent that any tap reaches (the rest of the padded input is never read).
    std::int64_t Hneed = 0, Wneed = 0;
    // One phase plane: Hq x Wq floats; sH * sW planes per input channel.
    std::int64_t Hq = 0, Wq = 0, planeSize = 0, channelStride = 0, imageStride = 0;
    std::int64_t taps = 0; // K = Cg * kH * kW
};

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
    g.Hq = (g.Hneed + g.sH - 1) / g.sH;
    g.Wq = (g.Wneed + g.sW - 1) / g.sW;
    g.planeSize = g.Hq * g.Wq;
    g.channelStride = g.planeSize * g.sH * g.sW;
    g.imageStride = g.channelStride * g.C;
    g.taps = g.Cg * g.kH * g.kW;
    return g;
}

// A float buffer that keeps its allocation between calls and is not zero-filled on growth
// (the packing tasks touch every page, in parallel and between cancellation checks).
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

// Per calling thread: the GUI's compute thread reuses its buffers from run to run; the
// pool's workers only read them.
thread_local Workspace t_planes;
thread_local std::vector<float> t_weights;
thread_local std::vector<float> t_bias;
thread_local std::vector<std::ptrdiff_t> t_offsets;
thread_local std::vector<std::int64_t> t_columns;

// Floats read past the last plane by the kernel's last block (see convRange).
std::int64_t slackFloats(const Geometry &g)
{
    return g.Wq + 2 * 192 + 64;
}

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

// Fills padded rows [r0, r1) of every phase plane of input channel (n, c).
void packRows(const Geometry &g, const float *input, const std::int64_t *columns, float *planes,
              std::int64_t n, std::int64_t c, std::int64_t r0, std::int64_t r1)
{
    const float *src = input + (n * g.C + c) * g.H * g.W;
    float *base = planes + n * g.imageStride + c * g.channelStride;
    for (std::int64_t r = r0; r < r1; ++r) {
        const std::int64_t ph = r % g.sH, i = r / g.sH;
        const std::int64_t sy = r < g.Hneed ? sourceIndex(r - g.pad.top, g.H, g.mode) : -1;
        for (int pw = 0; pw < g.sW; ++pw) {
            float *dst = base + (ph * g.sW + pw) * g.planeSize + i * g.Wq;
            if (sy < 0) {
                std::fill(dst, dst + g.Wq, 0.0f);
                continue;
            }
            const float *row = src + sy * g.W;
            const std::int64_t *col = columns + pw * g.Wq;
            std::int64_t j = 0;
            if (g.sW == 1) {
                // The interior is a straight copy; only the borders go through the map.
                const std::int64_t a = std::min<std::int64_t>(g.pad.left, g.Wq);
                const std::int64_t b = std::min<std::int64_t>(g.pad.left + g.W, g.Wq);
                for (; j < a; ++j)
                    dst[j] = col[j] < 0 ? 0.0f : row[col[j]];
                if (b > a)
                    std::memcpy(dst + a, row + (a - g.pad.left),
                                static_cast<std::size_t>(b - a) * sizeof(float));
                j = std::max(a, b);
            }
            for (; j < g.Wq; ++j)
                dst[j] = col[j] < 0 ? 0.0f : row[col[j]];
        }
    }
}

// Weights regrouped so the kernel reads one tap's weights for a channel block in a row:
// [group][block][K][channels]; block b of group gi starts at (gi * Og + b * 8) * K.
void packWeights(const Geometry &g, const Tensor &weight, std::vector<float> &packed)
{
    packed.resize(static_cast<std::size_t>(g.O * g.taps));
    for (std::int64_t gi = 0; gi < g.G; ++gi)
        for (std::int64_t o0 = 0; o0 < g.Og; o0 += kMaxBlockChannels) {
            const std::int64_t ob = std::min<std::int64_t>(kMaxBlockChannels, g.Og - o0);
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
                offsets[k++] = ci * g.channelStride
                               + ((ry % g.sH) * g.sW + rx % g.sW) * g.planeSize
                               + (ry / g.sH) * g.Wq + rx / g.sW;
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
    constexpr std::size_t slice = std::size_t{1} << 21;
    while (out.data.size() < count) {
        out.data.resize(std::min(count, out.data.size() + slice));
        if (!progress(0.0))
            return false;
    }
    return true;
}

// Calls the progress callback from the calling thread at most every ~2 ms.
class ProgressTicker {
public:
    ProgressTicker(const ProgressCallback &callback, double from, double to, std::int64_t tasks)
        : m_callback(callback), m_from(from), m_to(to), m_tasks(tasks)
    {
    }
    bool operator()()
    {
        ++m_done;
        if (!m_callback)
            return true;
        const auto now = std::chrono::steady_clock::now();
        if (now - m_last < std::chrono::milliseconds(2))
            return true;
        m_last = now;
        // The caller's own count underestimates when workers help; it is only a hint.
        const double f = std::min(1.0, double(m_done) / double(m_tasks));
        return m_callback(m_from + (m_to - m_from) * f);
    }

private:
    const ProgressCallback &m_callback;
    double m_from, m_to;
    std::int64_t m_tasks;
    std::int64_t m_done = 0;
    std::chrono::steady_clock::time_point m_last = std::chrono::steady_clock::now();
};

} // namespace

ForwardStatus conv2d(const Tensor &input, const Tensor &weight, const Tensor *bias,
                     const Conv2dParams &params, Tensor &out, const ForwardOptions &options)
{
    const auto &progress = options.progress;
    if (progress && !progress(0.0))
        return ForwardStatus::Cancelled;

    const bool unbatched = input.rank() == 3;
    const Shape in4 = unbatched ? Shape{1, input.dim(0), input.dim(1), input.dim(2)} : input.shape;
    const Geometry g = makeGeometry(in4, weight, params);
    Shape os{g.N, g.O, g.Ho, g.Wo};
    if (unbatched)
        os.erase(os.begin());
    out.shape = os;
    if (!resizeOutput(out, static_cast<std::size_t>(numel(os)), progress))
        return ForwardStatus::Cancelled;
    if (out.data.empty()) {
        if (progress)
            progress(1.0);
        return ForwardStatus::Done;
    }

    const int threads = options.threads > 0 ? options.threads : ThreadPool::hardwareThreads();
    ThreadPool &pool = ThreadPool::instance();

    // Phase 1: pad and phase-split the input into the workspace, in slices of rows.
    float *planes = t_planes.get(static_cast<std::size_t>(g.N * g.imageStride + slackFloats(g)));
    std::fill(planes + g.N * g.imageStride, planes + g.N * g.imageStride + slackFloats(g), 0.0f);
    mapColumns(g, t_columns);
    const std::int64_t paddedRows = g.Hq * g.sH;
    const std::int64_t rowsPerSlice =
        std::max<std::int64_t>(1, (std::int64_t{1} << 16) / std::max<std::int64_t>(1, g.Wq * g.sW));
    const std::int64_t slicesPerChannel = (paddedRows + rowsPerSlice - 1) / rowsPerSlice;
    const std::int64_t packTasks = g.N * g.C * slicesPerChannel;
    const double packShare =
        std::min(0.5, double(g.N * g.imageStride) * 8.0
                          / double(g.N * g.imageStride * 8 + 2 * g.N * g.O * g.Ho * g.Wo * g.taps));
    const std::int64_t *columns = t_columns.data();
    const std::function<void(std::int64_t)> packTask = [&](std::int64_t t) {
        const std::int64_t slice = t % slicesPerChannel, nc = t / slicesPerChannel;
        const std::int64_t r0 = slice * rowsPerSlice;
        packRows(g, input.data.data(), columns, planes, nc / g.C, nc % g.C, r0,
                 std::min(paddedRows, r0 + rowsPerSlice));
    };
    ProgressTicker packTicker(progress, 0.0, packShare, packTasks);
    if (!pool.run(threads, packTasks, packTask, packTicker))
        return ForwardStatus::Cancelled;

    // Phase 2: the kernel over (image, group, slice of output positions).
    packWeights(g, weight, t_weights);
    t_bias.assign(static_cast<std::size_t>(g.O), 0.0f);
    if (bias)
        std::copy(bias->data.begin(), bias->data.end(), t_bias.begin());
    tapOffsets(g, t_offsets);

    const std::int64_t positions = g.Ho * g.Wq;
    // ~4 MFLOP-equivalents per task (well under a millisecond): fine-grained enough for a
    // 20 ms cancel and for load balance, coarse enough to keep a slice's inputs in cache.
    const std::int64_t costPerPosition = std::max<std::int64_t>(1, g.Og * g.taps);
    std::int64_t slice = std::max<std::int64_t>(384, (std::int64_t{1} << 21) / costPerPosition);
    slice = (slice + 383) / 384 * 384;
    const std::int64_t slices = (positions + slice - 1) / slice;
    const std::int64_t computeTasks = g.N * g.G * slices;
    const float *packedWeights = t_weights.data();
    const float *biasValues = t_bias.data();
    const std::ptrdiff_t *offsets = t_offsets.data();
    float *outData = out.data.data();
    const std::function<void(std::int64_t)> computeTask = [&](std::int64_t t) {
        const std::int64_t s = t % slices, ng = t / slices;
        const std::int64_t n = ng / g.G, gi = ng % g.G;
        const std::int64_t q0 = s * slice, q1 = std::min(positions, q0 + slice);
        KernelArgs a;
        a.input = planes + n * g.imageStride + gi * g.Cg * g.channelStride;
        a.offsets = offsets;
        a.taps = static_cast<int>(g.taps);
        KernelOutput ko;
        ko.channelStride = g.Ho * g.Wo;
        ko.planeWidth = g.Wq;
        ko.width = g.Wo;
        for (std::int64_t o0 = 0; o0 < g.Og; o0 += kMaxBlockChannels) {
            const std::int64_t oc = gi * g.Og + o0;
            a.channels = static_cast<int>(std::min<std::int64_t>(kMaxBlockChannels, g.Og - o0));
            a.weights = packedWeights + oc * g.taps;
            a.bias = biasValues + oc;
            ko.out = outData + (n * g.O + oc) * g.Ho * g.Wo;
            convRange(a, ko, q0, q1);
        }
    };
    ProgressTicker computeTicker(progress, packShare, 1.0, computeTasks);
    if (!pool.run(threads, computeTasks, computeTask, computeTicker))
        return ForwardStatus::Cancelled;
    if (progress)
        progress(1.0);
    return ForwardStatus::Done;
}

} // namespace convscope::core
