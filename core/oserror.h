// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The operating system's reason for a failed file operation, worded as a message fragment
// ("permission denied", "is a directory", "no space left on device"), so that every
// "cannot read/write X" message says what the system said instead of guessing.
#include <string>

namespace convscope::core {

// strerror(errnum) with a lower-case first letter.
std::string osErrorText(int errnum);

// Why `path` cannot be opened for reading as a regular file or device ("no such file or
// directory", "permission denied", "is a directory"), or "" when it can. Opens and closes it.
std::string unreadableFileReason(const std::string &path);

} // namespace convscope::core
