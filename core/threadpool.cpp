// SPDX-License-Identifier: GPL-3.0-or-later
#include "threadpool.h"

#include "cpus.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace convscope::core {

namespace {

// How long an idle thread polls before it blocks: long enough to bridge the gap between
// two runs issued back to back, short enough not to matter when the machine is shared.
constexpr auto kSpin = std::chrono::microseconds(100);

template <class Done> void spinUntil(Done done)
{
    const auto until = std::chrono::steady_clock::now() + kSpin;
    while (!done()) {
        for (int i = 0; i < 64; ++i) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        if (std::chrono::steady_clock::now() > until)
            return;
    }
}

} // namespace

ThreadPool &ThreadPool::instance()
{
    static ThreadPool pool;
    return pool;
}

int ThreadPool::hardwareThreads()
{
    // Once: the answer comes from /proc and /sys, and the GUI
    // asks on every live redraw.
    static const int threads = availableCpus();
    return threads;
}

ThreadPool::~ThreadPool()
{
    {
        std::lock_guard lock(m_mutex);
        m_shutdown = true;
    }
    m_wake.notify_all();
    for (auto &t : m_workers)
        t.join();
}

void ThreadPool::ensureWorkers(int count)
{
    // Called with m_runMutex held, so no run is in flight while workers are added.
    while (static_cast<int>(m_workers.size()) < count) {
        const int index = static_cast<int>(m_workers.size());
        std::uint64_t generation = 0;
        {
            std::lock_guard lock(m_mutex);
            generation = m_generation;
        }
        // The worker starts from the generation current now, so it sees the next run even
        // if the thread only gets scheduled after that run has been announced.
        m_workers.emplace_back([this, index, generation] { workerLoop(index, generation); });
    }
}

bool ThreadPool::runTask(const std::function<void(std::int64_t)> &task, std::int64_t i)
{
    try {
        task(i);
        return true;
    } catch (...) {
        std::lock_guard lock(m_mutex);
        if (!m_error)
            m_error = std::current_exception();
        m_stop.store(true);
        return false;
    }
}

void ThreadPool::workerLoop(int index, std::uint64_t seen)
{
    for (;;) {
        const std::function<void(std::int64_t)> *task = nullptr;
        std::int64_t count = 0;
        spinUntil([&] { return m_published.load(std::memory_order_acquire) != seen; });
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_shutdown || m_generation != seen; });
            if (m_shutdown)
                return;
            seen = m_generation;
            if (index >= m_participants)
                continue;
            task = m_task;
            count = m_count;
        }
        while (!m_stop.load(std::memory_order_relaxed)) {
            const std::int64_t i = m_next.fetch_add(1, std::memory_order_relaxed);
            if (i >= count)
                break;
            if (!runTask(*task, i))
                break;
            m_finishedTasks.fetch_add(1, std::memory_order_relaxed);
        }
        if (m_running.fetch_sub(1) == 1) {
            std::lock_guard lock(m_mutex); // pairs with the caller's predicate check
            m_finished.notify_all();
        }
    }
}

bool ThreadPool::run(int threads, std::int64_t count, const std::function<void(std::int64_t)> &task,
                     const std::function<bool(std::int64_t)> &tick)
{
    threads =
        static_cast<int>(std::clamp<std::int64_t>(threads, 1, std::max<std::int64_t>(count, 1)));
    std::unique_lock runLock(m_runMutex, std::defer_lock);
    if (threads > 1 && !runLock.try_lock())
        threads = 1;
    if (threads == 1) {
        for (std::int64_t i = 0; i < count; ++i) {
            task(i);
            if (tick && !tick(i + 1))
                return false;
        }
        return true;
    }

    const int helpers = threads - 1;
    ensureWorkers(helpers);
    {
        std::lock_guard lock(m_mutex);
        m_task = &task;
        m_count = count;
        m_next.store(0);
        m_finishedTasks.store(0);
        m_stop.store(false);
        m_error = nullptr;
        m_participants = helpers;
        m_running.store(helpers);
        ++m_generation;
        m_published.store(m_generation, std::memory_order_release);
    }
    m_wake.notify_all();

    bool stopped = false;
    while (!m_stop.load(std::memory_order_relaxed)) {
        const std::int64_t i = m_next.fetch_add(1, std::memory_order_relaxed);
        if (i >= count)
            break;
        if (!runTask(task, i))
            break;
        const std::int64_t finished = m_finishedTasks.fetch_add(1, std::memory_order_relaxed) + 1;
        if (tick && !tick(finished)) {
            m_stop.store(true);
            stopped = true;
        }
    }
    spinUntil([&] { return m_running.load() == 0; });
    std::unique_lock lock(m_mutex);
    m_finished.wait(lock, [&] { return m_running.load() == 0; });
    m_participants = 0;
    m_task = nullptr;
    if (m_error)
        std::rethrow_exception(std::exchange(m_error, nullptr));
    return !stopped;
}

} // namespace convscope::core
