// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// How many CPUs this process may really use: std::thread::hardware_concurrency() counts the
// machine's, but `taskset`, a container's cpuset or a cgroup CPU quota (docker --cpus,
// systemd CPUQuota) give it fewer, and more threads than that only contend.
#include <optional>
#include <string>

namespace convscope::core {

// min(CPUs in the calling thread's affinity mask, the cgroup quota rounded up), at least 1.
// Read afresh on every call (ThreadPool::hardwareThreads caches it).
int availableCpus();

// The first line of a cgroup v2 file of this process ("cpu.max", "memory.max"): its own
// cgroup's, else the root's (a container usually sees its own cgroup mounted as the root);
// nullopt when neither can be read.
std::optional<std::string> cgroupFile(const std::string &name);

// The CPU limit a cgroup v2 `cpu.max` file states ("QUOTA PERIOD", or "max PERIOD" for none),
// rounded up; nullopt for no limit or text that is not that format.
std::optional<int> cgroupCpuLimit(const std::string &cpuMax);

} // namespace convscope::core
