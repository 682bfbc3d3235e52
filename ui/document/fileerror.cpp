// SPDX-License-Identifier: GPL-3.0-or-later
#include "fileerror.h"

#include "oserror.h"

#include <QFile>
#include <QFileDevice>

#include <cerrno>

namespace convscope::ui {

QString fileErrorText(const QFileDevice &file)
{
    QString text = file.errorString();
    // Only a sentence-case word is lowered: "No space left" yes, an acronym like "PNG" no.
    if (text.size() > 1 && text[0].isUpper() && text[1].isLower())
        text[0] = text[0].toLower();
    return text;
}

QString unreadableFileReason(const QString &path)
{
    // A Qt resource (":/...") is not on the file system; it is readable when it exists.
    if (path.startsWith(QLatin1Char(':')))
        return QFile::exists(path) ? QString() : QString::fromStdString(core::osErrorText(ENOENT));
    return QString::fromStdString(
        core::unreadableFileReason(QFile::encodeName(path).toStdString()));
}

} // namespace convscope::ui
