// SPDX-License-Identifier: GPL-3.0-or-later
#include "forward.h"

#include "args.h"
#include "memory.h"
#include "netargs.h"
#include "network.h"
#include "npy.h"
#include "npyargs.h"

#include <iostream>

namespace convscope::cli {

using namespace convscope::core;

namespace {

const std::string kForwardUsage =
    "usage: convscope forward --network NET.txt [--weights FILE] --input X.npy|-\n"
    "                         --output Y.npy|- [--force] [--layer K] [--seed S]\n"
    "                         [--threads T] [--normalize imagenet|mean=A,B,C:std=D,E,F]\n"
    "\n"
    "Runs an nn.Sequential in eval mode, as PyTorch would, on a float32/float64 .npy input\n"
    "[N, C, H, W] or [C, H, W], and writes the output of the last layer (or of layer K,\n"
    "counted from 1) as float32 .npy, atomically.\n"
    "  NET.txt  the text print(model) gives for the network (nested Sequentials too)\n"
    "  FILE     its state_dict: numpy .npz, .safetensors, or a PyTorch .pt/.pth written\n"
    "           by torch.save(model.state_dict()); keys, shapes and dtypes are checked as\n"
    "           load_state_dict(strict=True) does, and a pickle that imports anything but\n"
    "           tensors is refused (as torch.load(weights_only=True))\n"
    "Without --weights, every layer gets PyTorch's default initialisation, drawn from\n"
    "seed S (default 0): same numbers for the same seed, not torch.manual_seed's.\n"
    "'-' reads X from standard input or writes Y to standard output; an existing Y is\n"
    "replaced only with --force.\n"
    "--normalize runs transforms.Normalize(mean, std) on X first, one value per input\n"
    "channel: (x - mean[c]) / std[c] in float32, as torchvision; imagenet is mean\n"
    "0.485,0.456,0.406 and std 0.229,0.224,0.225 (what pretrained torchvision models expect).\n";

} // namespace

int runForward(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
    if (wantsHelp(args)) {
        out << kForwardUsage;
        return 0;
    }
    const ParsedArgs a = parseArgs(args,
                                   {{"network"},
                                    {"weights"},
                                    {"input"},
                                    {"output"},
                                    {"force", false},
                                    {"layer"},
                                    {"seed"},
                                    {"threads"},
                                    {"normalize"}},
                                   "forward");
    rejectPositional(a);
    requireOptions(a, {"network", "input", "output"});
    checkOutputArgument(*a.value("output"), a.has("force"),
                        &out == &std::cout && stdoutIsTerminal());

    NetworkOptions options;
    options.threads = parseThreads(a);
    if (a.has("seed") && a.has("weights"))
        throw UsageError("--seed draws default weights; it cannot go with --weights");
    const std::optional<InputNormalization> normalization = parseNormalize(a);
    const TorchPrintModel model = readNetworkFile(*a.value("network"));
    const std::size_t upTo =
        a.has("layer") ? parseLayer(*a.value("layer"), model.network.size()) : model.network.size();

    // The geometry is checked on the input, and against the memory budget, before any
    // tensor is read or made: a network too big for the machine allocates nothing.
    Network geometry = model.network;
    geometry.layers.resize(upTo);
    Tensor input = readNpyArgument(*a.value("input"), std::cin);
    if (normalization)
        if (auto e = validate(*normalization, input.shape)) {
            err << "convscope forward: --normalize: " << e->message << "\n";
            return 1;
        }
    if (auto e = validate(geometry, input.shape)) {
        err << "convscope forward: " << e->message() << "\n";
        return 1;
    }
    if (auto e = checkMemory(geometry, input.shape, memoryBudgetBytes())) {
        err << "convscope forward: " << e->message() << "\n";
        return 1;
    }
    Network net = networkTensors(model, a);
    net.layers.resize(upTo);
    if (auto e = validate(net, input.shape)) {
        err << "convscope forward: " << e->message() << "\n";
        return 1;
    }
    if (normalization)
        normalizeInput(*normalization, input, input);
    std::vector<Tensor> outputs;
    forward(net, input, outputs, options);
    writeNpyArgument(*a.value("output"), outputs.back(), out);
    return 0;
}

} // namespace convscope::cli
