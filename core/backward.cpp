// SPDX-License-Identifier: GPL-3.0-or-later
#include "backward.h"

#include "padding.h"
#include "shape.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <type_traits>

namespace convscope::core {

GradientTarget GradientTarget::at(std::size_t layer, int c, std::int64_t y, std::int64_t x)
{
    GradientTarget t;
    t.layer = layer;
    t.channel = c;
    t.y0 = y;
    t.x0 = x;
    t.y1 = y + 1;
    t.x1 = x + 1;
    return t;
}

namespace {

// Rows [y0, y1) and columns [x0, x1) outside which a plane holds only zeros: the loops of the
// next layer back skip the rest, so the gradient of one output costs its receptive field.
struct Span {
    std::int64_t y0 = 0, y1 = 0, x0 = 0, x1 = 0;
    bool empty() const { return y0 >= y1 || x0 >= x1; }
    std::int64_t height() const { return y1 - y0; }
    std::int64_t width() const { return x1 - x0; }
    void include(std::int64_t y, std::int64_t x)
    {
        if (empty()) {
            *this = {y, y + 1, x, x + 1};
            return;
        }
        y0 = std::min(y0, y);
        y1 = std::max(y1, y + 1);
        x0 = std::min(x0, x);
        x1 = std::max(x1, x + 1);
    }
};

// The gradient of one batch entry of a layer's input or output, held only over the window
// the walk can write ([C, window rows, window columns]): touching a whole feature map's
// memory costs more than the gradient of one output does. Gradients are summed in double;
// path counts in int64, with every addition checked.
template <class V> struct Plane {
    std::int64_t c = 0;
    Span s;
    std::vector<V> v;
    void reset(std::int64_t channels, const Span &window)
    {
        c = channels;
        s = window.empty() ? Span{} : window;
        v.assign(static_cast<std::size_t>(c * s.height() * s.width()), V(0));
    }
    std::size_t index(std::int64_t ch, std::int64_t y, std::int64_t x) const
    {
        return static_cast<std::size_t>((ch * s.height() + y - s.y0) * s.width() + x - s.x0);
    }
    V &at(std::int64_t ch, std::int64_t y, std::int64_t x) { return v[index(ch, y, x)]; }
    V at(std::int64_t ch, std::int64_t y, std::int64_t x) const { return v[index(ch, y, x)]; }
};

// Forward values of one batch entry over a window: a copy of the window, or a view of a
// whole [C, H, W] map.
struct Values {
    std::int64_t c = 0;
    Span s;
    std::vector<float> own;
    const float *view = nullptr;
    float at(std::int64_t ch, std::int64_t y, std::int64_t x) const
    {
        const float *p = view ? view : own.data();
        return p[(ch * s.height() + y - s.y0) * s.width() + x - s.x0];
    }
};

// The window `s` of batch entry `batch` of a 3-D or 4-D tensor, copied.
Values copyWindow(const Tensor &t, std::int64_t batch, const Span &s)
{
    const Nchw d = nchw(t.shape);
    Values v;
    v.c = d.c;
    v.s = s;
    if (s.empty())
        return v;
    v.own.reserve(static_cast<std::size_t>(d.c * s.height() * s.width()));
    for (std::int64_t c = 0; c < d.c; ++c)
        for (std::int64_t y = s.y0; y < s.y1; ++y) {
            const float *row = t.data.data() + ((batch * d.c + c) * d.h + y) * d.w;
            v.own.insert(v.own.end(), row + s.x0, row + s.x1);
        }
    return v;
}

// Batch entry `batch` of a whole tensor, without a copy.
Values viewOf(const Tensor &t, std::int64_t batch)
{
    const Nchw d = nchw(t.shape);
    Values v;
    v.c = d.c;
    v.s = Span{0, d.h, 0, d.w};
    v.view = t.data.data() + batch * d.c * d.h * d.w;
    return v;
}

// What walking a layer back reads of the forward pass besides its weights: a max-pool's
// input (its winners), an activation's input or output (its derivative).
bool needsInput(const Layer &l)
{
    return std::holds_alternative<MaxPool2dLayer>(l) || std::holds_alternative<LeakyReluLayer>(l)
           || std::holds_alternative<Relu6Layer>(l) || std::holds_alternative<GeluLayer>(l)
           || std::holds_alternative<SiluLayer>(l);
}
// One axis of a layer that slides windows over its input: output o reads input index
// sourceIndex(o * stride - pad + k * dilation, size, mode) for k < kernel (-1: nothing; the
// pools' padding reads nothing, as -inf never wins and the average skips it).
struct AxisWindow {
    int stride = 1, pad = 0, dilation = 1, kernel = 1;
    PaddingMode mode = PaddingMode::Zeros;
};

// Rows then columns, for Conv2d, MaxPool2d and AvgPool2d; nullopt for the other kinds.
std::optional<std::array<AxisWindow, 2>> slidingWindows(const Layer &layer)
{
    if (const auto *c = std::get_if<Conv2dLayer>(&layer)) {
        const Conv2dParams &p = c->params;
        const SidePadding pad = effectivePadding(p);
        return std::array{
            AxisWindow{p.stride.h, pad.top, p.dilation.h, p.kernel.h, p.paddingMode},
            AxisWindow{p.stride.w, pad.left, p.dilation.w, p.kernel.w, p.paddingMode}};
    }
    if (const auto *m = std::get_if<MaxPool2dLayer>(&layer)) {
        const Hw s = m->strideOrKernel();
        return std::array{AxisWindow{s.h, m->padding.h, m->dilation.h, m->kernel.h},
                          AxisWindow{s.w, m->padding.w, m->dilation.w, m->kernel.w}};
    }
    if (const auto *a = std::get_if<AvgPool2dLayer>(&layer)) {
        const Hw s = a->strideOrKernel();
        return std::array{AxisWindow{s.h, a->padding.h, 1, a->kernel.h},
                          AxisWindow{s.w, a->padding.w, 1, a->kernel.w}};
    }
    return std::nullopt;
}

bool needsOutput(const Layer &l)
{
    return std::holds_alternative<ReluLayer>(l) || std::holds_alternative<SigmoidLayer>(l)
           || std::holds_alternative<TanhLayer>(l);
}

struct PathOverflow {};

inline void add(double &a, double b)
{
    a += b;
}
inline void add(std::int64_t &a, std::int64_t b)
{
    if (__builtin_add_overflow(a, b, &a))
        throw PathOverflow{};
}

// g * w for a gradient, g for a path count (every weight 1).
template <class V> V scaled(V g, float w)
{
    if constexpr (std::is_same_v<V, double>)
        return g * static_cast<double>(w);
    else
        return g;
}

// One layer walked back, for one batch entry: from the output gradient `go`, nonzero only in
// `span`, into `gi`. `x` and `y` are the layer's input and output values where the layer
// needs them (null for path counts, which need none). With `go` and `gi` null the walk is
// dry: it only finds the span of `gi` that a real walk may write, treating every position of
// `span` as nonzero (and every element of a max-pool window as a possible winner).
template <class V> class LayerBackward {
public:
    // `written` receives the span of `gi` the layer wrote (or may write, when dry).
    LayerBackward(const Nchw &in, const Nchw &out, const Values *x, const Values *y,
                  const Plane<V> *go, const Span &span, Plane<V> *gi, Span &written)
        : m_in(in), m_out(out), m_x(x), m_y(y), m_go(go), m_span(span), m_gi(gi), m_written(written)
    {
    }

    static constexpr bool kPaths = std::is_same_v<V, std::int64_t>;
    bool dry() const { return m_go == nullptr; }

    void operator()(const Conv2dLayer &l)
    {
        const Conv2dParams &p = l.params;
        const SidePadding pad = effectivePadding(p);
        const std::int64_t cg = m_in.c / p.groups, og = m_out.c / p.groups;
        const int kh = p.kernel.h, kw = p.kernel.w;
        // The source row (or column) of every output position and tap, -1 for a zero.
        std::vector<std::int64_t> rows(static_cast<std::size_t>(m_out.h * kh));
        std::vector<std::int64_t> cols(static_cast<std::size_t>(m_out.w * kw));
        for (std::int64_t oy = 0; oy < m_out.h; ++oy)
            for (int ky = 0; ky < kh; ++ky)
                rows[static_cast<std::size_t>(oy * kh + ky)] =
                    sourceIndex(oy * p.stride.h - pad.top + std::int64_t(ky) * p.dilation.h, m_in.h,
                                p.paddingMode);
        for (std::int64_t ox = 0; ox < m_out.w; ++ox)
            for (int kx = 0; kx < kw; ++kx)
                cols[static_cast<std::size_t>(ox * kw + kx)] =
                    sourceIndex(ox * p.stride.w - pad.left + std::int64_t(kx) * p.dilation.w,
                                m_in.w, p.paddingMode);
        const float *w = l.weight ? l.weight->data.data() : nullptr;
        for (std::int64_t co = 0; co < m_out.c; ++co) {
            const std::int64_t g = co / og;
            for (std::int64_t oy = m_span.y0; oy < m_span.y1; ++oy)
                for (std::int64_t ox = m_span.x0; ox < m_span.x1; ++ox) {
                    const V gv = dry() ? V(1) : m_go->at(co, oy, ox);
                    if (gv == V(0))
                        continue;
                    for (std::int64_t ci = 0; ci < cg; ++ci) {
                        const float *wk = w ? w + ((co * cg + ci) * kh) * kw : nullptr;
                        for (int ky = 0; ky < kh; ++ky) {
                            const std::int64_t iy = rows[static_cast<std::size_t>(oy * kh + ky)];
                            if (iy < 0)
                                continue;
                            for (int kx = 0; kx < kw; ++kx) {
                                const std::int64_t ix =
                                    cols[static_cast<std::size_t>(ox * kw + kx)];
                                if (ix < 0)
                                    continue;
                                addAt(g * cg + ci, iy, ix,
                                      scaled(gv, wk ? wk[ky * kw + kx] : 1.0f));
                            }
                        }
                    }
                }
        }
    }

    void operator()(const ConvTranspose2dLayer &l)
    {
        const ConvTranspose2dParams &p = l.params;
        const std::int64_t ig = m_in.c / p.groups, og = m_out.c / p.groups;
        const int kh = p.kernel.h, kw = p.kernel.w;
        // Input rows whose footprint reaches the span: iy * s - pad + ky * d in [y0, y1).
        const auto range = [](std::int64_t a, std::int64_t b, int s, int pad, int d, int k,
                              std::int64_t size) {
            const std::int64_t lo =
                std::max<std::int64_t>(0, ceilDiv(a + pad - std::int64_t(d) * (k - 1), s));
            const std::int64_t hi = std::min<std::int64_t>(size, floorDiv(b - 1 + pad, s) + 1);
            return std::pair{lo, hi};
        };
        const auto [iy0, iy1] =
            range(m_span.y0, m_span.y1, p.stride.h, p.padding.h, p.dilation.h, kh, m_in.h);
        const auto [ix0, ix1] =
            range(m_span.x0, m_span.x1, p.stride.w, p.padding.w, p.dilation.w, kw, m_in.w);
        if (dry()) {
            if (iy0 < iy1 && ix0 < ix1) {
                m_written.include(iy0, ix0);
                m_written.include(iy1 - 1, ix1 - 1);
            }
            return;
        }
        const float *w = l.weight ? l.weight->data.data() : nullptr;
        for (std::int64_t ci = 0; ci < m_in.c; ++ci) {
            const std::int64_t g = ci / ig;
            for (std::int64_t iy = iy0; iy < iy1; ++iy)
                for (std::int64_t ix = ix0; ix < ix1; ++ix) {
                    V acc{};
                    for (std::int64_t col = 0; col < og; ++col) {
                        const std::int64_t co = g * og + col;
                        const float *wk = w ? w + ((ci * og + col) * kh) * kw : nullptr;
                        for (int ky = 0; ky < kh; ++ky) {
                            const std::int64_t oy =
                                iy * p.stride.h - p.padding.h + std::int64_t(ky) * p.dilation.h;
                            if (oy < m_span.y0 || oy >= m_span.y1) // go is 0 outside it
                                continue;
                            for (int kx = 0; kx < kw; ++kx) {
                                const std::int64_t ox =
                                    ix * p.stride.w - p.padding.w + std::int64_t(kx) * p.dilation.w;
                                if (ox < m_span.x0 || ox >= m_span.x1)
                                    continue;
                                const V gv = m_go->at(co, oy, ox);
                                if (gv != V(0))
                                    add(acc, scaled(gv, wk ? wk[ky * kw + kx] : 1.0f));
                            }
                        }
                    }
                    setAt(ci, iy, ix, acc);
                }
        }
    }

    void operator()(const MaxPool2dLayer &l)
    {
        const Hw s = l.strideOrKernel();
        forEachGradient([&](std::int64_t c, std::int64_t oy, std::int64_t ox, V gv) {
            // The forward's window and scan (layers.cpp), so ties and NaNs pick its winner.
            std::int64_t y0 = oy * s.h - l.padding.h;
            const std::int64_t y1 =
                std::min(y0 + static_cast<std::int64_t>(l.kernel.h - 1) * l.dilation.h + 1, m_in.h);
            while (y0 < 0)
                y0 += l.dilation.h;
            std::int64_t x0 = ox * s.w - l.padding.w;
            const std::int64_t x1 =
                std::min(x0 + static_cast<std::int64_t>(l.kernel.w - 1) * l.dilation.w + 1, m_in.w);
            while (x0 < 0)
                x0 += l.dilation.w;
            if (kPaths || dry()) {
                for (std::int64_t y = y0; y < y1; y += l.dilation.h)
                    for (std::int64_t x = x0; x < x1; x += l.dilation.w)
                        addAt(c, y, x, gv);
            } else {
                std::int64_t by = y0, bx = x0;
                float best = -std::numeric_limits<float>::infinity();
                for (std::int64_t y = y0; y < y1; y += l.dilation.h)
                    for (std::int64_t x = x0; x < x1; x += l.dilation.w) {
                        const float v = m_x->at(c, y, x);
                        if (v > best || std::isnan(v)) {
                            best = v;
                            by = y;
                            bx = x;
                        }
                    }
                if (by < y1 && bx < x1)
                    addAt(c, by, bx, gv);
            }
        });
    }

    void operator()(const AvgPool2dLayer &l)
    {
        const Hw s = l.strideOrKernel();
        forEachGradient([&](std::int64_t c, std::int64_t oy, std::int64_t ox, V gv) {
            std::int64_t y0 = oy * s.h - l.padding.h;
            std::int64_t x0 = ox * s.w - l.padding.w;
            std::int64_t y1 = std::min(y0 + l.kernel.h, m_in.h + l.padding.h);
            std::int64_t x1 = std::min(x0 + l.kernel.w, m_in.w + l.padding.w);
            const std::int64_t poolSize = (y1 - y0) * (x1 - x0);
            y0 = std::max<std::int64_t>(y0, 0);
            x0 = std::max<std::int64_t>(x0, 0);
            y1 = std::min(y1, m_in.h);
            x1 = std::min(x1, m_in.w);
            if (y0 >= y1 || x0 >= x1)
                return;
            V share = gv;
            if constexpr (!kPaths) {
                const std::int64_t divisor = l.divisorOverride   ? *l.divisorOverride
                                             : l.countIncludePad ? poolSize
                                                                 : (y1 - y0) * (x1 - x0);
                share = gv / static_cast<double>(divisor);
            }
            for (std::int64_t y = y0; y < y1; ++y)
                for (std::int64_t x = x0; x < x1; ++x)
                    addAt(c, y, x, share);
        });
    }

    void operator()(const AdaptiveAvgPool2dLayer &)
    {
        forEachGradient([&](std::int64_t c, std::int64_t oy, std::int64_t ox, V gv) {
            const std::int64_t y0 = (oy * m_in.h) / m_out.h;
            const std::int64_t y1 = ((oy + 1) * m_in.h + m_out.h - 1) / m_out.h;
            const std::int64_t x0 = (ox * m_in.w) / m_out.w;
            const std::int64_t x1 = ((ox + 1) * m_in.w + m_out.w - 1) / m_out.w;
            V share = gv;
            if constexpr (!kPaths)
                share = gv / static_cast<double>(y1 - y0) / static_cast<double>(x1 - x0);
            for (std::int64_t y = y0; y < y1; ++y)
                for (std::int64_t x = x0; x < x1; ++x)
                    addAt(c, y, x, share);
        });
    }

    void operator()(const BatchNorm2dLayer &l)
    {
        forEachGradient([&](std::int64_t c, std::int64_t y, std::int64_t x, V gv) {
            if (kPaths || dry()) {
                setAt(c, y, x, gv);
            } else {
                // The forward's per-channel factor, in float32 as it was applied.
                const auto i = static_cast<std::size_t>(c);
                const float invstd =
                    1.0f / std::sqrt(l.runningVar->data[i] + static_cast<float>(l.eps));
                const float alpha = l.affine ? invstd * l.weight->data[i] : invstd;
                setAt(c, y, x, gv * static_cast<double>(alpha));
            }
        });
    }

    void operator()(const ZeroPad2dLayer &l) { pad(l.padding, PaddingMode::Zeros); }
    void operator()(const ConstantPad2dLayer &l) { pad(l.padding, PaddingMode::Zeros); }
    void operator()(const ReflectionPad2dLayer &l) { pad(l.padding, PaddingMode::Reflect); }
    void operator()(const ReplicationPad2dLayer &l) { pad(l.padding, PaddingMode::Replicate); }

    void operator()(const ReluLayer &)
    {
        // threshold_backward on the result: 0 where relu(x) <= 0 (so at x = 0; a NaN passes).
        elementwise([](double, double y) { return y <= 0.0 ? 0.0 : 1.0; });
    }
    void operator()(const LeakyReluLayer &l)
    {
        const double slope = static_cast<float>(l.negativeSlope);
        elementwise([slope](double x, double) { return x > 0.0 ? 1.0 : slope; });
    }
    void operator()(const Relu6Layer &)
    {
        elementwise([](double x, double) { return x <= 0.0 || x >= 6.0 ? 0.0 : 1.0; });
    }
    void operator()(const GeluLayer &)
    {
        elementwise([](double x, double) {
            const double cdf = 0.5 * (1.0 + std::erf(x * M_SQRT1_2));
            const double pdf = std::exp(-0.5 * x * x) * (M_2_SQRTPI * M_SQRT1_2 * 0.5);
            return cdf + x * pdf;
        });
    }
    void operator()(const SiluLayer &)
    {
        elementwise([](double x, double) {
            const double s = 1.0 / (1.0 + std::exp(-x));
            return s * (1.0 + x * (1.0 - s));
        });
    }
    void operator()(const SigmoidLayer &)
    {
        elementwise([](double, double y) { return (1.0 - y) * y; });
    }
    void operator()(const TanhLayer &)
    {
        elementwise([](double, double y) { return 1.0 - y * y; });
    }

private:
    void addAt(std::int64_t c, std::int64_t y, std::int64_t x, V value)
    {
        if (m_gi)
            add(m_gi->at(c, y, x), value);
        m_written.include(y, x);
    }
    void setAt(std::int64_t c, std::int64_t y, std::int64_t x, V value)
    {
        if (m_gi)
            m_gi->at(c, y, x) = value;
        m_written.include(y, x);
    }

    template <class F> void forEachGradient(F f)
    {
        for (std::int64_t c = 0; c < m_out.c; ++c)
            for (std::int64_t oy = m_span.y0; oy < m_span.y1; ++oy)
                for (std::int64_t ox = m_span.x0; ox < m_span.x1; ++ox) {
                    const V gv = dry() ? V(1) : m_go->at(c, oy, ox);
                    if (gv != V(0))
                        f(c, oy, ox, gv);
                }
    }

    void pad(const SidePadding &padding, PaddingMode mode)
    {
        forEachGradient([&](std::int64_t c, std::int64_t y, std::int64_t x, V gv) {
            const std::int64_t sy = sourceIndex(y - padding.top, m_in.h, mode);
            const std::int64_t sx = sourceIndex(x - padding.left, m_in.w, mode);
            if (sy >= 0 && sx >= 0)
                addAt(c, sy, sx, gv);
        });
    }

    // d = derivative(x, y) at the forward's input and output values.
    template <class F> void elementwise(F derivative)
    {
        forEachGradient([&](std::int64_t c, std::int64_t y, std::int64_t x, V gv) {
            if (kPaths || dry()) {
                setAt(c, y, x, gv);
            } else {
                const double xv = m_x ? m_x->at(c, y, x) : 0.0;
                const double yv = m_y ? m_y->at(c, y, x) : 0.0;
                setAt(c, y, x, gv * derivative(xv, yv));
            }
        });
    }

    Nchw m_in, m_out;
    const Values *m_x;
    const Values *m_y;
    const Plane<V> *m_go;
    Span m_span;
    Plane<V> *m_gi;
    Span &m_written;
};

// The windows a walk back from `t` may write, found by a dry walk: entry i is the window
// of layer i's input (entry 0 the network input's), entry t.layer the target's.
std::vector<Span> walkWindows(const Network &net, const Shape &inputShape,
                              const std::vector<Shape> &shapes, const GradientTarget &t)
{
    std::vector<Span> spans(t.layer + 1);
    spans[t.layer] = Span{t.y0, t.y1, t.x0, t.x1};
    for (std::size_t i = t.layer; i-- > 0;) {
        const Nchw in = nchw(i == 0 ? inputShape : shapes[i - 1]), out = nchw(shapes[i]);
        if (!spans[i + 1].empty())
            std::visit(LayerBackward<double>(in, out, nullptr, nullptr, nullptr, spans[i + 1],
                                             nullptr, spans[i]),
                       net.layers[i]);
    }
    return spans;
}

// The forward values the walk reads: per layer, its input and output over the walk's
// windows where needsInput/needsOutput say so (empty otherwise).
struct WalkValues {
    std::vector<Values> inputs, outputs;
};

// The gradient seeded at the target of layer `target.layer`, walked back to the input over
// the windows of walkWindows(). `values` null: path counts. `progress` gets the fraction of
// the layers walked.
template <class V>
ForwardStatus walkBack(const Network &net, const Shape &inputShape,
                       const std::vector<Shape> &shapes, const std::vector<Span> &spans,
                       const WalkValues *values, const GradientTarget &t, Plane<V> &result,
                       const ProgressCallback &progress)
{
    const std::size_t k = t.layer;
    Plane<V> go;
    go.reset(nchw(shapes[k - 1]).c, spans[k]);
    for (std::int64_t c = 0; c < go.c; ++c) {
        if (t.channel >= 0 && c != t.channel)
            continue;
        for (std::int64_t y = t.y0; y < t.y1; ++y)
            for (std::int64_t x = t.x0; x < t.x1; ++x)
                go.at(c, y, x) = V(1);
    }
    Plane<V> gi;
    for (std::size_t i = k; i-- > 0;) {
        const Nchw in = nchw(i == 0 ? inputShape : shapes[i - 1]), out = nchw(shapes[i]);
        gi.reset(in.c, spans[i]);
        if (!spans[i + 1].empty() && !spans[i].empty()) {
            const Values *x = values && needsInput(net.layers[i]) ? &values->inputs[i] : nullptr;
            const Values *y = values && needsOutput(net.layers[i]) ? &values->outputs[i] : nullptr;
            Span written;
            try {
                std::visit(LayerBackward<V>(in, out, x, y, &go, spans[i + 1], &gi, written),
                           net.layers[i]);
            } catch (const PathOverflow &) {
                throw std::overflow_error("layer " + std::to_string(i + 1) + " ("
                                          + kindName(net.layers[i])
                                          + "): the path counts pass 2^63");
            }
        }
        std::swap(go, gi);
        if (progress && !progress(double(k - i) / double(k)))
            return ForwardStatus::Cancelled;
    }
    result = std::move(go);
    return ForwardStatus::Done;
}

std::vector<Shape> checkedShapes(const Network &net, const Shape &inputShape,
                                 const GradientTarget &target)
{
    if (auto e = validate(net, inputShape))
        throw std::invalid_argument(e->message());
    if (auto e = validateTarget(net, inputShape, target))
        throw std::invalid_argument(*e);
    return layerShapes(net, inputShape);
}

// The network cut after `layer` (counted from 1).
Network upTo(const Network &net, std::size_t layer)
{
    Network cut;
    cut.layers.assign(net.layers.begin(), net.layers.begin() + static_cast<std::ptrdiff_t>(layer));
    return cut;
}

// Forward with every output kept (averagedGradient walks back from many targets);
// progress scaled into [0, share].
ForwardStatus keepAllForward(const Network &net, const Tensor &input, std::vector<Tensor> &outputs,
                             const ProgressCallback &progress, double share, int threads)
{
    NetworkOptions o;
    o.threads = threads;
    o.keep.assign(net.size(), true);
    if (progress)
        o.progress = [&](double f) { return progress(f * share); };
    return forward(net, input, outputs, o);
}

// Forward one layer at a time through two buffers, copying out only the windows the walk
// reads: the memory of a plain forward pass, not of every feature map.
ForwardStatus windowedForward(const Network &net, const Tensor &input,
                              const std::vector<Span> &spans, std::int64_t batch,
                              WalkValues &values, const ProgressCallback &progress, double share,
                              int threads)
{
    const std::size_t n = net.size();
    values.inputs.assign(n, {});
    values.outputs.assign(n, {});
    std::vector<Tensor> buffers[2] = {std::vector<Tensor>(1), std::vector<Tensor>(1)};
    const Tensor *x = &input;
    for (std::size_t i = 0; i < n; ++i) {
        Network one;
        one.layers.push_back(net.layers[i]);
        NetworkOptions o;
        o.threads = threads;
        if (progress)
            o.progress = [&](double f) { return progress((double(i) + f) / double(n) * share); };
        std::vector<Tensor> &out = buffers[i % 2];
        if (forward(one, *x, out, o) == ForwardStatus::Cancelled)
            return ForwardStatus::Cancelled;
        if (needsInput(net.layers[i]))
            values.inputs[i] = copyWindow(*x, batch, spans[i]);
        if (needsOutput(net.layers[i]))
            values.outputs[i] = copyWindow(out[0], batch, spans[i + 1]);
        x = &out[0];
    }
    return ForwardStatus::Done;
}

Tensor toTensor(const Plane<double> &p, const Shape &inputShape, std::int64_t batch)
{
    Tensor g(inputShape, 0.0f);
    const Nchw d = nchw(inputShape);
    for (std::int64_t c = 0; c < p.c; ++c)
        for (std::int64_t y = p.s.y0; y < p.s.y1; ++y)
            for (std::int64_t x = p.s.x0; x < p.s.x1; ++x)
                g.data[static_cast<std::size_t>(((batch * d.c + c) * d.h + y) * d.w + x)] =
                    static_cast<float>(p.at(c, y, x));
    return g;
}

} // namespace

std::optional<std::string> validateTarget(const Network &net, const Shape &inputShape,
                                          const GradientTarget &t)
{
    if (t.layer < 1 || t.layer > net.size())
        return "layer " + std::to_string(t.layer) + " is outside the network: expected 1 to "
               + std::to_string(net.size());
    if (auto e = validate(net, inputShape))
        return e->message();
    const Shape out = layerShapes(net, inputShape)[t.layer - 1];
    const Nchw d = nchw(out);
    const std::string where =
        " of layer " + std::to_string(t.layer) + "'s output " + formatShape(out);
    if (t.batch < 0 || t.batch >= d.n)
        return "batch " + std::to_string(t.batch) + " is outside" + where + ": expected 0 to "
               + std::to_string(d.n - 1);
    if (t.channel < -1 || t.channel >= d.c)
        return "channel " + std::to_string(t.channel) + " is outside" + where
               + ": expected -1 (every channel) or 0 to " + std::to_string(d.c - 1);
    const auto range = [&](const char *what, std::int64_t a, std::int64_t b,
                           std::int64_t size) -> std::optional<std::string> {
        if (a < 0 || b > size || a >= b)
            return std::string(what) + " [" + std::to_string(a) + ", " + std::to_string(b)
                   + ") are outside" + where + ": expected a non-empty range within 0 to "
                   + std::to_string(size - 1);
        return std::nullopt;
    };
    if (auto e = range("rows", t.y0, t.y1, d.h))
        return e;
    return range("columns", t.x0, t.x1, d.w);
}

ForwardStatus inputGradient(const Network &net, const Tensor &input, const GradientTarget &target,
                            Tensor &grad, const ProgressCallback &progress, int threads)
{
    const std::vector<Shape> shapes = checkedShapes(net, input.shape, target);
    const Network cut = upTo(net, target.layer);
    const std::vector<Span> spans = walkWindows(cut, input.shape, shapes, target);
    WalkValues values;
    if (windowedForward(cut, input, spans, target.batch, values, progress, 0.5, threads)
        == ForwardStatus::Cancelled)
        return ForwardStatus::Cancelled;
    Plane<double> g;
    const ProgressCallback back =
        progress ? ProgressCallback([&](double f) { return progress(0.5 + 0.5 * f); })
                 : ProgressCallback();
    if (walkBack(cut, input.shape, shapes, spans, &values, target, g, back)
        == ForwardStatus::Cancelled)
        return ForwardStatus::Cancelled;
    grad = toTensor(g, input.shape, target.batch);
    return ForwardStatus::Done;
}

Counts pathCounts(const Network &net, const Shape &inputShape, const GradientTarget &target)
{
    const std::vector<Shape> shapes = checkedShapes(net, inputShape, target);
    const std::vector<Span> spans = walkWindows(net, inputShape, shapes, target);
    Plane<std::int64_t> p;
    walkBack(net, inputShape, shapes, spans, nullptr, target, p, {});
    Counts c;
    c.shape = inputShape;
    c.data.assign(static_cast<std::size_t>(numel(inputShape)), 0);
    const Nchw d = nchw(inputShape);
    for (std::int64_t ch = 0; ch < p.c; ++ch)
        for (std::int64_t y = p.s.y0; y < p.s.y1; ++y)
            for (std::int64_t x = p.s.x0; x < p.s.x1; ++x)
                c.data[static_cast<std::size_t>(((target.batch * d.c + ch) * d.h + y) * d.w + x)] =
                    p.at(ch, y, x);
    return c;
}

Box theoreticalBox(const Network &net, const Shape &inputShape, const GradientTarget &target)
{
    const std::vector<Shape> shapes = checkedShapes(net, inputShape, target);
    // Inclusive intervals, walked back one layer at a time.
    std::int64_t ya = target.y0, yb = target.y1 - 1, xa = target.x0, xb = target.x1 - 1;
    for (std::size_t i = target.layer; i-- > 0;) {
        const Nchw in = nchw(i == 0 ? inputShape : shapes[i - 1]), out = nchw(shapes[i]);
        if (const auto w = slidingWindows(net.layers[i])) {
            // Output o's window reads o * stride - pad + k * dilation for k < kernel.
            const auto window = [](std::int64_t &a, std::int64_t &b, const AxisWindow &aw) {
                a = a * aw.stride - aw.pad;
                b = b * aw.stride - aw.pad + std::int64_t(aw.dilation) * (aw.kernel - 1);
            };
            window(ya, yb, (*w)[0]);
            window(xa, xb, (*w)[1]);
            continue;
        }
        std::visit(
            [&](const auto &l) {
                using T = std::decay_t<decltype(l)>;
                if constexpr (std::is_same_v<T, AdaptiveAvgPool2dLayer>) {
                    ya = (ya * in.h) / out.h;
                    yb = ((yb + 1) * in.h + out.h - 1) / out.h - 1;
                    xa = (xa * in.w) / out.w;
                    xb = ((xb + 1) * in.w + out.w - 1) / out.w - 1;
                } else if constexpr (std::is_same_v<T, ConvTranspose2dLayer>) {
                    const ConvTranspose2dParams &p = l.params;
                    const auto back = [](std::int64_t &a, std::int64_t &b, int s, int pad, int d,
                                         int k) {
                        const std::int64_t na = ceilDiv(a + pad - std::int64_t(d) * (k - 1), s);
                        const std::int64_t nb = floorDiv(b + pad, s);
                        a = na;
                        b = std::max(nb, na - 1); // empty when no input reaches it
                    };
                    back(ya, yb, p.stride.h, p.padding.h, p.dilation.h, p.kernel.h);
                    back(xa, xb, p.stride.w, p.padding.w, p.dilation.w, p.kernel.w);
                } else if constexpr (requires { l.padding.top; }) {
                    ya -= l.padding.top;
                    yb -= l.padding.top;
                    xa -= l.padding.left;
                    xb -= l.padding.left;
                }
            },
            net.layers[i]);
    }
    return Box{ya, xa, yb + 1, xb + 1};
}

std::vector<double> channelMagnitude(const Tensor &grad)
{
    const Nchw d = nchw(grad.shape);
    std::vector<double> m(static_cast<std::size_t>(d.h * d.w), 0.0);
    for (std::int64_t c = 0; c < d.n * d.c; ++c)
        for (std::size_t i = 0; i < m.size(); ++i)
            m[i] += std::abs(
                static_cast<double>(grad.data[static_cast<std::size_t>(c) * m.size() + i]));
    return m;
}

MassStats massStats(const std::vector<double> &magnitude, std::int64_t h, std::int64_t w,
                    const Box &box)
{
    MassStats s;
    double sy = 0.0, sx = 0.0;
    for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t x = 0; x < w; ++x) {
            const double m = magnitude[static_cast<std::size_t>(y * w + x)];
            s.total += m;
            sy += m * static_cast<double>(y);
            sx += m * static_cast<double>(x);
        }
    const std::int64_t y0 = std::max<std::int64_t>(box.y0, 0), y1 = std::min(box.y1, h);
    const std::int64_t x0 = std::max<std::int64_t>(box.x0, 0), x1 = std::min(box.x1, w);
    if (s.total <= 0.0 || y0 >= y1 || x0 >= x1)
        return s;
    s.centroidY = sy / s.total;
    s.centroidX = sx / s.total;
    double r2 = 0.0;
    for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t x = 0; x < w; ++x) {
            const double dy = static_cast<double>(y) - s.centroidY;
            const double dx = static_cast<double>(x) - s.centroidX;
            r2 += magnitude[static_cast<std::size_t>(y * w + x)] * (dy * dy + dx * dx);
        }
    s.radius = std::sqrt(r2 / s.total);
    std::vector<double> inside;
    inside.reserve(static_cast<std::size_t>((y1 - y0) * (x1 - x0)));
    for (std::int64_t y = y0; y < y1; ++y)
        for (std::int64_t x = x0; x < x1; ++x)
            inside.push_back(magnitude[static_cast<std::size_t>(y * w + x)]);
    std::sort(inside.begin(), inside.end(), std::greater<>());
    const auto pixels = [&](double share) {
        double acc = 0.0;
        std::size_t n = 0;
        while (n < inside.size() && acc < share * s.total)
            acc += inside[n++];
        return static_cast<std::int64_t>(n);
    };
    s.boxPixels = static_cast<std::int64_t>(inside.size());
    s.pixels50 = pixels(0.5);
    s.pixels90 = pixels(0.9);
    s.pixels99 = pixels(0.99);
    const auto inBox = static_cast<double>(s.boxPixels);
    s.fraction50 = static_cast<double>(s.pixels50) / inBox;
    s.fraction90 = static_cast<double>(s.pixels90) / inBox;
    s.fraction99 = static_cast<double>(s.pixels99) / inBox;
    return s;
}

ForwardStatus averagedGradient(const Network &net, const Tensor &input, std::size_t layer,
                               int channel, int samples, AveragedGradient &result,
                               const ProgressCallback &progress, int threads)
{
    GradientTarget probe = GradientTarget::at(layer, channel, 0, 0);
    const std::vector<Shape> shapes = checkedShapes(net, input.shape, probe);
    if (samples < 1)
        throw std::invalid_argument("samples " + std::to_string(samples)
                                    + ": expected at least 1 position a side");
    const Nchw in = nchw(input.shape), out = nchw(shapes[layer - 1]);
    // Rows (columns) whose box lies inside the input: the box of a row does not depend on
    // the column, so each axis is chosen on its own.
    const auto inside = [&](bool rows) {
        std::vector<std::int64_t> all, ok;
        const std::int64_t n = rows ? out.h : out.w, size = rows ? in.h : in.w;
        for (std::int64_t i = 0; i < n; ++i) {
            const GradientTarget t = GradientTarget::at(layer, channel, rows ? i : 0, rows ? 0 : i);
            const Box b = theoreticalBox(net, input.shape, t);
            all.push_back(i);
            if ((rows ? b.y0 : b.x0) >= 0 && (rows ? b.y1 : b.x1) <= size
                && (rows ? b.height() : b.width()) > 0)
                ok.push_back(i);
        }
        const std::vector<std::int64_t> &from = ok.empty() ? all : ok;
        std::vector<std::int64_t> picked;
        const auto k = std::min<std::size_t>(static_cast<std::size_t>(samples), from.size());
        for (std::size_t j = 0; j < k; ++j)
            picked.push_back(from[(j * (from.size() - 1)) / std::max<std::size_t>(1, k - 1)]);
        picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
        return picked;
    };
    const std::vector<std::int64_t> ys = inside(true), xs = inside(false);

    const Network cut = upTo(net, layer);
    std::vector<Tensor> outputs;
    if (keepAllForward(cut, input, outputs, progress, 0.2, threads) == ForwardStatus::Cancelled)
        return ForwardStatus::Cancelled;
    WalkValues values;
    for (std::size_t i = 0; i < cut.size(); ++i) {
        values.inputs.push_back(viewOf(i == 0 ? input : outputs[i - 1], 0));
        values.outputs.push_back(viewOf(outputs[i], 0));
    }
    const Box first =
        theoreticalBox(net, input.shape, GradientTarget::at(layer, channel, ys[0], xs[0]));
    const std::int64_t bh = std::max<std::int64_t>(first.height(), 1);
    const std::int64_t bw = std::max<std::int64_t>(first.width(), 1);
    std::vector<double> sum(static_cast<std::size_t>(in.c * bh * bw), 0.0);
    const std::size_t total = ys.size() * xs.size();
    std::size_t done = 0;
    for (std::int64_t y : ys)
        for (std::int64_t x : xs) {
            const GradientTarget t = GradientTarget::at(layer, channel, y, x);
            const Box b = theoreticalBox(net, input.shape, t);
            Plane<double> g;
            walkBack(cut, input.shape, shapes, walkWindows(cut, input.shape, shapes, t), &values, t,
                     g, {});
            for (std::int64_t c = 0; c < in.c; ++c)
                for (std::int64_t yy = 0; yy < bh; ++yy)
                    for (std::int64_t xx = 0; xx < bw; ++xx) {
                        const std::int64_t iy = b.y0 + yy, ix = b.x0 + xx;
                        if (iy < g.s.y0 || iy >= g.s.y1 || ix < g.s.x0 || ix >= g.s.x1)
                            continue; // outside what the walk wrote: no gradient
                        sum[static_cast<std::size_t>((c * bh + yy) * bw + xx)] +=
                            std::abs(g.at(c, iy, ix));
                    }
            ++done;
            if (progress && !progress(0.2 + 0.8 * double(done) / double(total)))
                return ForwardStatus::Cancelled;
        }
    result.map = Tensor(Shape{in.c, bh, bw});
    for (std::size_t i = 0; i < sum.size(); ++i)
        result.map.data[i] = static_cast<float>(sum[i] / static_cast<double>(total));
    result.positions = static_cast<int>(total);
    return ForwardStatus::Done;
}

namespace {

// How often each index of an axis of `size` is read (or written) by the taps of `n` output
// positions: pos(o, k) gives the index, -1 for none.
template <class F>
std::vector<std::int64_t> axisCounts(std::int64_t size, std::int64_t n, int k, F pos)
{
    std::vector<std::int64_t> c(static_cast<std::size_t>(size), 0);
    for (std::int64_t o = 0; o < n; ++o)
        for (int t = 0; t < k; ++t) {
            const std::int64_t i = pos(o, t);
            if (i >= 0 && i < size)
                ++c[static_cast<std::size_t>(i)];
        }
    return c;
}

} // namespace

Coverage layerCoverage(const Network &net, const Shape &inputShape, std::size_t layer)
{
    if (layer < 1 || layer > net.size())
        throw std::invalid_argument("layer " + std::to_string(layer)
                                    + " is outside the network: expected 1 to "
                                    + std::to_string(net.size()));
    const std::vector<Shape> shapes = layerShapes(net, inputShape);
    const Nchw in = nchw(layer == 1 ? inputShape : shapes[layer - 2]),
               out = nchw(shapes[layer - 1]);
    std::vector<std::int64_t> rows(static_cast<std::size_t>(in.h), 1);
    std::vector<std::int64_t> cols(static_cast<std::size_t>(in.w), 1);
    bool overOutput = false;
    // Each layer's windows are a product of a row and a column pattern, so the count of a
    // pixel is its row's count times its column's.
    const auto windowCounts = [](std::int64_t size, std::int64_t n, const AxisWindow &aw) {
        return axisCounts(size, n, aw.kernel, [&](std::int64_t o, int k) {
            return sourceIndex(o * aw.stride - aw.pad + std::int64_t(k) * aw.dilation, size,
                               aw.mode);
        });
    };
    if (const auto w = slidingWindows(net.layers[layer - 1])) {
        rows = windowCounts(in.h, out.h, (*w)[0]);
        cols = windowCounts(in.w, out.w, (*w)[1]);
    } else {
        std::visit(
            [&](const auto &l) {
                using T = std::decay_t<decltype(l)>;
                if constexpr (std::is_same_v<T, AdaptiveAvgPool2dLayer>) {
                    const auto adaptive = [](std::int64_t size, std::int64_t n) {
                        std::vector<std::int64_t> c(static_cast<std::size_t>(size), 0);
                        for (std::int64_t o = 0; o < n; ++o)
                            for (std::int64_t i = (o * size) / n; i < ((o + 1) * size + n - 1) / n;
                                 ++i)
                                ++c[static_cast<std::size_t>(i)];
                        return c;
                    };
                    rows = adaptive(in.h, out.h);
                    cols = adaptive(in.w, out.w);
                } else if constexpr (std::is_same_v<T, ConvTranspose2dLayer>) {
                    const ConvTranspose2dParams &p = l.params;
                    overOutput = true;
                    rows = axisCounts(out.h, in.h, p.kernel.h, [&](std::int64_t i, int k) {
                        return i * p.stride.h - p.padding.h + std::int64_t(k) * p.dilation.h;
                    });
                    cols = axisCounts(out.w, in.w, p.kernel.w, [&](std::int64_t i, int k) {
                        return i * p.stride.w - p.padding.w + std::int64_t(k) * p.dilation.w;
                    });
                } else if constexpr (requires { l.padding.top; }) {
                    const PaddingMode m =
                        std::is_same_v<T, ReflectionPad2dLayer>    ? PaddingMode::Reflect
                        : std::is_same_v<T, ReplicationPad2dLayer> ? PaddingMode::Replicate
                                                                   : PaddingMode::Zeros;
                    rows = axisCounts(in.h, out.h, 1, [&](std::int64_t o, int) {
                        return sourceIndex(o - l.padding.top, in.h, m);
                    });
                    cols = axisCounts(in.w, out.w, 1, [&](std::int64_t o, int) {
                        return sourceIndex(o - l.padding.left, in.w, m);
                    });
                }
            },
            net.layers[layer - 1]);
    }
    Coverage cov;
    cov.overOutput = overOutput;
    cov.rows = rows;
    cov.cols = cols;
    const auto h = static_cast<std::int64_t>(rows.size()),
               w = static_cast<std::int64_t>(cols.size());
    cov.counts.shape = {h, w};
    cov.counts.data.resize(static_cast<std::size_t>(h * w));
    for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t x = 0; x < w; ++x)
            cov.counts.data[static_cast<std::size_t>(y * w + x)] =
                rows[static_cast<std::size_t>(y)] * cols[static_cast<std::size_t>(x)];
    return cov;
}

} // namespace convscope::core
