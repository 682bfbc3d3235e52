// SPDX-License-Identifier: GPL-3.0-or-later
#include "exportcommand.h"

#include "cli/cli.h"
#include "cli/netargs.h"
#include "exporter.h"
#include "heatmap.h"
#include "imageinput.h"
#include "kernels.h"
#include "memory.h"
#include "network.h"
#include "sessionfile.h"
#include "shape.h"
#include "validate.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QGuiApplication>

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <utility>

namespace convscope::cli {

namespace {

// Ctrl+C or a SIGTERM during an export: the run stops at its next progress point, the
// transaction rolls back (nothing of it stays in the folder) and the command exits as the
// signal asks (128 + its number). Once the commit step has begun it completes instead.
volatile std::sig_atomic_t g_stopSignal = 0;

void onStopSignal(int signal)
{
    g_stopSignal = signal;
}

class StopOnSignals {
public:
    StopOnSignals()
    {
        g_stopSignal = 0;
        struct sigaction action {};
        action.sa_handler = onStopSignal;
        sigemptyset(&action.sa_mask);
        // A signal the shell had us ignore (SIGINT for a background job of a script) stays
        // ignored, as Unix tools keep it.
        for (auto [signal, old] : {std::pair{SIGINT, &m_int}, std::pair{SIGTERM, &m_term}}) {
            sigaction(signal, nullptr, old);
            if (old->sa_handler != SIG_IGN)
                sigaction(signal, &action, nullptr);
        }
    }
    ~StopOnSignals()
    {
        sigaction(SIGINT, &m_int, nullptr);
        sigaction(SIGTERM, &m_term, nullptr);
    }
    StopOnSignals(const StopOnSignals &) = delete;
    StopOnSignals &operator=(const StopOnSignals &) = delete;
    static bool stopped() { return g_stopSignal != 0; }
    static int exitCode() { return 128 + static_cast<int>(g_stopSignal); }

private:
    struct sigaction m_int {};
    struct sigaction m_term {};
};

const std::string kUsage =
    "usage: convscope export IMAGE... --out DIR [--format LIST] [--force]\n"
    "                        [--session FILE | --out-channels C --kernel K[,K] [--stride S]\n"
    "                         [--padding P|same|valid] [--padding-mode MODE] [--dilation D]\n"
    "                         [--groups G] [--no-bias] [--preset NAME | --seed N] [--grayscale]]\n"
    "                        [--colormap diverging|grayscale|viridis] [--range per-map|global]\n"
    "                        [--sheet-width PX] [--threads T]\n"
    "\n"
    "Runs Conv2d on each image and writes, per image (prefix = the image's base name):\n"
    "  png      NAME_outCC.png         each output map in the colour map\n"
    "  png16    NAME_outCC_raw16.png   each map as 16-bit grayscale, value = offset + pixel * "
    "scale\n"
    "  npy      NAME_output.npy        the whole output [1, C_out, H_out, W_out], float32\n"
    "  sheet    NAME_sheet.png         contact sheet: all maps, configuration, colour bar\n"
    "  pdf/svg  NAME_sheet.pdf|svg     the contact sheet as vector pages for slides\n"
    "  json     NAME_export.json       parameters, torch repr, input SHA-256, shapes, ranges, "
    "scaling\n"
    "  pytorch  NAME_input.npy, NAME_layerI_weight.npy, NAME_layerI_bias.npy, NAME_pytorch.py:\n"
    "           a script that rebuilds the layer in PyTorch and compares with NAME_output.npy\n"
    "Default formats: png,npy,sheet,json. Images are read with their EXIF orientation and\n"
    "scaled to [0, 1] (RGB, or luma with --grayscale).\n"
    "\n"
    "Weights: --session FILE takes layers, weights, input mode and colours from a saved\n"
    "session (its image is used when no IMAGE is given). Otherwise one Conv2d is built from\n"
    "the flags (defaults: --out-channels 8 --kernel 3) with PyTorch's default initialisation\n"
    "(Kaiming-uniform, bound 1/sqrt(fan_in), bias from the same range) seeded by --seed\n"
    "(default 0), or with a kernel preset (--preset identity|box|gaussian|sharpen|sobel-x|\n"
    "sobel-y|laplacian|emboss|edge; zero bias).\n"
    "\n"
    "Everything is checked before anything is written: a missing image, a bad parameter or\n"
    "an existing file (without --force) exits 1 and leaves the folder untouched. Files are\n"
    "written to a staging folder and moved into place only when all of them are complete.\n";

// QPainter text needs a QGuiApplication; the offscreen platform keeps the command usable
// without a display (ssh, CI, cron). Returned to the caller so it lives exactly as long as
// the export (a static one would be torn down after main, when Qt is half gone).
std::unique_ptr<QGuiApplication> ensureGuiApplication()
{
    if (QCoreApplication::instance())
        return nullptr;
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    // Without XDG_RUNTIME_DIR (cron, ssh, containers) Qt picks /tmp/runtime-$USER itself but
    // warns on stderr; a batch log stays clean when the same private folder is named first.
    if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
        const QByteArray dir = "/tmp/runtime-" + QByteArray::number(::getuid());
        if (::mkdir(dir.constData(), 0700) == 0 || errno == EEXIST) {
            struct stat st {};
            if (::stat(dir.constData(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::getuid()
                && (st.st_mode & 0077) == 0)
                qputenv("XDG_RUNTIME_DIR", dir);
        }
    }
    static int argc = 1;
    static char name[] = "convscope";
    static char *argv[] = {name, nullptr};
    return std::make_unique<QGuiApplication>(argc, argv);
}

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

struct Input {
    QString path; // file path, or empty for a session's embedded image
    QString name; // shown and used as the file prefix
    QImage image;
};

core::Network networkFromFlags(const ParsedArgs &a, ui::InputMode mode)
{
    core::Conv2dParams p;
    p.inChannels = mode == ui::InputMode::Grayscale ? 1 : 3;
    p.outChannels = a.has("out-channels") ? parseInt(*a.value("out-channels"), "out channels") : 8;
    if (auto k = a.value("kernel")) {
        auto [kh, kw] = parsePair(*k, "kernel_size");
        p.kernel = {kh, kw};
    }
    p.bias = !a.has("no-bias");
    applyConvOptions(a, p);
    // Module-level checks before making weights: shapes from bad parameters mean nothing.
    if (auto e = core::validateModule(p))
        throw ValueError(e->message);

    core::Tensor weight, bias;
    if (auto name = a.value("preset")) {
        if (a.has("seed"))
            throw UsageError("--preset and --seed do not combine (--seed draws random weights)");
        const auto preset = core::parseKernelPreset(*name);
        if (!preset) {
            std::string names;
            for (auto k : core::allKernelPresets())
                names += (names.empty() ? "" : ", ") + core::identifier(k);
            throw ValueError("unknown preset '" + *name + "': expected one of " + names);
        }
        weight = core::presetWeights(p, *preset);
        if (p.bias)
            bias = core::zeroBias(p);
    } else {
        std::uint64_t seed = 0;
        if (auto s = a.value("seed")) {
            const auto v = parseIntList(*s, "seed");
            if (v.size() != 1)
                throw ValueError("invalid seed '" + *s + "': expected one non-negative integer");
            seed = static_cast<std::uint64_t>(v.front());
        }
        weight = core::kaimingUniformWeights(p, seed);
        if (p.bias)
            bias = core::defaultBias(p, seed);
    }
    return core::Network{{core::makeConv2d(p, std::move(weight), std::move(bias))}};
}

} // namespace

void registerExportCommand()
{
    addCommand({"export", "write feature maps as PNG/npy/contact sheet/JSON, headless", runExport});
    // erf and coverage take images through the same reader as export and the window.
    setImageReader([](const std::string &path, int channels) {
        QString error;
        const QImage image = ui::readImage(QString::fromStdString(path), &error);
        if (image.isNull())
            throw ValueError(error.toStdString()); // names the file
        return ui::imageToTensor(image, channels);
    });
    setHeatMapWriter([](const std::string &path, const std::vector<double> &map, std::int64_t h,
                        std::int64_t w) {
        // Small maps (an averaged field, a box) get big squares: at least 512 px a side.
        const int scale = static_cast<int>(
            std::clamp<std::int64_t>(512 / std::max<std::int64_t>(1, std::max(h, w)), 1, 64));
        QString error;
        if (!ui::saveHeatMapPng(QString::fromStdString(path), map, h, w, scale, &error))
            throw ValueError(error.toStdString());
    });
}

int runExport(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
    for (const auto &a : args)
        if (a == "--help" || a == "-h") {
            out << kUsage;
            return 0;
        }
    // From the start: a signal while the images are read is honoured once they are.
    const StopOnSignals stopOnSignals;
    auto specs = convOptionSpecs();
    const std::vector<OptionSpec> layerFlags{{"out-channels"}, {"kernel"}, {"no-bias", false},
                                             {"preset"},       {"seed"},   {"grayscale", false}};
    specs.insert(specs.end(), layerFlags.begin(), layerFlags.end());
    specs.insert(specs.end(), {{"session"},
                               {"out"},
                               {"format"},
                               {"force", false},
                               {"colormap"},
                               {"range"},
                               {"sheet-width"},
                               {"threads"}});
    const ParsedArgs a = parseArgs(args, specs, "export");
    if (!a.has("out"))
        throw UsageError("missing required option '--out'");

    // Everything below up to exportResults() only reads: all checks happen before any write.
    std::optional<ui::SessionState> session;
    if (auto path = a.value("session")) {
        for (const auto &s : convOptionSpecs())
            if (a.has(s.name))
                throw UsageError(
                    "--" + s.name
                    + " cannot be combined with --session (the session holds the layers)");
        for (const auto &s : layerFlags)
            if (a.has(s.name))
                throw UsageError(
                    "--" + s.name
                    + " cannot be combined with --session (the session holds the layers)");
        QString error;
        session = ui::loadSession(q(*path), &error);
        if (!session)
            throw ValueError(error.toStdString());
    }

    ui::ExportOptions options;
    options.folder = q(*a.value("out"));
    options.overwrite = a.has("force");
    QString error;
    if (!ui::parseFormats(q(a.value("format").value_or("png,npy,sheet,json")), &options.formats,
                          &error))
        throw ValueError(error.toStdString());
    if (auto w = a.value("sheet-width"))
        options.sheetWidth = parseInt(*w, "sheet width");
    int threads = 0;
    if (auto t = a.value("threads")) {
        threads = parseInt(*t, "threads");
        if (threads < 0)
            throw ValueError("invalid threads '" + *t
                             + "': expected 0 (all cores) or a positive count");
    }

    ui::ViewSettings view = session ? session->view : ui::ViewSettings{};
    if (auto g = a.value("colormap"); g && !ui::parseGradient(q(*g), &view.gradient))
        throw ValueError("unknown colour map '" + *g + "': expected one of "
                         + ui::gradientNames().join(", ").toStdString());
    if (auto r = a.value("range"); r && !ui::parseRangeMode(q(*r), &view.rangeMode))
        throw ValueError("unknown range mode '" + *r + "': expected one of "
                         + ui::rangeModeNames().join(", ").toStdString());

    const ui::InputMode mode =
        session ? session->inputMode
                : (a.has("grayscale") ? ui::InputMode::Grayscale : ui::InputMode::Rgb);
    const core::Network network = session ? session->network : networkFromFlags(a, mode);
    const bool stack = core::convLayers(network).size() > 1;

    std::vector<Input> inputs;
    for (const std::string &path : a.positional()) {
        Input in;
        in.path = q(path);
        in.name = QFileInfo(in.path).fileName();
        in.image = ui::readImage(in.path, &error);
        if (in.image.isNull())
            throw ValueError(error.toStdString());
        inputs.push_back(std::move(in));
    }
    if (inputs.empty() && session) {
        Input in;
        if (!session->imagePng.isEmpty()) {
            in.name = QStringLiteral("session-image.png");
            in.image.loadFromData(session->imagePng);
            if (in.image.isNull())
                throw ValueError("the session's embedded image cannot be decoded");
        } else if (!session->imagePath.isEmpty()) {
            in.path = session->imagePath;
            in.name = QFileInfo(in.path).fileName();
            in.image = ui::readImage(in.path, &error);
            if (in.image.isNull())
                throw ValueError("the session's image: " + error.toStdString());
        }
        if (!in.image.isNull())
            inputs.push_back(std::move(in));
    }
    if (inputs.empty())
        throw UsageError("no image given");

    const auto app = ensureGuiApplication();
    std::vector<ui::ExportRequest> requests;
    for (const Input &in : inputs) {
        ui::ExportRequest r;
        r.inputName = in.name;
        r.baseName = QFileInfo(in.name).completeBaseName();
        if (!in.path.isEmpty())
            r.inputSha256 = ui::sha256OfFile(in.path);
        r.inputMode = mode;
        r.input = ui::imageToTensor(in.image, mode == ui::InputMode::Grayscale ? 1 : 3);
        r.pixelMax = ui::pixelMax(in.image);
        r.network = network;
        r.view = view;
        // Validate the whole stack on this image's shape before computing anything.
        auto e = core::validate(network, r.input.shape);
        if (!e)
            e = core::checkMemory(network, r.input.shape, core::memoryBudgetBytes());
        if (e) {
            err << "convscope export: " << in.name.toStdString() << ": "
                << (stack ? e->message() : e->error.message) << "\n";
            return 1;
        }
        requests.push_back(std::move(r));
    }
    const auto interrupted = [&err] {
        err << "convscope export: interrupted; the folder is as it was\n";
        return StopOnSignals::exitCode();
    };
    if (StopOnSignals::stopped())
        return interrupted();
    for (ui::ExportRequest &r : requests) {
        std::vector<core::Tensor> outputs;
        core::NetworkOptions forwardOptions;
        forwardOptions.threads = threads;
        forwardOptions.progress = [](double) { return !StopOnSignals::stopped(); };
        if (core::forward(network, r.input, outputs, forwardOptions)
            == core::ForwardStatus::Cancelled)
            return interrupted();
        r.output = std::move(outputs.back());
    }
    if (QString e = ui::checkRequests(requests, options); !e.isEmpty())
        throw ValueError(e.toStdString());

    const ui::ExportResult result = ui::exportResults(
        requests, options, [](double, const QString &) { return !StopOnSignals::stopped(); });
    if (result.status == ui::ExportResult::Status::Cancelled)
        return interrupted();
    switch (result.status) {
    case ui::ExportResult::Status::Ok:
        for (const QString &f : result.files)
            out << f.toStdString() << "\n";
        return 0;
    case ui::ExportResult::Status::ExistingFiles:
        err << "convscope export: " << result.message.toStdString()
            << "\nUse --force to replace them, or choose another --out folder.\n";
        return 1;
    case ui::ExportResult::Status::Cancelled:
    case ui::ExportResult::Status::Failed: break;
    }
    err << "convscope export: " << result.message.toStdString() << "\n";
    return 1;
}

} // namespace convscope::cli
