// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The convscope command line: subcommand dispatch and each subcommand as a function that
// writes to the given streams and returns the exit code (0 ok, 1 bad value or failure,
// 2 usage error). Qt-free, so tests call it without a process.
#include "args.h"
#include "conv2dparams.h"

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace convscope::cli {

// Returned by runCli when the arguments ask for the GUI instead of a subcommand.
constexpr int kOpenGui = -1;

// A subcommand: name, one-line summary for --help, and the function that runs it.
// Functions throw UsageError (exit 2 + hint) or any std::exception (exit 1 + message).
struct Command {
    std::string name;
    std::string summary;
    std::function<int(const std::vector<std::string> &, std::ostream &, std::ostream &)> run;
};

// Registers a subcommand that lives outside this Qt-free library (e.g. `export`, which
// needs QImage). Call before runCli.
void addCommand(Command command);

// The live view allocates a fresh output tensor per run (tens of MB for a photo). glibc
// serves such blocks with mmap and returns them on free, so every run page-faults its
// output in again (~30 ms for 1920x1080 x 8 maps). Keeping large blocks in the heap makes
// the next run reuse the pages. Called by the GUI and the benchmarks of what it runs
// (bench-ui, bench-erf) only: the CLI's peak memory stays as measured.
void keepLargeAllocationsInHeap();

int runCli(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

int runConv(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);
int runShape(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

// The options every Conv2d-shaped subcommand shares.
const std::vector<OptionSpec> &convOptionSpecs();

// Reads --stride, --padding, --padding-mode, --dilation and --groups into `p` (fields not
// given keep their values). Throws ValueError.
void applyConvOptions(const ParsedArgs &a, core::Conv2dParams &p);

std::string version();

// Removes the Qt options (-style fusion, -platform xcb, -reverse, ...) the arguments start
// with: they are QApplication's to read on the GUI path (it gets the untouched argv), and
// the command dispatch never sees them.
void dropLeadingQtOptions(std::vector<std::string> &args);

} // namespace convscope::cli
