// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Qt-side wording of the operating system's reasons (core/oserror.h): a failed QFile or
// QSaveFile reports the system's text ("no space left on device"), not Qt's generic one.
#include <QString>

class QFileDevice;

namespace convscope::ui {

// The device's errorString(), which for a failed open, read or write is the system's
// strerror text, with a lower-case first letter to fit inside a message.
QString fileErrorText(const QFileDevice &file);

// Why `path` cannot be opened for reading ("permission denied", "is a directory", ...), or
// an empty string when it can.
QString unreadableFileReason(const QString &path);

} // namespace convscope::ui
