// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: the print(model) importer on any text, and every network it accepts run
// through validate() and, when small, forward() with default tensors and the walk back
// (gradient, path counts, box, coverage): each layer kind's checks and loops meet
// geometries no hand-written test chose. The walk back is checked against itself: a pixel
// with a nonzero gradient has a path to the output.
#include "backward.h"
#include "network.h"
#include "statedict.h"
#include "torchprint.h"

#include <cstdint>
#include <string_view>

using namespace convscope::core;

namespace {

// The channels the network's first layer that fixes them expects; 3 when none does.
std::int64_t channelsIn(const Network &net)
{
    for (const Layer &layer : net.layers) {
        if (const auto *c = std::get_if<Conv2dLayer>(&layer))
            return c->params.inChannels;
        if (const auto *t = std::get_if<ConvTranspose2dLayer>(&layer))
            return t->params.inChannels;
        if (const auto *b = std::get_if<BatchNorm2dLayer>(&layer))
            return b->numFeatures;
    }
    return 3;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const TorchPrintResult r =
        parseTorchPrint(std::string_view(reinterpret_cast<const char *>(data), size));
    if (!r.model)
        return 0;
    (void)r.model->stateDictKeys();
    const Network &net = r.model->network;
    const std::int64_t c = channelsIn(net);
    if (c < 1 || c > 16)
        return 0;
    const Shape in{1, c, 9, 7};
    if (validate(net, in))
        return 0;
    // Only networks whose every output and weight is small run: the fuzzer looks for wrong
    // memory accesses, not for the time a large network takes. Counted on the geometry,
    // before any tensor is made (a 642666-channel Conv2d once took 13 s to initialise).
    std::int64_t total = 0;
    for (const Shape &s : layerShapes(net, in))
        total += numel(s);
    for (const Layer &layer : net.layers)
        for (const ExpectedTensor &e : expectedTensors(layer))
            total += numel(e.shape);
    if (total > 200000)
        return 0;
    const Network withTensors = withDefaultTensors(net, 1);
    Tensor input(in);
    for (std::size_t i = 0; i < input.data.size(); ++i)
        input.data[i] = static_cast<float>(static_cast<int>(i % 7) - 3);
    std::vector<Tensor> outputs;
    NetworkOptions options;
    options.threads = 1;
    forward(withTensors, input, outputs, options);

    if (net.empty())
        return 0;
    const Shape last = layerShapes(net, in).back();
    const std::int64_t h = last[last.size() - 2], w = last[last.size() - 1];
    if (last[last.size() - 3] < 1 || h < 1 || w < 1)
        return 0;
    const GradientTarget t = GradientTarget::at(net.size(), 0, h / 2, w / 2);
    Tensor grad;
    inputGradient(withTensors, input, t, grad, {}, 1);
    (void)theoreticalBox(net, in, t);
    for (std::size_t layer = 1; layer <= net.size(); ++layer)
        (void)layerCoverage(net, in, layer);
    try {
        const Counts paths = pathCounts(net, in, t);
        for (std::size_t i = 0; i < grad.data.size(); ++i)
            if (grad.data[i] != 0.0f && paths.data[i] == 0)
                __builtin_trap(); // a gradient where no path leads
    } catch (const std::overflow_error &) {
        // Counts past 2^63 are refused by name; nothing to compare.
    }
    return 0;
}
