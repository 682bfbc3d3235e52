// SPDX-License-Identifier: GPL-3.0-or-later
#include "rf.h"

#include "args.h"
#include "backward.h"
#include "cli.h"
#include "netargs.h"
#include "receptivefield.h"

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <tuple>

namespace convscope::cli {

using namespace convscope::core;

namespace {

const std::string kRfUsage =
    "usage: convscope rf --input-size H[,W] --layer SPEC [--layer SPEC ...] [--at Y,X]\n"
    "       convscope rf --input-size H[,W] --network NET.txt [--at Y,X]\n"
    "\n"
    "Prints, per layer and per axis, the receptive field of a stack of conv layers on the\n"
    "network input (Araujo et al., Distill 2019): output size, effective kernel\n"
    "k_eff = d(k-1)+1, stride, padding before+after, receptive-field size r, jump j\n"
    "(effective stride), and where output 0's field starts and its centre. With --at, the\n"
    "input box and the taps of output (Y, X) of the last layer.\n"
    "\n"
    "SPEC is comma-separated key=value pairs (the first --layer is nearest the input):\n"
    "  k=K or k=KHxKW        kernel size (required)\n"
    "  s=S or s=SHxSW        stride (default 1)\n"
    "  p=P, p=PHxPW, p=same or p=valid   padding (default 0; 'same' needs stride 1)\n"
    "  d=D or d=DHxDW        dilation (default 1)\n"
    "  mode=zeros|reflect|replicate|circular   padding mode (default zeros)\n"
    "Pooling-like layers are just geometry (e.g. k=2,s=2); a ReLU changes no coordinate.\n"
    "\n"
    "example: convscope rf --input-size 32,32 --layer k=3,s=1,p=1 --layer k=3,s=2,p=1 \\\n"
    "           --layer k=2,s=2 --layer k=3,d=2,p=2 --at 2,3\n"
    "\n"
    "With --network (the text print(model) gives), every layer kind: per layer its output\n"
    "shape, the theoretical box of its centre output (r rows x r cols), where output 0's\n"
    "box lies (its first row and column are minus the effective padding) and the jump (how\n"
    "far the box moves from one output to the next); pools, padding layers and transposed\n"
    "convolutions move it, element-wise layers pass it through. With --at, the box of\n"
    "output (Y, X) of the last layer.\n";

const char *kKeys = "k, s, p, d or mode";

// "3" -> {3, 3}; "3x5" -> {3, 5}.
Hw parseAxisPair(const std::string &text, const std::string &what, const std::string &spec)
{
    const auto bad = [&] {
        return ValueError("invalid " + what + " '" + text + "' in layer spec '" + spec
                          + "': expected an integer N or HxW (e.g. 3 or 3x5)");
    };
    const auto sep = text.find('x');
    try {
        if (sep == std::string::npos) {
            const int v = parseInt(text, what);
            return {v, v};
        }
        if (text.find('x', sep + 1) != std::string::npos)
            throw bad();
        return {parseInt(text.substr(0, sep), what), parseInt(text.substr(sep + 1), what)};
    } catch (const ValueError &) {
        throw bad();
    }
}

std::string axisPair(Hw v)
{
    return v.h == v.w ? std::to_string(v.h) : std::to_string(v.h) + "x" + std::to_string(v.w);
}

std::string formatCentre(double c)
{
    // Centres are whole or half pixels: r is odd or even.
    std::ostringstream s;
    s << c;
    return s.str();
}

// A left-aligned text table with columns as wide as their widest cell.
std::string renderTable(const std::vector<std::vector<std::string>> &rows)
{
    std::vector<std::size_t> width;
    for (const auto &row : rows)
        for (std::size_t c = 0; c < row.size(); ++c) {
            width.resize(std::max(width.size(), row.size()));
            width[c] = std::max(width[c], row[c].size());
        }
    std::ostringstream s;
    for (const auto &row : rows) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            line += row[c];
            if (c + 1 < row.size())
                line += std::string(width[c] - row[c].size() + 2, ' ');
        }
        line.erase(line.find_last_not_of(' ') + 1);
        s << line << "\n";
    }
    return s.str();
}

std::string range(std::int64_t first, std::int64_t last)
{
    return std::to_string(first) + ".." + std::to_string(last);
}

// Ascending distinct indices as runs: {-1, 0, 1, 2, 6, 7} -> "-1..2, 6..7".
std::string runs(const std::vector<std::int64_t> &v)
{
    if (v.empty())
        return "none";
    std::string s;
    std::size_t i = 0;
    while (i < v.size()) {
        std::size_t j = i;
        while (j + 1 < v.size() && v[j + 1] == v[j] + 1)
            ++j;
        s += (s.empty() ? "" : ", ") + (i == j ? std::to_string(v[i]) : range(v[i], v[j]));
        i = j + 1;
    }
    return s;
}

} // namespace

Conv2dParams parseLayerSpec(const std::string &spec)
{
    Conv2dParams p;
    p.inChannels = 1;
    p.outChannels = 1;
    p.bias = false;
    bool hasKernel = false;
    std::vector<std::string> seen;
    std::stringstream ss(spec);
    std::string item;
    std::vector<std::string> items;
    while (std::getline(ss, item, ','))
        items.push_back(item);
    if (spec.empty() || spec.back() == ',')
        items.push_back("");
    for (const std::string &kv : items) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
            throw ValueError(std::string("invalid layer spec '")
                                 .append(spec)
                                 .append("': expected key=value pairs separated by commas (keys ")
                                 .append(kKeys)
                                 .append("), but got '")
                                 .append(kv)
                                 .append("'"));
        const std::string key = kv.substr(0, eq);
        const std::string value = kv.substr(eq + 1);
        if (std::find(seen.begin(), seen.end(), key) != seen.end())
            throw ValueError(std::string("key '")
                                 .append(key)
                                 .append("' given more than once in layer spec '")
                                 .append(spec)
                                 .append("'"));
        seen.push_back(key);
        if (key == "k") {
            p.kernel = parseAxisPair(value, "kernel size", spec);
            hasKernel = true;
        } else if (key == "s") {
            p.stride = parseAxisPair(value, "stride", spec);
        } else if (key == "d") {
            p.dilation = parseAxisPair(value, "dilation", spec);
        } else if (key == "p") {
            if (value == "same") {
                p.paddingKind = PaddingKind::Same;
            } else if (value == "valid") {
                p.paddingKind = PaddingKind::Valid;
            } else {
                try {
                    p.padding = parseAxisPair(value, "padding", spec);
                } catch (const ValueError &) {
                    throw ValueError(std::string("invalid padding '")
                                         .append(value)
                                         .append("' in layer spec '")
                                         .append(spec)
                                         .append("': expected an integer N, HxW, same or valid"));
                }
            }
        } else if (key == "mode") {
            const auto mode = parsePaddingMode(value);
            if (!mode)
                throw ValueError(
                    std::string("invalid padding mode '")
                        .append(value)
                        .append("' in layer spec '")
                        .append(spec)
                        .append("': expected one of zeros, reflect, replicate, circular"));
            p.paddingMode = *mode;
        } else {
            throw ValueError(std::string("unknown key '")
                                 .append(key)
                                 .append("' in layer spec '")
                                 .append(spec)
                                 .append("': expected ")
                                 .append(kKeys));
        }
    }
    if (!hasKernel)
        throw ValueError("layer spec '" + spec
                         + "' has no kernel size: expected k=K or k=KHxKW (e.g. k=3)");
    return p;
}

std::string formatLayerSpec(const Conv2dParams &p)
{
    std::string s = "k=" + axisPair(p.kernel);
    if (p.stride != Hw{1, 1})
        s += " s=" + axisPair(p.stride);
    if (p.paddingKind == PaddingKind::Same)
        s += " p=same";
    else if (p.paddingKind == PaddingKind::Valid)
        s += " p=valid";
    else if (p.padding != Hw{0, 0})
        s += " p=" + axisPair(p.padding);
    if (p.dilation != Hw{1, 1})
        s += " d=" + axisPair(p.dilation);
    if (p.paddingMode != PaddingMode::Zeros)
        s += " mode=" + toString(p.paddingMode);
    return s;
}

namespace {

// `rf --network`: the boxes of core::theoreticalBox, which follow every layer kind.
int runNetworkRf(const ParsedArgs &a, PlaneSize input, std::ostream &out)
{
    const TorchPrintModel model = readNetworkFile(*a.value("network"));
    const Network &net = model.network;
    const int channels = inputChannels(net) > 0 ? inputChannels(net) : 1;
    const Shape shape{1, channels, input.h, input.w};
    if (auto e = validate(net, shape))
        throw ValueError(e->message());
    const std::vector<Shape> shapes = layerShapes(net, shape);
    const Shape &last = shapes.back();
    std::int64_t y = last[2] / 2, x = last[3] / 2;
    if (auto at = a.value("at")) {
        std::tie(y, x) = parsePair(*at, "--at position");
        if (y < 0 || y >= last[2] || x < 0 || x >= last[3])
            throw ValueError("invalid --at '" + *at + "': the last layer's output is "
                             + std::to_string(last[2]) + " x " + std::to_string(last[3])
                             + ", expected 0 <= y < " + std::to_string(last[2]) + " and 0 <= x < "
                             + std::to_string(last[3]));
    }
    std::vector<std::vector<std::string>> rows{
        {"layer", "module", "output", "centre's box", "output 0's box", "jump"}};
    for (std::size_t l = 0; l < net.size(); ++l) {
        const Shape &s = shapes[l];
        const Box centre =
            theoreticalBox(net, shape, GradientTarget::at(l + 1, 0, s[2] / 2, s[3] / 2));
        const Box first = theoreticalBox(net, shape, GradientTarget::at(l + 1, 0, 0, 0));
        // The jump (effective stride): how far the box moves from output 0 to its neighbour
        // below and to the right; "-" along an axis with one output.
        std::string jump =
            s[2] > 1 ? std::to_string(
                theoreticalBox(net, shape, GradientTarget::at(l + 1, 0, 1, 0)).y0 - first.y0)
                     : "-";
        const std::string jumpW =
            s[3] > 1 ? std::to_string(
                theoreticalBox(net, shape, GradientTarget::at(l + 1, 0, 0, 1)).x0 - first.x0)
                     : "-";
        rows.push_back(
            {std::to_string(l + 1), torchRepr(net.layers[l]), formatShape(s),
             std::to_string(centre.height()) + " x " + std::to_string(centre.width()),
             "rows " + range(first.y0, first.y1 - 1) + ", cols " + range(first.x0, first.x1 - 1),
             jump.append(" x ").append(jumpW)});
    }
    out << "input " << input.h << " x " << input.w << " (H x W), " << net.size()
        << (net.size() == 1 ? " layer\n" : " layers\n");
    out << renderTable(rows);
    out << "box: the input rows and columns an output's windows can reach, unclipped\n"
           "(negative = padding); 'convscope erf' says how much each pixel of it counts.\n";
    if (a.has("at")) {
        const Box b = theoreticalBox(net, shape, GradientTarget::at(net.size(), 0, y, x));
        out << "\noutput (" << y << ", " << x << ") of layer " << net.size() << ": rows "
            << range(b.y0, b.y1 - 1) << ", cols " << range(b.x0, b.x1 - 1) << " (" << b.height()
            << " x " << b.width() << ")\n";
    }
    return 0;
}

} // namespace

int runRf(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
    for (const auto &a : args)
        if (a == "--help" || a == "-h") {
            out << kRfUsage;
            return 0;
        }
    const ParsedArgs a =
        parseArgs(args, {{"input-size"}, {"layer", true, true}, {"network"}, {"at"}}, "rf");
    rejectPositional(a);
    requireOptions(a, {"input-size"});
    if (a.has("layer") && a.has("network"))
        throw UsageError("give either --layer specs or --network, not both");
    if (!a.has("layer") && !a.has("network"))
        throw UsageError("missing required option '--layer' (give one per layer, input first) "
                         "or '--network'");

    const std::string sizeText = *a.value("input-size");
    const auto [h, w] = parsePair(sizeText, "input size");
    if (h <= 0 || w <= 0)
        throw ValueError("invalid input size '" + sizeText
                         + "': expected H,W (or one size for both) of positive integers");
    const PlaneSize input{h, w};
    if (a.has("network"))
        return runNetworkRf(a, input, out);

    LayerStack stack;
    for (const std::string &spec : a.values("layer"))
        stack.push_back(parseLayerSpec(spec));
    if (auto e = validateStack(stack, input)) {
        err << "convscope rf: layer " << e->layer << " (" << formatLayerSpec(stack[e->layer - 1])
            << "): " << e->error.message << "\n";
        return 1;
    }
    const std::vector<LayerField> table = receptiveFields(stack, input);

    // Check --at before printing anything: a bad value leaves stdout empty.
    const LayerField &last = table.back();
    std::int64_t y = 0, x = 0;
    if (auto at = a.value("at")) {
        std::tie(y, x) = parsePair(*at, "--at position");
        if (y < 0 || y >= last.h.outSize || x < 0 || x >= last.w.outSize)
            throw ValueError("invalid --at '" + *at + "': the last layer's output is "
                             + std::to_string(last.h.outSize) + " x "
                             + std::to_string(last.w.outSize) + ", expected 0 <= y < "
                             + std::to_string(last.h.outSize) + " and 0 <= x < "
                             + std::to_string(last.w.outSize));
    }

    std::vector<std::vector<std::string>> rows{{"layer", "spec", "axis", "in", "out", "k_eff",
                                                "stride", "pad", "r", "j", "start", "centre",
                                                "unreached"}};
    for (std::size_t l = 0; l < table.size(); ++l)
        for (const bool isH : {true, false}) {
            const AxisField &f = isH ? table[l].h : table[l].w;
            rows.push_back({isH ? std::to_string(l + 1) : "", isH ? formatLayerSpec(stack[l]) : "",
                            isH ? "H" : "W", std::to_string(f.inSize), std::to_string(f.outSize),
                            std::to_string(f.kernelEff), std::to_string(f.stride),
                            std::to_string(f.padBefore) + "+" + std::to_string(f.padAfter),
                            std::to_string(f.r), std::to_string(f.j), std::to_string(f.start),
                            formatCentre(f.centre), std::to_string(f.unreached)});
        }
    out << "input " << h << " x " << w << " (H x W), " << stack.size()
        << (stack.size() == 1 ? " layer\n" : " layers\n");
    out << renderTable(rows);
    out << "r: receptive-field size on the input; j: jump (input pixels between neighbouring\n"
           "outputs); start/centre: input coordinate where output 0's field begins / its\n"
           "centre (negative = padding); pad: top+bottom (H), left+right (W); unreached:\n"
           "padded rows/cols no window reaches (the floor in the output size).\n";

    if (auto at = a.value("at")) {
        const InputBox box = inputBox(last, y, x);
        const std::size_t L = stack.size() - 1;
        const Reach reach = reachedInputs(stack, input, L, y, x);
        const auto taps = layerTaps(stack[L], {last.h.inSize, last.w.inSize}, y, x);
        const auto paddedTaps =
            std::count_if(taps.begin(), taps.end(), [](const Tap &t) { return t.inPadding; });
        const auto inside = [](const std::vector<std::int64_t> &v, std::int64_t size) {
            return std::count_if(v.begin(), v.end(),
                                 [size](std::int64_t i) { return i >= 0 && i < size; });
        };
        const std::int64_t sampled =
            static_cast<std::int64_t>(reach.h.taps.size() * reach.w.taps.size());
        const std::int64_t sampledInside = inside(reach.h.taps, h) * inside(reach.w.taps, w);
        const bool clipped = box.top < 0 || box.left < 0 || box.bottom >= h || box.right >= w;

        out << "\noutput (" << y << ", " << x << ") of layer " << L + 1 << ":\n";
        out << "  input box:   rows " << range(box.top, box.bottom) << ", cols "
            << range(box.left, box.right) << " (" << box.height() << " x " << box.width()
            << "), centre (" << formatCentre(box.top + (box.height() - 1) / 2.0) << ", "
            << formatCentre(box.left + (box.width() - 1) / 2.0) << ")"
            << (clipped ? ", reaching past the " + std::to_string(h) + " x " + std::to_string(w)
                              + " image"
                        : std::string())
            << "\n";
        out << "  layer taps:  " << taps.size() << " (" << stack[L].kernel.h << " x "
            << stack[L].kernel.w << ") of layer " << L + 1 << ", " << paddedTaps
            << " in its padding\n";
        out << "  input taps:  " << sampled << " (" << reach.h.taps.size() << " rows x "
            << reach.w.taps.size() << " cols) sampled by layer 1, " << sampled - sampledInside
            << " in the padding\n";
        out << "               rows " << runs(reach.h.taps) << "; cols " << runs(reach.w.taps)
            << "\n";
        out << "  depends on:  " << reach.h.sources.size() * reach.w.sources.size()
            << " input pixels (" << reach.h.sources.size() << " rows x " << reach.w.sources.size()
            << " cols)\n";
        out << "               rows " << runs(reach.h.sources) << "; cols " << runs(reach.w.sources)
            << "\n";
    }
    return 0;
}

} // namespace convscope::cli
