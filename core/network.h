// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A network as a value: an ordered list of typed layers, as an nn.Sequential holds them, with
// one validation and one forward pass over it. Everything that runs or checks a stack of
// layers (the live view, the Layers dock, both exports, session files, `rf`) goes through
// here, so a layer kind is added in one place: a new alternative of Layer, its case in
// validate() (shape rule) and in forward().
//
// Layers are counted from 1 in messages and in NetworkError::layer, by their position in the
// network (PyTorch prints the same list with indices counted from 0).
#include "conv2d.h"
#include "conv2dparams.h"
#include "convtranspose2d.h"
#include "layers.h"
#include "tensor.h"
#include "validate.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace convscope::core {

// torch.nn.Conv2d with its tensors. The tensors are immutable and shared, so a copy of a
// network is cheap and a worker thread can run a snapshot while the user edits on.
// `weight` null: the shapes the module would own (weightShape(params)), for geometry-only
// checks. `bias` is used only when params.bias is set.
struct Conv2dLayer {
    Conv2dParams params;
    std::shared_ptr<const Tensor> weight;
    std::shared_ptr<const Tensor> bias;
};

// torch.nn.ReLU: element-wise, changes no shape.
struct ReluLayer {};

// Conv2d first, ReLU second: the order session code and the Layers dock were written for.
// The other kinds live in layers.h, ConvTranspose2d in convtranspose2d.h.
using Layer =
    std::variant<Conv2dLayer, ReluLayer, MaxPool2dLayer, AvgPool2dLayer, AdaptiveAvgPool2dLayer,
                 BatchNorm2dLayer, LeakyReluLayer, Relu6Layer, GeluLayer, SiluLayer, SigmoidLayer,
                 TanhLayer, ZeroPad2dLayer, ConstantPad2dLayer, ReflectionPad2dLayer,
                 ReplicationPad2dLayer, ConvTranspose2dLayer>;

// Same kind and parameters, and tensors with the same shapes and values.
bool sameLayer(const Layer &a, const Layer &b);

// The layer's class name as PyTorch prints it: "Conv2d", "ReLU", "MaxPool2d", ...
std::string kindName(const Layer &layer);
// The layer's repr as PyTorch prints it: "Conv2d(3, 8, kernel_size=(3, 3), ...)", "ReLU()".
std::string torchRepr(const Layer &layer);

// Whether the layer moves, drops or adds spatial positions (pools, padding layers and
// ConvTranspose2d, whose windows run the other way): the
// receptive-field geometry, which follows Conv2d windows only, cannot pass through it.
// Element-wise layers (activations, BatchNorm2d) change no coordinate.
bool changesCoordinates(const Layer &layer);

// A Conv2d layer owning copies of the tensors; `bias` is ignored when p.bias is false.
Layer makeConv2d(const Conv2dParams &p, Tensor weight, Tensor bias = {});

struct Network {
    std::vector<Layer> layers;

    std::size_t size() const { return layers.size(); }
    bool empty() const { return layers.empty(); }
    bool operator==(const Network &other) const;
};

// A Conv2d-only network from parameters (module-owned weight shapes), for geometry.
Network geometryNetwork(const std::vector<Conv2dParams> &stack);
// The Conv2d parameters of the network, in order (the geometry the receptive-field code and
// the Shape panel need; element-wise layers change no coordinate). Throws
// std::invalid_argument naming the layer when one changesCoordinates(): its geometry is not
// a Conv2d's, and leaving it out would misplace every field after it. To count the Conv2d
// layers, use convLayers().
std::vector<Conv2dParams> convParams(const Network &net);
// The network's Conv2d layers, in order (pointers into `net`).
std::vector<const Conv2dLayer *> convLayers(const Network &net);
// The input channels the network expects: the in_channels of its first Conv2d or
// ConvTranspose2d or the num_features of its first BatchNorm2d, whichever comes first (every
// other kind keeps the channels); 0 when it has none of them.
int inputChannels(const Network &net);

// Why a network cannot run on an input: the failing layer counted from 1, its kind, and the
// check's verdict (message without the layer prefix).
struct NetworkError {
    std::size_t layer = 1;
    // The number of the Conv2d the failing layer belongs to, counted from 1 (any other kind
    // belongs to the Conv2d after it): how the Layers dock and session files number their rows.
    std::size_t conv = 1;
    std::string kind;
    ValidationError error;
    // "layer 2 (Conv2d): <message>".
    std::string message() const;
};

// The one stack validation. Checks every layer before any work: a Conv2d's module
// configuration (validateModule), that its weight has weightShape(params) and its bias
// [C_out], that its in_channels equal the channels its input has, and then core::validate
// against the shape the previous layers produce; every other kind by its checks in
// layers.h (a BatchNorm2d's num_features against the channels too). `inputShape` is 3-D
// (unbatched) or 4-D.
std::optional<NetworkError> validate(const Network &net, const Shape &inputShape);

// The checks that need no input (a session file holds a network without an image): each
// layer's module configuration, its tensor shapes, and channels chaining from the first
// Conv2d or BatchNorm2d. The same loop as validate().
std::optional<NetworkError> validateModules(const Network &net);

// The output shape of every layer, in order (validate() first: throws std::invalid_argument
// with validate's message on an invalid network).
std::vector<Shape> layerShapes(const Network &net, const Shape &inputShape);

struct NetworkOptions {
    int threads = 0; // 0 = every CPU the process may use (core::availableCpus)
    // Fraction of the whole network done (layers weighted by their multiply-adds, or their
    // window reads for a pool); return false to cancel. Called at least once per layer, every
    // few ms inside a conv and after every [H, W] plane of the other kinds.
    ProgressCallback progress;
    // Which layer outputs to hand back (index = layer position from 0). Empty: only the last
    // layer's. Outputs not kept are released as soon as the next layer has read them.
    std::vector<bool> keep;
    // When set, resized to the network size; entry i receives the per-channel value ranges of
    // a kept output i (computed while it is in cache for a conv, in a pass for the others).
    std::vector<std::vector<MinMax>> *channelRanges = nullptr;
};

// Runs the network on `input` (validate() first). `outputs` is resized to the network size;
// entry i holds layer i's output when it is kept, and is empty otherwise. Buffers already in
// `outputs` are reused (no zero fill for a conv, which writes every element). On Cancelled
// the outputs hold no meaningful values.
ForwardStatus forward(const Network &net, const Tensor &input, std::vector<Tensor> &outputs,
                      const NetworkOptions &options = {});

} // namespace convscope::core
