// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Turns the Session's state into results in the background: every edit schedules a run,
// runs never overlap, a newer edit cancels the stale run (through conv2d's progress
// callback and a generation counter), and edits that arrive while a run is in flight are
// coalesced (debounced) into one follow-up run. The GUI thread never waits for the engine.
#include "session.h"

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QObject>
#include <QTimer>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace convscope::ui {

class ComputeController : public QObject {
    Q_OBJECT
public:
    explicit ComputeController(Session *session, QObject *parent = nullptr);
    ~ComputeController() override; // cancels the running job and waits for it

    // Quiet time after the last edit before a follow-up run starts while a run is still in
    // flight (slider drags). An edit that finds the controller idle starts at once.
    void setDebounceMs(int ms) { m_debounceMs = ms; }
    // Worker threads for conv2d (0 = all cores).
    void setThreads(int threads) { m_threads = threads; }
    // Asked on the GUI thread when a run starts: the maps on screen and their visible parts.
    // The worker colours those maps of the new result ahead (ComputeResult::previews), on
    // its cores while the GUI thread paints the edit, instead of the GUI thread after it.
    void setMapRequests(std::function<std::vector<MapRequest>()> requests)
    {
        m_mapRequests = std::move(requests);
    }
    // Progress bar delay (ms): runs shorter than this never show one.
    void setProgressDelayMs(int ms) { m_progressDelay.setInterval(ms); }

    bool isBusy() const { return m_running || m_startPosted || m_scheduled.isActive(); }
    double lastComputeMs() const { return m_lastComputeMs; }
    // Runs counted for tests and the benchmark.
    int runsStarted() const { return m_runsStarted; }
    int runsCancelled() const { return m_runsCancelled; }       // stale: result not published
    int runsStoppedEarly() const { return m_runsStoppedEarly; } // of those, conv2d gave up

public slots:
    // Schedules a run of the Session's current state unless the Session found it invalid.
    void schedule();

signals:
    void progressVisible(bool visible); // after the progress delay, until the run ends
    void progress(int percent);
    void computed(double milliseconds); // a result was published to the Session
    void idle();                        // nothing running and nothing scheduled

private:
    struct Outcome {
        std::uint64_t generation = 0;
        bool cancelled = false;
        QString failure; // an exception from the engine (should not happen after validate)
        std::shared_ptr<ComputeResult> result;
    };

    bool event(QEvent *event) override;
    void postStart();
    void start();
    void onFinished();

    class BufferStash;

    Session *m_session;
    QFutureWatcher<Outcome> m_watcher;
    QTimer m_scheduled;
    QTimer m_progressDelay;
    QTimer m_progressPoll;
    // Shared with the worker: the newest generation (a run whose generation is older is
    // stale and stops at its next progress callback) and the running job's progress.
    std::shared_ptr<std::atomic<std::uint64_t>> m_generation;
    std::shared_ptr<std::atomic<int>> m_progressPermille;
    std::shared_ptr<BufferStash> m_stash; // shared with results still alive
    std::function<std::vector<MapRequest>()> m_mapRequests;
    bool m_running = false;
    bool m_startPosted = false; // a start event is queued (see postStart)
    int m_debounceMs = 40;
    int m_threads = 0;
    double m_lastComputeMs = 0.0;
    int m_runsStarted = 0;
    int m_runsCancelled = 0;
    int m_runsStoppedEarly = 0;
};

} // namespace convscope::ui
