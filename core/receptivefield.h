// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Receptive-field arithmetic of a stack of Conv2d layers, as pure functions: the per-layer
// table of Araujo et al., "Computing Receptive Fields of Convolutional Neural Networks"
// (Distill, 2019), the input box and the sampled taps of one output position, the input
// pixels an output actually depends on, and the projective field of one input pixel.
//
// Coordinates: every position is an integer index on the network input (or on a layer's
// input), relative to the unpadded origin, so padding positions are negative or >= size.
//
// Two notions of "field", both needed to draw things honestly:
//  - The geometric field (Distill's r, j, start): the bounding box of the kernel windows
//    followed back through every layer as if each padded position of an inner layer were an
//    ordinary one. For an output whose box lies inside the image no window touches padding,
//    and the box is exactly the bounding box of the pixels it depends on.
//  - The reached set (reachedInputs): the input pixels the value really depends on. With
//    zero padding it is a subset of the box; with reflect/replicate/circular padding the
//    padded taps copy real pixels, which may lie OUTSIDE the box (circular wraps around).
// Both are separable: a 2-D set is the product of a row set and a column set, because a
// kernel window and every padding mode act on each axis independently.
#include "conv2dparams.h"
#include "network.h"
#include "shape.h"
#include "validate.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace convscope::core {

// A stack of conv layers, network input first. A pooling-like layer (k2/s2) is just a conv
// geometry, and a ReLU between layers is element-wise, so it changes no coordinate: only
// the Conv2dParams matter here. A Network's pools and padding layers are not conv windows
// (a max pool skips its padding, ceil mode adds windows): convParams() refuses them rather
// than leave them out.
using LayerStack = std::vector<Conv2dParams>;

// Spatial size (H, W) of the network input.
struct PlaneSize {
    std::int64_t h = 0;
    std::int64_t w = 0;
    bool operator==(const PlaneSize &) const = default;
};

// One layer along one axis. The recurrences (l = this layer, l-1 = the one before, the
// network input has r = 1, j = 1, start = 0):
//   j_l     = j_{l-1} * s_l
//   r_l     = r_{l-1} + (k_eff_l - 1) * j_{l-1}          k_eff = d(k-1)+1
//   start_l = start_{l-1} - padBefore_l * j_{l-1}
// Output i of layer l then sees network-input coordinates [start + i*j, start + i*j + r - 1].
// -start is the paper's effective padding of the whole stack on the top/left side:
// sum over layers of padBefore_l * j_{l-1}.
struct AxisField {
    std::int64_t inSize = 0;    // size of this layer's input along the axis
    std::int64_t outSize = 0;   // outputSize() of shape.h
    std::int64_t kernelEff = 1; // effectiveKernel() of shape.h
    int stride = 1;
    int padBefore = 0;          // top or left (effectivePadding() of shape.h)
    int padAfter = 0;           // bottom or right; 'same' puts the odd pixel here
    std::int64_t unreached = 0; // unreachedTail(): padded rows/cols no window reaches
    std::int64_t r = 1;         // receptive-field size on the network input
    std::int64_t j = 1;         // jump: network-input distance between neighbouring outputs
    std::int64_t start = 0;     // network-input coordinate where output 0's field begins
    double centre = 0.0;        // start + (r - 1) / 2: centre of output 0's field
    bool operator==(const AxisField &) const = default;
};

struct LayerField {
    AxisField h;
    AxisField w;
    bool operator==(const LayerField &) const = default;
};

// core::validate(Network) on the stack's geometry (module-owned weight shapes), input
// [1, inChannels of layer 1, h, w]: the layer at fault is counted from 1. nullopt when the
// stack is usable.
std::optional<NetworkError> validateStack(const LayerStack &stack, PlaneSize input);

// The per-layer, per-axis table. Throws std::invalid_argument (with validateStack's message)
// when the stack is invalid.
std::vector<LayerField> receptiveFields(const LayerStack &stack, PlaneSize input);

// A box of network-input coordinates, bounds inclusive; it may extend into the padding.
struct InputBox {
    std::int64_t top = 0;
    std::int64_t left = 0;
    std::int64_t bottom = 0;
    std::int64_t right = 0;
    std::int64_t height() const { return bottom - top + 1; }
    std::int64_t width() const { return right - left + 1; }
    bool operator==(const InputBox &) const = default;
};

// The geometric field of output (y, x) of the layer whose row of the table is given.
InputBox inputBox(const LayerField &layer, std::int64_t y, std::int64_t x);

// One kernel tap of a single layer for one output position.
struct Tap {
    int ky = 0;          // kernel row, as in weight[o, ci, ky, kx]
    int kx = 0;          // kernel column
    std::int64_t py = 0; // coordinate on this layer's padded input (may be < 0 or >= H)
    std::int64_t px = 0;
    bool inPadding = false; // (py, px) lies outside [0, H) x [0, W)
    std::int64_t sy = -1;   // the input pixel the tap reads (sourceIndex of padding.h),
    std::int64_t sx = -1;   // or -1, -1 when it reads a zero (zero padding)
    bool readsZero() const { return sy < 0 || sx < 0; }
    bool operator==(const Tap &) const = default;
};

// The kH * kW taps of output (y, x) of one layer on an input of size `in`, in weight order
// (ky major). Dilation leaves gaps between them. Throws std::out_of_range when (y, x) is
// not an output position.
std::vector<Tap> layerTaps(const Conv2dParams &p, PlaneSize in, std::int64_t y, std::int64_t x);

// One axis of what an output reaches through a stack.
struct AxisReach {
    // Distinct coordinates the first layer samples on the padded network input, ascending:
    // the taps to draw, padding included (drawn outside the image).
    std::vector<std::int64_t> taps;
    // Distinct network-input indices in [0, size) the output depends on, ascending: taps
    // mapped through each layer's padding mode, zero padding dropped.
    std::vector<std::int64_t> sources;
};

// The 2-D sets are products: taps = h.taps x w.taps, sources = h.sources x w.sources.
struct Reach {
    AxisReach h;
    AxisReach w;
};

// What output (y, x) of layer `layer` (0-based) reaches on the network input, following
// every tap back through every layer's padding mode. Throws std::invalid_argument for an
// invalid stack and std::out_of_range for a layer or position that does not exist.
Reach reachedInputs(const LayerStack &stack, PlaneSize input, std::size_t layer, std::int64_t y,
                    std::int64_t x);

// The output positions of one layer that depend on an input pixel: (oy, ox) with oy in rows
// and ox in cols. Not always contiguous (stride and dilation leave gaps, and non-zero padding
// adds the positions whose padded taps copy the pixel); rows.front()/rows.back() give the
// range. Empty when nothing depends on the pixel (e.g. a row stride never reaches).
struct ProjectedLayer {
    std::vector<std::int64_t> rows;
    std::vector<std::int64_t> cols;
};

// The projective field of network-input pixel (y, x), one entry per layer. Throws as
// reachedInputs does.
std::vector<ProjectedLayer> projectiveField(const LayerStack &stack, PlaneSize input,
                                            std::int64_t y, std::int64_t x);

} // namespace convscope::core
