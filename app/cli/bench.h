// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// `convscope bench`: times core::conv2d on the standard benchmark configurations
// (../shared/bench/configs.json) so compare.py can put it beside PyTorch, or with --network
// the whole forward of an nn.Sequential (tools/bench_network.py puts that beside PyTorch).
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace convscope::cli {

// One entry of configs.json: square kernel, stride, padding and dilation, zeros padding.
struct BenchConfig {
    std::string name;
    std::int64_t n = 1, inChannels = 1, height = 1, width = 1, outChannels = 1;
    int kernel = 1, stride = 1, padding = 0, dilation = 1, groups = 1;
};

// Parses the text of a configs.json file ({"configs": [{...}, ...]}). Throws ValueError
// naming the problem (malformed JSON with its offset, a missing or non-integer field).
std::vector<BenchConfig> parseBenchConfigs(const std::string &json);

// The standard configurations `bench` runs without --config-file: photos from 512x512 to 4K,
// a seed layer, dense 64- and 256-channel layers, depthwise, grouped, dilated and a strided
// 11x11 kernel (the set ../shared/bench/configs.json holds, so a clone benchmarks alone).
const std::vector<BenchConfig> &standardBenchConfigs();

int runBench(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace convscope::cli
