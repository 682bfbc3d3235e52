#include "threadpool.h"

#include <algorithm>

namespace convscope::core {

ThreadPool &ThreadPool::instance()
{
    static ThreadPool pool;
    return pool;
}

int ThreadPool::hardwareThreads()
{
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
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

void ThreadPool::workerLoop(int index, std::uint64_t seen)
{
    for (;;) {
        const std::function<void(std::int64_t)> *task = nullptr;
        std::int64_t count = 0;
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
            (*task)(i);
        }
        {
            std::lock_guard lock(m_mutex);
            if (--m_running == 0)
                m_finished.notify_all();
        }
    }
}

bool ThreadPool::run(int threads, std::int64_t count, const std::function<void(std::int64_t)> &task,
                     const std::function<bool()> &tick)
{
    threads = static_cast<int>(std::clamp<std::int64_t>(threads, 1, std::max<std::int64_t>(count, 1)));
    std::unique_lock runLock(m_runMutex, std::defer_lock);
    if (threads > 1 && !runLock.try_lock())
        threads = 1;
    if (threads == 1) {
        for (std::int64_t i = 0; i < count; ++i) {
            task(i);
            if (tick && !tick())
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
        m_stop.store(false);
        m_participants = helpers;
        m_running = helpers;
        ++m_generation;
    }
    m_wake.notify_all();

    bool stopped = false;
    while (!m_stop.load(std::memory_order_relaxed)) {
        const std::int64_t i = m_next.fetch_add(1, std::memory_order_relaxed);
        if (i >= count)
            break;
        task(i);
        if (tick && !tick()) {
            m_stop.store(true);
            stopped = true;
        }
    }
    std::unique_lock lock(m_mutex);
    m_finished.wait(lock, [&] { return m_running == 0; });
    m_participants = 0;
    m_task = nullptr;
    return !stopped;
}

} // namespace convscope::core
