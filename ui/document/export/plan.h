// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// What an export is asked for and what it will write: the requests and options, the
// format names, the file names (one place, so plannedFiles() and the export agree) and the
// checks that need no writing.
#include "imageinput.h"
#include "network.h"
#include "normalization.h"
#include "sessionfile.h"
#include "tensor.h"
#include "viewsettings.h"

#include <QByteArray>
#include <QSize>
#include <QString>
#include <QStringList>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace convscope::ui {

struct ExportFormats {
    bool png = false;     // each map coloured like the GUI
    bool png16 = false;   // each map as 16-bit grayscale of the raw values (scale recorded)
    bool npy = false;     // the whole output tensor, float32
    bool sheet = false;   // contact sheet PNG
    bool pdf = false;     // contact sheet PDF
    bool svg = false;     // contact sheet SVG (only when svgSupported())
    bool json = false;    // sidecar with parameters, hashes, ranges, scaling
    bool pytorch = false; // input/weight/bias .npy and a runnable PyTorch script
    bool any() const { return png || png16 || npy || sheet || pdf || svg || json || pytorch; }
    bool operator==(const ExportFormats &) const = default;
};

// Comma-separated names: png, png16, npy, sheet, pdf, svg, json, pytorch.
QString formatsToString(const ExportFormats &f);
bool parseFormats(const QString &text, ExportFormats *out, QString *error);
QStringList formatNames();
bool svgSupported();

// A file the export's numbers came from, with its SHA-256 (hex), for the sidecar.
struct SourceFile {
    QString role; // "weight", "bias", "state_dict", "network", "session"
    QString path; // as given
    QByteArray sha256;
};

// What reproduces the weights: how they were made (method "kaiming_uniform" with its seed,
// "preset" with its name, "files", "session", "default_init" of a network from its seed;
// empty when unknown) and the files they and the network came from.
struct WeightsSource {
    QString method;
    std::optional<std::uint64_t> seed;
    QString preset;
    std::vector<SourceFile> files;
    QString networkText; // the print(model) text, when the layers came from one
};

// One result to export. Several requests can share one transaction (headless batch).
struct ExportRequest {
    QString baseName;       // prefix of every file name, e.g. the image's base name
    QString inputName;      // the input's file name, for titles and the sidecar
    QByteArray inputSha256; // hex; empty when the input did not come from a file
    InputMode inputMode = InputMode::Rgb;
    int pixelMax = 255; // input = pixel / pixelMax: 65535 for 16-bit images
    core::Tensor input; // [N, C, H, W]: the image's pixel / pixelMax
    // Applied to `input` before the first layer (torchvision's Normalize); none: fed as is.
    std::optional<core::InputNormalization> normalization;
    core::Network network; // the layers that made `output` from `input`, in order
    core::Tensor output;   // [N, C_out, H_out, W_out]
    ViewSettings view;
    // The loaded image's size when `input` is a downscaled copy of it (the window's preview);
    // empty when `input` is the image at full resolution. The sidecar records both.
    QSize downscaledFrom;
    QString downscaleMethod; // how, with downscaledFrom (imageinput.h's kPreviewScaling)
    // The input file's EXIF orientation, applied before `input` was made.
    ImageOrientation orientation{1, QStringLiteral("none")};
    QString inputPath; // the image file, for the PyTorch script to re-read; empty: none
    WeightsSource weights;
};

struct ExportOptions {
    QString folder;
    ExportFormats formats;
    int sheetWidth = 1600;  // contact sheet width in pixels (PDF/SVG: same layout)
    bool overwrite = false; // replace existing files (the GUI asks first)
    int threads = 0;        // maps encoded at once; 0 = every CPU the process may use
};

// fraction in [0, 1] and what is being written; return false to cancel.
using ExportProgress = std::function<bool(double fraction, const QString &step)>;

struct ExportResult {
    enum class Status { Ok, Cancelled, ExistingFiles, Failed };
    Status status = Status::Failed;
    QString message;
    QStringList files; // Ok: files written; ExistingFiles: the files that already exist
    bool ok() const { return status == Status::Ok; }
};

// The absolute paths an export would write, in order; the sidecar comes last.
QStringList plannedFiles(const std::vector<ExportRequest> &requests, const ExportOptions &options);

// The checks of the options alone (formats, folder, sheet width); empty when fine.
QString checkOptions(const ExportOptions &options);

// Whether `network` can be exported in `formats`: layers there, their module checks, and
// for the pytorch format only layers whose tensors the script loads. Empty when fine.
QString checkNetworkForExport(const core::Network &network, const ExportFormats &formats);

// Checks everything that can be checked without writing (checkOptions, shapes, duplicate
// names); returns an empty string when fine.
QString checkRequests(const std::vector<ExportRequest> &requests, const ExportOptions &options);

// The name of every file one request writes, relative to the export folder.
struct ExportFileNames {
    QString base;
    int samples = 1;
    int channels = 1;

    QString map(int n, int c, const QString &suffix) const
    {
        // Zero-padded so that a file browser sorts out02 before out10.
        const int digits = std::max(2, static_cast<int>(QString::number(channels - 1).size()));
        const QString channel = QStringLiteral("out%1").arg(c, digits, 10, QLatin1Char('0'));
        const QString sample = samples > 1 ? QStringLiteral("n%1_").arg(n) : QString();
        return QStringLiteral("%1_%2%3%4").arg(base, sample, channel, suffix);
    }
    QString png(int n, int c) const { return map(n, c, QStringLiteral(".png")); }
    QString png16(int n, int c) const { return map(n, c, QStringLiteral("_raw16.png")); }
    QString npy() const { return base + QStringLiteral("_output.npy"); }
    QString sheet(const QString &ext) const { return base + QStringLiteral("_sheet.") + ext; }
    QString input() const { return base + QStringLiteral("_input.npy"); }
    QString weight(int i) const { return QStringLiteral("%1_layer%2_weight.npy").arg(base).arg(i); }
    QString bias(int i) const { return QStringLiteral("%1_layer%2_bias.npy").arg(base).arg(i); }
    QString script() const { return base + QStringLiteral("_pytorch.py"); }
    QString json() const { return base + QStringLiteral("_export.json"); }

    static ExportFileNames of(const ExportRequest &r);
    // Before the output exists: its [N, C, H, W] shape is enough.
    static ExportFileNames of(const QString &base, const core::Shape &outputShape);
};

// The names `r` writes for `formats`, in the order of the export; the sidecar comes last.
QStringList exportFileNames(const ExportRequest &r, const ExportFormats &formats);
// The same before anything is computed: a batch checks every image's names (clashes,
// existing files) before it writes the first one.
QStringList exportFileNames(const QString &base, const core::Shape &outputShape,
                            const core::Network &network, const ExportFormats &formats);

} // namespace convscope::ui
