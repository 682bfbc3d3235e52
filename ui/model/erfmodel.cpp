// SPDX-License-Identifier: GPL-3.0-or-later
#include "erfmodel.h"

#include "memory.h"

#include <QElapsedTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace convscope::ui {

std::size_t networkLayerOf(const core::Network &net, int layer)
{
    int convs = -1;
    for (std::size_t i = 0; i < net.layers.size(); ++i)
        if (std::holds_alternative<core::Conv2dLayer>(net.layers[i]) && ++convs == layer)
            return i + 1;
    return 0;
}

ErfModel::ErfModel(LayerStackModel *layers, QObject *parent)
    : QObject(parent), m_layers(layers), m_newest(std::make_shared<std::atomic<std::uint64_t>>(0))
{
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, &ErfModel::onFinished);
    // Results change after every edit of the stack, the weights or the image.
    connect(m_layers, &LayerStackModel::resultsChanged, this, &ErfModel::schedule);
    connect(m_layers, &LayerStackModel::shownLayerChanged, this, [this] {
        if (m_mode == ErfMode::Coverage) // the other modes follow the selection
            schedule();
    });
}

ErfModel::~ErfModel()
{
    m_newest->fetch_add(1); // the running job stops at its next progress callback
    m_watcher.waitForFinished();
}

void ErfModel::setMode(ErfMode mode)
{
    if (mode == m_mode)
        return;
    m_mode = mode;
    schedule();
}

void ErfModel::setTarget(const std::optional<ErfTarget> &target)
{
    if (target == m_target)
        return;
    m_target = target;
    schedule();
}

void ErfModel::setSamples(int samples)
{
    samples = std::clamp(samples, 1, 64);
    if (samples == m_samples)
        return;
    m_samples = samples;
    if (m_mode == ErfMode::Average)
        schedule();
}

void ErfModel::schedule()
{
    m_newest->store(++m_generation); // a running job is now stale
    if (m_running) {
        m_pending = true; // started when the stale one has stopped
        return;
    }
    start();
}

void ErfModel::start()
{
    m_pending = false;
    const auto input = m_layers->session()->inputTensor();
    const bool needsTarget = m_mode != ErfMode::Coverage;
    if (!input || (needsTarget && !m_target)) {
        const bool had = m_result || !m_error.isEmpty();
        m_result.reset();
        m_error.clear();
        if (had)
            emit resultChanged();
        return;
    }
    Job job{m_mode, m_target.value_or(ErfTarget{}), m_layers->network(), input, m_samples};
    if (!needsTarget)
        job.target = ErfTarget{m_layers->shownLayer(), 0, 0, 0};
    m_running = true;
    emit busyChanged(true);
    m_watcher.setFuture(QtConcurrent::run(&ErfModel::run, std::move(job), m_generation, m_newest));
}

void ErfModel::onFinished()
{
    m_running = false;
    const Outcome o = m_watcher.result();
    if (o.generation == m_generation && !o.cancelled) {
        m_result = o.result;
        m_error = o.error;
        emit resultChanged();
    }
    if (m_pending || o.generation != m_generation)
        start();
    if (!m_running)
        emit busyChanged(false);
}

ErfModel::Outcome ErfModel::run(const Job &job, std::uint64_t generation,
                                std::shared_ptr<std::atomic<std::uint64_t>> newest)
{
    Outcome o;
    o.generation = generation;
    QElapsedTimer timer;
    timer.start();
    const core::ProgressCallback progress = [&](double) { return newest->load() == generation; };
    try {
        const core::Tensor &input = *job.input;
        const std::size_t layer = networkLayerOf(job.network, job.target.layer);
        if (layer == 0)
            throw std::invalid_argument("the stack has no layer "
                                        + std::to_string(job.target.layer + 1));
        core::Network cut = job.network;
        cut.layers.resize(layer);
        if (auto e = core::validate(cut, input.shape))
            throw std::invalid_argument(e->message());
        auto r = std::make_shared<ErfResult>();
        r->mode = job.mode;
        r->target = job.target;
        const core::Shape &s = input.shape;
        const std::int64_t h = s[s.size() - 2], w = s[s.size() - 1];
        const core::GradientTarget t =
            core::GradientTarget::at(layer, job.target.channel, job.target.y, job.target.x);
        if (job.mode != ErfMode::Coverage) {
            if (auto e = core::validateTarget(cut, input.shape, t))
                throw std::invalid_argument(*e);
        }
        switch (job.mode) {
        case ErfMode::Gradient: {
            if (auto e = core::checkMemory(cut, input.shape, core::memoryBudgetBytes()))
                throw std::invalid_argument(e->message());
            core::Tensor grad;
            if (core::inputGradient(cut, input, t, grad, progress)
                == core::ForwardStatus::Cancelled) {
                o.cancelled = true;
                return o;
            }
            r->map = core::channelMagnitude(grad);
            r->h = h;
            r->w = w;
            r->box = core::theoreticalBox(cut, input.shape, t);
            break;
        }
        case ErfMode::Paths: {
            const core::Counts counts = core::pathCounts(cut, input.shape, t);
            r->map.assign(static_cast<std::size_t>(h * w), 0.0);
            for (std::size_t i = 0; i < counts.data.size(); ++i)
                r->map[i % r->map.size()] += static_cast<double>(counts.data[i]);
            r->h = h;
            r->w = w;
            r->box = core::theoreticalBox(cut, input.shape, t);
            break;
        }
        case ErfMode::Average: {
            std::vector<bool> keepAll(cut.size(), true);
            if (auto e = core::checkMemory(cut, input.shape, core::memoryBudgetBytes(), keepAll))
                throw std::invalid_argument(e->message());
            core::AveragedGradient avg;
            if (core::averagedGradient(cut, input, layer, job.target.channel, job.samples, avg,
                                       progress)
                == core::ForwardStatus::Cancelled) {
                o.cancelled = true;
                return o;
            }
            r->map = core::channelMagnitude(avg.map);
            r->h = avg.map.shape[1];
            r->w = avg.map.shape[2];
            r->box = core::Box{0, 0, r->h, r->w};
            r->onImage = false;
            r->positions = avg.positions;
            break;
        }
        case ErfMode::Coverage: {
            const core::Coverage cov = core::layerCoverage(cut, input.shape, layer);
            r->h = cov.counts.shape[0];
            r->w = cov.counts.shape[1];
            r->map.assign(cov.counts.data.begin(), cov.counts.data.end());
            r->box = core::Box{0, 0, r->h, r->w};
            r->overOutput = cov.overOutput;
            // Its input is the image when only element-wise layers come before it.
            r->onImage = !cov.overOutput && r->h == h && r->w == w;
            break;
        }
        }
        r->stats = core::massStats(r->map, r->h, r->w, r->box);
        if (!r->map.empty()) {
            const auto [lo, hi] = std::minmax_element(r->map.begin(), r->map.end());
            r->minValue = *lo;
            r->maxValue = *hi;
        }
        for (std::int64_t y = std::max<std::int64_t>(r->box.y0, 0); y < std::min(r->box.y1, r->h);
             ++y)
            for (std::int64_t x = std::max<std::int64_t>(r->box.x0, 0);
                 x < std::min(r->box.x1, r->w); ++x) {
                ++r->boxPixels;
                if (r->map[static_cast<std::size_t>(y * r->w + x)] == 0.0)
                    ++r->boxZeros;
            }
        r->milliseconds = static_cast<double>(timer.nsecsElapsed()) / 1e6;
        o.result = std::move(r);
    } catch (const std::exception &e) {
        o.error = QString::fromStdString(e.what());
    }
    return o;
}

} // namespace convscope::ui
