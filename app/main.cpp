// SPDX-License-Identifier: GPL-3.0-or-later
// convscope entry point: headless subcommands, or the desktop app.
#include "cli/cli.h"
#include "isa.h"
#ifdef CONVSCOPE_WITH_GUI
#include "exportcommand.h"
#include "gui/guiapp.h"
#endif

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char **argv)
{
    // Before any work, so a wrong value stops every command and the GUI alike.
    if (const auto error = convscope::core::selectIsa(std::getenv("CONVSCOPE_ISA"))) {
        std::cerr << "convscope: " << *error << "\n";
        return 2;
    }
    std::vector<std::string> args(argv + 1, argv + argc);
#ifdef CONVSCOPE_WITH_GUI
    convscope::ui::registerGuiCommands();
    // Qt's own options (-style, -platform, ...) are QApplication's: it reads them from argv.
    convscope::cli::dropLeadingQtOptions(args);
    // Hidden GUI-only options (screenshots for the docs) never reach the CLI parser.
    const auto gui = convscope::ui::takeGuiOptions(args);
    convscope::cli::registerExportCommand(); // needs QImage, so it lives on the Qt side
#endif
    const int code = convscope::cli::runCli(args, std::cout, std::cerr);
    if (code != convscope::cli::kOpenGui)
        return code;
#ifdef CONVSCOPE_WITH_GUI
    // Only the GUI path creates a QApplication: the CLI stays usable without a display.
    return convscope::ui::runGui(argc, argv, gui);
#else
    return convscope::cli::runCli({"--help"}, std::cout, std::cerr);
#endif
}
