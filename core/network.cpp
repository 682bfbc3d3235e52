// SPDX-License-Identifier: GPL-3.0-or-later
#include "network.h"

#include "shape.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <type_traits>

namespace convscope::core {

namespace {

template <class... Ts> struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts> Overloaded(Ts...) -> Overloaded<Ts...>;

bool sameTensor(const std::shared_ptr<const Tensor> &a, const std::shared_ptr<const Tensor> &b)
{
    if (a == b)
        return true;
    return a && b && *a == *b;
}

std::optional<ValidationError> checkConv(const Conv2dLayer &c, const Shape &in, bool spatial)
{
    const Conv2dParams &p = c.params;
    if (auto e = validateModule(p))
        return e;
    const Shape wantWeight = weightShape(p);
    if (c.weight && c.weight->shape != wantWeight)
        return ValidationError{Field::Weight, "expected weight of shape [C_out, C_in/groups, kH, "
                                              "kW] = "
                                                  + formatShape(wantWeight) + ", but got "
                                                  + formatShape(c.weight->shape)};
    if (c.weight && c.weight->size() != numel(wantWeight))
        return ValidationError{Field::Weight, "weight of shape " + formatShape(wantWeight)
                                                  + " holds " + std::to_string(c.weight->size())
                                                  + " values"};
    const Shape wantBias{p.outChannels};
    if (p.bias && c.weight && (!c.bias || c.bias->shape != wantBias))
        return ValidationError{
            Field::Bias, "expected bias of shape [C_out] = " + formatShape(wantBias) + ", but got "
                             + (c.bias ? formatShape(c.bias->shape) : std::string("no bias"))};
    if ((in.size() == 3 || in.size() == 4) && in[in.size() - 3] != p.inChannels) {
        const std::string channels = std::to_string(in[in.size() - 3]);
        return ValidationError{Field::InChannels,
                               "expected in_channels=" + channels + " to match the " + channels
                                   + " input channels "
                                   + (spatial ? "of its input " + formatShape(in)
                                              : std::string("the layer before gives"))
                                   + ", but got in_channels=" + std::to_string(p.inChannels)};
    }
    if (!spatial)
        return std::nullopt;
    if (c.weight)
        return validate(p, in, c.weight->shape, p.bias ? &wantBias : nullptr);
    return validate(p, in);
}

void relu(const Tensor &in, Tensor &out)
{
    out.shape = in.shape;
    out.data.resize(in.data.size());
    std::transform(in.data.begin(), in.data.end(), out.data.begin(),
                   [](float v) { return std::max(v, 0.0f); });
}

std::vector<MinMax> rangesOf(const Tensor &t)
{
    if (t.rank() != 4 && t.rank() != 3)
        return {};
    const int r = t.rank();
    const std::int64_t batches = r == 4 ? t.dim(0) : 1;
    const std::int64_t channels = t.dim(r - 3);
    const std::int64_t plane = t.dim(r - 2) * t.dim(r - 1);
    std::vector<MinMax> ranges(static_cast<std::size_t>(channels), MinMax{1.0f, 0.0f});
    for (std::int64_t n = 0; n < batches; ++n)
        for (std::int64_t c = 0; c < channels; ++c) {
            MinMax &m = ranges[static_cast<std::size_t>(c)];
            const float *v = t.data.data() + (n * channels + c) * plane;
            for (std::int64_t i = 0; i < plane; ++i) {
                if (!std::isfinite(v[i]))
                    continue;
                if (m.lo > m.hi) {
                    m.lo = m.hi = v[i];
                } else {
                    m.lo = std::min(m.lo, v[i]);
                    m.hi = std::max(m.hi, v[i]);
                }
            }
        }
    return ranges;
}

} // namespace

bool sameLayer(const Layer &a, const Layer &b)
{
    if (a.index() != b.index())
        return false;
    if (const auto *ca = std::get_if<Conv2dLayer>(&a)) {
        const auto &cb = std::get<Conv2dLayer>(b);
        return ca->params == cb.params && sameTensor(ca->weight, cb.weight)
               && (!ca->params.bias || sameTensor(ca->bias, cb.bias));
    }
    return true;
}

bool Network::operator==(const Network &other) const
{
    return std::equal(layers.begin(), layers.end(), other.layers.begin(), other.layers.end(),
                      sameLayer);
}

std::string kindName(const Layer &layer)
{
    return std::visit(Overloaded{[](const Conv2dLayer &) { return std::string("Conv2d"); },
                                 [](const ReluLayer &) { return std::string("ReLU"); }},
                      layer);
}

std::string torchRepr(const Layer &layer)
{
    return std::visit(Overloaded{[](const Conv2dLayer &c) { return torchRepr(c.params); },
                                 [](const ReluLayer &) { return std::string("ReLU()"); }},
                      layer);
}

Layer makeConv2d(const Conv2dParams &p, Tensor weight, Tensor bias)
{
    Conv2dLayer c;
    c.params = p;
    c.weight = std::make_shared<const Tensor>(std::move(weight));
    if (p.bias)
        c.bias = std::make_shared<const Tensor>(std::move(bias));
    return c;
}

Network geometryNetwork(const std::vector<Conv2dParams> &stack)
{
    Network net;
    for (const Conv2dParams &p : stack)
        net.layers.emplace_back(Conv2dLayer{p, nullptr, nullptr});
    return net;
}

std::vector<Conv2dParams> convParams(const Network &net)
{
    std::vector<Conv2dParams> out;
    for (const Layer &l : net.layers)
        if (const auto *c = std::get_if<Conv2dLayer>(&l))
            out.push_back(c->params);
    return out;
}

std::vector<const Conv2dLayer *> convLayers(const Network &net)
{
    std::vector<const Conv2dLayer *> out;
    for (const Layer &l : net.layers)
        if (const auto *c = std::get_if<Conv2dLayer>(&l))
            out.push_back(c);
    return out;
}

int inputChannels(const Network &net)
{
    const auto convs = convLayers(net);
    return convs.empty() ? 0 : convs.front()->params.inChannels;
}

std::string NetworkError::message() const
{
    return "layer " + std::to_string(layer) + " (" + kind + "): " + error.message;
}

namespace {

// The one loop behind validate() and validateModules(): with `input` null only what needs no
// input is checked, and channels chain from layer 1's in_channels.
std::optional<NetworkError> check(const Network &net, const Shape *input)
{
    Shape shape = input ? *input : Shape{};
    std::size_t convs = 0;
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
        const Layer &layer = net.layers[i];
        std::optional<ValidationError> e;
        if (const auto *c = std::get_if<Conv2dLayer>(&layer)) {
            ++convs;
            if (!input && shape.empty())
                shape = Shape{1, c->params.inChannels, 1, 1}; // channels only
            e = checkConv(*c, shape, input != nullptr);
            if (!e)
                shape =
                    input ? outputShape(c->params, shape) : Shape{1, c->params.outChannels, 1, 1};
        } else if (input && shape.size() != 3 && shape.size() != 4) {
            e = ValidationError{Field::Input, "expected a 3D or 4D input, but got input of size "
                                                  + formatShape(shape)};
        }
        if (e)
            return NetworkError{i + 1,
                                std::holds_alternative<Conv2dLayer>(layer) ? convs : convs + 1,
                                kindName(layer), *e};
    }
    return std::nullopt;
}

} // namespace

std::optional<NetworkError> validate(const Network &net, const Shape &inputShape)
{
    return check(net, &inputShape);
}

std::optional<NetworkError> validateModules(const Network &net)
{
    return check(net, nullptr);
}

std::vector<Shape> layerShapes(const Network &net, const Shape &inputShape)
{
    if (auto e = validate(net, inputShape))
        throw std::invalid_argument(e->message());
    std::vector<Shape> shapes;
    Shape shape = inputShape;
    for (const Layer &layer : net.layers) {
        if (const auto *c = std::get_if<Conv2dLayer>(&layer))
            shape = outputShape(c->params, shape);
        shapes.push_back(shape);
    }
    return shapes;
}

ForwardStatus forward(const Network &net, const Tensor &input, std::vector<Tensor> &outputs,
                      const NetworkOptions &options)
{
    if (auto e = validate(net, input.shape))
        throw std::invalid_argument(e->message());
    for (const Layer &l : net.layers)
        if (const auto *c = std::get_if<Conv2dLayer>(&l); c && !c->weight)
            throw std::invalid_argument("forward needs the weights of every Conv2d layer");
    const std::size_t n = net.layers.size();
    outputs.resize(n);
    if (options.channelRanges) {
        options.channelRanges->assign(n, {});
    }
    const auto kept = [&](std::size_t i) {
        return options.keep.empty() ? i + 1 == n : i < options.keep.size() && options.keep[i];
    };

    // Progress weights: a conv's share is its multiply-adds; element-wise layers count as
    // one output pass each, so a ReLU-only network still moves the bar.
    std::vector<double> work(n, 0.0);
    {
        Shape shape = input.shape;
        for (std::size_t i = 0; i < n; ++i) {
            if (const auto *c = std::get_if<Conv2dLayer>(&net.layers[i])) {
                work[i] = static_cast<double>(macCount(c->params, shape));
                shape = outputShape(c->params, shape);
            } else {
                work[i] = static_cast<double>(numel(shape));
            }
            work[i] = std::max(work[i], 1.0);
        }
    }
    double total = 0.0;
    for (double w : work)
        total += w;
    double done = 0.0;

    const Tensor *x = &input;
    for (std::size_t i = 0; i < n; ++i) {
        Tensor &y = outputs[i];
        const auto report = [&](double f) {
            return !options.progress || options.progress((done + f * work[i]) / total);
        };
        std::vector<MinMax> *ranges =
            options.channelRanges && kept(i) ? &(*options.channelRanges)[i] : nullptr;
        if (const auto *c = std::get_if<Conv2dLayer>(&net.layers[i])) {
            ForwardOptions o;
            o.threads = options.threads;
            o.progress = report;
            o.channelRanges = ranges;
            const Tensor *bias = c->params.bias ? c->bias.get() : nullptr;
            if (conv2d(*x, *c->weight, bias, c->params, y, o) == ForwardStatus::Cancelled)
                return ForwardStatus::Cancelled;
        } else {
            if (!report(0.0))
                return ForwardStatus::Cancelled;
            relu(*x, y);
            if (ranges)
                *ranges = rangesOf(y);
        }
        done += work[i];
        // The previous output has been read: drop it unless the caller keeps it.
        if (i > 0 && !kept(i - 1))
            outputs[i - 1] = Tensor();
        x = &y;
        if (options.progress && !options.progress(done / total))
            return ForwardStatus::Cancelled;
    }
    if (n > 0 && !kept(n - 1))
        outputs[n - 1] = Tensor();
    return ForwardStatus::Done;
}

} // namespace convscope::core
