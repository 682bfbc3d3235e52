// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The desktop side of the convscope binary: opening the window, and the Qt-side
// subcommands (bench-ui) registered into the CLI.
#include <string>
#include <vector>

namespace convscope::ui {

struct GuiOptions {
    std::string image;           // empty: the bundled sample image
    std::string screenshot;      // hidden: save a grab of the window there and quit
    std::string screenshotState; // hidden: "", "presentation", "invalid", "many", "reflect", "dark"
};

// Removes the hidden GUI-only options (--screenshot FILE, --screenshot-state S) from args.
GuiOptions takeGuiOptions(std::vector<std::string> &args);

// Creates the QApplication and runs the main window until it closes.
int runGui(int argc, char **argv, const GuiOptions &options);

// Registers `bench-ui` with the CLI.
void registerGuiCommands();

} // namespace convscope::ui
