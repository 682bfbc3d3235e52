// SPDX-License-Identifier: GPL-3.0-or-later
#include "transaction.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QTemporaryDir>

#include <filesystem>
#include <vector>

namespace convscope::ui {

namespace {

std::filesystem::path fsPath(const QString &path)
{
    return std::filesystem::path(QFile::encodeName(path).toStdString());
}

} // namespace

ExportTransaction::ExportTransaction(QString folder, bool overwrite)
    : m_folder(std::move(folder)), m_overwrite(overwrite)
{
}

ExportTransaction::~ExportTransaction()
{
    rollback();
}

bool ExportTransaction::begin(QString *error)
{
    const QFileInfo info(m_folder);
    if (info.exists() && !info.isDir()) {
        *error = QStringLiteral("cannot export to '%1': it is a file, not a folder").arg(m_folder);
        return false;
    }
    // Remember which folders we create so that a failed export removes them again.
    QString missing = QDir::cleanPath(info.absoluteFilePath());
    while (!QFileInfo::exists(missing)) {
        m_createdDirs.prepend(missing);
        missing = QFileInfo(missing).absolutePath();
    }
    if (!QDir().mkpath(m_folder)) {
        *error =
            QStringLiteral("cannot create folder '%1' (is '%2' writable?)").arg(m_folder, missing);
        return false;
    }
    m_staging =
        std::make_unique<QTemporaryDir>(QDir(m_folder).filePath(".convscope-export-XXXXXX"));
    if (!m_staging->isValid()) {
        *error =
            QStringLiteral("cannot write to folder '%1': %2 (choose a folder you can write to)")
                .arg(QDir::toNativeSeparators(m_folder), m_staging->errorString());
        m_staging.reset();
        return false;
    }
    return true;
}

bool ExportTransaction::write(const QString &name,
                              const std::function<bool(QIODevice *, QString *)> &writer,
                              QString *error)
{
    QSaveFile file(m_staging->filePath(name));
    if (!file.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write '%1' in folder '%2': %3")
                     .arg(name, m_folder, file.errorString());
        return false;
    }
    QString why;
    if (!writer(&file, &why) || !file.commit()) {
        file.cancelWriting();
        *error = QStringLiteral("cannot write '%1' in folder '%2': %3")
                     .arg(name, m_folder, why.isEmpty() ? file.errorString() : why);
        return false;
    }
    m_names << name;
    return true;
}

bool ExportTransaction::writeBytes(const QString &name, const QByteArray &bytes, QString *error)
{
    return write(
        name, [&bytes](QIODevice *d, QString *) { return d->write(bytes) == bytes.size(); }, error);
}

bool ExportTransaction::commit(QString *error)
{
    const QString backups = m_staging->filePath(".replaced");
    QDir().mkpath(backups);
    struct Done {
        std::filesystem::path target, backup;
        bool replaced;
    };
    std::vector<Done> done;
    std::error_code ec;
    for (const QString &name : std::as_const(m_names)) {
        const auto target = fsPath(QDir(m_folder).filePath(name));
        const auto backup = fsPath(QDir(backups).filePath(name));
        const bool exists = std::filesystem::exists(target, ec);
        bool ok = !exists || m_overwrite;
        // Keep the old file until every new one is in place, so a failure can restore it.
        if (ok && exists)
            std::filesystem::rename(target, backup, ec), ok = !ec;
        if (ok)
            std::filesystem::rename(fsPath(m_staging->filePath(name)), target, ec), ok = !ec;
        if (!ok) {
            if (exists && !m_overwrite)
                *error = QStringLiteral("'%1' appeared in folder '%2' during the export; "
                                        "nothing was written")
                             .arg(name, m_folder);
            else
                *error = QStringLiteral("cannot move '%1' into folder '%2': %3; nothing was "
                                        "written")
                             .arg(name, m_folder, QString::fromStdString(ec.message()));
            if (exists && m_overwrite && std::filesystem::exists(backup))
                std::filesystem::rename(backup, target, ec);
            for (auto it = done.rbegin(); it != done.rend(); ++it) {
                std::filesystem::remove(it->target, ec);
                if (it->replaced)
                    std::filesystem::rename(it->backup, it->target, ec);
            }
            return false;
        }
        done.push_back({target, backup, exists});
    }
    m_committed = true;
    rollback(); // removes the staging folder (and the replaced files' backups)
    return true;
}

void ExportTransaction::rollback()
{
    m_staging.reset(); // QTemporaryDir removes itself and everything in it
    if (!m_committed)
        for (auto it = m_createdDirs.crbegin(); it != m_createdDirs.crend(); ++it)
            QDir().rmdir(*it); // only succeeds when empty, i.e. when we left nothing
    m_createdDirs.clear();
}

} // namespace convscope::ui
