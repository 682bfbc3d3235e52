// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Sessions on disk (.convscope.json) and weights imported from .npy files. Everything here
// is a plain value in, a plain value (or a message) out: loading never hands back partial
// state, so a caller can apply a loaded session in one step or not at all.
#include "conv2dparams.h"
#include "network.h"
#include "paramsjson.h" // the layers' parameters (and the export sidecar's)
#include "tensor.h"
#include "viewsettings.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <functional>
#include <optional>
#include <vector>

namespace convscope::ui {

// InputMode (grayscale / RGB) comes from session.h.
QString inputModeName(InputMode m);

struct SessionState {
    QString imagePath;   // absolute after loading; written relative to the session's folder
    QByteArray imagePng; // an embedded image (PNG bytes); when set it wins over imagePath
    InputMode inputMode = InputMode::Rgb;
    // Conv2d layers with ReLU layers between them. The file stores each Conv2d with a "relu"
    // flag for a ReLU after it; a network that cannot be written that way is refused on save.
    core::Network network;
    ViewSettings view;
    bool operator==(const SessionState &) const = default;
};

// The format this build writes; files with a larger number are refused.
constexpr int kSessionFormatVersion = 1;

// Checks a network on its own, as a session file must hold it: core::validateModules (each
// layer's module configuration, tensor shapes, channels between layers), finite tensor
// values, and Conv2d layers with at most a ReLU after each (every other kind is refused: the
// format has no place for it yet). nullopt when fine.
std::optional<core::NetworkError> checkNetwork(const core::Network &network);
// "layer N: <message>", N counted from 1 over the Conv2d layers as the file's "layers" list
// and the Layers dock number them (`capital` for a sentence of its own: "Layer N: ...").
QString layerMessage(const core::NetworkError &e, bool capital = false);

// The "layers" list session files and export sidecars write: one object per Conv2d with its
// "torch" repr, "params" and "relu" (true when a ReLU follows it), plus what `fields` adds
// for that file. Any other kind gets its own {"torch", "kind"} entry.
QJsonArray
convLayersJson(const core::Network &network,
               const std::function<void(const core::Conv2dLayer &, QJsonObject &)> &fields);

// `sessionDir` resolves the relative image path. Returns nothing and sets *error on any
// problem (malformed JSON, wrong types, inconsistent shapes, newer format_version).
// sessionToJson expects a network checkNetwork accepts: it throws std::invalid_argument for a
// layer kind other than Conv2d and ReLU.
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

// The layer that owns weights of these shapes: `p` with out_channels, kernel_size and groups
// read off the weight [C_out, C_in/groups, kH, kW] (in_channels stays: it is the image's) and
// bias on when a bias is given (else as in p). nullopt and *why when no Conv2d on p.inChannels
// channels could own them (a rank other than 4, C_in/groups not dividing in_channels, C_out not a
// multiple of the groups, a bias of another length).
std::optional<core::Conv2dParams> paramsForWeights(const core::Conv2dParams &p,
                                                   const core::Shape &weight,
                                                   const core::Shape *bias, QString *why);

} // namespace convscope::ui
