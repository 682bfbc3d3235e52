#pragma once
// Exports of a Conv2d result: coloured and 16-bit PNGs per map, the raw output as .npy, a
// contact sheet (PNG, PDF, SVG where Qt Svg is built in), a JSON sidecar, and the .npy files
// plus script that reproduce the result in PyTorch.
//
// Plain values in, files out; QtGui only (no widgets), so the GUI and the headless command
// share it. An export is a transaction: every file is first written (through QSaveFile)
// into a hidden staging folder inside the target folder, and only when all of them exist
// are they renamed into place. Cancel or failure removes the staging folder: the target
// folder ends up with every file or with none.
#include "colormap.h"
#include "sessionfile.h"
#include "tensor.h"
#include "viewsettings.h"

#include <QByteArray>
#include <QImage>
#include <QJsonObject>
#include <QSize>
#include <QSizeF>
#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

class QPainter;

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

// One result to export. Several requests can share one transaction (headless batch).
struct ExportRequest {
    QString baseName;       // prefix of every file name, e.g. the image's base name
    QString inputName;      // the input's file name, for titles and the sidecar
    QByteArray inputSha256; // hex; empty when the input did not come from a file
    InputMode inputMode = InputMode::Rgb;
    core::Tensor input;     // [N, C, H, W] as fed to the first layer
    std::vector<LayerState> layers;
    core::Tensor output;    // [N, C_out, H_out, W_out]
    ViewSettings view;
    // The loaded image's size when `input` is a downscaled copy of it (the window's preview);
    // empty when `input` is the image at full resolution. The sidecar records both.
    QSize downscaledFrom;
};

struct ExportOptions {
    QString folder;
    ExportFormats formats;
    int sheetWidth = 1600;  // contact sheet width in pixels (PDF/SVG: same layout)
    bool overwrite = false; // replace existing files (the GUI asks first)
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

// Checks everything that can be checked without writing (shapes, duplicate names, formats);
// returns an empty string when fine.
QString checkRequests(const std::vector<ExportRequest> &requests, const ExportOptions &options);

ExportResult exportResults(const std::vector<ExportRequest> &requests,
                           const ExportOptions &options, const ExportProgress &progress = {});

// --- building blocks (public for the GUI and the tests) ---

// Value range of every map of the output, and over all of them.
ValueRange outputRange(const core::Tensor &output);
ValueRange mapRange(const core::Tensor &output, int n, int c);

// One map (sample n, channel c) in the colours and range mode of `view`.
QImage renderChannel(const core::Tensor &output, int n, int c, const ViewSettings &view);

// A map as 16-bit grayscale: value = offset + pixel * scale (scale 0 for a flat map).
struct Png16 {
    QImage image;
    double offset = 0.0;
    double scale = 0.0;
};
Png16 encodePng16(const float *data, int width, int height);

// Contact sheet: title with the configuration, all maps of sample 0 in a grid labelled
// out[c], a colour bar with tick values. Height follows from the width and the grid.
QSizeF contactSheetSize(const ExportRequest &r, int width);
void paintContactSheet(QPainter &painter, const ExportRequest &r, int width);
QImage renderContactSheet(const ExportRequest &r, int width);
QByteArray contactSheetPdf(const ExportRequest &r, int width);
QByteArray contactSheetSvg(const ExportRequest &r, int width); // empty without Qt Svg

// Hex SHA-256 of a file's bytes (for the sidecar); empty when unreadable.
QByteArray sha256OfFile(const QString &path);

} // namespace convscope::ui
