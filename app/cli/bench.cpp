// SPDX-License-Identifier: GPL-3.0-or-later
#include "bench.h"

#include "args.h"
#include "cli.h"
#include "conv2d.h"
#include "cpus.h"
#include "isa.h"
#include "json.h"
#include "memory.h"
#include "netargs.h"
#include "network.h"
#include "shape.h"
#include "validate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <random>
#include <sstream>
#include <variant>

namespace convscope::cli {

using namespace convscope::core;

namespace {

const std::string kBenchUsage =
    "usage: convscope bench [--config-file CONFIGS.json] [--only NAME] [--threads T] [--json]\n"
    "       convscope bench --network NET.txt --input-shape N,C,H,W [--weights FILE|--seed S]\n"
    "                       [--normalize imagenet|mean=A,B,C:std=D,E,F] [--threads T] [--json]\n"
    "\n"
    "Times the engine's Conv2d forward on each configuration (x ~ N(0,1), weight ~\n"
    "N(0,1)/sqrt(fan_in), bias ~ N(0,1), float32, zeros padding): warm-up, then repeated runs\n"
    "for at least a second. Prints median and minimum milliseconds and GFLOP/s, or with\n"
    "--json one object {\"isa\": PATH, \"results\": [{\"name\", \"median_ms\", \"min_ms\",\n"
    "\"runs\"}]}, PATH being the kernel's instruction set (avx512, avx2 or baseline: the best\n"
    "this CPU runs, or CONVSCOPE_ISA's). --threads 0 (the default) uses every CPU the process\n"
    "may use (its affinity mask and cgroup CPU quota: `taskset -c 0` means 1).\n"
    "Without --config-file the standard configurations run: seed, rgb512, rgb1024,\n"
    "photo1080, mid, depthwise, dilated, grouped, bigkernel, deep256, mid256, tiny, rgb4k.\n"
    "CONFIGS.json holds {\"configs\": [{\"name\": TEXT, \"N\", \"C_in\", \"H\", \"W\", \"C_out\",\n"
    "\"k\", \"stride\", \"padding\", \"dilation\", \"groups\": integers}, ...]} (a square\n"
    "kernel k x k; other fields are ignored).\n"
    "\n"
    "With --network, times the whole forward of the nn.Sequential NET.txt (the text\n"
    "print(model) gives, as for `convscope forward`) on an input of the given shape (x ~\n"
    "N(0,1), seed 0; C,H,W is a batch of one) in the same way: warm-up, then at least ten\n"
    "runs and a second of them, and the median and minimum milliseconds of one forward.\n"
    "FILE is the network's state_dict (.npz, .safetensors, .pt/.pth); without it the layers\n"
    "get PyTorch's default initialisation from seed S (default 0). --normalize times the\n"
    "input normalisation as the first step (as for `convscope forward`). With --json it\n"
    "prints one object {\"isa\": PATH, \"threads\": T, \"input_shape\": [N, C, H, W],\n"
    "\"normalize\": null or \"Normalize(mean=[...], std=[...])\", \"results\": [{\"name\":\n"
    "NET's file name without extension, \"median_ms\", \"min_ms\", \"runs\"}]}.\n";

std::int64_t intField(const JsonObject &obj, const std::string &key, const std::string &where,
                      std::int64_t minimum)
{
    auto it = obj.find(key);
    if (it == obj.end())
        throw ValueError(where + ": missing field \"" + key + "\"");
    const double *d = std::get_if<double>(&it->second.v);
    if (!d || *d != std::floor(*d) || *d < double(minimum) || *d > 1e9)
        throw ValueError(where + ": field \"" + key
                         + "\" must be an integer >= " + std::to_string(minimum));
    return static_cast<std::int64_t>(*d);
}

Conv2dParams paramsOf(const BenchConfig &c)
{
    Conv2dParams p;
    p.inChannels = static_cast<int>(c.inChannels);
    p.outChannels = static_cast<int>(c.outChannels);
    p.kernel = {c.kernel, c.kernel};
    p.stride = {c.stride, c.stride};
    p.padding = {c.padding, c.padding};
    p.dilation = {c.dilation, c.dilation};
    p.groups = c.groups;
    return p;
}

Tensor randomTensor(Shape shape, std::mt19937 &rng, float scale)
{
    Tensor t(std::move(shape));
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (float &v : t.data)
        v = dist(rng) * scale;
    return t;
}

struct Timing {
    double medianMs = 0, minMs = 0;
    int runs = 0;
};

// Warm-up, then at least ten runs and at least a second of them.
Timing timeRuns(const std::function<void()> &run)
{
    using Clock = std::chrono::steady_clock;
    // Warm-up: the first calls allocate the workspaces and start the pool's threads.
    const auto warmStart = Clock::now();
    for (int i = 0; i < 3 || Clock::now() - warmStart < std::chrono::milliseconds(200); ++i) {
        run();
        if (i >= 20)
            break;
    }
    std::vector<double> ms;
    const auto start = Clock::now();
    while (ms.size() < 10 || Clock::now() - start < std::chrono::seconds(1)) {
        const auto t0 = Clock::now();
        run();
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    Timing t;
    t.runs = static_cast<int>(ms.size());
    t.minMs = ms.front();
    t.medianMs =
        ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
    return t;
}

Timing timeConfig(const BenchConfig &c, int threads)
{
    const Conv2dParams p = paramsOf(c);
    std::mt19937 rng(0);
    const Tensor x = randomTensor({c.n, c.inChannels, c.height, c.width}, rng, 1.0f);
    const std::int64_t fanIn = c.inChannels / c.groups * c.kernel * c.kernel;
    const Tensor w = randomTensor(weightShape(p), rng, 1.0f / std::sqrt(float(fanIn)));
    const Tensor b = randomTensor({c.outChannels}, rng, 1.0f);
    Tensor out;
    ForwardOptions options;
    options.threads = threads;
    return timeRuns([&] { conv2d(x, w, &b, p, out, options); });
}

std::string jsonString(const std::string &s)
{
    std::string r = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            r += '\\';
        r += c;
    }
    return r + "\"";
}

} // namespace

const std::vector<BenchConfig> &standardBenchConfigs()
{
    // name, N, C_in, H, W, C_out, k, stride, padding, dilation, groups
    static const std::vector<BenchConfig> configs{
        {"seed", 40, 40, 32, 32, 100, 3, 2, 3, 1, 1},
        {"rgb512", 1, 3, 512, 512, 16, 3, 1, 1, 1, 1},
        {"rgb1024", 1, 3, 1024, 1024, 32, 5, 1, 2, 1, 1},
        {"photo1080", 1, 3, 1080, 1920, 8, 3, 1, 1, 1, 1},
        {"mid", 1, 64, 128, 128, 64, 3, 1, 1, 1, 1},
        {"depthwise", 1, 64, 256, 256, 64, 3, 1, 1, 1, 64},
        {"dilated", 1, 16, 256, 256, 16, 3, 1, 2, 2, 1},
        {"grouped", 1, 32, 128, 128, 64, 3, 1, 1, 1, 4},
        {"bigkernel", 1, 3, 512, 512, 8, 11, 4, 5, 1, 1},
        {"deep256", 1, 256, 56, 56, 256, 3, 1, 1, 1, 1},
        {"mid256", 1, 64, 256, 256, 64, 3, 1, 1, 1, 1},
        {"tiny", 1, 64, 32, 32, 64, 3, 1, 1, 1, 1},
        {"rgb4k", 1, 3, 2160, 3840, 16, 3, 1, 1, 1, 1}};
    return configs;
}

std::vector<BenchConfig> parseBenchConfigs(const std::string &json)
{
    JsonValue doc;
    try {
        doc = parseJson(json);
    } catch (const JsonError &e) {
        throw ValueError(e.what());
    }
    const auto *root = std::get_if<std::shared_ptr<JsonObject>>(&doc.v);
    if (!root)
        throw ValueError("expected a JSON object with a \"configs\" array");
    auto it = (*root)->find("configs");
    const auto *list =
        it == (*root)->end() ? nullptr : std::get_if<std::shared_ptr<JsonArray>>(&it->second.v);
    if (!list)
        throw ValueError("expected a JSON object with a \"configs\" array");
    std::vector<BenchConfig> configs;
    for (std::size_t i = 0; i < (*list)->size(); ++i) {
        const std::string where = "configs[" + std::to_string(i) + "]";
        const auto *obj = std::get_if<std::shared_ptr<JsonObject>>(&(**list)[i].v);
        if (!obj)
            throw ValueError(where + ": expected an object");
        const JsonObject &o = **obj;
        BenchConfig c;
        auto name = o.find("name");
        const std::string *s =
            name == o.end() ? nullptr : std::get_if<std::string>(&name->second.v);
        if (!s || s->empty())
            throw ValueError(where + ": missing string field \"name\"");
        c.name = *s;
        const std::string at = where + " (" + c.name + ")";
        c.n = intField(o, "N", at, 0);
        c.inChannels = intField(o, "C_in", at, 1);
        c.height = intField(o, "H", at, 1);
        c.width = intField(o, "W", at, 1);
        c.outChannels = intField(o, "C_out", at, 1);
        c.kernel = static_cast<int>(intField(o, "k", at, 1));
        c.stride = static_cast<int>(intField(o, "stride", at, 1));
        c.padding = static_cast<int>(intField(o, "padding", at, 0));
        c.dilation = static_cast<int>(intField(o, "dilation", at, 1));
        c.groups = static_cast<int>(intField(o, "groups", at, 1));
        if (auto e = validate(paramsOf(c), {c.n, c.inChannels, c.height, c.width}))
            throw ValueError(at + ": " + e->message);
        configs.push_back(c);
    }
    return configs;
}

namespace {

// [N, C, H, W] from "N,C,H,W" or "C,H,W" (a batch of one), each at least 1.
Shape parseInputShape(const std::string &text)
{
    const auto v = parseIntList(text, "input-shape");
    if ((v.size() != 4 && v.size() != 3)
        || std::any_of(v.begin(), v.end(), [](long long d) { return d < 1; }))
        throw ValueError("invalid input-shape '" + text
                         + "': expected N,C,H,W or C,H,W, each at least 1");
    Shape shape(v.begin(), v.end());
    if (shape.size() == 3)
        shape.insert(shape.begin(), 1);
    return shape;
}

int runNetworkBench(const ParsedArgs &a, std::ostream &out, std::ostream &err)
{
    if (a.has("config-file") || a.has("only"))
        throw UsageError("--config-file and --only choose Conv2d configurations; they cannot "
                         "go with --network");
    requireOptions(a, {"input-shape"});
    const int threads = parseThreads(a);
    const Shape shape = parseInputShape(*a.value("input-shape"));
    const std::optional<InputNormalization> normalization = parseNormalize(a);
    if (normalization)
        if (auto e = validate(*normalization, shape)) {
            err << "convscope bench: --normalize: " << e->message << "\n";
            return 1;
        }
    const std::string path = *a.value("network");
    const TorchPrintModel model = readNetworkFile(path);
    // Geometry and memory first, as forward does: nothing is allocated for a network that
    // cannot run on this input or would not fit.
    if (auto e = validate(model.network, shape)) {
        err << "convscope bench: " << e->message() << "\n";
        return 1;
    }
    if (auto e = checkMemory(model.network, shape, memoryBudgetBytes())) {
        err << "convscope bench: " << e->message() << "\n";
        return 1;
    }
    const Network net = networkTensors(model, a);
    if (auto e = validate(net, shape)) {
        err << "convscope bench: " << e->message() << "\n";
        return 1;
    }
    keepLargeAllocationsInHeap(); // the window's setting: freed layer outputs stay mapped
    std::mt19937 rng(0);
    const Tensor x = randomTensor(shape, rng, 1.0f);
    std::vector<Tensor> outputs;
    NetworkOptions options;
    options.threads = threads;
    Tensor normalized;
    const Timing t = timeRuns([&] {
        if (normalization)
            normalizeInput(*normalization, x, normalized);
        forward(net, normalization ? normalized : x, outputs, options);
    });
    const std::string normalize = normalization ? torchRepr(*normalization) : std::string();

    const std::string name = std::filesystem::path(path).stem().string();
    const std::string isa = isaName(activeIsa());
    const int used = threads > 0 ? threads : availableCpus();
    if (a.has("json")) {
        out << "{\"isa\": " << jsonString(isa) << ", \"threads\": " << used
            << ", \"input_shape\": [";
        for (std::size_t i = 0; i < shape.size(); ++i)
            out << (i ? ", " : "") << shape[i];
        out << "], \"normalize\": " << (normalization ? jsonString(normalize) : "null")
            << ", \"results\": [{\"name\": " << jsonString(name)
            << ", \"median_ms\": " << std::setprecision(6) << t.medianMs
            << ", \"min_ms\": " << t.minMs << ", \"runs\": " << t.runs << "}]}\n";
        return 0;
    }
    out << "network: " << path << " (" << net.size() << " layers), input " << formatShape(shape)
        << ", output " << formatShape(layerShapes(net, shape).back()) << "\n"
        << (normalization ? "normalize: " + normalize + "\n" : std::string()) << "kernel: " << isa
        << ", threads: " << used << "\n"
        << std::fixed << std::setprecision(3) << "median " << t.medianMs << " ms, min " << t.minMs
        << " ms, " << t.runs << " runs\n"
        << std::defaultfloat;
    return 0;
}

} // namespace

int runBench(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
    if (wantsHelp(args)) {
        out << kBenchUsage;
        return 0;
    }
    const ParsedArgs a = parseArgs(args,
                                   {{"config-file"},
                                    {"only"},
                                    {"threads"},
                                    {"json", false},
                                    {"network"},
                                    {"input-shape"},
                                    {"weights"},
                                    {"seed"},
                                    {"normalize"}},
                                   "bench");
    rejectPositional(a);
    if (a.has("network"))
        return runNetworkBench(a, out, err);
    for (const char *name : {"input-shape", "weights", "seed", "normalize"})
        if (a.has(name))
            throw UsageError(std::string("--") + name + " goes with --network");
    const int threads = parseThreads(a);
    std::vector<BenchConfig> configs = standardBenchConfigs();
    std::string source = "the standard configurations";
    if (auto file = a.value("config-file")) {
        source = *file;
        std::ifstream f(*file, std::ios::binary);
        if (!f)
            throw ValueError(*file + ": cannot open file for reading (does it exist?)");
        std::ostringstream text;
        text << f.rdbuf();
        try {
            configs = parseBenchConfigs(text.str());
        } catch (const ValueError &e) {
            throw ValueError(*file + ": " + e.what());
        }
    }
    if (auto only = a.value("only")) {
        std::erase_if(configs, [&](const BenchConfig &c) { return c.name != *only; });
        if (configs.empty())
            throw ValueError("no configuration named '" + *only + "' in " + source);
    }

    const bool json = a.has("json");
    const std::string isa = isaName(activeIsa());
    if (json) {
        out << "{\"isa\": " << jsonString(isa) << ", \"results\": [";
    } else {
        out << "kernel: " << isa << ", threads: " << (threads > 0 ? threads : availableCpus())
            << "\n";
        out << std::left << std::setw(11) << "config" << std::right << std::setw(9) << "GFLOP"
            << std::setw(11) << "median ms" << std::setw(10) << "min ms" << std::setw(7) << "runs"
            << std::setw(9) << "GFLOP/s"
            << "\n";
    }
    for (std::size_t i = 0; i < configs.size(); ++i) {
        const BenchConfig &c = configs[i];
        const Timing t = timeConfig(c, threads);
        const double gflop =
            2.0 * double(macCount(paramsOf(c), {c.n, c.inChannels, c.height, c.width})) / 1e9;
        if (json) {
            out << (i ? ", " : "") << "{\"name\": " << jsonString(c.name)
                << ", \"median_ms\": " << std::setprecision(6) << t.medianMs
                << ", \"min_ms\": " << t.minMs << ", \"runs\": " << t.runs << "}";
        } else {
            out << std::left << std::setw(11) << c.name << std::right << std::fixed
                << std::setprecision(3) << std::setw(9) << gflop << std::setw(11) << t.medianMs
                << std::setw(10) << t.minMs << std::setw(7) << t.runs << std::setprecision(1)
                << std::setw(9) << (t.medianMs > 0 ? gflop / t.medianMs * 1e3 : 0.0) << "\n"
                << std::defaultfloat;
        }
        out.flush();
    }
    if (json)
        out << "]}\n";
    return 0;
}

} // namespace convscope::cli
