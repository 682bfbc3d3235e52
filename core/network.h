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

using Layer = std::variant<Conv2dLayer, ReluLayer>;

// Same kind and parameters, and tensors with the same shapes and values.
bool sameLayer(const Layer &a, const Layer &b);

// The layer's class name as PyTorch prints it: "Conv2d", "ReLU".
std::string kindName(const Layer &layer);
// The layer's repr as PyTorch prints it: "Conv2d(3, 8, kernel_size=(3, 3), ...)", "ReLU()".
std::string torchRepr(const Layer &layer);

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
// the Shape panel need; element-wise layers change no coordinate).
std::vector<Conv2dParams> convParams(const Network &net);
// The network's Conv2d layers, in order (pointers into `net`).
std::vector<const Conv2dLayer *> convLayers(const Network &net);
// The input channels the network expects: layer 1's in_channels (0 when it has no Conv2d).
int inputChannels(const Network &net);

// Why a network cannot run on an input: the failing layer counted from 1, its kind, and the
// check's verdict (message without the layer prefix).
struct NetworkError {
    std::size_t layer = 1;
    // The number of the Conv2d the failing layer belongs to, counted from 1 (a ReLU belongs
    // to the Conv2d after it): how the Layers dock and session files number their rows.
    std::size_t conv = 1;
    std::string kind;
    ValidationError error;
    // "layer 2 (Conv2d): <message>".
    std::string message() const;
};

// The one stack validation. Checks every layer before any work: a Conv2d's module
// configuration (validateModule), that its weight has weightShape(params) and its bias
// [C_out], that its in_channels equal the channels its input has, and then core::validate
// against the shape the previous layers produce. `inputShape` is 3-D (unbatched) or 4-D.
std::optional<NetworkError> validate(const Network &net, const Shape &inputShape);

// The checks that need no input (a session file holds a network without an image): each
// Conv2d's module configuration, its tensor shapes, and channels chaining from layer 1's
// in_channels. The same loop as validate().
std::optional<NetworkError> validateModules(const Network &net);

// The output shape of every layer, in order (validate() first: throws std::invalid_argument
// with validate's message on an invalid network).
std::vector<Shape> layerShapes(const Network &net, const Shape &inputShape);

struct NetworkOptions {
    int threads = 0; // 0 = every CPU the process may use (core::availableCpus)
    // Fraction of the whole network done (layers weighted by their multiply-adds); return
    // false to cancel. Called at least once per layer and every few ms inside a conv.
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
