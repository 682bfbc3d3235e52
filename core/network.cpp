// SPDX-License-Identifier: GPL-3.0-or-later
#include "network.h"

#include "shape.h"
#include "threadpool.h"

#include <algorithm>
#include <cmath>
#include <functional>
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

// Per-kind equality for sameLayer(): parameters, and tensors by value.
bool same(const Conv2dLayer &a, const Conv2dLayer &b)
{
    return a.params == b.params && sameTensor(a.weight, b.weight)
           && (!a.params.bias || sameTensor(a.bias, b.bias));
}
bool same(const ConvTranspose2dLayer &a, const ConvTranspose2dLayer &b)
{
    return a.params == b.params && sameTensor(a.weight, b.weight)
           && (!a.params.bias || sameTensor(a.bias, b.bias));
}
bool same(const MaxPool2dLayer &a, const MaxPool2dLayer &b)
{
    // stride=None and stride=kernel_size are the same module.
    return a.kernel == b.kernel && a.strideOrKernel() == b.strideOrKernel()
           && a.padding == b.padding && a.dilation == b.dilation && a.ceilMode == b.ceilMode;
}
bool same(const AvgPool2dLayer &a, const AvgPool2dLayer &b)
{
    return a.kernel == b.kernel && a.strideOrKernel() == b.strideOrKernel()
           && a.padding == b.padding && a.ceilMode == b.ceilMode
           && a.countIncludePad == b.countIncludePad && a.divisorOverride == b.divisorOverride;
}
bool same(const AdaptiveAvgPool2dLayer &a, const AdaptiveAvgPool2dLayer &b)
{
    return a.outputSize == b.outputSize;
}
bool same(const BatchNorm2dLayer &a, const BatchNorm2dLayer &b)
{
    return a.numFeatures == b.numFeatures && a.eps == b.eps && a.momentum == b.momentum
           && a.affine == b.affine && sameTensor(a.runningMean, b.runningMean)
           && sameTensor(a.runningVar, b.runningVar)
           && (!a.affine || (sameTensor(a.weight, b.weight) && sameTensor(a.bias, b.bias)));
}
bool same(const LeakyReluLayer &a, const LeakyReluLayer &b)
{
    return a.negativeSlope == b.negativeSlope;
}
bool same(const ConstantPad2dLayer &a, const ConstantPad2dLayer &b)
{
    return a.padding == b.padding && a.value == b.value;
}
// The other padding layers, and the parameter-free kinds.
template <class T> bool same(const T &a, const T &b)
{
    if constexpr (requires { a.padding; })
        return a.padding == b.padding;
    else
        return true;
}

// The spatial checks of every kind but Conv2d (`in` is the shape the layer receives).
std::optional<ValidationError> checkOther(const Layer &layer, const Shape &in)
{
    return std::visit(
        Overloaded{
            [](const Conv2dLayer &) -> std::optional<ValidationError> { return std::nullopt; },
            [&](const BatchNorm2dLayer &l) { return validate(l, in); },
            [&](const AdaptiveAvgPool2dLayer &l) { return validate(l, in); },
            [&](const ConvTranspose2dLayer &l) { return validate(l, in); },
            [&](const auto &l) -> std::optional<ValidationError> {
                using T = std::decay_t<decltype(l)>;
                if (in.size() != 3 && in.size() != 4)
                    return ValidationError{Field::Input,
                                           "expected a 3D or 4D input, but got input of size "
                                               + formatShape(in)};
                if constexpr (std::is_same_v<T,
                                             MaxPool2dLayer> || std::is_same_v<T, AvgPool2dLayer>)
                    return validate(l, in);
                else if constexpr (std::is_same_v<
                                       T, ZeroPad2dLayer> || std::is_same_v<T, ConstantPad2dLayer>)
                    return validatePad(l.padding, in, false, false);
                else if constexpr (std::is_same_v<T, ReflectionPad2dLayer>)
                    return validatePad(l.padding, in, true, true);
                else if constexpr (std::is_same_v<T, ReplicationPad2dLayer>)
                    return validatePad(l.padding, in, false, true);
                else
                    return std::nullopt; // element-wise
            }},
        layer);
}

// The checks of every kind but Conv2d that need no input.
std::optional<ValidationError> checkOtherModule(const Layer &layer)
{
    return std::visit(
        [](const auto &l) -> std::optional<ValidationError> {
            using T = std::decay_t<decltype(l)>;
            if constexpr (
                std::is_same_v<
                    T,
                    MaxPool2dLayer> || std::is_same_v<T, AvgPool2dLayer> || std::is_same_v<T, AdaptiveAvgPool2dLayer> || std::is_same_v<T, BatchNorm2dLayer> || std::is_same_v<T, ConvTranspose2dLayer>)
                return validateModule(l);
            else if constexpr (
                std::is_same_v<
                    T,
                    ZeroPad2dLayer> || std::is_same_v<T, ConstantPad2dLayer> || std::is_same_v<T, ReflectionPad2dLayer> || std::is_same_v<T, ReplicationPad2dLayer>)
                return validateModule(l.padding);
            else
                return std::nullopt;
        },
        layer);
}

// The shape a validated layer makes of its input.
Shape nextShape(const Layer &layer, const Shape &in)
{
    return std::visit(
        [&](const auto &l) -> Shape {
            using T = std::decay_t<decltype(l)>;
            if constexpr (std::is_same_v<T, Conv2dLayer> || std::is_same_v<T, ConvTranspose2dLayer>)
                return outputShape(l.params, in);
            else if constexpr (
                std::is_same_v<
                    T,
                    MaxPool2dLayer> || std::is_same_v<T, AvgPool2dLayer> || std::is_same_v<T, AdaptiveAvgPool2dLayer>)
                return outputShape(l, in);
            else if constexpr (
                std::is_same_v<
                    T,
                    ZeroPad2dLayer> || std::is_same_v<T, ConstantPad2dLayer> || std::is_same_v<T, ReflectionPad2dLayer> || std::is_same_v<T, ReplicationPad2dLayer>)
                return paddedShape(l.padding, in);
            else
                return in; // element-wise
        },
        layer);
}

// One layer other than a Conv2d on a validated input; `progress` gets this layer's fraction.
ForwardStatus runOther(const Layer &layer, const Tensor &x, Tensor &y,
                       const ProgressCallback &progress, int threads)
{
    const auto act = [&](Activation a, float slope = 0.0f) {
        return activate(x, a, slope, y, progress);
    };
    return std::visit(
        Overloaded{
            [](const Conv2dLayer &) -> ForwardStatus {
                throw std::logic_error("runOther called on a Conv2d");
            },
            [](const ConvTranspose2dLayer &) -> ForwardStatus {
                throw std::logic_error("runOther called on a ConvTranspose2d");
            },
            [&](const ReluLayer &) { return act(Activation::Relu); },
            [&](const LeakyReluLayer &l) {
                return act(Activation::LeakyRelu, static_cast<float>(l.negativeSlope));
            },
            [&](const Relu6Layer &) { return act(Activation::Relu6); },
            [&](const GeluLayer &) { return act(Activation::Gelu); },
            [&](const SiluLayer &) { return act(Activation::Silu); },
            [&](const SigmoidLayer &) { return act(Activation::Sigmoid); },
            [&](const TanhLayer &) { return act(Activation::Tanh); },
            [&](const MaxPool2dLayer &l) { return maxPool2d(x, l, y, progress, threads); },
            [&](const AvgPool2dLayer &l) { return avgPool2d(x, l, y, progress); },
            [&](const AdaptiveAvgPool2dLayer &l) { return adaptiveAvgPool2d(x, l, y, progress); },
            [&](const BatchNorm2dLayer &l) { return batchNorm2d(x, l, y, progress); },
            [&](const ZeroPad2dLayer &l) {
                return pad2d(x, l.padding, PadMode::Constant, 0.0f, y, progress);
            },
            [&](const ConstantPad2dLayer &l) {
                return pad2d(x, l.padding, PadMode::Constant, static_cast<float>(l.value), y,
                             progress);
            },
            [&](const ReflectionPad2dLayer &l) {
                return pad2d(x, l.padding, PadMode::Reflect, 0.0f, y, progress);
            },
            [&](const ReplicationPad2dLayer &l) {
                return pad2d(x, l.padding, PadMode::Replicate, 0.0f, y, progress);
            }},
        layer);
}

// An element-wise layer (an activation, or a BatchNorm2d folded per channel) as one step
// of a fused pass: the kernels batchNorm2d and activate run, so the values are theirs.
struct ElementwiseStep {
    std::optional<ChannelAffine> affine;
    Activation kind = Activation::Relu;
    float slope = 0.0f;

    void apply(std::int64_t channel, const float *src, float *dst, std::size_t count) const
    {
        if (affine)
            affineValues(src, dst, count, affine->alpha[static_cast<std::size_t>(channel)],
                         affine->beta[static_cast<std::size_t>(channel)]);
        else
            activateValues(src, dst, count, kind, slope);
    }
};

std::optional<ElementwiseStep> elementwiseStep(const Layer &layer)
{
    ElementwiseStep s;
    const auto act = [&s](Activation a, double slope = 0.0) {
        s.kind = a;
        s.slope = static_cast<float>(slope);
        return s;
    };
    return std::visit(
        Overloaded{[&](const BatchNorm2dLayer &l) -> std::optional<ElementwiseStep> {
                       s.affine = foldBatchNorm(l);
                       return s;
                   },
                   [&](const ReluLayer &) -> std::optional<ElementwiseStep> {
                       return act(Activation::Relu);
                   },
                   [&](const LeakyReluLayer &l) -> std::optional<ElementwiseStep> {
                       return act(Activation::LeakyRelu, l.negativeSlope);
                   },
                   [&](const Relu6Layer &) -> std::optional<ElementwiseStep> {
                       return act(Activation::Relu6);
                   },
                   [&](const GeluLayer &) -> std::optional<ElementwiseStep> {
                       return act(Activation::Gelu);
                   },
                   [&](const SiluLayer &) -> std::optional<ElementwiseStep> {
                       return act(Activation::Silu);
                   },
                   [&](const SigmoidLayer &) -> std::optional<ElementwiseStep> {
                       return act(Activation::Sigmoid);
                   },
                   [&](const TanhLayer &) -> std::optional<ElementwiseStep> {
                       return act(Activation::Tanh);
                   },
                   [](const auto &) -> std::optional<ElementwiseStep> { return std::nullopt; }},
        layer);
}

// Applies `steps` in order to channel `channel`'s `count` values, from src into dst (the first
// step reads src, the others work in place in dst).
void applySteps(const std::vector<ElementwiseStep> &steps, std::int64_t channel, const float *src,
                float *dst, std::size_t count)
{
    for (const ElementwiseStep &step : steps) {
        step.apply(channel, src, dst, count);
        src = dst;
    }
}

// A run of element-wise layers as one pass over x into y, on up to `threads` threads (tasks
// of whole planes or slices of one, so an image of few channels still spreads).
ForwardStatus elementwisePass(const std::vector<ElementwiseStep> &steps, const Tensor &x, Tensor &y,
                              int threads, const ProgressCallback &progress)
{
    y.shape = x.shape;
    y.data.resize(x.data.size());
    const Nchw d = nchw(x.shape);
    const std::int64_t plane = d.h * d.w;
    const std::int64_t planes = d.n * d.c;
    constexpr std::int64_t kSlice = 1 << 15;
    const std::int64_t slices = std::max<std::int64_t>(1, (plane + kSlice - 1) / kSlice);
    const std::int64_t tasks = plane == 0 ? 0 : planes * slices;
    const std::function<void(std::int64_t)> task = [&](std::int64_t t) {
        const std::int64_t p = t / slices, b = (t % slices) * kSlice;
        const std::int64_t e = std::min(plane, b + kSlice);
        applySteps(steps, p % d.c, x.data.data() + p * plane + b, y.data.data() + p * plane + b,
                   static_cast<std::size_t>(e - b));
    };
    const auto tick = [&](std::int64_t finished) {
        return !progress || progress(static_cast<double>(finished) / static_cast<double>(tasks));
    };
    // The pool ticks only after the tasks the caller's thread runs, which may be none: ask
    // before and after too.
    if (progress && !progress(0.0))
        return ForwardStatus::Cancelled;
    const int workers = threads > 0 ? std::min(threads, 256) : ThreadPool::hardwareThreads();
    if (tasks > 0 && !ThreadPool::instance().run(workers, tasks, task, tick))
        return ForwardStatus::Cancelled;
    return !progress || progress(1.0) ? ForwardStatus::Done : ForwardStatus::Cancelled;
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
    return std::visit(
        [&](const auto &la) { return same(la, std::get<std::decay_t<decltype(la)>>(b)); }, a);
}

bool Network::operator==(const Network &other) const
{
    return std::equal(layers.begin(), layers.end(), other.layers.begin(), other.layers.end(),
                      sameLayer);
}

std::string kindName(const Layer &layer)
{
    return std::visit(
        Overloaded{[](const Conv2dLayer &) { return std::string("Conv2d"); },
                   [](const ReluLayer &) { return std::string("ReLU"); },
                   [](const MaxPool2dLayer &) { return std::string("MaxPool2d"); },
                   [](const AvgPool2dLayer &) { return std::string("AvgPool2d"); },
                   [](const AdaptiveAvgPool2dLayer &) { return std::string("AdaptiveAvgPool2d"); },
                   [](const BatchNorm2dLayer &) { return std::string("BatchNorm2d"); },
                   [](const LeakyReluLayer &) { return std::string("LeakyReLU"); },
                   [](const Relu6Layer &) { return std::string("ReLU6"); },
                   [](const GeluLayer &) { return std::string("GELU"); },
                   [](const SiluLayer &) { return std::string("SiLU"); },
                   [](const SigmoidLayer &) { return std::string("Sigmoid"); },
                   [](const TanhLayer &) { return std::string("Tanh"); },
                   [](const ZeroPad2dLayer &) { return std::string("ZeroPad2d"); },
                   [](const ConstantPad2dLayer &) { return std::string("ConstantPad2d"); },
                   [](const ReflectionPad2dLayer &) { return std::string("ReflectionPad2d"); },
                   [](const ReplicationPad2dLayer &) { return std::string("ReplicationPad2d"); },
                   [](const ConvTranspose2dLayer &) { return std::string("ConvTranspose2d"); }},
        layer);
}

std::string torchRepr(const Layer &layer)
{
    return std::visit(
        Overloaded{[](const Conv2dLayer &c) { return torchRepr(c.params); },
                   [](const ConvTranspose2dLayer &c) { return torchRepr(c.params); },
                   [](const MaxPool2dLayer &l) { return torchRepr(l); },
                   [](const AvgPool2dLayer &l) { return torchRepr(l); },
                   [](const AdaptiveAvgPool2dLayer &l) { return torchRepr(l); },
                   [](const BatchNorm2dLayer &l) { return torchRepr(l); },
                   [](const LeakyReluLayer &l) { return torchRepr(l); },
                   [](const GeluLayer &) { return std::string("GELU(approximate='none')"); },
                   [](const ConstantPad2dLayer &l) {
                       return "ConstantPad2d(padding=" + padTuple(l.padding)
                              + ", value=" + pythonFloat(l.value) + ")";
                   },
                   [&layer](const auto &l) -> std::string {
                       // The other padding layers print the 4-tuple, the other activations
                       // nothing.
                       if constexpr (requires { l.padding; })
                           return kindName(layer) + "(" + padTuple(l.padding) + ")";
                       else
                           return kindName(layer) + "()";
                   }},
        layer);
}

bool changesCoordinates(const Layer &layer)
{
    return std::visit(
        [](const auto &l) {
            using T = std::decay_t<decltype(l)>;
            return std::is_same_v<
                       T,
                       MaxPool2dLayer> || std::is_same_v<T, AvgPool2dLayer> || std::is_same_v<T, AdaptiveAvgPool2dLayer> || std::is_same_v<T, ConvTranspose2dLayer> || requires
            {
                l.padding;
            };
        },
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
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
        const Layer &l = net.layers[i];
        if (const auto *c = std::get_if<Conv2dLayer>(&l))
            out.push_back(c->params);
        else if (changesCoordinates(l))
            throw std::invalid_argument("layer " + std::to_string(i + 1) + " (" + kindName(l)
                                        + ") moves spatial positions: the receptive-field "
                                          "geometry follows Conv2d windows and element-wise "
                                          "layers only");
    }
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
    for (const Layer &l : net.layers) {
        if (const auto *c = std::get_if<Conv2dLayer>(&l))
            return c->params.inChannels;
        if (const auto *b = std::get_if<BatchNorm2dLayer>(&l))
            return b->numFeatures;
        if (const auto *t = std::get_if<ConvTranspose2dLayer>(&l))
            return t->params.inChannels;
    }
    return 0;
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
        } else if (input) {
            e = checkOther(layer, shape);
            if (!e)
                shape = nextShape(layer, shape);
        } else {
            // Channels chain through every other kind; a BatchNorm2d fixes them, a
            // ConvTranspose2d maps them like a Conv2d.
            e = checkOtherModule(layer);
            if (const auto *t = std::get_if<ConvTranspose2dLayer>(&layer); t && !e) {
                const int want = t->params.inChannels;
                if (!shape.empty() && shape[1] != want)
                    e = ValidationError{
                        Field::InChannels,
                        "expected in_channels=" + std::to_string(shape[1]) + " to match the "
                            + std::to_string(shape[1])
                            + " input channels the layer before gives, but got in_channels="
                            + std::to_string(want)};
                else
                    shape = Shape{1, t->params.outChannels, 1, 1};
            }
            if (const auto *b = std::get_if<BatchNorm2dLayer>(&layer); b && !e) {
                if (shape.empty())
                    shape = Shape{1, b->numFeatures, 1, 1};
                else if (shape[1] != b->numFeatures)
                    e = ValidationError{
                        Field::InChannels,
                        "expected num_features=" + std::to_string(shape[1]) + " to match the "
                            + std::to_string(shape[1])
                            + " channels the layer before gives, but got num_features="
                            + std::to_string(b->numFeatures)};
            }
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
        shape = nextShape(layer, shape);
        shapes.push_back(shape);
    }
    return shapes;
}

ForwardStatus forward(const Network &net, const Tensor &input, std::vector<Tensor> &outputs,
                      const NetworkOptions &options)
{
    if (auto e = validate(net, input.shape))
        throw std::invalid_argument(e->message());
    for (const Layer &l : net.layers) {
        if (const auto *c = std::get_if<Conv2dLayer>(&l); c && !c->weight)
            throw std::invalid_argument("forward needs the weights of every Conv2d layer");
        if (const auto *t = std::get_if<ConvTranspose2dLayer>(&l);
            t && (!t->weight || (t->params.bias && !t->bias)))
            throw std::invalid_argument("forward needs the weights (and, with bias, the bias) of "
                                        "every ConvTranspose2d layer");
        if (const auto *b = std::get_if<BatchNorm2dLayer>(&l);
            b && (!b->runningMean || !b->runningVar || (b->affine && (!b->weight || !b->bias))))
            throw std::invalid_argument("forward needs the running statistics (and, with "
                                        "affine, the weight and bias) of every BatchNorm2d "
                                        "layer");
    }
    const std::size_t n = net.layers.size();
    outputs.resize(n);
    if (options.channelRanges) {
        options.channelRanges->assign(n, {});
    }
    const auto kept = [&](std::size_t i) {
        return options.keep.empty() ? i + 1 == n : i < options.keep.size() && options.keep[i];
    };

    // Progress weights: a conv's share is its multiply-adds, a pool's its window reads; the
    // other layers count as one pass over the larger of input and output, so a ReLU-only
    // network still moves the bar.
    std::vector<double> work(n, 0.0);
    {
        Shape shape = input.shape;
        for (std::size_t i = 0; i < n; ++i) {
            const Layer &l = net.layers[i];
            const Shape next = nextShape(l, shape);
            if (const auto *c = std::get_if<Conv2dLayer>(&l))
                work[i] = static_cast<double>(macCount(c->params, shape));
            else if (const auto *t = std::get_if<ConvTranspose2dLayer>(&l))
                work[i] = static_cast<double>(macCount(t->params, shape));
            else if (const auto *m = std::get_if<MaxPool2dLayer>(&l))
                work[i] = static_cast<double>(numel(next)) * m->kernel.h * m->kernel.w;
            else if (const auto *a = std::get_if<AvgPool2dLayer>(&l))
                work[i] = static_cast<double>(numel(next)) * a->kernel.h * a->kernel.w;
            else
                work[i] = static_cast<double>(std::max(numel(shape), numel(next)));
            work[i] = std::max(work[i], 1.0);
            shape = next;
        }
    }
    double total = 0.0;
    for (double w : work)
        total += w;
    double done = 0.0;

    // A Conv2d runs the element-wise layers after it (BatchNorm2d, activations) on each band
    // of its output while it is in cache, and a run of element-wise layers is one pass: only
    // where the outputs in between are not kept, so every kept output is still computed.
    // The kernels are the layers' own (batchNorm2d's and activate's), so the values are too.
    const auto fusedSteps = [&](std::size_t first) {
        std::vector<ElementwiseStep> steps;
        for (std::size_t j = first; j < n && (j == first || !kept(j - 1)); ++j) {
            auto step = elementwiseStep(net.layers[j]);
            if (!step)
                break;
            steps.push_back(std::move(*step));
        }
        return steps;
    };
    const Tensor *x = &input;
    std::optional<std::size_t> xLayer; // the layer whose output x is
    for (std::size_t i = 0; i < n;) {
        std::vector<ElementwiseStep> steps;
        std::size_t last = i;
        const auto *conv = std::get_if<Conv2dLayer>(&net.layers[i]);
        if (conv && !kept(i)) {
            steps = fusedSteps(i + 1);
            last = i + steps.size();
        } else if (!conv) {
            steps = fusedSteps(i);
            last = steps.empty() ? i : i + steps.size() - 1;
        }
        double groupWork = 0.0;
        for (std::size_t j = i; j <= last; ++j)
            groupWork += work[j];
        for (std::size_t j = i; j < last; ++j)
            outputs[j] = Tensor(); // fused: not kept, so not computed
        Tensor &y = outputs[last];
        const auto report = [&](double f) {
            return !options.progress || options.progress((done + f * groupWork) / total);
        };
        std::vector<MinMax> *ranges =
            options.channelRanges && kept(last) ? &(*options.channelRanges)[last] : nullptr;
        if (conv) {
            ForwardOptions o;
            o.threads = options.threads;
            o.progress = report;
            o.channelRanges = ranges;
            if (!steps.empty())
                o.epilogue = [&steps](std::int64_t c, float *data, std::size_t count) {
                    applySteps(steps, c, data, data, count);
                };
            const Tensor *bias = conv->params.bias ? conv->bias.get() : nullptr;
            if (conv2d(*x, *conv->weight, bias, conv->params, y, o) == ForwardStatus::Cancelled)
                return ForwardStatus::Cancelled;
        } else if (const auto *t = std::get_if<ConvTranspose2dLayer>(&net.layers[i])) {
            if (convTranspose2d(*x, *t, y, options.threads, report) == ForwardStatus::Cancelled)
                return ForwardStatus::Cancelled;
            if (ranges)
                *ranges = rangesOf(y);
        } else {
            if (!report(0.0))
                return ForwardStatus::Cancelled;
            const ForwardStatus status =
                steps.empty() ? runOther(net.layers[i], *x, y, report, options.threads)
                              : elementwisePass(steps, *x, y, options.threads, report);
            if (status == ForwardStatus::Cancelled)
                return ForwardStatus::Cancelled;
            if (ranges)
                *ranges = rangesOf(y);
        }
        done += groupWork;
        // The previous output has been read: drop it unless the caller keeps it.
        if (xLayer && !kept(*xLayer))
            outputs[*xLayer] = Tensor();
        x = &y;
        xLayer = last;
        i = last + 1;
        if (options.progress && !options.progress(done / total))
            return ForwardStatus::Cancelled;
    }
    if (n > 0 && !kept(n - 1))
        outputs[n - 1] = Tensor();
    return ForwardStatus::Done;
}

} // namespace convscope::core
