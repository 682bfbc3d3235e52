// SPDX-License-Identifier: GPL-3.0-or-later
#include "sessionfile.h"

#include "fileerror.h"

#include "npy.h"
#include "shape.h"
#include "validate.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

#include <cmath>
#include <stdexcept>

#ifndef CONVSCOPE_VERSION
#define CONVSCOPE_VERSION "0.0.0"
#endif

namespace convscope::ui {

using core::Conv2dParams;
using core::Shape;
using core::Tensor;

namespace {

QString shapeText(const Shape &s)
{
    return QString::fromStdString(core::formatShape(s));
}

QJsonObject tensorToJson(const Tensor &t)
{
    QJsonArray shape;
    for (auto d : t.shape)
        shape.append(static_cast<qint64>(d));
    QJsonArray data;
    for (float v : t.data)
        data.append(static_cast<double>(v)); // float -> double is exact; JSON keeps doubles exactly
    return QJsonObject{{"shape", shape}, {"data", data}};
}

std::optional<Tensor> tensorFromJson(const QJsonValue &v, const QString &where, QString *error)
{
    if (!v.isObject()) {
        *error =
            QStringLiteral("%1 must be an object {\"shape\": [...], \"data\": [...]}").arg(where);
        return std::nullopt;
    }
    const QJsonObject o = v.toObject();
    if (!o.value("shape").isArray() || !o.value("data").isArray()) {
        *error = QStringLiteral("%1 needs a 'shape' list and a 'data' list").arg(where);
        return std::nullopt;
    }
    Shape shape;
    for (const auto &d : o.value("shape").toArray()) {
        const double x = d.toDouble(-1.0);
        if (!d.isDouble() || x < 0 || x != std::floor(x) || x > 1e9) {
            *error = QStringLiteral("%1: shape entries must be non-negative integers").arg(where);
            return std::nullopt;
        }
        shape.push_back(static_cast<std::int64_t>(x));
    }
    const QJsonArray data = o.value("data").toArray();
    const std::optional<std::int64_t> count = core::checkedNumel(shape);
    if (!count || data.size() != *count) {
        // Beyond int64 the count is only shown rounded, but it is the real one.
        double approx = 1.0;
        for (const std::int64_t d : shape)
            approx *= static_cast<double>(d);
        *error = QStringLiteral("%1: shape %2 needs %3 values, the file has %4")
                     .arg(where, shapeText(shape),
                          count ? QString::number(*count) : QString::number(approx, 'g', 3))
                     .arg(data.size());
        return std::nullopt;
    }
    std::vector<float> values;
    values.reserve(static_cast<std::size_t>(data.size()));
    for (const auto &x : data) {
        if (!x.isDouble() || !std::isfinite(x.toDouble())) {
            *error = QStringLiteral("%1: data must hold finite numbers only").arg(where);
            return std::nullopt;
        }
        values.push_back(static_cast<float>(x.toDouble()));
    }
    return Tensor(std::move(shape), std::move(values));
}

} // namespace

QString inputModeName(InputMode m)
{
    return m == InputMode::Grayscale ? QStringLiteral("grayscale") : QStringLiteral("rgb");
}

std::optional<core::NetworkError> checkNetwork(const core::Network &network)
{
    if (network.empty())
        return core::NetworkError{
            1, 1, "network", {core::Field::Input, "the network has no layers"}};
    // Format version 1 stores Conv2d layers with a ReLU flag; every other kind is refused
    // here, before anything is written, rather than saved as something it is not.
    for (std::size_t i = 0, convs = 0; i < network.size(); ++i) {
        const core::Layer &layer = network.layers[i];
        if (std::holds_alternative<core::Conv2dLayer>(layer)) {
            ++convs;
        } else if (!std::holds_alternative<core::ReluLayer>(layer)) {
            return core::NetworkError{
                i + 1,
                convs + 1,
                core::kindName(layer),
                {core::Field::Input, "a session file holds Conv2d and ReLU layers only; "
                                         + core::kindName(layer) + " cannot be saved in one yet"}};
        }
    }
    if (auto bad = core::validateModules(network))
        return bad;
    bool afterConv = false;
    std::size_t convs = 0;
    for (std::size_t i = 0; i < network.size(); ++i) {
        const core::Layer &layer = network.layers[i];
        const auto *c = std::get_if<core::Conv2dLayer>(&layer);
        const auto fail = [&](core::Field f, const std::string &message) {
            return core::NetworkError{
                i + 1, c ? convs : convs + 1, core::kindName(layer), {f, message}};
        };
        if (!c) {
            if (!afterConv)
                return fail(core::Field::Input, "a session holds a ReLU only right after a Conv2d");
            afterConv = false;
            continue;
        }
        ++convs;
        afterConv = true;
        if (!c->weight)
            return fail(core::Field::Weight, "the layer has no weight");
        for (const Tensor *t : {c->weight.get(), c->params.bias ? c->bias.get() : nullptr})
            if (t)
                for (float v : t->data)
                    if (!std::isfinite(v))
                        return fail(core::Field::Weight, "weights and bias must be finite numbers");
    }
    return std::nullopt;
}

QString layerMessage(const core::NetworkError &e, bool capital)
{
    return (capital ? QStringLiteral("Layer %1: %2") : QStringLiteral("layer %1: %2"))
        .arg(e.conv)
        .arg(QString::fromStdString(e.error.message));
}

QJsonArray
convLayersJson(const core::Network &network,
               const std::function<void(const core::Conv2dLayer &, QJsonObject &)> &fields)
{
    QJsonArray layers;
    for (const core::Layer &layer : network.layers) {
        const auto *c = std::get_if<core::Conv2dLayer>(&layer);
        if (!c && !std::holds_alternative<core::ReluLayer>(layer)) {
            // A kind session files do not hold (sessionToJson refuses those): its own entry,
            // never a ReLU flag.
            layers.append(QJsonObject{{"torch", QString::fromStdString(core::torchRepr(layer))},
                                      {"kind", QString::fromStdString(core::kindName(layer))}});
            continue;
        }
        if (!c) { // a ReLU: the flag of the Conv2d before it
            if (!layers.isEmpty()) {
                QJsonObject last = layers.last().toObject();
                last["relu"] = true;
                layers[layers.size() - 1] = last;
            }
            continue;
        }
        QJsonObject lo{{"torch", QString::fromStdString(core::torchRepr(c->params))},
                       {"params", paramsToJson(c->params)},
                       {"relu", false}};
        fields(*c, lo);
        layers.append(lo);
    }
    return layers;
}

QJsonObject sessionToJson(const SessionState &s, const QString &sessionDir)
{
    QJsonObject o;
    o["format"] = "convscope-session";
    o["format_version"] = kSessionFormatVersion;
    o["convscope_version"] = CONVSCOPE_VERSION;
    QJsonObject image;
    if (!s.imagePath.isEmpty())
        image["path"] =
            sessionDir.isEmpty() ? s.imagePath : QDir(sessionDir).relativeFilePath(s.imagePath);
    if (!s.imagePng.isEmpty())
        image["png_base64"] = QString::fromLatin1(s.imagePng.toBase64());
    o["image"] = image;
    o["input_mode"] = inputModeName(s.inputMode);
    for (const core::Layer &layer : s.network.layers)
        if (!std::holds_alternative<core::Conv2dLayer>(layer)
            && !std::holds_alternative<core::ReluLayer>(layer))
            throw std::invalid_argument("sessionToJson: " + core::kindName(layer)
                                        + " layers have no place in a session file "
                                          "(checkNetwork refuses them)");
    o["layers"] = convLayersJson(s.network, [](const core::Conv2dLayer &c, QJsonObject &lo) {
        lo["weight"] = tensorToJson(c.weight ? *c.weight : Tensor());
        if (c.params.bias)
            lo["bias"] = tensorToJson(c.bias ? *c.bias : Tensor());
    });
    o["view"] = QJsonObject{{"colormap", gradientName(s.view.gradient)},
                            {"range_mode", rangeModeName(s.view.rangeMode)}};
    return o;
}

std::optional<SessionState> sessionFromJson(const QJsonObject &o, const QString &sessionDir,
                                            QString *error)
{
    // The version is checked first: a newer file may have changed anything else.
    const QJsonValue version = o.value("format_version");
    if (!version.isDouble() || version.toDouble() != std::floor(version.toDouble())
        || version.toDouble() < 1) {
        *error = QStringLiteral("not a convscope session: 'format_version' is missing or not a "
                                "positive integer");
        return std::nullopt;
    }
    if (version.toDouble() > kSessionFormatVersion) {
        *error = QStringLiteral("this session was written by a newer convscope (format_version "
                                "%1; this build reads up to %2); please update convscope")
                     .arg(version.toInt())
                     .arg(kSessionFormatVersion);
        return std::nullopt;
    }

    SessionState s;
    const QJsonValue image = o.value("image");
    if (!image.isObject()) {
        *error = QStringLiteral("field 'image' must be an object with 'path' and/or 'png_base64'");
        return std::nullopt;
    }
    const QJsonObject io = image.toObject();
    if (io.contains("path")) {
        if (!io.value("path").isString()) {
            *error = QStringLiteral("image: field 'path' must be a string");
            return std::nullopt;
        }
        const QString path = io.value("path").toString();
        s.imagePath = (path.isEmpty() || sessionDir.isEmpty())
                          ? path
                          : QDir(sessionDir).absoluteFilePath(path);
        s.imagePath = QDir::cleanPath(s.imagePath);
    }
    if (io.contains("png_base64")) {
        const auto decoded = QByteArray::fromBase64Encoding(
            io.value("png_base64").toString().toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
        if (!io.value("png_base64").isString() || !decoded) {
            *error = QStringLiteral("image: field 'png_base64' is not valid base64");
            return std::nullopt;
        }
        s.imagePng = *decoded;
    }

    const QString mode = o.value("input_mode").toString();
    if (mode == "grayscale") {
        s.inputMode = InputMode::Grayscale;
    } else if (mode == "rgb") {
        s.inputMode = InputMode::Rgb;
    } else {
        *error = QStringLiteral("field 'input_mode' must be \"grayscale\" or \"rgb\"");
        return std::nullopt;
    }

    if (!o.value("layers").isArray() || o.value("layers").toArray().isEmpty()) {
        *error = QStringLiteral("field 'layers' must be a non-empty list");
        return std::nullopt;
    }
    const QJsonArray layers = o.value("layers").toArray();
    for (qsizetype i = 0; i < layers.size(); ++i) {
        const QString where = QStringLiteral("layer entry %1").arg(i + 1);
        if (!layers[i].isObject()) {
            *error = QStringLiteral("%1 must be an object").arg(where);
            return std::nullopt;
        }
        const QJsonObject lo = layers[i].toObject();
        if (!lo.value("params").isObject()) {
            *error = QStringLiteral("%1: missing object 'params'").arg(where);
            return std::nullopt;
        }
        auto params = paramsFromJson(lo.value("params").toObject(), error);
        if (!params) {
            *error = QStringLiteral("%1: %2").arg(where, *error);
            return std::nullopt;
        }
        if (lo.contains("relu") && !lo.value("relu").isBool()) {
            *error = QStringLiteral("%1: field 'relu' must be true or false").arg(where);
            return std::nullopt;
        }
        auto weight = tensorFromJson(lo.value("weight"), where + QStringLiteral(" weight"), error);
        if (!weight)
            return std::nullopt;
        Tensor bias;
        if (params->bias) {
            auto b = tensorFromJson(lo.value("bias"), where + QStringLiteral(" bias"), error);
            if (!b)
                return std::nullopt;
            bias = std::move(*b);
        } else if (lo.contains("bias")) {
            *error =
                QStringLiteral("%1: has bias=false in 'params' but a 'bias' tensor").arg(where);
            return std::nullopt;
        }
        s.network.layers.push_back(core::makeConv2d(*params, std::move(*weight), std::move(bias)));
        if (lo.value("relu").toBool(false))
            s.network.layers.emplace_back(core::ReluLayer{});
    }
    if (const auto bad = checkNetwork(s.network)) {
        *error = layerMessage(*bad);
        return std::nullopt;
    }

    const QJsonObject view = o.value("view").toObject();
    if (!o.value("view").isObject()
        || !parseGradient(view.value("colormap").toString(), &s.view.gradient)
        || !parseRangeMode(view.value("range_mode").toString(), &s.view.rangeMode)) {
        *error = QStringLiteral("field 'view' must name a 'colormap' (%1) and a 'range_mode' (%2)")
                     .arg(gradientNames().join(", "), rangeModeNames().join(", "));
        return std::nullopt;
    }
    return s;
}

bool saveSession(const QString &path, const SessionState &s, QString *error)
{
    if (const auto bad = checkNetwork(s.network)) {
        *error = QStringLiteral("cannot save the session: %1").arg(layerMessage(*bad));
        return false;
    }
    const QString dir = QFileInfo(path).absolutePath();
    const QByteArray bytes = QJsonDocument(sessionToJson(s, dir)).toJson(QJsonDocument::Indented);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        *error = QStringLiteral("cannot write session '%1': %2").arg(path, fileErrorText(file));
        return false;
    }
    return true;
}

std::optional<SessionState> loadSession(const QString &path, QString *error)
{
    if (const QString why = unreadableFileReason(path); !why.isEmpty()) {
        *error = QStringLiteral("cannot open session '%1': %2").arg(path, why);
        return std::nullopt;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot open session '%1': %2").arg(path, fileErrorText(file));
        return std::nullopt;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = QStringLiteral("session '%1' is not valid JSON: %2 (at byte %3)")
                     .arg(path, parseError.error != QJsonParseError::NoError
                                    ? parseError.errorString()
                                    : QStringLiteral("top level is not an object"))
                     .arg(parseError.offset);
        return std::nullopt;
    }
    QString why;
    auto s = sessionFromJson(doc.object(), QFileInfo(path).absolutePath(), &why);
    if (!s)
        *error = QStringLiteral("cannot open session '%1': %2").arg(path, why);
    return s;
}

std::optional<core::Conv2dParams> paramsForWeights(const core::Conv2dParams &p,
                                                   const core::Shape &weight,
                                                   const core::Shape *bias, QString *why)
{
    const auto refuse = [why](const QString &text) -> std::optional<core::Conv2dParams> {
        *why = text;
        return std::nullopt;
    };
    if (weight.size() != 4)
        return refuse(QStringLiteral("a Conv2d weight has 4 dimensions [C_out, C_in/groups, kH, "
                                     "kW], this one %1")
                          .arg(shapeText(weight)));
    for (std::int64_t d : weight)
        if (d < 1 || d > 4096)
            return refuse(QStringLiteral("the weight %1 has a dimension outside 1..4096")
                              .arg(shapeText(weight)));
    if (p.inChannels % weight[1] != 0)
        return refuse(QStringLiteral("the weight %1 reads %2 input channel(s) per group, which "
                                     "does not divide the image's in_channels=%3")
                          .arg(shapeText(weight))
                          .arg(weight[1])
                          .arg(p.inChannels));
    core::Conv2dParams q = p;
    q.groups = static_cast<int>(p.inChannels / weight[1]);
    q.outChannels = static_cast<int>(weight[0]);
    q.kernel = {static_cast<int>(weight[2]), static_cast<int>(weight[3])};
    q.bias = bias != nullptr || p.bias;
    if (q.outChannels % q.groups != 0)
        return refuse(QStringLiteral("the weight %1 has C_out=%2, not a multiple of the %3 groups "
                                     "in_channels=%4 implies")
                          .arg(shapeText(weight))
                          .arg(q.outChannels)
                          .arg(q.groups)
                          .arg(p.inChannels));
    if (bias && *bias != Shape{q.outChannels})
        return refuse(QStringLiteral("the bias %1 does not match the weight's C_out=%2")
                          .arg(shapeText(*bias))
                          .arg(q.outChannels));
    return q;
}

std::optional<ImportedWeights> importWeights(const QString &weightPath, const QString &biasPath,
                                             const core::Conv2dParams &p, QString *error)
{
    ImportedWeights w;
    try {
        w.weight = core::readNpy(weightPath.toStdString());
        if (!biasPath.isEmpty())
            w.bias = core::readNpy(biasPath.toStdString());
    } catch (const std::exception &e) {
        *error = QString::fromStdString(e.what());
        return std::nullopt;
    }
    const Shape expected = core::weightShape(p);
    if (w.weight.shape != expected) {
        *error = QStringLiteral("'%1': expected weight of shape [C_out, C_in/groups, kH, kW] = %2, "
                                "got %3")
                     .arg(QFileInfo(weightPath).fileName(), shapeText(expected),
                          shapeText(w.weight.shape));
        return std::nullopt;
    }
    if (w.bias) {
        if (!p.bias) {
            *error = QStringLiteral("the layer has bias=False; enable bias before importing '%1'")
                         .arg(QFileInfo(biasPath).fileName());
            return std::nullopt;
        }
        if (w.bias->shape != Shape{p.outChannels}) {
            *error = QStringLiteral("'%1': expected bias of shape [C_out] = %2, got %3")
                         .arg(QFileInfo(biasPath).fileName(), shapeText(Shape{p.outChannels}),
                              shapeText(w.bias->shape));
            return std::nullopt;
        }
    }
    for (const core::Tensor *t : {&w.weight, w.bias ? &*w.bias : nullptr})
        if (t)
            for (float v : t->data)
                if (!std::isfinite(v)) {
                    *error = QStringLiteral("the imported tensors contain NaN or infinity");
                    return std::nullopt;
                }
    return w;
}

} // namespace convscope::ui
