// SPDX-License-Identifier: GPL-3.0-or-later
// The default thread count follows what the process may use: its affinity mask (taskset, a
// cpuset) and a cgroup CPU quota, not the machine's CPU count.
#include "cpus.h"

#include <gtest/gtest.h>

#include <sched.h>

#include <algorithm>
#include <thread>

using namespace convscope::core;

TEST(Cpus, affinityMaskOfOneCpu_givesOne)
{
    cpu_set_t saved;
    ASSERT_EQ(sched_getaffinity(0, sizeof(saved), &saved), 0);
    int first = 0;
    while (first < CPU_SETSIZE && !CPU_ISSET(first, &saved))
        ++first;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
    const int cpus = availableCpus();
    ASSERT_EQ(sched_setaffinity(0, sizeof(saved), &saved), 0);
    EXPECT_EQ(cpus, 1);
    EXPECT_LE(availableCpus(), std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
}

TEST(Cpus, cgroupCpuMax_isTheQuotaOverThePeriodRoundedUp)
{
    EXPECT_EQ(cgroupCpuLimit("200000 100000"), 2);
    EXPECT_EQ(cgroupCpuLimit("150000 100000\n"), 2);
    EXPECT_EQ(cgroupCpuLimit("50000 100000"), 1);
    EXPECT_EQ(cgroupCpuLimit("max 100000"), std::nullopt);
    EXPECT_EQ(cgroupCpuLimit(""), std::nullopt);
    EXPECT_EQ(cgroupCpuLimit("lots 100000"), std::nullopt);
    EXPECT_EQ(cgroupCpuLimit("100000 0"), std::nullopt);
    EXPECT_EQ(cgroupCpuLimit("-5 100000"), std::nullopt);
}
