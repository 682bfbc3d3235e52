#pragma once
// Sessions on disk (.convscope.json) and weights imported from .npy files. Everything here
// is a plain value in, a plain value (or a message) out: loading never hands back partial
// state, so a caller can apply a loaded session in one step or not at all.
#include "conv2dparams.h"
#include "paramsjson.h" // the layers' parameters (and the export sidecar's)
#include "tensor.h"
#include "viewsettings.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>
#include <vector>

namespace convscope::ui {

// One Conv2d of the stack, with the tensors it owns. `bias` is empty when params.bias is
// false; otherwise it has shape [C_out].
struct LayerState {
    core::Conv2dParams params;
    core::Tensor weight; // [C_out, C_in / groups, kH, kW]
    core::Tensor bias;   // [C_out] or empty
    bool relu = false;   // a ReLU after this layer
    bool operator==(const LayerState &) const = default;
};

// InputMode (grayscale / RGB) comes from session.h.
QString inputModeName(InputMode m);

struct SessionState {
    QString imagePath;    // absolute after loading; written relative to the session's folder
    QByteArray imagePng;  // an embedded image (PNG bytes); when set it wins over imagePath
    InputMode inputMode = InputMode::Rgb;
    std::vector<LayerState> layers;
    ViewSettings view;
    bool operator==(const SessionState &) const = default;
};

// The format this build writes; files with a larger number are refused.
constexpr int kSessionFormatVersion = 1;

// Checks a layer stack on its own: each layer's module configuration (as nn.Conv2d's
// constructor would), weight/bias shapes against the parameters, channel counts between
// layers and finite values. Returns an empty string when fine.
QString checkLayers(const std::vector<LayerState> &layers);

// `sessionDir` resolves the relative image path. Returns nothing and sets *error on any
// problem (malformed JSON, wrong types, inconsistent shapes, newer format_version).
QJsonObject sessionToJson(const SessionState &s, const QString &sessionDir);
std::optional<SessionState> sessionFromJson(const QJsonObject &o, const QString &sessionDir,
                                            QString *error);

// Writes atomically (QSaveFile). False with *error naming the file on failure.
bool saveSession(const QString &path, const SessionState &s, QString *error);
std::optional<SessionState> loadSession(const QString &path, QString *error);

struct ImportedWeights {
    core::Tensor weight;
    std::optional<core::Tensor> bias;
};

// Reads a weight .npy (e.g. from `conv.weight.detach().numpy()`) and optionally a bias .npy
// and checks them against `p`. `biasPath` may be empty. Messages name the expected and
// received shapes.
std::optional<ImportedWeights> importWeights(const QString &weightPath, const QString &biasPath,
                                             const core::Conv2dParams &p, QString *error);

} // namespace convscope::ui
