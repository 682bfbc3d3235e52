// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A network read from the text PyTorch prints for a model (`print(model)`): an nn.Sequential,
// nested Sequentials with named children, or one bare layer. The repr names every module and
// its constructor arguments but holds no tensors, so the network comes back with geometry
// only (null weights and statistics) and the state_dict keys each layer's tensors would have,
// for a later step that loads them.
//
// Every layer kind core::Network supports is read in the syntax its repr uses, and nothing
// else: Dropout (of any kind) and Identity are skipped, being no-ops in eval mode; any other
// module is refused by name and line, since leaving it out would change what the network
// computes. The text comes from a user (pasted or a file), so the parser is bounded (text
// size, nesting depth, layer count) and never throws on malformed input.
#include "network.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace convscope::core {

// The limits of parseTorchPrint(); each refusal names the value met and the limit.
inline constexpr std::size_t kTorchPrintMaxBytes = std::size_t{4} << 20; // 4 MiB
inline constexpr int kTorchPrintMaxDepth = 32;                           // nested Sequentials
inline constexpr std::size_t kTorchPrintMaxLayers = 10000;               // modules, skipped too

// One layer of the parsed network, in network order.
struct TorchPrintLayer {
    // The module's path in the model, as state_dict keys spell it ("features.3"; "" for a
    // bare layer).
    std::string path;
    std::size_t line = 0; // counted from 1
    // The module's text as printed ("Conv2d(3, 64, kernel_size=(3, 3), ...)").
    std::string text;
    // The keys its parameters and buffers have in the model's state_dict, in PyTorch's
    // order: "features.3.weight", "features.3.bias", ..., "1.num_batches_tracked".
    std::vector<std::string> keys;
};

struct TorchPrintModel {
    Network network;                     // geometry only: no tensors
    std::vector<TorchPrintLayer> layers; // one per network layer
    // Modules left out (Dropout, Identity) and values the repr cannot show, one line each
    // ("line 4: Dropout(p=0.5, inplace=False) skipped: a no-op in eval mode").
    std::vector<std::string> notes;
    // Every layer's keys, in order: the model's state_dict keys.
    std::vector<std::string> stateDictKeys() const;
};

struct TorchPrintError {
    std::size_t line = 1;   // counted from 1
    std::size_t column = 1; // counted from 1, in bytes
    std::string message;    // "expected ')' to close Conv2d(, found end of line"
    // "line 3, column 17: <message>".
    std::string text() const;
};

struct TorchPrintResult {
    std::optional<TorchPrintModel> model;
    std::optional<TorchPrintError> error; // set exactly when model is not
};

// Parses the output of print(model). The network's module checks (validateModules) run at
// the end: a configuration PyTorch's constructor or forward would refuse is an error at the
// layer's line.
TorchPrintResult parseTorchPrint(std::string_view text);

} // namespace convscope::core
