// SPDX-License-Identifier: GPL-3.0-or-later
#include "memory.h"

#include "checked.h"
#include "cpus.h"
#include "statedict.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <stdexcept>

namespace convscope::core {

namespace {

constexpr std::int64_t kMB = std::int64_t{1} << 20;
constexpr std::int64_t kFloat = static_cast<std::int64_t>(sizeof(float));

// a + b, saturating: the sums here only ever compare against a budget.
std::int64_t add(std::int64_t a, std::int64_t b)
{
    return a > std::numeric_limits<std::int64_t>::max() - b
               ? std::numeric_limits<std::int64_t>::max()
               : a + b;
}

std::int64_t bytesOf(const Shape &shape)
{
    const auto n = checkedNumel(shape);
    const auto bytes = n ? checkedProduct({*n, kFloat}) : std::nullopt;
    return bytes ? *bytes : std::numeric_limits<std::int64_t>::max();
}

std::optional<std::int64_t> processCgroupMemory()
{
    const auto text = cgroupFile("memory.max");
    return text ? cgroupMemoryLimit(*text) : std::nullopt;
}

} // namespace

std::optional<std::int64_t> cgroupMemoryLimit(const std::string &memoryMax)
{
    if (memoryMax.empty() || memoryMax.size() > 19
        || memoryMax.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    const long long v = std::stoll(memoryMax);
    return v > 0 ? std::optional<std::int64_t>(v) : std::nullopt;
}

std::int64_t availableMemoryBytes()
{
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    std::int64_t bytes =
        pages > 0 && page > 0
            ? checkedProduct({pages, page}).value_or(std::numeric_limits<std::int64_t>::max())
            : std::int64_t{8} << 30; // unknown: assume a small laptop
    if (const auto limit = processCgroupMemory())
        bytes = std::min(bytes, *limit);
    return bytes;
}

std::int64_t memoryBudgetBytes()
{
    if (const char *env = std::getenv("CONVSCOPE_MEMORY_BUDGET_MB")) {
        const std::string text(env);
        if (!text.empty() && text.size() <= 12
            && text.find_first_not_of("0123456789") == std::string::npos) {
            const long long mb = std::stoll(text);
            if (mb >= 1)
                return mb * kMB;
        }
    }
    return availableMemoryBytes() / 2;
}

std::string formatMegabytes(std::int64_t bytes)
{
    const std::int64_t mb = bytes / kMB + (bytes % kMB != 0 ? 1 : 0);
    std::string digits = std::to_string(mb), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out + " MB";
}

namespace {

// The peak at each layer, in layer order (what forwardPeakBytes and checkMemory share).
std::vector<std::int64_t> layerPeaks(const Network &net, const Shape &inputShape,
                                     const std::vector<bool> &keep)
{
    const std::vector<Shape> shapes = layerShapes(net, inputShape);
    std::int64_t fixed = bytesOf(inputShape);
    for (const Layer &layer : net.layers)
        for (const ExpectedTensor &t : expectedTensors(layer))
            fixed = add(fixed, bytesOf(t.shape));
    std::vector<std::int64_t> peaks;
    std::int64_t kept = 0;     // outputs kept before the current layer
    std::int64_t previous = 0; // the current layer's input when it is a released output
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        const std::int64_t out = bytesOf(shapes[i]);
        peaks.push_back(add(add(add(fixed, kept), previous), out));
        const bool isKept = keep.empty() ? i + 1 == shapes.size() : i < keep.size() && keep[i];
        if (isKept) {
            kept = add(kept, out);
            previous = 0;
        } else {
            previous = out;
        }
    }
    return peaks;
}

} // namespace

std::int64_t forwardPeakBytes(const Network &net, const Shape &inputShape,
                              const std::vector<bool> &keep)
{
    std::int64_t peak = bytesOf(inputShape);
    for (std::int64_t p : layerPeaks(net, inputShape, keep))
        peak = std::max(peak, p);
    return peak;
}

std::optional<NetworkError> checkMemory(const Network &net, const Shape &inputShape,
                                        std::int64_t budgetBytes, const std::vector<bool> &keep)
{
    const std::vector<std::int64_t> peaks = layerPeaks(net, inputShape, keep);
    std::size_t convs = 0;
    for (std::size_t i = 0; i < peaks.size(); ++i) {
        // Numbered as validate() numbers them: a non-Conv2d layer belongs to the next Conv2d.
        const std::size_t conv = convs + 1;
        if (std::holds_alternative<Conv2dLayer>(net.layers[i]))
            ++convs;
        if (peaks[i] <= budgetBytes)
            continue;
        NetworkError e;
        e.layer = i + 1;
        e.conv = conv;
        e.kind = kindName(net.layers[i]);
        e.error = {Field::Input, "the tensors need " + formatMegabytes(peaks[i])
                                     + " at this layer, more than the memory budget of "
                                     + formatMegabytes(budgetBytes)
                                     + " (CONVSCOPE_MEMORY_BUDGET_MB sets it)"};
        return e;
    }
    return std::nullopt;
}

} // namespace convscope::core
