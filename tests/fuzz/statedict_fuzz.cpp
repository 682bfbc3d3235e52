// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: the weights readers (.npz, .safetensors, PyTorch .pt with its restricted
// pickle reader) on any bytes, and what they accept put into a small network by its keys
// (load_state_dict's checks). A refusal is a WeightsError; anything else is a finding.
#include "statedict.h"
#include "torchprint.h"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace convscope::core;

namespace {

// The network of the project's weights fixtures: every kind that owns tensors.
const TorchPrintModel &model()
{
    static const TorchPrintModel m = [] {
        TorchPrintResult r = parseTorchPrint(
            "Sequential(\n"
            "  (0): Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
            "  (1): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, "
            "track_running_stats=True)\n"
            "  (2): ReLU(inplace=True)\n"
            "  (3): Conv2d(4, 6, kernel_size=(3, 3), stride=(1, 1), bias=False)\n"
            "  (4): ConvTranspose2d(6, 2, kernel_size=(2, 2), stride=(2, 2))\n"
            ")\n");
        if (!r.model)
            std::abort();
        return *r.model;
    }();
    return m;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    StateDict weights;
    try {
        weights =
            parseStateDict(std::string(reinterpret_cast<const char *>(data), size), "fuzz.pt");
    } catch (const WeightsError &) {
        return 0;
    }
    for (const StateDictEntry &e : weights.entries)
        if (numel(e.tensor.shape) != static_cast<std::int64_t>(e.tensor.data.size()))
            std::abort();
    try {
        (void)loadStateDict(model(), weights);
    } catch (const WeightsError &) {
    }
    return 0;
}
