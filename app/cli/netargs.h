// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The arguments every network command takes the same way: --network (print(model) text),
// --weights (a state_dict file) or --seed (PyTorch-style default initialisation), --threads,
// and an --input that is a .npy, standard input ("-") or an image. Qt-free: images are read
// through a reader the GUI build installs (setImageReader), so the Qt-free CLI library
// still links without QtGui.
#include "args.h"
#include "network.h"
#include "normalization.h"
#include "tensor.h"
#include "torchprint.h"

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace convscope::cli {

// The network in the file at `path`, parsed. ValueError "PATH: line 3: ..." when it cannot
// be read or parsed, or holds no layer.
core::TorchPrintModel readNetworkFile(const std::string &path);

// --layer K of a network with `layers` layers: 1 to layers, else ValueError.
std::size_t parseLayer(const std::string &text, std::size_t layers);

// The model with its tensors: from --weights, else drawn from --seed (default 0). UsageError
// when both are given.
core::Network networkTensors(const core::TorchPrintModel &model, const ParsedArgs &a);

// --seed N: one non-negative integer, 0 without the option; ValueError naming the text.
std::uint64_t parseSeed(const ParsedArgs &a);

// --normalize SPEC, the input normalisation before the first layer: "imagenet" (mean
// 0.485,0.456,0.406, std 0.229,0.224,0.225) or "mean=A,B,C:std=D,E,F" (one value per input
// channel). nullopt without the option; ValueError naming the text when it is malformed or
// fails core::validate (std > 0, finite values). The channel count is checked against the
// input by the caller (core::validate(normalization, inputShape)).
std::optional<core::InputNormalization> parseNormalize(const ParsedArgs &a);

// Reads an image file as a [1, channels, H, W] float tensor in [0, 1], or throws ValueError
// with the reason.
using ImageReader = std::function<core::Tensor(const std::string &path, int channels)>;
void setImageReader(ImageReader reader);

// Writes a non-negative h x w map as a heat-map PNG, or throws ValueError with the reason.
// Installed by the GUI build like the image reader.
using HeatMapWriter = std::function<void(const std::string &path, const std::vector<double> &map,
                                         std::int64_t h, std::int64_t w)>;
void setHeatMapWriter(HeatMapWriter writer);
// ValueError unless a writer is installed (checked before any work).
void requireHeatMapWriter();
void writeHeatMap(const std::string &path, const std::vector<double> &map, std::int64_t h,
                  std::int64_t w);

// A .npy path, "-" (a .npy on `in`), or an image converted to `channels` channels (1 grey,
// 3 RGB) through the installed reader. ValueError naming the file otherwise.
core::Tensor readInputArgument(const std::string &path, int channels, std::istream &in);

} // namespace convscope::cli
