// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli.h"

#include "bench.h"
#include "erf.h"
#include "forward.h"

#include "conv2d.h"
#include "isa.h"
#include "memory.h"
#include "npy.h"
#include "npyargs.h"
#include "rf.h"
#include "shape.h"
#include "validate.h"

#include <malloc.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>

#ifndef CONVSCOPE_VERSION
#define CONVSCOPE_VERSION "0.0.0"
#endif

namespace convscope::cli {

using namespace convscope::core;

namespace {

const std::string kConvUsage =
    "usage: convscope conv --input X.npy|- --weight W.npy [--bias B.npy]\n"
    "                      [--stride SH,SW] [--padding PH,PW|same|valid]\n"
    "                      [--padding-mode zeros|reflect|replicate|circular]\n"
    "                      [--dilation DH,DW] [--groups G] [--threads T]\n"
    "                      --output OUT.npy|- [--force]\n"
    "\n"
    "Computes torch.nn.functional.conv2d (after F.pad for non-zero padding modes).\n"
    "  X: float32/float64 .npy [N, C_in, H, W] or [C_in, H, W]\n"
    "  W: [C_out, C_in/groups, kH, kW]; B: [C_out]\n"
    "A single integer means the same value for height and width. Defaults: stride 1,\n"
    "padding 0, zeros, dilation 1, groups 1. The output is written atomically; an\n"
    "existing OUT is replaced only with --force. '-' reads X from standard input or\n"
    "writes OUT to standard output.\n";

const std::string kShapeUsage =
    "usage: convscope shape --input-shape N,C,H,W --out-channels C --kernel K[,K]\n"
    "                       [--stride S[,S]] [--padding P[,P]|same|valid] [--dilation D[,D]]\n"
    "                       [--groups G] [--padding-mode MODE] [--no-bias]\n"
    "\n"
    "Prints the output shape as PyTorch writes it, the module repr, the effective padding\n"
    "per side, the parameter count and the multiply-accumulate count.\n";

std::vector<Command> &commands();

std::string topUsage()
{
    std::ostringstream s;
    s << "usage: convscope [IMAGE]                 open the desktop app\n"
         "       convscope <command> [options]     run a command headless\n"
         "       convscope help <command>          a command's options\n"
         "       convscope --help | --version\n\ncommands:\n";
    for (const auto &c : commands())
        s << "  " << std::left << std::setw(10) << c.name << c.summary << "\n";
    s << "\nRun 'convscope <command> --help' for a command's options.\n";
    return s.str();
}

} // namespace

std::string version()
{
    return CONVSCOPE_VERSION;
}

const std::vector<OptionSpec> &convOptionSpecs()
{
    static const std::vector<OptionSpec> specs{
        {"stride"}, {"padding"}, {"padding-mode"}, {"dilation"}, {"groups"}};
    return specs;
}

void applyConvOptions(const ParsedArgs &a, Conv2dParams &p)
{
    if (auto v = a.value("stride")) {
        auto [h, w] = parsePair(*v, "stride");
        p.stride = {h, w};
    }
    if (auto v = a.value("padding")) {
        if (*v == "same") {
            p.paddingKind = PaddingKind::Same;
        } else if (*v == "valid") {
            p.paddingKind = PaddingKind::Valid;
        } else {
            const bool numeric =
                !v->empty() && v->find_first_not_of("-0123456789,") == std::string::npos;
            if (!numeric)
                throw ValueError("Invalid padding string: '" + *v
                                 + "' (expected 'same', 'valid', an integer or PH,PW)");
            auto [h, w] = parsePair(*v, "padding");
            p.paddingKind = PaddingKind::Explicit;
            p.padding = {h, w};
        }
    }
    if (auto v = a.value("padding-mode")) {
        auto mode = parsePaddingMode(*v);
        if (!mode)
            throw ValueError("Unrecognised padding mode '" + *v
                             + "': expected one of zeros, reflect, replicate, circular");
        p.paddingMode = *mode;
    }
    if (auto v = a.value("dilation")) {
        auto [h, w] = parsePair(*v, "dilation");
        p.dilation = {h, w};
    }
    if (auto v = a.value("groups"))
        p.groups = parseInt(*v, "groups");
}

int runConv(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
    if (wantsHelp(args)) {
        out << kConvUsage;
        return 0;
    }
    auto specs = convOptionSpecs();
    specs.insert(specs.end(),
                 {{"input"}, {"weight"}, {"bias"}, {"output"}, {"force", false}, {"threads"}});
    const ParsedArgs a = parseArgs(args, specs, "conv");
    rejectPositional(a);
    requireOptions(a, {"input", "weight", "output"});
    checkOutputArgument(*a.value("output"), a.has("force"),
                        &out == &std::cout && stdoutIsTerminal());

    Conv2dParams p;
    applyConvOptions(a, p);
    ForwardOptions options;
    options.threads = parseThreads(a);

    const Tensor input = readNpyArgument(*a.value("input"), std::cin);
    const Tensor weight = readNpy(*a.value("weight"));
    std::optional<Tensor> bias;
    if (auto b = a.value("bias"))
        bias = readNpy(*b);
    p.bias = bias.has_value();
    if (auto e = validate(p, input.shape, weight.shape, bias ? &bias->shape : nullptr)) {
        err << "convscope conv: " << e->message << "\n";
        return 1;
    }
    p.outChannels = static_cast<int>(weight.dim(0));
    p.inChannels = static_cast<int>(weight.dim(1) * p.groups);
    p.kernel = {static_cast<int>(weight.dim(2)), static_cast<int>(weight.dim(3))};
    if (auto e = checkMemory(geometryNetwork({p}), input.shape, memoryBudgetBytes())) {
        err << "convscope conv: " << e->error.message << "\n";
        return 1;
    }

    Tensor result;
    conv2d(input, weight, bias ? &*bias : nullptr, p, result, options);
    writeNpyArgument(*a.value("output"), result, out);
    return 0;
}

int runShape(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
    if (wantsHelp(args)) {
        out << kShapeUsage;
        return 0;
    }
    auto specs = convOptionSpecs();
    specs.insert(specs.end(), {{"input-shape"}, {"out-channels"}, {"kernel"}, {"no-bias", false}});
    const ParsedArgs a = parseArgs(args, specs, "shape");
    rejectPositional(a);
    requireOptions(a, {"input-shape", "out-channels", "kernel"});

    const auto dims = parseIntList(*a.value("input-shape"), "input shape");
    if (dims.size() != 4 && dims.size() != 3)
        throw ValueError("invalid input shape '" + *a.value("input-shape")
                         + "': expected N,C,H,W (or C,H,W)");
    const Shape inShape(dims.begin(), dims.end());
    // Conv2dParams holds channel counts as int; a larger count must not wrap into a
    // misleading "got -1294967296".
    if (inShape[inShape.size() - 3] > std::numeric_limits<int>::max())
        throw ValueError("invalid input shape '" + *a.value("input-shape")
                         + "': " + std::to_string(inShape[inShape.size() - 3])
                         + " channels is more than convscope supports ("
                         + std::to_string(std::numeric_limits<int>::max()) + ")");
    Conv2dParams p;
    p.inChannels = static_cast<int>(inShape[inShape.size() - 3]);
    p.outChannels = parseInt(*a.value("out-channels"), "out channels");
    auto [kh, kw] = parsePair(*a.value("kernel"), "kernel_size");
    p.kernel = {kh, kw};
    p.bias = !a.has("no-bias");
    applyConvOptions(a, p);
    if (auto e = validate(p, inShape)) {
        err << "convscope shape: " << e->message << "\n";
        return 1;
    }
    Shape os = outputShape(p, inShape);
    if (inShape.size() == 3)
        os.erase(os.begin());
    const SidePadding pad = effectivePadding(p);
    out << "torch.Size(" << formatShape(os) << ")\n";
    out << "module:     " << torchRepr(p) << "\n";
    out << "padding:    top " << pad.top << ", bottom " << pad.bottom << ", left " << pad.left
        << ", right " << pad.right << "\n";
    out << "weight:     " << formatShape(weightShape(p)) << "\n";
    out << "parameters: " << parameterCount(p) << "\n";
    out << "MACs:       " << macCount(p, inShape) << "\n";
    return 0;
}

namespace {

std::vector<Command> &commands()
{
    static std::vector<Command> list{
        {"conv", "run Conv2d on .npy tensors (PyTorch semantics)", runConv},
        {"shape", "print the output shape, padding, parameters and MACs", runShape},
        {"forward", "run an nn.Sequential (print(model) text, state_dict weights) on .npy",
         runForward},
        {"rf", "receptive field of a layer stack (r, jump, start, padding; --at Y,X)", runRf},
        {"erf", "effective receptive field: gradient, path counts or Luo et al.'s average", runErf},
        {"coverage", "how many times a layer reads each pixel (stride gaps, checkerboards)",
         runCoverage},
        {"bench", "time the engine on benchmark configurations (configs.json)", runBench},
        {"bench-erf", "time the effective field and coverage on standard stacks", runBenchErf},
    };
    return list;
}

} // namespace

// Levenshtein distance, for "did you mean" on a mistyped command.
std::size_t editDistance(const std::string &a, const std::string &b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// A word that names no file and has no path or extension reads as a command, not an image.
bool looksLikeACommand(const std::string &arg)
{
    std::error_code ec;
    return !std::filesystem::exists(arg, ec) && arg.find('/') == std::string::npos
           && arg.find('.') == std::string::npos;
}

void addCommand(Command command)
{
    commands().push_back(std::move(command));
}

void keepLargeAllocationsInHeap()
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

void dropLeadingQtOptions(std::vector<std::string> &args)
{
    // QGuiApplication's and QApplication's own options (Qt 6.4), with and without a value.
    static const std::vector<std::string> withValue{"-platform",      "-platformpluginpath",
                                                    "-platformtheme", "-plugin",
                                                    "-qmljsdebugger", "-qwindowgeometry",
                                                    "-qwindowicon",   "-qwindowtitle",
                                                    "-session",       "-style",
                                                    "-stylesheet",    "-display",
                                                    "-geometry",      "-title",
                                                    "-name"};
    static const std::vector<std::string> flags{"-reverse", "-widgetcount", "-nograb", "-dograb",
                                                "-sync"};
    std::size_t i = 0;
    while (i < args.size()) {
        std::string name = args[i];
        if (name.rfind("--", 0) == 0 && name.size() > 2)
            name = name.substr(1); // Qt takes --style as -style too
        const std::string bare = name.substr(0, name.find('='));
        if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
            ++i;
        } else if (std::find(withValue.begin(), withValue.end(), bare) != withValue.end()) {
            i += bare.size() < name.size() || i + 1 >= args.size() ? 1 : 2;
        } else {
            break;
        }
    }
    args.erase(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
}

namespace {

void printVersion(std::ostream &out)
{
    out << "convscope " << version() << "\n"
        << "engine: " << core::isaName(core::activeIsa())
        << " kernel (this CPU runs: " << core::isaList(core::availableIsas())
        << "; CONVSCOPE_ISA chooses)\n";
}

// "unknown command 'exprot'; did you mean 'export'?" (two edits at most), or the list.
int unknownCommand(const std::string &name, std::ostream &err)
{
    const Command *nearest = nullptr;
    std::size_t best = 3; // at most 2 edits away
    std::string names;
    for (const auto &c : commands()) {
        names += (names.empty() ? "" : ", ") + c.name;
        if (const std::size_t d = editDistance(name, c.name); d < best) {
            best = d;
            nearest = &c;
        }
    }
    err << "convscope: unknown command '" << name << "'";
    if (nearest)
        err << "; did you mean '" << nearest->name << "'?\n";
    else
        err << " (commands: " << names << "; an image to open names an existing file)\n";
    err << "Try 'convscope --help' for usage.\n";
    return 2;
}

} // namespace

int runCli(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
    if (args.empty())
        return kOpenGui;
    const std::string &first = args.front();
    if (first == "help" && args.size() > 1) {
        // `convscope help CMD` is `convscope CMD --help`.
        for (const auto &c : commands())
            if (c.name == args[1])
                return runCli({c.name, "--help"}, out, err);
        return unknownCommand(args[1], err);
    }
    if (first == "--help" || first == "-h" || first == "help") {
        out << topUsage();
        return 0;
    }
    if (first == "--version") {
        printVersion(out);
        return 0;
    }
    if (first == "--") { // what follows is an image, whatever its name looks like
        if (args.size() > 2) {
            err << "convscope: unexpected argument '" << args[2]
                << "' after the image\nTry 'convscope --help' for usage.\n";
            return 2;
        }
        return kOpenGui;
    }
    for (const auto &c : commands()) {
        if (c.name != first)
            continue;
        const std::vector<std::string> rest(args.begin() + 1, args.end());
        // Every command answers --version (before a "--", which ends the options).
        for (const std::string &a : rest) {
            if (a == "--")
                break;
            if (a == "--version") {
                printVersion(out);
                return 0;
            }
        }
        try {
            return c.run(rest, out, err);
        } catch (const UsageError &e) {
            err << "convscope " << c.name << ": " << e.what() << "\n"
                << "Try 'convscope " << c.name << " --help' for usage.\n";
            return 2;
        } catch (const std::exception &e) {
            err << "convscope " << c.name << ": " << e.what() << "\n";
            return 1;
        }
    }
    if (first.size() > 1 && first[0] == '-') {
        err << "convscope: unknown option '" << first << "'\nTry 'convscope --help' for usage.\n";
        return 2;
    }
    if (looksLikeACommand(first))
        return unknownCommand(first, err);
    // Anything else is an image to open in the desktop app.
    if (args.size() > 1) {
        err << "convscope: unexpected argument '" << args[1]
            << "' after the image\nTry 'convscope --help' for usage.\n";
        return 2;
    }
    return kOpenGui;
}

} // namespace convscope::cli
