// SPDX-License-Identifier: GPL-3.0-or-later
#include "oserror.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace convscope::core {

std::string osErrorText(int errnum)
{
    std::string text = std::strerror(errnum);
    if (!text.empty())
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

std::string unreadableFileReason(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return osErrorText(errno);
    struct stat st {};
    // A directory opens fine for reading; only the first read says EISDIR.
    const bool dir = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
    ::close(fd);
    return dir ? osErrorText(EISDIR) : std::string();
}

} // namespace convscope::core
