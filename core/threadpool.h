// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A small persistent pool of worker threads for the engine (no Qt in core). Work is a range
// of independent task indices; the caller's thread takes part, and only the caller's thread
// runs the "tick" hook, so progress callbacks are never called from a worker.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace convscope::core {

class ThreadPool {
public:
    // The process-wide pool; workers are started on first use and grow on demand.
    static ThreadPool &instance();

    ThreadPool() = default;
    ~ThreadPool();
    ThreadPool(const ThreadPool &) = delete;
    ThreadPool &operator=(const ThreadPool &) = delete;

    // Runs task(i) for every i in [0, count) on up to `threads` threads including the
    // caller. After each task the caller runs, tick(finished) is called on the caller's
    // thread with the number of tasks finished so far by all threads;
    // returning false stops handing out tasks (tasks already running finish) and makes
    // run() return false. When the pool is busy with another caller's run, the work runs on
    // the caller's thread alone: results never depend on how tasks are distributed.
    // A task that throws stops the run like a false tick; once every thread has stopped, the
    // first exception is rethrown from run() on the caller's thread (never left in a worker,
    // where it would end the process).
    bool run(int threads, std::int64_t count, const std::function<void(std::int64_t)> &task,
             const std::function<bool(std::int64_t)> &tick);

    // The CPUs this process may use (core::availableCpus(): affinity mask and cgroup quota;
    // at least 1), read once.
    static int hardwareThreads();

private:
    void workerLoop(int index, std::uint64_t seen);
    void ensureWorkers(int count);
    // Runs task(i); an exception is kept in m_error and stops the run. False if it threw.
    bool runTask(const std::function<void(std::int64_t)> &task, std::int64_t i);

    std::mutex m_runMutex; // one run at a time owns the workers
    std::mutex m_mutex;    // guards the fields below
    std::condition_variable m_wake;
    std::condition_variable m_finished;
    std::vector<std::thread> m_workers;
    std::uint64_t m_generation = 0;
    int m_participants = 0; // workers with index < this take part in the current run
    // Mirrors m_generation so idle workers can poll it without the mutex for a moment
    // before they sleep: back-to-back runs (a slider drag, a benchmark) then start
    // without a futex wake-up per run.
    std::atomic<std::uint64_t> m_published{0};
    std::atomic<int> m_running{0}; // participating workers that have not finished yet
    bool m_shutdown = false;
    const std::function<void(std::int64_t)> *m_task = nullptr;
    std::int64_t m_count = 0;
    std::atomic<std::int64_t> m_next{0};
    std::atomic<std::int64_t> m_finishedTasks{0};
    std::atomic<bool> m_stop{false};
    std::exception_ptr m_error; // the run's first exception; guarded by m_mutex
};

} // namespace convscope::core
