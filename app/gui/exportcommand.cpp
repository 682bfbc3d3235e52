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
#include "normalization.h"
#include "npy.h"
#include "sessionfile.h"
#include "shape.h"
#include "validate.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>
#include <QMap>

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <iostream>
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
    "                        [--session FILE | --network NET.txt [--weights FILE | --seed N]\n"
    "                         | --out-channels C --kernel K[,K] [--stride S]\n"
    "                         [--padding P|same|valid] [--padding-mode MODE] [--dilation D]\n"
    "                         [--groups G] [--no-bias]\n"
    "                         [--weight W.npy [--bias B.npy] | --preset NAME | --seed N]]\n"
    "                        [--grayscale] [--layer K] [--normalize "
    "imagenet|mean=A,B,C:std=D,E,F]\n"
    "                        [--colormap diverging|grayscale|viridis] [--range per-map|global]\n"
    "                        [--sheet-width PX] [--threads T] [--keep-going] [--quiet]\n"
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
    "sobel-y|laplacian|emboss|edge; zero bias), or with trained weights: --weight W.npy\n"
    "[C_out, C_in/groups, kH, kW] (e.g. conv.weight.detach().numpy()) and --bias B.npy [C_out]\n"
    "(without --bias the layer has none); without --out-channels, --kernel and --groups the\n"
    "layer is the one that owns W, with them W must have their shape.\n"
    "--network NET.txt takes an nn.Sequential as print(model) shows it (every layer kind\n"
    "`convscope forward` runs) with its state_dict from --weights FILE (.npz, .safetensors,\n"
    "or .pt/.pth from torch.save(model.state_dict())), else PyTorch's default\n"
    "initialisation from --seed; a first layer reading 1 channel takes the image's luma.\n"
    "--layer K exports the maps of layer K (counted from 1) instead of the last layer's.\n"
    "--normalize runs transforms.Normalize(mean, std) on the image tensor before the first\n"
    "layer (imagenet: mean 0.485,0.456,0.406, std 0.229,0.224,0.225); the sidecar and the\n"
    "PyTorch script record it. The pytorch format writes Conv2d tensors only: a network\n"
    "with BatchNorm2d or ConvTranspose2d is exported without it.\n"
    "\n"
    "Images are done one at a time (peak memory is that of one image, whatever the count):\n"
    "each image's files are moved into place together once they are all written, and their\n"
    "paths printed on stdout. Before anything is written every image is checked as far as\n"
    "its header allows (missing, unreadable, too large for the budget, truncated JPEG, too\n"
    "small for the layers) and every file name (a clash, or an existing file without\n"
    "--force): a failure exits 1 and leaves the folder untouched. An image whose pixels\n"
    "turn out unreadable stops the batch there (the images before it stay written), or with\n"
    "--keep-going is reported on stderr and skipped (exit 1 at the end). Ctrl+C or SIGTERM\n"
    "keeps the images already done and nothing of the one in progress (exit 130/143).\n"
    "\n"
    "  --keep-going  report a bad image on stderr and go on with the next (exit 1 at the end)\n"
    "  --quiet       do not list the written files on stdout (errors still go to stderr);\n"
    "                without it, progress is shown on stderr when stderr is a terminal\n";

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

// One image of the batch. The checks fill `error`, `outputShape` and `files` from the file's
// header alone; the pixels are decoded only when its turn comes.
struct Input {
    QString path;            // file path, or empty for a session's embedded image
    QString name;            // shown and used as the file prefix
    QByteArray png;          // a session's embedded image
    QString errorLabel;      // put before a reading error ("the session's image: ")
    QString error;           // why it cannot be exported; empty while it can
    core::Shape outputShape; // empty until known (a header without the size)
    QString base() const { return QFileInfo(name).completeBaseName(); }
};

// Progress on stderr, only when stderr is a terminal (a log or a pipe gets none): one line,
// rewritten in place at most every 100 ms, erased before anything else is printed.
class ProgressLine {
public:
    ProgressLine(std::ostream &err, bool enabled) : m_err(err), m_on(enabled) {}
    ProgressLine(const ProgressLine &) = delete;
    ProgressLine &operator=(const ProgressLine &) = delete;
    ~ProgressLine() { clear(); }

    void setImage(std::size_t index, std::size_t count, const QString &name)
    {
        m_prefix = "[" + std::to_string(index + 1) + "/" + std::to_string(count) + "] "
                   + name.toStdString() + ": ";
        m_last = {};
    }
    void show(const char *step, double fraction)
    {
        if (!m_on)
            return;
        const auto now = std::chrono::steady_clock::now();
        if (m_shown && now - m_last < std::chrono::milliseconds(100))
            return;
        m_last = now;
        m_shown = true;
        const int percent = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 100.0);
        m_err << "\r\033[K" << m_prefix << step << " " << percent << "%" << std::flush;
    }
    void clear()
    {
        if (m_shown)
            m_err << "\r\033[K" << std::flush;
        m_shown = false;
    }

private:
    std::ostream &m_err;
    bool m_on = false;
    bool m_shown = false;
    std::string m_prefix;
    std::chrono::steady_clock::time_point m_last;
};

ui::SourceFile sourceFile(const QString &role, const std::string &path)
{
    return {role, QString::fromStdString(path), ui::sha256OfFile(QString::fromStdString(path))};
}

core::Network networkFromFlags(const ParsedArgs &a, ui::InputMode mode, ui::WeightsSource *source)
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
    if (auto weightPath = a.value("weight")) {
        for (const char *other : {"preset", "seed"})
            if (a.has(other))
                throw UsageError(std::string("--") + other
                                 + " makes weights; it cannot go with --weight");
        const std::string biasPath = a.value("bias").value_or("");
        if (!biasPath.empty() && a.has("no-bias"))
            throw UsageError("--bias gives the layer a bias; it cannot go with --no-bias");
        // The bias comes from --bias or not at all: a weight file alone is a layer without one.
        p.bias = !biasPath.empty();
        // Without the shape flags the layer is the one that owns the weight (out_channels,
        // kernel_size and groups read off its shape); with them, the file must fit them.
        if (!a.has("out-channels") && !a.has("kernel") && !a.has("groups")) {
            const core::Shape weightShape = core::readNpy(*weightPath).shape;
            const core::Shape biasShape =
                biasPath.empty() ? core::Shape{} : core::readNpy(biasPath).shape;
            QString why;
            const auto owner =
                ui::paramsForWeights(p, weightShape, biasPath.empty() ? nullptr : &biasShape, &why);
            if (!owner)
                throw ValueError(*weightPath + (biasPath.empty() ? "" : " and " + biasPath) + ": "
                                 + why.toStdString());
            p = *owner;
            if (auto e = core::validateModule(p))
                throw ValueError(*weightPath + ": " + e->message);
        }
        QString error;
        auto imported = ui::importWeights(q(*weightPath), q(biasPath), p, &error);
        if (!imported)
            throw ValueError(error.toStdString());
        weight = std::move(imported->weight);
        if (imported->bias)
            bias = std::move(*imported->bias);
        source->method = QStringLiteral("files");
        source->files.push_back(sourceFile(QStringLiteral("weight"), *weightPath));
        if (!biasPath.empty())
            source->files.push_back(sourceFile(QStringLiteral("bias"), biasPath));
    } else if (a.has("bias")) {
        throw UsageError("--bias needs --weight (the file of the layer's weights)");
    } else if (auto name = a.value("preset")) {
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
        source->method = QStringLiteral("preset");
        source->preset = q(*name);
        if (p.bias)
            bias = core::zeroBias(p);
    } else {
        const std::uint64_t seed = parseSeed(a);
        weight = core::kaimingUniformWeights(p, seed);
        source->method = QStringLiteral("kaiming_uniform");
        source->seed = seed;
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
                                             {"preset"},       {"seed"},   {"grayscale", false},
                                             {"weight"},       {"bias"}};
    specs.insert(specs.end(), layerFlags.begin(), layerFlags.end());
    specs.insert(specs.end(), {{"session"},
                               {"network"},
                               {"weights"},
                               {"layer"},
                               {"normalize"},
                               {"out"},
                               {"format"},
                               {"force", false},
                               {"colormap"},
                               {"range"},
                               {"sheet-width"},
                               {"threads"},
                               {"keep-going", false},
                               {"quiet", false}});
    const ParsedArgs a = parseArgs(args, specs, "export");
    if (!a.has("out"))
        throw UsageError("missing required option '--out'");

    // Everything below up to the first image's export only reads: every check that needs no
    // decoded pixels happens before any write.
    std::optional<ui::SessionState> session;
    // --session and --network hold the layers: the flags that build one Conv2d do not go
    // with them (--network keeps --seed for its default weights and --grayscale).
    const auto layersFrom = [&](const std::string &source, const std::string &what,
                                std::initializer_list<const char *> allowed) {
        const auto refuse = [&](const std::string &name) {
            for (const char *ok : allowed)
                if (name == ok)
                    return;
            if (a.has(name))
                throw UsageError("--" + name + " cannot be combined with --" + source + " (" + what
                                 + " holds the layers)");
        };
        for (const auto &s : convOptionSpecs())
            refuse(s.name);
        for (const auto &s : layerFlags)
            refuse(s.name);
    };
    if (a.has("session") && a.has("network"))
        throw UsageError("--session and --network both give the layers; choose one");
    if (a.has("weights") && !a.has("network"))
        throw UsageError("--weights is the state_dict of a --network; use --weight W.npy "
                         "[--bias B.npy] for the one Conv2d the flags build");
    std::optional<core::TorchPrintModel> model;
    if (auto path = a.value("network")) {
        layersFrom("network", "the network file", {"seed", "grayscale"});
        model = readNetworkFile(*path);
    }
    if (auto path = a.value("session")) {
        layersFrom("session", "the session", {});
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
    if (QString e = ui::checkOptions(options); !e.isEmpty())
        throw ValueError(e.toStdString());
    const int threads = parseThreads(a);
    options.threads = threads;

    ui::ViewSettings view = session ? session->view : ui::ViewSettings{};
    if (auto g = a.value("colormap"); g && !ui::parseGradient(q(*g), &view.gradient))
        throw ValueError("unknown colour map '" + *g + "': expected one of "
                         + ui::gradientNames().join(", ").toStdString());
    if (auto r = a.value("range"); r && !ui::parseRangeMode(q(*r), &view.rangeMode))
        throw ValueError("unknown range mode '" + *r + "': expected one of "
                         + ui::rangeModeNames().join(", ").toStdString());

    // A network file's first layer says how many channels it reads: one is the image's luma.
    const bool grey = a.has("grayscale") || (model && core::inputChannels(model->network) == 1);
    const ui::InputMode mode =
        session ? session->inputMode : (grey ? ui::InputMode::Grayscale : ui::InputMode::Rgb);
    const int channels = mode == ui::InputMode::Grayscale ? 1 : 3;
    const std::optional<core::InputNormalization> normalization = parseNormalize(a);
    if (normalization)
        if (auto e = core::validate(*normalization, channels))
            throw ValueError("--normalize: " + e->message);
    // What reproduces the weights, for the sidecar.
    ui::WeightsSource weightsSource;
    core::Network network;
    if (session) {
        network = session->network;
        weightsSource.method = QStringLiteral("session");
        weightsSource.files.push_back(sourceFile(QStringLiteral("session"), *a.value("session")));
    } else if (model) {
        network = networkTensors(*model, a);
        weightsSource.files.push_back(sourceFile(QStringLiteral("network"), *a.value("network")));
        if (auto w = a.value("weights")) {
            weightsSource.method = QStringLiteral("state_dict");
            weightsSource.files.push_back(sourceFile(QStringLiteral("state_dict"), *w));
        } else {
            // networkTensors' default: PyTorch's initialisation of every layer from --seed.
            weightsSource.method = QStringLiteral("default_init");
            weightsSource.seed = parseSeed(a);
        }
        QFile text(q(*a.value("network")));
        if (text.open(QIODevice::ReadOnly))
            weightsSource.networkText = QString::fromUtf8(text.readAll());
    } else {
        network = networkFromFlags(a, mode, &weightsSource);
    }
    // --layer K: the maps of layer K (counted from 1), as `forward --layer`.
    if (auto k = a.value("layer"))
        network.layers.resize(parseLayer(*k, network.size()));
    if (QString e = ui::checkNetworkForExport(network, options.formats); !e.isEmpty())
        throw ValueError(e.toStdString());
    const bool stack = network.size() > 1;
    const bool keepGoing = a.has("keep-going");
    const bool quiet = a.has("quiet");

    std::vector<Input> inputs;
    for (const std::string &path : a.positional()) {
        Input in;
        in.path = q(path);
        in.name = QFileInfo(in.path).fileName();
        inputs.push_back(std::move(in));
    }
    if (inputs.empty() && session) {
        Input in;
        if (!session->imagePng.isEmpty()) {
            in.name = QStringLiteral("session-image.png");
            in.png = session->imagePng;
            in.errorLabel = QStringLiteral("the session's embedded image: ");
        } else if (!session->imagePath.isEmpty()) {
            in.path = session->imagePath;
            in.name = QFileInfo(in.path).fileName();
            in.errorLabel = QStringLiteral("the session's image: ");
        }
        if (!in.name.isEmpty())
            inputs.push_back(std::move(in));
    }
    if (inputs.empty())
        throw UsageError("no image given");

    // Whether the network runs on an image of `shape`, in the batch's words.
    const auto shapeError = [&](const Input &in, const core::Shape &shape) -> QString {
        auto e = core::validate(network, shape);
        if (!e)
            e = core::checkMemory(network, shape, core::memoryBudgetBytes());
        if (!e)
            return {};
        return in.name + QStringLiteral(": ") + q(stack ? e->message() : e->error.message);
    };
    const auto inputShape = [channels](QSize size) {
        return core::Shape{1, channels, size.height(), size.width()};
    };

    // Every check that needs no decoded pixels, for every image, before anything is read or
    // written: a bad image stops the batch here (without --keep-going), with nothing written.
    const QDir folder(options.folder);
    QMap<QString, QString> owner; // file name -> the image that writes it
    QStringList existing;
    for (Input &in : inputs) {
        if (!in.path.isEmpty()) {
            bool readable = false;
            const QSize size = ui::probeImage(in.path, &error, &readable);
            if (!readable)
                in.error = in.errorLabel + error;
            else if (size.isValid())
                in.error = shapeError(in, inputShape(size));
            if (in.error.isEmpty() && size.isValid())
                in.outputShape = core::layerShapes(network, inputShape(size)).back();
        }
        if (!in.error.isEmpty()) {
            if (!keepGoing) {
                err << "convscope export: " << in.error.toStdString() << "\n";
                return 1;
            }
            continue;
        }
        if (in.outputShape.empty())
            continue; // its names are checked when it is decoded
        for (const QString &file :
             ui::exportFileNames(in.base(), in.outputShape, network, options.formats)) {
            if (auto it = owner.find(file); it != owner.end())
                throw ValueError("'" + it.value().toStdString() + "' and '" + in.name.toStdString()
                                 + "' would both write '" + file.toStdString()
                                 + "'; give them different names (nothing was written)");
            owner.insert(file, in.name);
            const QFileInfo target(folder.absoluteFilePath(file));
            if (target.isDir())
                throw ValueError("'" + target.filePath().toStdString()
                                 + "' is a folder; it cannot be replaced by an export file");
            if (!options.overwrite && target.exists())
                existing << target.filePath();
        }
    }
    if (!existing.isEmpty()) {
        err << "convscope export: " << existing.size() << " file(s) already exist in '"
            << options.folder.toStdString() << "' (for example '"
            << QFileInfo(existing.front()).fileName().toStdString()
            << "'); nothing was written\nUse --force to replace them, or choose another --out "
               "folder.\n";
        return 1;
    }

    // One image at a time, each committed before the next is read: peak memory is that of
    // one image whatever the count, and an interruption costs only the image in progress.
    const auto app = ensureGuiApplication();
    ProgressLine progress(err, !quiet && &err == &std::cerr && ::isatty(STDERR_FILENO) == 1);
    std::size_t written = 0;
    QStringList failures;
    const auto interrupted = [&](const Input &in) {
        progress.clear();
        if (written == 0)
            err << "convscope export: interrupted; the folder is as it was\n";
        else
            err << "convscope export: interrupted; nothing of '" << in.name.toStdString()
                << "' was written, the " << written << " image(s) before it are complete\n";
        return StopOnSignals::exitCode();
    };
    // A bad image: reported, and the batch goes on with --keep-going or stops here.
    const auto bad = [&](const QString &message) {
        progress.clear();
        err << "convscope export: " << message.toStdString();
        if (!keepGoing && written > 0)
            err << " (the " << written << " image(s) before it are complete)";
        err << "\n";
        failures << message;
        return !keepGoing;
    };
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Input &in = inputs[i];
        if (StopOnSignals::stopped())
            return interrupted(in);
        progress.setImage(i, inputs.size(), in.name);
        if (!in.error.isEmpty()) { // only with --keep-going
            bad(in.error);
            continue;
        }
        progress.show("reading", 0.0);
        QImage image;
        if (in.png.isEmpty()) {
            image = ui::readImage(in.path, &error);
            if (image.isNull() && bad(in.errorLabel + error))
                return 1;
        } else if (!image.loadFromData(in.png)
                   && bad(QStringLiteral("the session's embedded image cannot be decoded"))) {
            return 1;
        }
        if (image.isNull())
            continue;
        const core::Shape shape = inputShape(image.size());
        if (in.outputShape.empty()) {
            if (QString e = shapeError(in, shape); !e.isEmpty()) {
                if (bad(e))
                    return 1;
                continue;
            }
        }

        ui::ExportRequest r;
        r.inputName = in.name;
        r.baseName = in.base();
        if (!in.path.isEmpty())
            r.inputSha256 = ui::sha256OfFile(in.path);
        r.inputMode = mode;
        r.pixelMax = ui::pixelMax(image);
        r.input = ui::imageToTensor(image, channels);
        image = QImage(); // the tensor holds the pixels now
        r.network = network;
        r.view = view;

        r.normalization = normalization;
        r.weights = weightsSource;
        if (!in.path.isEmpty()) {
            r.inputPath = QFileInfo(in.path).absoluteFilePath();
            r.orientation = ui::imageOrientation(in.path);
        }
        // The raw image stays the request's input (the sidecar and the PyTorch script start
        // from it and normalise as torchvision would); the network runs on the normalised copy.
        core::Tensor normalized;
        if (normalization)
            core::normalizeInput(*normalization, r.input, normalized);

        std::vector<core::Tensor> outputs;
        core::NetworkOptions forwardOptions;
        forwardOptions.threads = threads;
        forwardOptions.progress = [&progress](double f) {
            progress.show("computing", f);
            return !StopOnSignals::stopped();
        };
        if (core::forward(network, normalization ? normalized : r.input, outputs, forwardOptions)
            == core::ForwardStatus::Cancelled)
            return interrupted(in);
        normalized = core::Tensor();
        r.output = std::move(outputs.back());
        outputs.clear();

        // Moved, not copied: a braced list would copy the input and output tensors twice.
        std::vector<ui::ExportRequest> one;
        one.push_back(std::move(r));
        const ui::ExportResult result =
            ui::exportResults(one, options, [&progress](double f, const QString &) {
                progress.show("writing", f);
                return !StopOnSignals::stopped();
            });
        progress.clear();
        switch (result.status) {
        case ui::ExportResult::Status::Ok:
            ++written;
            if (!quiet) {
                for (const QString &f : result.files)
                    out << f.toStdString() << "\n";
                out.flush(); // a script reading the list sees each image once it is complete
            }
            continue;
        case ui::ExportResult::Status::Cancelled: return interrupted(in);
        case ui::ExportResult::Status::ExistingFiles:
            err << "convscope export: " << result.message.toStdString()
                << "\nUse --force to replace them, or choose another --out folder.\n";
            return 1;
        case ui::ExportResult::Status::Failed: break;
        }
        // A failed write (full disk, permissions) is no bad image: the rest would fail too.
        err << "convscope export: " << result.message.toStdString() << "\n";
        return 1;
    }
    if (!failures.isEmpty()) {
        err << "convscope export: " << failures.size() << " of " << inputs.size()
            << " image(s) could not be exported (named above); " << written << " were written\n";
        return 1;
    }
    return 0;
}

} // namespace convscope::cli
