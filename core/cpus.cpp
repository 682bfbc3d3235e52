// SPDX-License-Identifier: GPL-3.0-or-later
#include "cpus.h"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

namespace convscope::core {

namespace {

std::optional<int> processCgroupLimit()
{
    const auto text = cgroupFile("cpu.max");
    return text ? cgroupCpuLimit(*text) : std::nullopt;
}

} // namespace

std::optional<std::string> cgroupFile(const std::string &name)
{
    std::ifstream self("/proc/self/cgroup");
    std::string line;
    std::string path;
    while (std::getline(self, line))
        if (line.rfind("0::", 0) == 0)
            path = line.substr(3);
    std::string own = "/sys/fs/cgroup";
    own.append(path).append("/").append(name);
    for (const std::string &file : {own, "/sys/fs/cgroup/" + name}) {
        std::ifstream in(file);
        std::string text;
        if (in && std::getline(in, text))
            return text;
    }
    return std::nullopt;
}

std::optional<int> cgroupCpuLimit(const std::string &cpuMax)
{
    std::istringstream in(cpuMax);
    std::string quota;
    long long period = 0;
    if (!(in >> quota >> period) || period <= 0 || quota == "max")
        return std::nullopt;
    std::size_t used = 0;
    long long q = 0;
    try {
        q = std::stoll(quota, &used);
    } catch (const std::exception &) {
        return std::nullopt;
    }
    if (used != quota.size() || q <= 0)
        return std::nullopt;
    return std::max(1, static_cast<int>(std::ceil(static_cast<double>(q) / period)));
}

int availableCpus()
{
    int cpus = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        cpus = std::max(1, CPU_COUNT(&set));
    if (const auto limit = processCgroupLimit())
        cpus = std::min(cpus, *limit);
    return cpus;
}

} // namespace convscope::core
