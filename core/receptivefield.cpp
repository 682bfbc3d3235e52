// SPDX-License-Identifier: GPL-3.0-or-later
#include "receptivefield.h"

#include "padding.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace convscope::core {

namespace {

// The geometry of one layer along one axis, as the propagation loops need it.
struct AxisStep {
    int kernel = 1;
    int stride = 1;
    int dilation = 1;
    int padBefore = 0;
    std::int64_t inSize = 0;
    std::int64_t outSize = 0;
    PaddingMode mode = PaddingMode::Zeros;
};

AxisStep stepH(const Conv2dParams &p, const AxisField &f)
{
    return {p.kernel.h, p.stride.h, p.dilation.h, f.padBefore, f.inSize, f.outSize, p.paddingMode};
}

AxisStep stepW(const Conv2dParams &p, const AxisField &f)
{
    return {p.kernel.w, p.stride.w, p.dilation.w, f.padBefore, f.inSize, f.outSize, p.paddingMode};
}

// Tap k of output i reads this padded coordinate of the layer's input.
std::int64_t tapCoordinate(const AxisStep &a, std::int64_t i, int k)
{
    return i * a.stride - a.padBefore + static_cast<std::int64_t>(k) * a.dilation;
}

void sortUnique(std::vector<std::int64_t> &v)
{
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
}

AxisField axisField(const AxisField &prev, std::int64_t inSize, int kernel, int stride,
                    int dilation, int padBefore, int padAfter)
{
    AxisField f;
    f.inSize = inSize;
    f.outSize = outputSize(inSize, padBefore, padAfter, kernel, stride, dilation);
    f.kernelEff = effectiveKernel(kernel, dilation);
    f.stride = stride;
    f.padBefore = padBefore;
    f.padAfter = padAfter;
    f.unreached = unreachedTail(inSize, padBefore, padAfter, kernel, stride, dilation);
    // One step of layer l-1 coordinates is j_{l-1} network-input pixels, so the window's
    // extra k_eff - 1 positions widen the field by (k_eff - 1) * j_{l-1}, the padding
    // shifts its start left by padBefore * j_{l-1}, and the stride multiplies the jump.
    f.j = prev.j * stride;
    f.r = prev.r + (f.kernelEff - 1) * prev.j;
    f.start = prev.start - static_cast<std::int64_t>(padBefore) * prev.j;
    f.centre = static_cast<double>(f.start) + static_cast<double>(f.r - 1) / 2.0;
    return f;
}

// Back from a set of output positions of one layer to the taps on its padded input, and the
// real input positions those taps read (zero padding reads nothing).
void backStep(const AxisStep &a, const std::vector<std::int64_t> &outputs,
              std::vector<std::int64_t> &taps, std::vector<std::int64_t> &sources)
{
    taps.clear();
    sources.clear();
    for (std::int64_t i : outputs)
        for (int k = 0; k < a.kernel; ++k) {
            const std::int64_t t = tapCoordinate(a, i, k);
            taps.push_back(t);
            const std::int64_t s = sourceIndex(t, a.inSize, a.mode);
            if (s >= 0)
                sources.push_back(s);
        }
    sortUnique(taps);
    sortUnique(sources);
}

// Forward from a set of input positions of one layer to the outputs that read any of them
// (through a padded copy too). Plain marking over every output and tap: layers are small.
std::vector<std::int64_t> forwardStep(const AxisStep &a, const std::vector<std::int64_t> &inputs)
{
    std::vector<char> marked(static_cast<std::size_t>(a.inSize), 0);
    for (std::int64_t v : inputs)
        marked[static_cast<std::size_t>(v)] = 1;
    std::vector<std::int64_t> outputs;
    for (std::int64_t i = 0; i < a.outSize; ++i)
        for (int k = 0; k < a.kernel; ++k) {
            const std::int64_t s = sourceIndex(tapCoordinate(a, i, k), a.inSize, a.mode);
            if (s >= 0 && marked[static_cast<std::size_t>(s)]) {
                outputs.push_back(i);
                break;
            }
        }
    return outputs;
}

void checkPosition(std::int64_t y, std::int64_t x, std::int64_t h, std::int64_t w,
                   const std::string &what)
{
    if (y < 0 || y >= h || x < 0 || x >= w)
        throw std::out_of_range(what + " (" + std::to_string(y) + ", " + std::to_string(x)
                                + ") is outside its " + std::to_string(h) + " x "
                                + std::to_string(w) + " map: expected 0 <= y < " + std::to_string(h)
                                + " and 0 <= x < " + std::to_string(w));
}

} // namespace

std::optional<NetworkError> validateStack(const LayerStack &stack, PlaneSize input)
{
    if (stack.empty())
        return std::nullopt;
    return validate(geometryNetwork(stack), Shape{1, stack.front().inChannels, input.h, input.w});
}

std::vector<LayerField> receptiveFields(const LayerStack &stack, PlaneSize input)
{
    if (auto e = validateStack(stack, input))
        throw std::invalid_argument(e->message());
    std::vector<LayerField> table;
    table.reserve(stack.size());
    // The network input itself: every pixel is its own field (r = 1, j = 1, start = 0).
    AxisField prevH, prevW;
    prevH.outSize = input.h;
    prevW.outSize = input.w;
    for (const Conv2dParams &p : stack) {
        // The one place padding per side is resolved; 'same' puts the odd pixel after.
        const SidePadding pad = effectivePadding(p);
        LayerField f;
        f.h = axisField(prevH, prevH.outSize, p.kernel.h, p.stride.h, p.dilation.h, pad.top,
                        pad.bottom);
        f.w = axisField(prevW, prevW.outSize, p.kernel.w, p.stride.w, p.dilation.w, pad.left,
                        pad.right);
        table.push_back(f);
        prevH = f.h;
        prevW = f.w;
    }
    return table;
}

InputBox inputBox(const LayerField &layer, std::int64_t y, std::int64_t x)
{
    InputBox b;
    b.top = layer.h.start + y * layer.h.j;
    b.left = layer.w.start + x * layer.w.j;
    b.bottom = b.top + layer.h.r - 1;
    b.right = b.left + layer.w.r - 1;
    return b;
}

std::vector<Tap> layerTaps(const Conv2dParams &p, PlaneSize in, std::int64_t y, std::int64_t x)
{
    const SidePadding pad = effectivePadding(p);
    const std::int64_t ho =
        outputSize(in.h, pad.top, pad.bottom, p.kernel.h, p.stride.h, p.dilation.h);
    const std::int64_t wo =
        outputSize(in.w, pad.left, pad.right, p.kernel.w, p.stride.w, p.dilation.w);
    checkPosition(y, x, ho, wo, "output position");
    std::vector<Tap> taps;
    taps.reserve(static_cast<std::size_t>(p.kernel.h) * static_cast<std::size_t>(p.kernel.w));
    for (int ky = 0; ky < p.kernel.h; ++ky)
        for (int kx = 0; kx < p.kernel.w; ++kx) {
            Tap t;
            t.ky = ky;
            t.kx = kx;
            t.py = y * p.stride.h - pad.top + static_cast<std::int64_t>(ky) * p.dilation.h;
            t.px = x * p.stride.w - pad.left + static_cast<std::int64_t>(kx) * p.dilation.w;
            t.inPadding = t.py < 0 || t.py >= in.h || t.px < 0 || t.px >= in.w;
            const std::int64_t sy = sourceIndex(t.py, in.h, p.paddingMode);
            const std::int64_t sx = sourceIndex(t.px, in.w, p.paddingMode);
            // A zero on either axis makes the whole tap read a zero.
            if (sy >= 0 && sx >= 0) {
                t.sy = sy;
                t.sx = sx;
            }
            taps.push_back(t);
        }
    return taps;
}

Reach reachedInputs(const LayerStack &stack, PlaneSize input, std::size_t layer, std::int64_t y,
                    std::int64_t x)
{
    const std::vector<LayerField> table = receptiveFields(stack, input);
    if (layer >= table.size())
        throw std::out_of_range("layer " + std::to_string(layer + 1)
                                + " does not exist: the stack has " + std::to_string(table.size())
                                + " layers");
    checkPosition(y, x, table[layer].h.outSize, table[layer].w.outSize, "output position");
    Reach reach;
    std::vector<std::int64_t> rows{y}, cols{x};
    // Walk down the stack: the sources of layer l are the output positions of layer l-1.
    for (std::size_t l = layer + 1; l-- > 0;) {
        backStep(stepH(stack[l], table[l].h), rows, reach.h.taps, reach.h.sources);
        backStep(stepW(stack[l], table[l].w), cols, reach.w.taps, reach.w.sources);
        rows = reach.h.sources;
        cols = reach.w.sources;
    }
    return reach;
}

std::vector<ProjectedLayer> projectiveField(const LayerStack &stack, PlaneSize input,
                                            std::int64_t y, std::int64_t x)
{
    const std::vector<LayerField> table = receptiveFields(stack, input);
    checkPosition(y, x, input.h, input.w, "input pixel");
    std::vector<ProjectedLayer> field;
    field.reserve(table.size());
    std::vector<std::int64_t> rows{y}, cols{x};
    for (std::size_t l = 0; l < table.size(); ++l) {
        rows = forwardStep(stepH(stack[l], table[l].h), rows);
        cols = forwardStep(stepW(stack[l], table[l].w), cols);
        field.push_back({rows, cols});
    }
    return field;
}

} // namespace convscope::core
