// SPDX-License-Identifier: GPL-3.0-or-later
#include "layerstackmodel.h"

#include "commands.h"
#include "conv2d.h"
#include "kernels.h"
#include "memory.h"
#include "shape.h"

#include <QFutureWatcher>
#include <QStringList>
#include <QTimer>
#include <QUndoStack>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <chrono>

namespace convscope::ui {

LayerStackModel::LayerStackModel(Session *session, QObject *parent)
    : QObject(parent), m_session(session),
      m_generation(std::make_shared<std::atomic<std::uint64_t>>(0))
{
    connect(&m_watcher, &QFutureWatcherBase::finished, this, &LayerStackModel::onFinished);
    connect(session, &Session::resultChanged, this, &LayerStackModel::scheduleRecompute);
    // A new channel count of layer 0 changes what layer 1 reads.
    connect(session, &Session::paramsChanged, this, [this] {
        if (m_extra.empty())
            return;
        fixChannels(m_extra);
        emit layersChanged();
    });
}

core::Conv2dParams LayerStackModel::params(int layer) const
{
    if (layer <= 0)
        return m_session->params();
    return m_extra.at(static_cast<std::size_t>(layer - 1)).conv.params;
}

bool LayerStackModel::reluBefore(int layer) const
{
    return layer > 0 && m_extra.at(static_cast<std::size_t>(layer - 1)).reluBefore;
}

core::LayerStack LayerStackModel::stack() const
{
    core::LayerStack s{m_session->params()};
    for (const Extra &e : m_extra)
        s.push_back(e.conv.params);
    return s;
}

core::PlaneSize LayerStackModel::inputSize() const
{
    const auto in = m_session->inputTensor();
    return {in->dim(2), in->dim(3)};
}

std::optional<core::NetworkError> LayerStackModel::stackError() const
{
    return core::validateStack(stack(), inputSize());
}

void LayerStackModel::makeWeights(Extra &e)
{
    // PyTorch's default initialisation, seeded per layer: a fresh nn.Conv2d, reproducible.
    e.conv.weight =
        std::make_shared<const core::Tensor>(core::kaimingUniformWeights(e.conv.params, e.seed));
    e.conv.bias = std::make_shared<const core::Tensor>(core::defaultBias(e.conv.params, e.seed));
}

bool LayerStackModel::sameApartFromInput(core::Conv2dParams a, core::Conv2dParams b)
{
    // inChannels follows layer 1; groups falls back to 1 when it stops dividing it.
    a.inChannels = b.inChannels = 0;
    a.groups = b.groups = 1;
    return a == b;
}

void LayerStackModel::remember(const Extra &layer) const
{
    constexpr std::size_t kKept = 16; // versions of re-chained layers (a few tensors each)
    m_rechained.insert(m_rechained.begin(), layer);
    if (m_rechained.size() > kKept)
        m_rechained.pop_back();
}

void LayerStackModel::fixChannels(Layers &layers) const
{
    int in = m_session->params().outChannels;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        Extra &e = layers[i];
        if (e.conv.params.inChannels != in) {
            // Going back to a channel count this layer had, with nothing else about it changed
            // (undo of a layer-1 edit, a slider dragged back): the layer as it was then, with
            // its groups and its weights, also weights loaded from a session file. The ReLU
            // before it stays as it is now.
            bool restored = false;
            for (const Extra &old : m_rechained)
                if (old.seed == e.seed && old.conv.params.inChannels == in
                    && sameApartFromInput(old.conv.params, e.conv.params)) {
                    const bool relu = e.reluBefore; // a flag between layers, edited on its own
                    e = old;
                    e.reluBefore = relu;
                    restored = true;
                    break;
                }
            if (restored) {
                in = e.conv.params.outChannels;
                continue;
            }
            remember(e);
            core::Conv2dParams &p = e.conv.params;
            p.inChannels = in;
            // A groups value that no longer divides the channels would make the whole stack
            // invalid for a change made elsewhere: fall back to a dense layer.
            if (p.groups < 1 || in % p.groups != 0 || p.outChannels % p.groups != 0)
                p.groups = 1;
            makeWeights(e);
        }
        in = e.conv.params.outChannels;
    }
}

bool LayerStackModel::sameLayers(const Layers &a, const Layers &b)
{
    auto same = [](const std::shared_ptr<const core::Tensor> &x,
                   const std::shared_ptr<const core::Tensor> &y) {
        return x == y || (x && y && *x == *y);
    };
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [&](const Extra &x, const Extra &y) {
        return x.conv.params == y.conv.params && x.reluBefore == y.reluBefore && x.seed == y.seed
               && same(x.conv.weight, y.conv.weight) && same(x.conv.bias, y.conv.bias);
    });
}

void LayerStackModel::commit(Layers next, const QString &text, const QString &mergeKey)
{
    if (m_undo)
        m_undo->push(new LayerStackCommand(this, m_extra, std::move(next), text, mergeKey));
    else
        applyLayers(next);
}

void LayerStackModel::applyLayers(const Layers &layers)
{
    m_extra = layers;
    // Normally a no-op: a command's layers were chained to the Session's parameters of its
    // point in the history, which undo/redo have restored by now.
    fixChannels(m_extra);
    // Results past the new end belong to no layer; the rest stay until the new run lands.
    if (m_results.size() > m_extra.size())
        m_results.resize(m_extra.size());
    if (m_shown >= layerCount())
        setShownLayer(layerCount() - 1);
    emit layersChanged();
    scheduleRecompute();
}

namespace {

QString hwText(core::Hw v)
{
    return v.h == v.w ? QString::number(v.h) : QStringLiteral("%1×%2").arg(v.h).arg(v.w);
}

// What changed between two parameter sets of one layer, for the undo text ("stride 2").
QString describeChange(const core::Conv2dParams &a, const core::Conv2dParams &b)
{
    QStringList parts;
    if (a.outChannels != b.outChannels)
        parts << LayerStackModel::tr("out channels %1").arg(b.outChannels);
    if (a.kernel != b.kernel)
        parts << LayerStackModel::tr("kernel %1").arg(hwText(b.kernel));
    if (a.stride != b.stride)
        parts << LayerStackModel::tr("stride %1").arg(hwText(b.stride));
    if (a.paddingKind != b.paddingKind || a.padding != b.padding) {
        switch (b.paddingKind) {
        case core::PaddingKind::Same: parts << LayerStackModel::tr("padding 'same'"); break;
        case core::PaddingKind::Valid: parts << LayerStackModel::tr("padding 'valid'"); break;
        case core::PaddingKind::Explicit:
            parts << LayerStackModel::tr("padding %1").arg(hwText(b.padding));
            break;
        }
    }
    if (a.dilation != b.dilation)
        parts << LayerStackModel::tr("dilation %1").arg(hwText(b.dilation));
    if (a.groups != b.groups)
        parts << LayerStackModel::tr("groups %1").arg(b.groups);
    if (a.paddingMode != b.paddingMode)
        parts << LayerStackModel::tr("padding mode %1")
                     .arg(QString::fromStdString(core::toString(b.paddingMode)));
    if (a.bias != b.bias)
        parts << (b.bias ? LayerStackModel::tr("bias on") : LayerStackModel::tr("bias off"));
    return parts.isEmpty() ? LayerStackModel::tr("parameters") : parts.join(QStringLiteral(", "));
}

} // namespace

void LayerStackModel::addLayer()
{
    Extra e;
    const core::Conv2dParams last = params(layerCount() - 1);
    e.conv.params.inChannels = last.outChannels;
    e.conv.params.outChannels = last.outChannels;
    e.conv.params.kernel = {3, 3};
    e.conv.params.padding = {1, 1};
    // The seed is drawn now, once: redoing the command brings back this very layer.
    e.seed = m_nextSeed++;
    makeWeights(e);
    Layers next = m_extra;
    next.push_back(std::move(e));
    commit(std::move(next), tr("Add layer %1").arg(layerCount() + 1));
}

void LayerStackModel::removeLayer(int layer)
{
    if (layer < 1 || layer >= layerCount())
        return;
    Layers next = m_extra;
    next.erase(next.begin() + (layer - 1));
    fixChannels(next);
    commit(std::move(next), tr("Remove layer %1").arg(layer + 1));
}

void LayerStackModel::setLayerParams(int layer, core::Conv2dParams p, const QString &mergeKey)
{
    if (layer < 1 || layer >= layerCount())
        return;
    Layers next = m_extra;
    Extra &e = next[static_cast<std::size_t>(layer - 1)];
    p.inChannels = params(layer - 1).outChannels;
    if (p == e.conv.params)
        return;
    const QString what = describeChange(e.conv.params, p);
    const bool reshape = core::weightShape(p) != core::weightShape(e.conv.params);
    e.conv.params = p;
    if (reshape)
        makeWeights(e);
    fixChannels(next);
    commit(std::move(next), tr("Layer %1: %2").arg(layer + 1).arg(what), mergeKey);
}

void LayerStackModel::setReluBefore(int layer, bool on)
{
    if (layer < 1 || layer >= layerCount() || reluBefore(layer) == on)
        return;
    Layers next = m_extra;
    next[static_cast<std::size_t>(layer - 1)].reluBefore = on;
    commit(std::move(next),
           on ? tr("Layer %1: ReLU on").arg(layer + 1) : tr("Layer %1: ReLU off").arg(layer + 1));
}

core::Network LayerStackModel::network() const
{
    core::Network net;
    net.layers.emplace_back(
        core::Conv2dLayer{m_session->params(), m_session->weight(), m_session->bias()});
    for (const Extra &e : m_extra) {
        if (e.reluBefore)
            net.layers.emplace_back(core::ReluLayer{});
        net.layers.emplace_back(e.conv);
    }
    return net;
}

bool LayerStackModel::setNetwork(const core::Network &network, QString *error)
{
    const auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    const auto *first =
        network.empty() ? nullptr : std::get_if<core::Conv2dLayer>(&network.layers[0]);
    if (!first || first->params != m_session->params())
        return fail(tr("Layer 1 of the network must be the Session's Conv2d."));
    // The check runs on the layer-1 tensors the Session holds (the caller has applied them).
    core::Network checked = network;
    checked.layers[0] =
        core::Conv2dLayer{m_session->params(), m_session->weight(), m_session->bias()};
    const core::Shape &in = m_session->inputTensor()->shape;
    auto bad = core::validate(checked, in);
    if (!bad) // every output is kept: each row shows its maps
        bad = core::checkMemory(checked, in, core::memoryBudgetBytes(),
                                std::vector<bool>(checked.size(), true));
    if (bad)
        return fail(
            tr("Layer %1: %2").arg(bad->conv).arg(QString::fromStdString(bad->error.message)));
    std::vector<Extra> extra;
    bool relu = false;
    for (std::size_t i = 1; i < network.size(); ++i) {
        const auto *conv = std::get_if<core::Conv2dLayer>(&network.layers[i]);
        if (!conv) {
            // The dock shows Conv2d rows with a ReLU before them; any other kind would be
            // lost or shown as a ReLU.
            if (!std::holds_alternative<core::ReluLayer>(network.layers[i]))
                return fail(tr("Layer %1: the Layers dock holds Conv2d and ReLU layers only, "
                               "not %2.")
                                .arg(i + 1)
                                .arg(QString::fromStdString(core::kindName(network.layers[i]))));
            relu = true; // a ReLU on the next Conv2d's input
            continue;
        }
        Extra e;
        e.conv = *conv;
        // The stack keeps a [C_out] bias even while bias is off, like the Session.
        if (!e.conv.bias || e.conv.bias->shape != core::Shape{e.conv.params.outChannels})
            e.conv.bias =
                std::make_shared<const core::Tensor>(core::Shape{e.conv.params.outChannels});
        e.reluBefore = relu;
        relu = false;
        // Fresh seeds: a later reshape draws new weights, as for a layer added by hand.
        e.seed = m_nextSeed++;
        extra.push_back(std::move(e));
    }
    m_extra = std::move(extra);
    // The old results belong to other layers; a run in flight must not publish them.
    m_generation->fetch_add(1);
    m_results.clear();
    if (m_shown >= layerCount())
        setShownLayer(layerCount() - 1);
    emit layersChanged();
    emit resultsChanged();
    scheduleRecompute();
    return true;
}

void LayerStackModel::setShownLayer(int layer)
{
    layer = std::clamp(layer, 0, layerCount() - 1);
    if (layer == m_shown)
        return;
    m_shown = layer;
    emit shownLayerChanged(layer);
}

std::shared_ptr<const ComputeResult> LayerStackModel::result(int layer) const
{
    if (layer <= 0)
        return m_session->result();
    const auto i = static_cast<std::size_t>(layer - 1);
    return i < m_results.size() ? m_results[i] : nullptr;
}

core::LayerStack LayerStackModel::computedStack(int layer) const
{
    core::LayerStack s;
    for (int l = 0; l <= layer; ++l) {
        const auto r = result(l);
        if (!r)
            return {};
        s.push_back(r->params);
    }
    return s;
}

void LayerStackModel::scheduleRecompute()
{
    // Every change makes the run in flight stale: it stops at its next progress callback.
    m_generation->fetch_add(1);
    if (m_extra.empty()) {
        m_pending = false;
        m_results.clear();
        emit resultsChanged(); // layer 0's result (the Session's) is the only one
        return;
    }
    // Coalesce bursts (a parameter drag publishes many results) into one recomputation.
    if (m_scheduled)
        return;
    m_scheduled = true;
    QTimer::singleShot(0, this, [this] {
        if (m_scheduled)
            recompute();
    });
}

namespace {

// The extra layers' forward pass on a snapshot (no access to the model: runs on a worker).
// `net` holds the extra layers only (a ReLU layer before a Conv2d that has one); its input is
// the Session's output. One result per Conv2d; the layers from the first one that cannot be
// computed on stay null (stackError() says why). Empty when cancelled.
std::vector<std::shared_ptr<const ComputeResult>>
computeChain(const std::shared_ptr<const ComputeResult> &base, const core::Network &net,
             const std::shared_ptr<std::atomic<std::uint64_t>> &current, std::uint64_t generation)
{
    const auto t0 = std::chrono::steady_clock::now();
    std::size_t convs = 0;
    for (const core::Layer &l : net.layers)
        convs += std::holds_alternative<core::Conv2dLayer>(l) ? 1 : 0;
    std::vector<std::shared_ptr<const ComputeResult>> results(convs);
    core::Network runnable = net;
    if (const auto bad = core::validate(net, base->output.shape))
        runnable.layers.resize(bad->layer - 1);
    // Nor past the memory budget (setNetwork said why when the network was set).
    if (const auto big = core::checkMemory(runnable, base->output.shape, core::memoryBudgetBytes(),
                                           std::vector<bool>(runnable.size(), true)))
        runnable.layers.resize(big->layer - 1);
    std::vector<core::Tensor> outputs;
    std::vector<std::vector<core::MinMax>> ranges;
    core::NetworkOptions options;
    options.keep.assign(runnable.size(), true);
    options.channelRanges = &ranges;
    options.progress = [current, generation](double) { return current->load() == generation; };
    if (core::forward(runnable, base->output, outputs, options) == core::ForwardStatus::Cancelled)
        return {};
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    // Each Conv2d's input is the output before it: the Session's, or the ReLU layer's.
    std::shared_ptr<const core::Tensor> input;
    std::shared_ptr<const ComputeResult> previous = base;
    std::size_t conv = 0;
    for (std::size_t i = 0; i < runnable.size(); ++i) {
        const auto *c = std::get_if<core::Conv2dLayer>(&runnable.layers[i]);
        if (!c) {
            input = std::make_shared<const core::Tensor>(std::move(outputs[i]));
            continue;
        }
        auto r = std::make_shared<ComputeResult>();
        r->params = c->params;
        r->input = input ? input : std::make_shared<const core::Tensor>(previous->output);
        r->weight = c->weight;
        r->bias = c->params.bias ? c->bias : nullptr;
        r->inputRevision = base->inputRevision;
        r->weightsRevision = base->weightsRevision;
        r->output = std::move(outputs[i]);
        r->channelRanges = toValueRanges(ranges[i]);
        r->computeMs = ms;
        results[conv++] = r;
        previous = std::move(r);
        input.reset();
    }
    return results;
}

} // namespace

void LayerStackModel::recompute()
{
    m_scheduled = false;
    if (m_running) {
        // The stale run is unwinding (cancelled through its progress callback); onFinished()
        // starts the newest one.
        m_pending = true;
        return;
    }
    m_pending = false;
    const auto base = m_session->result();
    if (!base || m_extra.empty())
        return;
    // Off the GUI thread: a stack on a large image takes a while. Each run works on a
    // snapshot; until the newest one publishes, the views keep showing the previous,
    // self-consistent chain.
    core::Network net = network();
    net.layers.erase(net.layers.begin()); // the Session's layer: `base` is its output
    m_runGeneration = m_generation->load();
    m_running = true;
    m_watcher.setFuture(
        QtConcurrent::run(computeChain, base, std::move(net), m_generation, m_runGeneration));
}

void LayerStackModel::onFinished()
{
    m_running = false;
    Results results = m_watcher.result();
    if (m_runGeneration == m_generation->load() && !results.empty()) {
        m_results = std::move(results);
        emit resultsChanged();
    } else if (!m_extra.empty()) {
        m_pending = true; // stale or cancelled: the newest state still needs its run
    }
    if (m_pending && !m_scheduled)
        recompute();
}

bool LayerStackModel::isComputing() const
{
    return m_running || m_scheduled || m_pending;
}

LayerStackModel::~LayerStackModel()
{
    // The worker holds only snapshots, but stop it and wait so no engine run outlives the
    // window.
    m_generation->fetch_add(1);
    m_watcher.waitForFinished();
}

} // namespace convscope::ui
