// SPDX-License-Identifier: GPL-3.0-or-later
#include "computecontroller.h"

#include "network.h"
#include "shape.h"
#include "threadpool.h"

#include <QCoreApplication>
#include <QEvent>
#include <QtConcurrent/QtConcurrentRun>

#include <chrono>
#include <cmath>
#include <exception>
#include <mutex>

namespace convscope::ui {

// Output buffers of results that nothing shows any more, handed to the next run of the
// same size: conv2d writes every element, so the run skips the zero fill of a fresh vector
// and the page faults of new memory (bench-ui 1920x1080 -> 8 maps: 66 MB per run, ~4 ms).
// A result gives its buffer back from whichever thread drops the last reference to it.
class ComputeController::BufferStash {
public:
    std::vector<float> take(std::size_t count)
    {
        std::lock_guard lock(m_mutex);
        for (auto it = m_free.begin(); it != m_free.end(); ++it)
            if (it->size() == count) {
                std::vector<float> v = std::move(*it);
                m_free.erase(it);
                return v;
            }
        return {};
    }
    void give(std::vector<float> &&buffer)
    {
        // At most two buffers and 512 MB are kept: the newest ones, which the next edit
        // (a slider drag back and forth) most likely needs again.
        constexpr std::size_t kMaxBytes = std::size_t{512} << 20;
        if (buffer.size() * sizeof(float) > kMaxBytes || buffer.empty())
            return;
        std::lock_guard lock(m_mutex);
        m_free.insert(m_free.begin(), std::move(buffer));
        std::size_t bytes = 0, keep = 0;
        while (keep < m_free.size() && keep < 2
               && bytes + m_free[keep].size() * sizeof(float) <= kMaxBytes)
            bytes += m_free[keep++].size() * sizeof(float);
        m_free.resize(keep);
    }

private:
    std::mutex m_mutex;
    std::vector<std::vector<float>> m_free;
};

namespace {

// Colours the requested maps of a fresh result for the views they were requested for;
// requests the new output cannot satisfy (fewer channels, a smaller map) are skipped and the
// grid colours those itself.
void renderPreviews(ComputeResult &result, const std::vector<MapRequest> &requests,
                    bool globalRange, Gradient gradient, int threads,
                    const std::function<bool()> &stillCurrent)
{
    const core::Tensor &out = result.output;
    if (out.rank() != 4 || out.dim(0) != 1 || requests.empty())
        return;
    const int channels = static_cast<int>(out.dim(1));
    const int h = static_cast<int>(out.dim(2)), w = static_cast<int>(out.dim(3));
    std::vector<MapPreview> previews;
    for (const MapRequest &r : requests)
        // A map of another size is re-laid out and its view reset: that request is moot.
        if (r.channel >= 0 && r.channel < channels && r.mapWidth == w && r.mapHeight == h
            && !r.region.empty() && r.region.fits(w, h))
            previews.push_back(
                {r.channel, r.region,
                 displayRange(result.channelRanges, r.channel, globalRange, gradient), gradient,
                 QImage()});
    const std::size_t plane = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
    core::ThreadPool::instance().run(
        threads > 0 ? threads : core::ThreadPool::hardwareThreads(),
        static_cast<std::int64_t>(previews.size()),
        [&](std::int64_t i) {
            MapPreview &p = previews[static_cast<std::size_t>(i)];
            p.image = renderMapRegion(out.data.data() + static_cast<std::size_t>(p.channel) * plane,
                                      w, p.region, p.range, p.gradient);
        },
        // A newer edit makes the result stale: stop colouring it (onFinished drops it).
        [&](std::int64_t) { return stillCurrent(); });
    result.previews = std::move(previews);
}

} // namespace

ComputeController::ComputeController(Session *session, QObject *parent)
    : QObject(parent), m_session(session),
      m_generation(std::make_shared<std::atomic<std::uint64_t>>(0)),
      m_progressPermille(std::make_shared<std::atomic<int>>(0)),
      m_stash(std::make_shared<BufferStash>())
{
    m_scheduled.setSingleShot(true);
    connect(&m_scheduled, &QTimer::timeout, this, &ComputeController::start);
    m_progressDelay.setSingleShot(true);
    m_progressDelay.setInterval(200);
    connect(&m_progressDelay, &QTimer::timeout, this, [this] {
        emit progressVisible(true);
        m_progressPoll.start();
    });
    // The worker only writes an atomic; polling it keeps queued signals off the hot path.
    m_progressPoll.setInterval(50);
    connect(&m_progressPoll, &QTimer::timeout, this,
            [this] { emit progress(m_progressPermille->load() / 10); });
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, &ComputeController::onFinished);

    // One notification per edit, with the Session's validation already current.
    connect(session, &Session::changed, this, &ComputeController::schedule);
}

ComputeController::~ComputeController()
{
    m_generation->fetch_add(1); // the running job stops at its next progress callback
    m_watcher.waitForFinished();
}

void ComputeController::schedule()
{
    // Every edit makes the in-flight run stale.
    m_generation->fetch_add(1);

    // The Session validated the edit before notifying: nothing to compute for invalid
    // parameters (the panels already show why).
    if (m_session->validationError()) {
        m_scheduled.stop();
        m_startPosted = false; // a queued start event finds nothing to do
        if (!m_running)
            emit idle();
        return;
    }
    // Busy: wait for a quiet moment. Idle: start once control is back in the event loop, so
    // that edits made together (h and w of a linked pair, a whole undo macro) make one run.
    if (m_running) {
        m_scheduled.start(m_debounceMs);
        return;
    }
    m_scheduled.stop();
    postStart();
}

namespace {
const QEvent::Type kStartEvent = static_cast<QEvent::Type>(QEvent::registerEventType());
}

void ComputeController::postStart()
{
    // A high-priority posted event rather than a zero timer: the edit has also queued the
    // window's repaint (input view, panels), and a timer would only fire after that paint.
    // Starting first lets the engine run on the other core while the GUI thread paints
    // (bench-ui 512x512: the run started ~5 ms after the edit with a timer).
    if (m_startPosted)
        return;
    m_startPosted = true;
    QCoreApplication::postEvent(this, new QEvent(kStartEvent), Qt::HighEventPriority);
}

bool ComputeController::event(QEvent *event)
{
    if (event->type() == kStartEvent) {
        if (m_startPosted) // not overtaken by the debounce timer or an invalid edit
            start();
        return true;
    }
    return QObject::event(event);
}

void ComputeController::start()
{
    m_startPosted = false;
    if (m_running) {
        // The stale run is still unwinding; onFinished() starts the newest one.
        return;
    }
    const auto params = m_session->params();
    auto input = m_session->inputTensor();
    if (m_session->validationError()) { // parameters changed back to invalid
        emit idle();
        return;
    }
    auto weight = m_session->weight();
    auto bias = params.bias ? m_session->bias() : nullptr;
    const std::uint64_t generation = m_generation->load();
    const std::uint64_t inputRevision = m_session->inputRevision();
    const std::uint64_t weightsRevision = m_session->weightsRevision();
    auto current = m_generation;
    auto progressSink = m_progressPermille;
    auto stash = m_stash;
    std::vector<MapRequest> requests = m_mapRequests ? m_mapRequests() : std::vector<MapRequest>{};
    const bool globalRange = m_session->rangeMode() == RangeMode::Global;
    const Gradient gradient = m_session->gradient();
    const int threads = m_threads;
    progressSink->store(0);

    m_running = true;
    ++m_runsStarted;
    m_progressDelay.start();
    m_watcher.setFuture(QtConcurrent::run([=]() -> Outcome {
        Outcome outcome;
        outcome.generation = generation;
        try {
            const auto t0 = std::chrono::steady_clock::now();
            std::shared_ptr<ComputeResult> result(new ComputeResult, [stash](ComputeResult *r) {
                stash->give(std::move(r->output.data));
                delete r;
            });
            result->output.data = stash->take(
                static_cast<std::size_t>(core::numel(core::outputShape(params, input->shape))));
            result->params = params;
            result->input = input;
            result->weight = weight;
            result->bias = bias;
            result->inputRevision = inputRevision;
            result->weightsRevision = weightsRevision;
            // The live layer as a one-layer network: the same forward pass as the stack and
            // both exports. The stashed buffer is handed in, so the conv skips the zero fill.
            const core::Network net{{core::Conv2dLayer{params, weight, bias}}};
            std::vector<core::Tensor> outputs(1);
            outputs[0].data = std::move(result->output.data);
            core::NetworkOptions options;
            options.threads = threads;
            options.progress = [current, progressSink, generation](double fraction) {
                progressSink->store(static_cast<int>(fraction * 1000.0));
                return current->load() == generation;
            };
            std::vector<std::vector<core::MinMax>> ranges;
            options.channelRanges = &ranges;
            const auto status = core::forward(net, *input, outputs, options);
            if (status == core::ForwardStatus::Cancelled) {
                outcome.cancelled = true; // stopped inside the conv
                return outcome;
            }
            if (current->load() != generation)
                return outcome; // finished but stale: onFinished() drops it
            result->output = std::move(outputs[0]);
            result->channelRanges = toValueRanges(ranges[0]);
            result->computeMs =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                    .count();
            renderPreviews(*result, requests, globalRange, gradient, threads,
                           [&] { return current->load() == generation; });
            outcome.result = std::move(result);
        } catch (const std::exception &e) {
            outcome.failure = QString::fromUtf8(e.what());
        }
        return outcome;
    }));
}

void ComputeController::onFinished()
{
    const Outcome outcome = m_watcher.result();
    m_running = false;
    m_progressDelay.stop();
    if (m_progressPoll.isActive()) {
        m_progressPoll.stop();
        emit progressVisible(false);
    }
    const bool stale = outcome.generation != m_generation->load();
    if (outcome.cancelled || stale) {
        ++m_runsCancelled;
        if (outcome.cancelled)
            ++m_runsStoppedEarly;
    } else if (!outcome.failure.isEmpty()) {
        // validate() passed, so this is an engine bug or out-of-memory: say it, keep going.
        m_session->setEngineFailure(
            core::ValidationError{core::Field::Input, outcome.failure.toStdString()});
    } else if (outcome.result) {
        m_lastComputeMs = outcome.result->computeMs;
        m_session->setResult(outcome.result);
        emit computed(m_lastComputeMs);
    }
    if (stale && !m_session->validationError()) {
        // A newer edit is waiting; if its debounce timer is already pending let it fire,
        // otherwise start it now.
        if (!m_scheduled.isActive() && !m_startPosted)
            start();
        return;
    }
    if (!isBusy())
        emit idle();
}

} // namespace convscope::ui
