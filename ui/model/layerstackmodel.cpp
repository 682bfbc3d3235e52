#include "layerstackmodel.h"

#include "conv2d.h"
#include "layercommands.h"
#include "kernels.h"
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
    : QObject(parent), m_session(session)
{
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
    return m_extra.at(static_cast<std::size_t>(layer - 1)).params;
}

bool LayerStackModel::reluBefore(int layer) const
{
    return layer > 0 && m_extra.at(static_cast<std::size_t>(layer - 1)).reluBefore;
}

core::LayerStack LayerStackModel::stack() const
{
    core::LayerStack s{m_session->params()};
    for (const Extra &e : m_extra)
        s.push_back(e.params);
    return s;
}

core::PlaneSize LayerStackModel::inputSize() const
{
    const auto in = m_session->inputTensor();
    return {in->dim(2), in->dim(3)};
}

std::optional<core::StackError> LayerStackModel::stackError() const
{
    return core::validateStack(stack(), inputSize());
}

void LayerStackModel::makeWeights(Extra &e)
{
    // PyTorch's default initialisation, seeded per layer: a fresh nn.Conv2d, reproducible.
    e.weight = std::make_shared<const core::Tensor>(core::kaimingUniformWeights(e.params, e.seed));
    e.bias = std::make_shared<const core::Tensor>(core::defaultBias(e.params, e.seed));
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
        if (e.params.inChannels != in) {
            // Going back to a channel count this layer had, with nothing else about it changed
            // (undo of a layer-1 edit, a slider dragged back): the layer as it was then, with
            // its groups and its weights, also weights loaded from a session file. The ReLU
            // before it stays as it is now.
            bool restored = false;
            for (const Extra &old : m_rechained)
                if (old.seed == e.seed && old.params.inChannels == in &&
                    sameApartFromInput(old.params, e.params)) {
                    const bool relu = e.reluBefore; // a flag between layers, edited on its own
                    e = old;
                    e.reluBefore = relu;
                    restored = true;
                    break;
                }
            if (restored) {
                in = e.params.outChannels;
                continue;
            }
            remember(e);
            e.params.inChannels = in;
            // A groups value that no longer divides the channels would make the whole stack
            // invalid for a change made elsewhere: fall back to a dense layer.
            if (e.params.groups < 1 || in % e.params.groups != 0
                || e.params.outChannels % e.params.groups != 0)
                e.params.groups = 1;
            makeWeights(e);
        }
        in = e.params.outChannels;
    }
}

bool LayerStackModel::sameLayers(const Layers &a, const Layers &b)
{
    auto same = [](const std::shared_ptr<const core::Tensor> &x,
                   const std::shared_ptr<const core::Tensor> &y) {
        return x == y || (x && y && *x == *y);
    };
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [&](const Extra &x, const Extra &y) {
        return x.params == y.params && x.reluBefore == y.reluBefore && x.seed == y.seed
               && same(x.weight, y.weight) && same(x.bias, y.bias);
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
    e.params.inChannels = last.outChannels;
    e.params.outChannels = last.outChannels;
    e.params.kernel = {3, 3};
    e.params.padding = {1, 1};
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
    if (p == e.params)
        return;
    const QString what = describeChange(e.params, p);
    const bool reshape = core::weightShape(p) != core::weightShape(e.params);
    e.params = p;
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
    commit(std::move(next), on ? tr("Layer %1: ReLU on").arg(layer + 1)
                               : tr("Layer %1: ReLU off").arg(layer + 1));
}

std::vector<ExtraLayer> LayerStackModel::extraLayers() const
{
    std::vector<ExtraLayer> out;
    for (const Extra &e : m_extra)
        out.push_back({e.params, *e.weight, *e.bias, e.reluBefore});
    return out;
}

QString LayerStackModel::checkExtraLayers(const core::Conv2dParams &first,
                                          const std::vector<ExtraLayer> &layers)
{
    auto shapeText = [](const core::Shape &s) { return QString::fromStdString(core::formatShape(s)); };
    int in = first.outChannels;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const ExtraLayer &l = layers[i];
        const int number = static_cast<int>(i) + 2; // as the Layers dock counts
        if (l.params.inChannels != in)
            return tr("Layer %1 expects %2 input channels, but layer %3 gives %4.")
                .arg(number)
                .arg(l.params.inChannels)
                .arg(number - 1)
                .arg(in);
        const core::Shape want = core::weightShape(l.params);
        if (l.weight.shape != want)
            return tr("Layer %1's weight has shape %2, but its parameters need %3.")
                .arg(number)
                .arg(shapeText(l.weight.shape), shapeText(want));
        const core::Shape wantBias{l.params.outChannels};
        if (l.bias.shape != wantBias)
            return tr("Layer %1's bias has shape %2, but its parameters need %3.")
                .arg(number)
                .arg(shapeText(l.bias.shape), shapeText(wantBias));
        in = l.params.outChannels;
    }
    return {};
}

bool LayerStackModel::setExtraLayers(std::vector<ExtraLayer> layers, QString *error)
{
    if (const QString problem = checkExtraLayers(m_session->params(), layers); !problem.isEmpty()) {
        if (error)
            *error = problem;
        return false;
    }
    std::vector<Extra> extra;
    for (ExtraLayer &l : layers) {
        Extra e;
        e.params = l.params;
        e.weight = std::make_shared<const core::Tensor>(std::move(l.weight));
        e.bias = std::make_shared<const core::Tensor>(std::move(l.bias));
        e.reluBefore = l.reluBefore;
        // Fresh seeds: a later reshape draws new weights, as for a layer added by hand.
        e.seed = m_nextSeed++;
        extra.push_back(std::move(e));
    }
    m_extra = std::move(extra);
    // The old results belong to other layers; a run in flight must not publish them.
    ++m_generation;
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
    if (m_extra.empty()) {
        ++m_generation; // a run still in flight must not bring old layers back
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

struct ExtraInput {
    core::Conv2dParams params;
    std::shared_ptr<const core::Tensor> weight;
    std::shared_ptr<const core::Tensor> bias;
    bool reluBefore = true;
};

// The extra layers' forward pass on a snapshot (no access to the model: runs on a worker).
std::vector<std::shared_ptr<const ComputeResult>>
computeChain(std::shared_ptr<const ComputeResult> previous, const std::vector<ExtraInput> &layers)
{
    std::vector<std::shared_ptr<const ComputeResult>> results(layers.size());
    for (std::size_t i = 0; i < layers.size() && previous; ++i) {
        const ExtraInput &e = layers[i];
        // The previous layer's output, maybe through a ReLU, is this layer's input.
        auto input = std::make_shared<core::Tensor>(previous->output);
        if (e.reluBefore)
            for (float &v : input->data)
                v = std::max(v, 0.0f);
        if (core::validate(e.params, input->shape))
            break; // this and every later layer stay uncomputed; stackError() says why
        const auto t0 = std::chrono::steady_clock::now();
        auto r = std::make_shared<ComputeResult>();
        r->params = e.params;
        r->input = input;
        r->weight = e.weight;
        r->bias = e.params.bias ? e.bias : nullptr;
        r->inputRevision = previous->inputRevision;
        r->weightsRevision = previous->weightsRevision;
        std::vector<core::MinMax> ranges;
        core::ForwardOptions options;
        options.channelRanges = &ranges; // computed on each band while it is in cache
        core::conv2d(*input, *e.weight, r->bias.get(), e.params, r->output, options);
        r->channelRanges = toValueRanges(ranges);
        r->computeMs =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        results[i] = r;
        previous = std::move(r);
    }
    return results;
}

} // namespace

void LayerStackModel::recompute()
{
    m_scheduled = false;
    // Off the GUI thread: a stack on a large image takes a while. Each run works on a
    // snapshot; only the newest one publishes (older ones finish and are dropped), and until
    // it does the views keep showing the previous, self-consistent chain.
    std::vector<ExtraInput> layers;
    for (const Extra &e : m_extra)
        layers.push_back({e.params, e.weight, e.bias, e.reluBefore});
    const std::uint64_t generation = ++m_generation;
    auto *watcher = new QFutureWatcher<std::vector<std::shared_ptr<const ComputeResult>>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != m_generation)
            return;
        m_results = watcher->result();
        emit resultsChanged();
    });
    watcher->setFuture(QtConcurrent::run(computeChain, m_session->result(), std::move(layers)));
}

bool LayerStackModel::isComputing() const
{
    for (const auto *w : findChildren<QFutureWatcherBase *>(QString(), Qt::FindDirectChildrenOnly))
        if (!w->isFinished())
            return true;
    return m_scheduled;
}

LayerStackModel::~LayerStackModel()
{
    // The workers hold only snapshots, but wait so no engine run outlives the window.
    for (auto *w : findChildren<QFutureWatcherBase *>(QString(), Qt::FindDirectChildrenOnly))
        w->waitForFinished();
}

} // namespace convscope::ui
