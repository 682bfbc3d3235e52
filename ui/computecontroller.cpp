#include "computecontroller.h"

#include "conv2d.h"
#include "shape.h"

#include <QtConcurrent/QtConcurrentRun>

#include <chrono>
#include <cmath>
#include <limits>
#include <exception>

namespace convscope::ui {

namespace {

// rangeOf() as eight independent lanes, which the compiler turns into vector min/max
// (a single running min/max is a serial chain it may not reorder). NaN fails both
// comparisons and is skipped; a map holding infinities takes rangeOf()'s careful path.
ValueRange channelRange(const float *data, std::size_t count)
{
    constexpr std::size_t kLanes = 8;
    float lo[kLanes], hi[kLanes];
    for (std::size_t j = 0; j < kLanes; ++j) {
        lo[j] = std::numeric_limits<float>::max();
        hi[j] = std::numeric_limits<float>::lowest();
    }
    std::size_t i = 0;
    for (; i + kLanes <= count; i += kLanes)
        for (std::size_t j = 0; j < kLanes; ++j) {
            const float v = data[i + j];
            lo[j] = v < lo[j] ? v : lo[j];
            hi[j] = v > hi[j] ? v : hi[j];
        }
    for (; i < count; ++i) {
        lo[0] = data[i] < lo[0] ? data[i] : lo[0];
        hi[0] = data[i] > hi[0] ? data[i] : hi[0];
    }
    float l = lo[0], h = hi[0];
    for (std::size_t j = 1; j < kLanes; ++j) {
        l = std::min(l, lo[j]);
        h = std::max(h, hi[j]);
    }
    if (!(l <= h) || !std::isfinite(l) || !std::isfinite(h) ||
        l == std::numeric_limits<float>::max())
        return rangeOf(data, count);
    return {l, h};
}

} // namespace

ComputeController::ComputeController(Session *session, QObject *parent)
    : QObject(parent), m_session(session),
      m_generation(std::make_shared<std::atomic<std::uint64_t>>(0)),
      m_progressPermille(std::make_shared<std::atomic<int>>(0))
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

    connect(session, &Session::paramsChanged, this, &ComputeController::schedule);
    connect(session, &Session::imageChanged, this, &ComputeController::schedule);
    connect(session, &Session::weightsChanged, this, &ComputeController::schedule);
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

    // Validation is O(1) arithmetic: doing it here, on the GUI thread, marks the offending
    // control in the same event-loop turn as the edit instead of after the stale run ends.
    const auto &input = *m_session->inputTensor();
    auto error = core::validate(m_session->params(), input.shape);
    m_session->setValidationError(error);
    if (error) {
        m_scheduled.stop();
        if (!m_running)
            emit idle();
        return;
    }
    // Idle: start on the next event-loop turn, so that edits made together (h and w of a
    // linked pair, a whole undo macro) make one run. Busy: wait for a quiet moment.
    m_scheduled.start(m_running ? m_debounceMs : 0);
}

void ComputeController::start()
{
    if (m_running) {
        // The stale run is still unwinding; onFinished() starts the newest one.
        return;
    }
    const auto params = m_session->params();
    auto input = m_session->inputTensor();
    if (core::validate(params, input->shape)) { // parameters changed back to invalid
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
            auto result = std::make_shared<ComputeResult>();
            result->params = params;
            result->input = input;
            result->weight = weight;
            result->bias = bias;
            result->inputRevision = inputRevision;
            result->weightsRevision = weightsRevision;
            core::ForwardOptions options;
            options.threads = threads;
            options.progress = [current, progressSink, generation](double fraction) {
                progressSink->store(static_cast<int>(fraction * 1000.0));
                return current->load() == generation;
            };
            const auto status =
                core::conv2d(*input, *weight, bias.get(), params, result->output, options);
            if (status == core::ForwardStatus::Cancelled) {
                outcome.cancelled = true; // stopped inside conv2d
                return outcome;
            }
            if (current->load() != generation)
                return outcome; // finished but stale: onFinished() drops it
            const auto &out = result->output;
            const std::int64_t plane = out.dim(2) * out.dim(3);
            result->channelRanges.reserve(static_cast<std::size_t>(out.dim(1)));
            for (std::int64_t c = 0; c < out.dim(1); ++c)
                result->channelRanges.push_back(
                    channelRange(out.data.data() + c * plane, static_cast<std::size_t>(plane)));
            result->computeMs = std::chrono::duration<double, std::milli>(
                                    std::chrono::steady_clock::now() - t0)
                                    .count();
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
        m_session->setValidationError(core::ValidationError{core::Field::Input,
                                                            outcome.failure.toStdString()});
    } else if (outcome.result) {
        m_lastComputeMs = outcome.result->computeMs;
        m_session->setResult(outcome.result);
        emit computed(m_lastComputeMs);
    }
    if (stale && !m_session->validationError()) {
        // A newer edit is waiting; if its debounce timer is already pending let it fire,
        // otherwise start it now.
        if (!m_scheduled.isActive())
            start();
        return;
    }
    if (!isBusy())
        emit idle();
}

} // namespace convscope::ui
