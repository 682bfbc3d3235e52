// SPDX-License-Identifier: GPL-3.0-or-later
// core::ThreadPool on its own: every task runs exactly once, tick runs on the caller's
// thread only, a false tick stops the run, and runs from several callers at once (the
// GUI's compute and preview colouring share the pool) each still run all of their tasks.
// Small enough to run under ThreadSanitizer (the tsan preset), which is where the
// hand-off between a run and the workers is checked.
#include "threadpool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

using convscope::core::ThreadPool;

namespace {

// Runs `count` tasks on `threads` threads of `pool`; true when each ran exactly once.
bool runsEachOnce(ThreadPool &pool, int threads, std::int64_t count)
{
    std::vector<std::atomic<int>> hits(static_cast<std::size_t>(count));
    const bool done = pool.run(
        threads, count, [&](std::int64_t i) { hits[static_cast<std::size_t>(i)].fetch_add(1); },
        nullptr);
    bool once = true;
    for (const auto &h : hits)
        once = once && h.load() == 1;
    return done && once;
}

} // namespace

TEST(ThreadPool, runsEveryTaskOnceForAnyThreadCount)
{
    ThreadPool pool;
    for (int threads : {1, 2, 3, 8})
        for (std::int64_t count : {0, 1, 2, 7, 500})
            EXPECT_TRUE(runsEachOnce(pool, threads, count))
                << threads << " threads, " << count << " tasks";
}

TEST(ThreadPool, taskResultsAreVisibleToTheCallerAfterRun)
{
    // Plain (non-atomic) writes from the workers, read by the caller once run() returns.
    ThreadPool pool;
    for (int round = 0; round < 20; ++round) {
        std::vector<std::int64_t> out(300, -1);
        ASSERT_TRUE(pool.run(
            4, static_cast<std::int64_t>(out.size()),
            [&](std::int64_t i) { out[static_cast<std::size_t>(i)] = i * i + round; }, nullptr));
        for (std::size_t i = 0; i < out.size(); ++i)
            ASSERT_EQ(out[i], static_cast<std::int64_t>(i * i) + round) << "round " << round;
    }
}

TEST(ThreadPool, tickRunsOnTheCallersThreadWithGrowingCounts)
{
    ThreadPool pool;
    const auto caller = std::this_thread::get_id();
    std::vector<std::int64_t> seen; // written by tick only: must be the caller's thread
    std::atomic<std::int64_t> byCaller{0};
    bool otherThread = false;
    ASSERT_TRUE(pool.run(
        3, 200,
        [&](std::int64_t) {
            if (std::this_thread::get_id() == caller)
                byCaller.fetch_add(1);
        },
        [&](std::int64_t finished) {
            otherThread = otherThread || std::this_thread::get_id() != caller;
            seen.push_back(finished);
            return true;
        }));
    EXPECT_FALSE(otherThread);
    // Once after each task the caller ran (how many that is depends on the scheduling).
    EXPECT_EQ(static_cast<std::int64_t>(seen.size()), byCaller.load());
    for (std::size_t i = 1; i < seen.size(); ++i)
        EXPECT_LT(seen[i - 1], seen[i]) << "call " << i;
    if (!seen.empty()) {
        EXPECT_LE(seen.back(), 200);
    }
}

TEST(ThreadPool, falseTickStopsHandingOutTasks)
{
    ThreadPool pool;
    std::atomic<std::int64_t> ran{0};
    const bool done = pool.run(
        2, 100000, [&](std::int64_t) { ran.fetch_add(1); }, [](std::int64_t) { return false; });
    EXPECT_FALSE(done);
    EXPECT_LT(ran.load(), 100000);
    // The pool is usable again right after a stopped run.
    EXPECT_TRUE(runsEachOnce(pool, 2, 50));
}

TEST(ThreadPool, backToBackRunsAndGrowingWorkerCounts)
{
    // Many short runs in a row: the workers' spin-then-sleep hand-off between runs.
    ThreadPool pool;
    for (int round = 0; round < 200; ++round)
        ASSERT_TRUE(runsEachOnce(pool, 2 + round % 4, 16)) << "round " << round;
}

TEST(ThreadPool, concurrentCallersEachRunAllTheirTasks)
{
    // While one caller owns the workers the others run on their own thread; either way
    // every caller's tasks all run.
    ThreadPool pool;
    std::atomic<int> failures{0};
    std::vector<std::thread> callers;
    callers.reserve(3);
    for (int c = 0; c < 3; ++c)
        callers.emplace_back([&pool, &failures] {
            for (int round = 0; round < 30; ++round)
                if (!runsEachOnce(pool, 3, 40))
                    failures.fetch_add(1);
        });
    for (auto &t : callers)
        t.join();
    EXPECT_EQ(failures.load(), 0);
}

TEST(ThreadPool, throwingTask_isRethrownOnTheCallersThreadForAnyThreadCount)
{
    ThreadPool pool;
    for (const int threads : {1, 2, 4}) {
        std::atomic<int> ran{0};
        const auto task = [&](std::int64_t i) {
            ran.fetch_add(1);
            if (i == 5)
                throw std::runtime_error("task 5 failed");
        };
        try {
            pool.run(threads, 64, task, nullptr);
            ADD_FAILURE() << "run() did not throw with " << threads << " threads";
        } catch (const std::runtime_error &e) {
            EXPECT_STREQ(e.what(), "task 5 failed") << threads << " threads";
        }
        EXPECT_GE(ran.load(), 6) << threads << " threads";
        // The pool survives and runs the next work in full.
        EXPECT_TRUE(runsEachOnce(pool, threads, 100)) << threads << " threads";
    }
}

TEST(ThreadPool, everyTaskThrowing_rethrowsOneExceptionAndKeepsThePoolUsable)
{
    ThreadPool pool;
    EXPECT_THROW(pool.run(
                     2, 1000, [](std::int64_t) { throw std::logic_error("always"); }, nullptr),
                 std::logic_error);
    EXPECT_TRUE(runsEachOnce(pool, 2, 1000));
}
