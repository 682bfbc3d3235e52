// SPDX-License-Identifier: GPL-3.0-or-later
#include "isa.h"

#include <atomic>
#include <stdexcept>

namespace convscope::core {

namespace {

std::atomic<int> &activeSlot()
{
    // -1: not chosen yet, so the CPU is asked on first use rather than at static
    // initialisation, whose order between translation units is unspecified.
    static std::atomic<int> slot{-1};
    return slot;
}

} // namespace

std::string isaName(Isa isa)
{
    switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    case Isa::Baseline: break;
    }
    return "baseline";
}

std::optional<Isa> parseIsa(std::string_view name)
{
    for (const Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Baseline})
        if (name == isaName(isa))
            return isa;
    return std::nullopt;
}

bool cpuHas(Isa isa)
{
#if defined(__x86_64__) || defined(__i386__)
    switch (isa) {
    case Isa::Avx512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2")
               && __builtin_cpu_supports("fma");
    case Isa::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::Baseline: return true;
    }
    return false;
#else
    // Elsewhere all three files are built with the compiler's defaults: the same code.
    return isa == Isa::Baseline;
#endif
}

std::vector<Isa> availableIsas()
{
    std::vector<Isa> result;
    for (const Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Baseline})
        if (cpuHas(isa))
            result.push_back(isa);
    return result;
}

Isa bestIsa()
{
    return availableIsas().front();
}

std::string isaList(const std::vector<Isa> &isas)
{
    std::string text;
    for (const Isa isa : isas) {
        if (!text.empty())
            text += ", ";
        text += isaName(isa);
    }
    return text;
}

Isa activeIsa()
{
    int value = activeSlot().load(std::memory_order_relaxed);
    if (value < 0) {
        value = static_cast<int>(bestIsa());
        int expected = -1;
        if (!activeSlot().compare_exchange_strong(expected, value))
            value = expected;
    }
    return static_cast<Isa>(value);
}

void setActiveIsa(Isa isa)
{
    if (!cpuHas(isa))
        throw std::invalid_argument("this CPU cannot run the " + isaName(isa)
                                    + " path (it runs: " + isaList(availableIsas()) + ")");
    activeSlot().store(static_cast<int>(isa), std::memory_order_relaxed);
}

std::optional<std::string> selectIsa(const char *value)
{
    if (value == nullptr || *value == '\0')
        return std::nullopt;
    const std::optional<Isa> isa = parseIsa(value);
    if (!isa)
        return "CONVSCOPE_ISA must be avx512, avx2 or baseline, but got '" + std::string(value)
               + "'";
    if (!cpuHas(*isa))
        return "CONVSCOPE_ISA=" + std::string(value) + ": this CPU cannot run the " + isaName(*isa)
               + " path (it runs: " + isaList(availableIsas()) + ")";
    setActiveIsa(*isa);
    return std::nullopt;
}

ConvKernel convKernel(Isa isa)
{
    switch (isa) {
    case Isa::Avx512: return {avx512::convRange, avx512::blockChannels()};
    case Isa::Avx2: return {avx2::convRange, avx2::blockChannels()};
    case Isa::Baseline: break;
    }
    return {baseline::convRange, baseline::blockChannels()};
}

} // namespace convscope::core
