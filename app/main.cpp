// convscope entry point: headless subcommands, or the desktop app.
#include "cli/cli.h"
#ifdef CONVSCOPE_WITH_GUI
#include "exportcommand.h"
#endif

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char **argv)
{
    const std::vector<std::string> args(argv + 1, argv + argc);
#ifdef CONVSCOPE_WITH_GUI
    convscope::cli::registerExportCommand(); // needs QImage, so it lives on the Qt side
#endif
    const int code = convscope::cli::runCli(args, std::cout, std::cerr);
    if (code != convscope::cli::kOpenGui)
        return code;
    // The GUI lands with its own issue; until then the bare command prints help.
    return convscope::cli::runCli({"--help"}, std::cout, std::cerr);
}
