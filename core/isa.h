// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The instruction sets the engine's micro-kernel is built for, and the one it runs. One
// binary carries all three paths (convkernel_<isa>.cpp, each compiled with its own flags);
// the best one this CPU has is picked at start-up, and CONVSCOPE_ISA may force a lesser
// one (for a fair comparison with a library limited the same way, or to test a path).
#include "convkernel.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace convscope::core {

enum class Isa {
    Baseline, // x86-64's SSE2 (or the compiler's plain vectors elsewhere)
    Avx2,     // AVX2 + FMA
    Avx512,   // AVX-512F + AVX2 + FMA
};

// "baseline", "avx2", "avx512": the names CONVSCOPE_ISA and --version use.
std::string isaName(Isa isa);
std::optional<Isa> parseIsa(std::string_view name);

// Whether this CPU (and OS: the checks include the saved register state) runs the path.
bool cpuHas(Isa isa);
// The paths this CPU runs, best first; always ends with Baseline.
std::vector<Isa> availableIsas();
Isa bestIsa();
// "avx512, avx2, baseline".
std::string isaList(const std::vector<Isa> &isas);

// The path conv2d uses unless ForwardOptions::isa says otherwise; bestIsa() until set.
Isa activeIsa();
// Throws std::invalid_argument when the CPU cannot run the path.
void setActiveIsa(Isa isa);

// Applies a CONVSCOPE_ISA value (null or empty: leave the best path). Returns the message
// to show and leaves the active path alone when the value is no path name or names a path
// this CPU lacks.
std::optional<std::string> selectIsa(const char *value);

// The kernel built for the path.
ConvKernel convKernel(Isa isa);

} // namespace convscope::core
