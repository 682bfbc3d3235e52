// SPDX-License-Identifier: GPL-3.0-or-later
#include "erf.h"

#include "args.h"
#include "backward.h"
#include "cli.h"
#include "memory.h"
#include "netargs.h"
#include "npy.h"
#include "npyargs.h"
#include "statedict.h"
#include "torchprint.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>

namespace convscope::cli {

using namespace convscope::core;

namespace {

const std::string kErfUsage =
    "usage: convscope erf --network NET.txt [--weights FILE | --seed S]\n"
    "                     --input IMAGE|X.npy|- --layer K --at C,Y,X [--region H,W]\n"
    "                     [--mode gradient|paths|average] [--samples N]\n"
    "                     --output G.npy|- [--png HEAT.png] [--force] [--threads T]\n"
    "                     [--normalize imagenet|mean=A,B,C:std=D,E,F]\n"
    "\n"
    "The effective receptive field of output (C, Y, X) of layer K (counted from 1; C = -1\n"
    "takes every channel, --region sums an H x W block from (Y, X)):\n"
    "  gradient  d out / d input on this input and these weights, as torch.autograd\n"
    "            computes it: float32, the input's shape (the default)\n"
    "  paths     how many paths connect each input value to the output, every weight 1\n"
    "            and no nonlinearity (a max-pool's whole window counts): int64, exact\n"
    "  average   |gradient| averaged over up to N x N output positions of channel C\n"
    "            (default 8) whose box lies inside the input, aligned on the box: float32\n"
    "            [C_in, box height, box width] (Luo et al., NeurIPS 2016)\n"
    "A summary goes to standard output (unless the data does): the theoretical box, the\n"
    "share of the box holding 50/90/99 % of |gradient|, and the ERF's radius.\n"
    "--png also draws the map (|gradient| summed over channels, or the counts) as a heat\n"
    "map: Viridis on a square-root scale, at least 512 px a side.\n"
    "IMAGE is any image Qt reads, as 1 (grey) or 3 (RGB) channels in [0, 1]; weights as\n"
    "for 'convscope forward'. --normalize puts transforms.Normalize(mean, std) before the\n"
    "first layer (as for 'convscope forward'): the gradient is then with respect to the\n"
    "image before it (divided by std per channel); the paths do not change.\n";

const std::string kCoverageUsage =
    "usage: convscope coverage --network NET.txt (--input IMAGE|X.npy|- | --input-shape C,H,W)\n"
    "                          --layer K --output COUNTS.npy|- [--png HEAT.png] [--force]\n"
    "\n"
    "How evenly layer K (counted from 1) reads its input: for a Conv2d or a pool, how many\n"
    "output positions read each input pixel (0: a stride skips it); for a ConvTranspose2d,\n"
    "how many input pixels and taps write each output pixel (its checkerboard); for a\n"
    "padding layer, how many output pixels copy each input pixel. Writes int64 [H, W] and\n"
    "prints the range of the counts. Needs no weights.\n";

std::string fmt(double v, int digits = 4)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    return buf;
}

std::string percent(double f)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * f);
    return buf;
}

Shape plane(const Shape &s)
{
    return {s[s.size() - 2], s[s.size() - 1]};
}

// --png: a new file (or one --force replaces), not standard output; a build that draws no
// images says so before any work.
std::optional<std::string> pngArgument(const ParsedArgs &a)
{
    auto png = a.value("png");
    if (!png)
        return std::nullopt;
    if (*png == "-")
        throw ValueError("--png writes a file: expected a path, got '-'");
    checkOutputArgument(*png, a.has("force"), false);
    requireHeatMapWriter();
    return png;
}

std::string pngNote(const std::optional<std::string> &png)
{
    return png ? " and " + *png + " (heat map)" : std::string();
}

void printMass(std::ostream &out, const MassStats &m)
{
    out << "gradient:  sum |g| " << fmt(m.total) << "; 50% of it in " << percent(m.fraction50)
        << " of the box, 90% in " << percent(m.fraction90) << ", 99% in " << percent(m.fraction99)
        << "\n";
    out << "radius:    " << fmt(m.radius, 3) << " px (RMS distance of |g| from its centroid at "
        << "row " << fmt(m.centroidY, 4) << ", column " << fmt(m.centroidX, 4) << ")\n";
}

} // namespace

int runErf(const std::vector<std::string> &args, std::ostream &out, std::ostream & /*err*/)
{
    if (wantsHelp(args)) {
        out << kErfUsage;
        return 0;
    }
    const ParsedArgs a = parseArgs(args,
                                   {{"network"},
                                    {"weights"},
                                    {"seed"},
                                    {"input"},
                                    {"layer"},
                                    {"at"},
                                    {"region"},
                                    {"mode"},
                                    {"samples"},
                                    {"output"},
                                    {"png"},
                                    {"force", false},
                                    {"threads"},
                                    {"normalize"}},
                                   "erf");
    rejectPositional(a);
    requireOptions(a, {"network", "input", "layer", "at", "output"});
    const std::string output = *a.value("output");
    checkOutputArgument(output, a.has("force"), &out == &std::cout && stdoutIsTerminal());
    const std::optional<std::string> png = pngArgument(a);
    const int threads = parseThreads(a);
    const std::string mode = a.value("mode").value_or("gradient");
    if (mode != "gradient" && mode != "paths" && mode != "average")
        throw ValueError("invalid mode '" + mode + "': expected gradient, paths or average");
    if (a.has("region") && mode == "average")
        throw UsageError("--region sums a block of outputs; average mode takes single positions");
    if (a.has("samples") && mode != "average")
        throw UsageError("--samples is for --mode average");
    int samples = 8;
    if (auto s = a.value("samples")) {
        samples = parseInt(*s, "samples");
        if (samples < 1 || samples > 64)
            throw ValueError("invalid samples '" + *s
                             + "': expected 1 to 64 positions along each side");
    }

    const TorchPrintModel model = readNetworkFile(*a.value("network"));
    const auto layer = static_cast<int>(parseLayer(*a.value("layer"), model.network.size()));
    const auto at = parseIntList(*a.value("at"), "at");
    if (at.size() != 3)
        throw ValueError("invalid at '" + *a.value("at")
                         + "': expected C,Y,X (channel, row, column of the output)");
    GradientTarget target =
        GradientTarget::at(static_cast<std::size_t>(layer), static_cast<int>(at[0]), at[1], at[2]);
    if (auto r = a.value("region")) {
        const auto hw = parseIntList(*r, "region");
        if (hw.size() != 2 || hw[0] < 1 || hw[1] < 1)
            throw ValueError("invalid region '" + *r + "': expected H,W, both at least 1");
        target.y1 = target.y0 + hw[0];
        target.x1 = target.x0 + hw[1];
    }

    Network geometry = model.network;
    geometry.layers.resize(static_cast<std::size_t>(layer));
    const int channels = inputChannels(geometry) > 0 ? inputChannels(geometry) : 3;
    const std::optional<InputNormalization> normalization = parseNormalize(a);
    const Tensor input = readInputArgument(*a.value("input"), channels, std::cin);
    if (normalization)
        if (auto e = validate(*normalization, input.shape))
            throw ValueError("--normalize: " + e->message);
    if (auto e = validateTarget(geometry, input.shape, target))
        throw ValueError(*e);
    const Box box = theoreticalBox(geometry, input.shape, target);
    const Shape outShape = layerShapes(geometry, input.shape).back();
    std::ostringstream summary;
    if (normalization)
        summary << "normalize: " << torchRepr(*normalization) << " before layer 1\n";
    summary << "output:    layer " << layer << " (" << kindName(geometry.layers.back()) << ") "
            << formatShape(outShape) << ", channel "
            << (target.channel < 0 ? std::string("all") : std::to_string(target.channel))
            << ", rows " << target.y0 << ".." << target.y1 - 1 << ", columns " << target.x0 << ".."
            << target.x1 - 1 << "\n";
    const Shape hw = plane(input.shape);
    const std::int64_t boxInside =
        std::max<std::int64_t>(0, std::min(box.y1, hw[0]) - std::max<std::int64_t>(box.y0, 0))
        * std::max<std::int64_t>(0, std::min(box.x1, hw[1]) - std::max<std::int64_t>(box.x0, 0));
    summary << "box:       rows " << box.y0 << ".." << box.y1 - 1 << ", columns " << box.x0 << ".."
            << box.x1 - 1 << " (" << box.height() << " x " << box.width() << "), " << boxInside
            << " pixels inside the input\n";

    if (mode == "paths") {
        const Counts counts = pathCounts(geometry, input.shape, target);
        std::vector<std::int64_t> perPixel(static_cast<std::size_t>(hw[0] * hw[1]), 0);
        for (std::size_t i = 0; i < counts.data.size(); ++i)
            perPixel[i % perPixel.size()] += counts.data[i];
        std::int64_t reached = 0, maxCount = 0;
        for (std::int64_t y = std::max<std::int64_t>(box.y0, 0); y < std::min(box.y1, hw[0]); ++y)
            for (std::int64_t x = std::max<std::int64_t>(box.x0, 0); x < std::min(box.x1, hw[1]);
                 ++x) {
                const std::int64_t c = perPixel[static_cast<std::size_t>(y * hw[1] + x)];
                reached += c > 0 ? 1 : 0;
                maxCount = std::max(maxCount, c);
            }
        summary << "paths:     at most " << maxCount << " to one pixel (all channels); " << reached
                << " of the box's " << boxInside << " pixels reached, " << boxInside - reached
                << " never (stride gaps or dilation gridding)\n";
        if (png)
            writeHeatMap(*png, std::vector<double>(perPixel.begin(), perPixel.end()), hw[0], hw[1]);
        writeBytesArgument(output, serializeNpyInt64(counts.shape, counts.data), out);
        if (output != "-")
            out << summary.str() << "wrote:     " << output << " (int64 "
                << formatShape(counts.shape) << ")" << pngNote(png) << "\n";
        return 0;
    }

    std::vector<bool> keepAll(geometry.size(), true);
    if (auto e = checkMemory(geometry, input.shape, memoryBudgetBytes(), keepAll))
        throw ValueError(e->message());
    Network net = networkTensors(model, a);
    net.layers.resize(static_cast<std::size_t>(layer));
    if (auto e = validate(net, input.shape))
        throw ValueError(e->message());
    // The network sees the normalised input; the gradient is taken back through the
    // normalisation to the input as given.
    Tensor normalized;
    if (normalization)
        normalizeInput(*normalization, input, normalized);
    const Tensor &seen = normalization ? normalized : input;
    if (mode == "gradient") {
        Tensor grad;
        inputGradient(net, seen, target, grad, {}, threads);
        if (normalization)
            normalizeGradient(*normalization, grad);
        summary << "input:     " << formatShape(input.shape) << "\n";
        std::ostringstream mass;
        const std::vector<double> magnitude = channelMagnitude(grad);
        printMass(mass, massStats(magnitude, hw[0], hw[1], box));
        if (png)
            writeHeatMap(*png, magnitude, hw[0], hw[1]);
        writeNpyArgument(output, grad, out);
        if (output != "-")
            out << summary.str() << mass.str() << "wrote:     " << output << " (float32 "
                << formatShape(grad.shape) << ")" << pngNote(png) << "\n";
        return 0;
    }
    if (target.channel < 0)
        throw ValueError("average mode takes one channel: got -1");
    AveragedGradient avg;
    averagedGradient(net, seen, static_cast<std::size_t>(layer), target.channel, samples, avg, {},
                     threads);
    if (normalization)
        normalizeGradient(*normalization, avg.map); // |g| / std: std > 0
    const Shape mapShape = avg.map.shape;
    summary << "averaged:  " << avg.positions << " output positions of channel " << target.channel
            << ", each aligned on its " << mapShape[1] << " x " << mapShape[2] << " box\n";
    std::ostringstream mass;
    const std::vector<double> magnitude = channelMagnitude(avg.map);
    printMass(mass,
              massStats(magnitude, mapShape[1], mapShape[2], Box{0, 0, mapShape[1], mapShape[2]}));
    if (png)
        writeHeatMap(*png, magnitude, mapShape[1], mapShape[2]);
    writeNpyArgument(output, avg.map, out);
    if (output != "-")
        out << summary.str() << mass.str() << "wrote:     " << output << " (float32 "
            << formatShape(mapShape) << ")" << pngNote(png) << "\n";
    return 0;
}

int runCoverage(const std::vector<std::string> &args, std::ostream &out, std::ostream & /*err*/)
{
    if (wantsHelp(args)) {
        out << kCoverageUsage;
        return 0;
    }
    const ParsedArgs a = parseArgs(
        args,
        {{"network"}, {"input"}, {"input-shape"}, {"layer"}, {"output"}, {"png"}, {"force", false}},
        "coverage");
    rejectPositional(a);
    requireOptions(a, {"network", "layer", "output"});
    if (a.has("input") == a.has("input-shape"))
        throw UsageError("give either --input or --input-shape");
    const std::string output = *a.value("output");
    checkOutputArgument(output, a.has("force"), &out == &std::cout && stdoutIsTerminal());
    const std::optional<std::string> png = pngArgument(a);
    const TorchPrintModel model = readNetworkFile(*a.value("network"));
    const auto layer = static_cast<int>(parseLayer(*a.value("layer"), model.network.size()));
    Network geometry = model.network;
    geometry.layers.resize(static_cast<std::size_t>(layer));
    Shape shape;
    if (auto s = a.value("input-shape")) {
        const auto v = parseIntList(*s, "input-shape");
        if (v.size() != 3 || v[0] < 1 || v[1] < 1 || v[2] < 1)
            throw ValueError("invalid input-shape '" + *s + "': expected C,H,W, each at least 1");
        shape = {1, v[0], v[1], v[2]};
    } else {
        const int channels = inputChannels(geometry) > 0 ? inputChannels(geometry) : 3;
        shape = readInputArgument(*a.value("input"), channels, std::cin).shape;
    }
    if (auto e = validate(geometry, shape))
        throw ValueError(e->message());
    const Coverage cov = layerCoverage(geometry, shape, static_cast<std::size_t>(layer));
    if (png)
        writeHeatMap(*png, std::vector<double>(cov.counts.data.begin(), cov.counts.data.end()),
                     cov.counts.shape[0], cov.counts.shape[1]);
    writeBytesArgument(output, serializeNpyInt64(cov.counts.shape, cov.counts.data), out);
    if (output == "-")
        return 0;
    const auto [lo, hi] = std::minmax_element(cov.counts.data.begin(), cov.counts.data.end());
    const auto zeros = std::count(cov.counts.data.begin(), cov.counts.data.end(), 0);
    out << "layer:     " << layer << " (" << torchRepr(geometry.layers.back()) << ")\n"
        << "counts:    over its " << (cov.overOutput ? "output " : "input ")
        << formatShape(cov.counts.shape) << ", " << *lo << " to " << *hi << " per pixel; " << zeros
        << " pixels at 0\n"
        << "wrote:     " << output << " (int64 " << formatShape(cov.counts.shape) << ")"
        << pngNote(png) << "\n";
    return 0;
}

namespace {

const std::string kBenchErfUsage =
    "usage: convscope bench-erf [--runs N] [--threads T]\n"
    "\n"
    "Times the effective receptive field (the gradient of the centre output of the last\n"
    "layer) through two 5-layer Conv2d stacks with ReLUs, on a 512 x 512 RGB input with\n"
    "uniform [0, 1) values and seeded default weights: 'light' (3-8-8-8-8-8 channels, two\n"
    "stride-2 layers) and 'stem' (3-16-32-32-64-64, two stride-2 layers). The gradient runs\n"
    "the forward pass first, so its time is also given alone. Then the coverage of a 3 x 3\n"
    "layer on 1920 x 1080. Prints the median and minimum of N runs (default 11).\n";

Network benchStack(const std::vector<int> &channels)
{
    std::string text = "Sequential(\n";
    for (std::size_t i = 0; i + 1 < channels.size(); ++i) {
        const int stride = i == 2 || i == 4 ? 2 : 1;
        text += "  (" + std::to_string(2 * i) + "): Conv2d(" + std::to_string(channels[i]) + ", "
                + std::to_string(channels[i + 1]) + ", kernel_size=(3, 3), stride=("
                + std::to_string(stride) + ", " + std::to_string(stride) + "), padding=(1, 1))\n";
        if (i + 2 < channels.size())
            text += "  (" + std::to_string(2 * i + 1) + "): ReLU()\n";
    }
    text += ")\n";
    return withDefaultTensors(parseTorchPrint(text).model->network, 1);
}

struct Times {
    double median = 0.0, minimum = 0.0;
};

template <class F> Times timeRuns(int runs, F f)
{
    std::vector<double> ms;
    for (int r = 0; r < runs; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
    }
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms.front()};
}

} // namespace

int runBenchErf(const std::vector<std::string> &args, std::ostream &out, std::ostream & /*err*/)
{
    if (wantsHelp(args)) {
        out << kBenchErfUsage;
        return 0;
    }
    const ParsedArgs a = parseArgs(args, {{"runs"}, {"threads"}}, "bench-erf");
    rejectPositional(a);
    keepLargeAllocationsInHeap(); // the window's setting: these are the live view's figures
    const int threads = parseThreads(a);
    int runs = 11;
    if (auto r = a.value("runs")) {
        runs = parseInt(*r, "runs");
        if (runs < 1 || runs > 1000)
            throw ValueError("invalid runs '" + *r + "': expected 1 to 1000");
    }
    Tensor input(Shape{1, 3, 512, 512});
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> dist(0.0f, 1.0f);
    for (float &v : input.data)
        v = dist(rng);
    const auto fmtMs = [](const Times &t) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "median %7.1f ms, min %7.1f ms", t.median, t.minimum);
        return std::string(buf);
    };
    for (const auto &[name, channels] : std::vector<std::pair<std::string, std::vector<int>>>{
             {"light", {3, 8, 8, 8, 8, 8}}, {"stem", {3, 16, 32, 32, 64, 64}}}) {
        const Network net = benchStack(channels);
        const Shape last = layerShapes(net, input.shape).back();
        const GradientTarget t = GradientTarget::at(net.size(), 0, last[2] / 2, last[3] / 2);
        const Times erf = timeRuns(runs, [&] {
            Tensor g;
            inputGradient(net, input, t, g, {}, threads);
        });
        const Times fwd = timeRuns(runs, [&] {
            std::vector<Tensor> outputs;
            NetworkOptions o;
            o.threads = threads;
            forward(net, input, outputs, o);
        });
        out << "erf " << name << " 512x512: " << fmtMs(erf) << "   (forward alone: " << fmtMs(fwd)
            << ")\n";
    }
    const Network one = benchStack({3, 8});
    const Times cov = timeRuns(runs, [&] { layerCoverage(one, Shape{1, 3, 1080, 1920}, 1); });
    out << "coverage 3x3 1920x1080: " << fmtMs(cov) << "\n";
    return 0;
}

} // namespace convscope::cli
