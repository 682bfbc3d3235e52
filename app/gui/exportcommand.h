// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// `convscope export`: the GUI's File > Export without a window, for scripts and batches.
// Lives on the Qt side of the binary (it needs QImage and QPainter) and plugs into the
// Qt-free CLI through cli::addCommand.
#include <ostream>
#include <string>
#include <vector>

namespace convscope::cli {

// Registers `export`. Call before runCli.
void registerExportCommand();

int runExport(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace convscope::cli
