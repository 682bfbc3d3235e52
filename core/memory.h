// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// How much memory a computation may take, and whether a network's forward pass fits it.
// PyTorch accepts any tensor up to 2^31 elements a side; a machine does not: a session,
// lesson or command line asking for more than the machine holds is refused before anything
// is allocated, with the numbers, instead of ending in the kernel's out-of-memory killer.
#include "network.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace convscope::core {

// The budget in bytes: CONVSCOPE_MEMORY_BUDGET_MB when it is a whole number >= 1, else half
// of the memory the process may have (physical memory, or its cgroup v2 memory.max when
// lower). Read afresh on every call.
std::int64_t memoryBudgetBytes();
// The memory the process may have: physical memory, or the cgroup limit when lower.
std::int64_t availableMemoryBytes();
// The limit a cgroup v2 `memory.max` file states in bytes; nullopt for "max" or other text.
std::optional<std::int64_t> cgroupMemoryLimit(const std::string &memoryMax);

// What forward(net, input, outputs, {keep}) holds at its peak, in bytes: the input, every
// tensor the layers own, and at each layer its input, its output and the outputs kept
// before it. `keep` as in NetworkOptions (empty: only the last output). validate() first:
// throws std::invalid_argument on an invalid network.
std::int64_t forwardPeakBytes(const Network &net, const Shape &inputShape,
                              const std::vector<bool> &keep = {});

// nullopt when forward's peak fits `budgetBytes`; else an error at the first layer where it
// does not: "layer 3 (Conv2d): the tensors need 9,216 MB at this layer, more than the memory
// budget of 4,096 MB (CONVSCOPE_MEMORY_BUDGET_MB sets it)". validate() first.
std::optional<NetworkError> checkMemory(const Network &net, const Shape &inputShape,
                                        std::int64_t budgetBytes,
                                        const std::vector<bool> &keep = {});

// "9,216 MB": bytes in whole megabytes (rounded up), with thousands separators.
std::string formatMegabytes(std::int64_t bytes);

} // namespace convscope::core
