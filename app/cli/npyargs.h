// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Tensors named on the command line, the way Unix tools take files: a path, or "-" for
// standard input (a .npy read whole) or standard output (streamed). An output is checked
// before any work: an existing file is replaced only with --force, and a path that is not a
// regular file (a device, a pipe, a folder) is refused, so a command never replaces
// /dev/stdout with a file or writes into a FIFO by accident.
#include "tensor.h"

#include <iosfwd>
#include <string>

namespace convscope::cli {

// The tensor at `path`, or read from `in` when path is "-". Throws core::NpyError.
core::Tensor readNpyArgument(const std::string &path, std::istream &in);

// ValueError unless `path` may be written: "-" (when `out` is not a terminal), a path that
// does not exist yet, or an existing regular file with `force`.
void checkOutputArgument(const std::string &path, bool force, bool outIsTerminal);

// Writes `t` to `path` atomically, or streams it to `out` when path is "-".
void writeNpyArgument(const std::string &path, const core::Tensor &t, std::ostream &out);

// Writes a serialised .npy (e.g. int64 counts) to `path` atomically, or to `out` for "-".
void writeBytesArgument(const std::string &path, const std::string &bytes, std::ostream &out);

// Whether the process's standard output is a terminal.
bool stdoutIsTerminal();

} // namespace convscope::cli
