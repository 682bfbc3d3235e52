// SPDX-License-Identifier: GPL-3.0-or-later
#include "forward.h"

#include "args.h"
#include "memory.h"
#include "network.h"
#include "npy.h"
#include "npyargs.h"
#include "statedict.h"
#include "torchprint.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

namespace convscope::cli {

using namespace convscope::core;

namespace {

const std::string kForwardUsage =
    "usage: convscope forward --network NET.txt [--weights FILE] --input X.npy|-\n"
    "                         --output Y.npy|- [--force] [--layer K] [--seed S]\n"
    "                         [--threads T]\n"
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
    "replaced only with --force.\n";

std::string readText(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ValueError(path + ": cannot open: " + std::strerror(errno));
    std::ostringstream s;
    // One byte past the parser's limit is enough for it to refuse the file by size.
    std::string buf(kTorchPrintMaxBytes + 1, '\0');
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    buf.resize(static_cast<std::size_t>(in.gcount()));
    return buf;
}

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
                                    {"threads"}},
                                   "forward");
    rejectPositional(a);
    requireOptions(a, {"network", "input", "output"});
    checkOutputArgument(*a.value("output"), a.has("force"),
                        &out == &std::cout && stdoutIsTerminal());

    NetworkOptions options;
    if (auto t = a.value("threads")) {
        options.threads = parseInt(*t, "threads");
        if (options.threads < 0)
            throw ValueError("invalid threads '" + *t
                             + "': expected 0 (all cores) or a positive count");
    }
    long long seed = 0;
    if (auto s = a.value("seed")) {
        if (a.has("weights"))
            throw UsageError("--seed draws default weights; it cannot go with --weights");
        const auto v = parseIntList(*s, "seed");
        if (v.size() != 1)
            throw ValueError("invalid seed '" + *s + "': expected one non-negative integer");
        seed = v[0];
    }

    const std::string netPath = *a.value("network");
    const TorchPrintResult parsed = parseTorchPrint(readText(netPath));
    if (parsed.error) {
        err << "convscope forward: " << netPath << ": " << parsed.error->text() << "\n";
        return 1;
    }
    const TorchPrintModel &model = *parsed.model;
    if (model.network.empty()) {
        err << "convscope forward: " << netPath << ": the network has no layer\n";
        return 1;
    }
    std::size_t upTo = model.network.size();
    if (auto k = a.value("layer")) {
        const int v = parseInt(*k, "layer");
        if (v < 1 || static_cast<std::size_t>(v) > model.network.size())
            throw ValueError("invalid layer '" + *k + "': expected 1 to "
                             + std::to_string(model.network.size()) + " (the network's layers)");
        upTo = static_cast<std::size_t>(v);
    }

    // The geometry is checked on the input, and against the memory budget, before any
    // tensor is read or made: a network too big for the machine allocates nothing.
    Network geometry = model.network;
    geometry.layers.resize(upTo);
    const Tensor input = readNpyArgument(*a.value("input"), std::cin);
    if (auto e = validate(geometry, input.shape)) {
        err << "convscope forward: " << e->message() << "\n";
        return 1;
    }
    if (auto e = checkMemory(geometry, input.shape, memoryBudgetBytes())) {
        err << "convscope forward: " << e->message() << "\n";
        return 1;
    }
    Network net = a.has("weights") ? loadStateDict(model, readStateDict(*a.value("weights")))
                                   : withDefaultTensors(geometry, static_cast<std::uint64_t>(seed));
    net.layers.resize(upTo);
    if (auto e = validate(net, input.shape)) {
        err << "convscope forward: " << e->message() << "\n";
        return 1;
    }
    std::vector<Tensor> outputs;
    forward(net, input, outputs, options);
    writeNpyArgument(*a.value("output"), outputs.back(), out);
    return 0;
}

} // namespace convscope::cli
