// SPDX-License-Identifier: GPL-3.0-or-later
#include "npyargs.h"

#include "args.h"
#include "npy.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <istream>
#include <iterator>
#include <ostream>

namespace convscope::cli {

core::Tensor readNpyArgument(const std::string &path, std::istream &in)
{
    if (path != "-")
        return core::readNpy(path);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
        throw core::NpyError("standard input: read failed");
    return core::parseNpy(bytes, "standard input");
}

void checkOutputArgument(const std::string &path, bool force, bool outIsTerminal)
{
    if (path == "-") {
        if (outIsTerminal)
            throw ValueError("refusing to write .npy data to a terminal: redirect standard "
                             "output to a file or a pipe, or give --output a file name");
        return;
    }
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            return; // a new file: writeNpy reports a missing folder with the OS's reason
        throw ValueError("cannot write '" + path + "': " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        throw ValueError("refusing to write '" + path + "': it is not a regular file ("
                         + (S_ISDIR(st.st_mode) ? "a folder" : "a device, pipe or socket")
                         + "); '-' writes to standard output");
    if (!force)
        throw ValueError("refusing to overwrite '" + path + "': it exists (--force replaces it)");
}

void writeNpyArgument(const std::string &path, const core::Tensor &t, std::ostream &out)
{
    if (path != "-") {
        core::writeNpy(path, t);
        return;
    }
    const bool ok = core::writeNpyTo(t, [&out](const char *data, std::size_t size) {
        out.write(data, static_cast<std::streamsize>(size));
        return static_cast<bool>(out);
    });
    out.flush();
    if (!ok || !out)
        throw core::NpyError("standard output: write failed");
}

void writeBytesArgument(const std::string &path, const std::string &bytes, std::ostream &out)
{
    if (path != "-") {
        core::writeFileAtomically(path, bytes);
        return;
    }
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out)
        throw core::NpyError("standard output: write failed");
}

bool stdoutIsTerminal()
{
    return isatty(STDOUT_FILENO) == 1;
}

} // namespace convscope::cli
