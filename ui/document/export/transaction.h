// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The staging area of one export: files are written through QSaveFile into a hidden
// folder next to their destination (same file system, so the final rename is atomic) and
// moved into place only by commit(). Anything else -- cancel, error, exception -- ends in
// the destructor, which removes the staging folder and any folder this export created.
#include <QByteArray>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

class QIODevice;
class QTemporaryDir;

namespace convscope::ui {

class ExportTransaction {
public:
    ExportTransaction(QString folder, bool overwrite);
    ~ExportTransaction();
    ExportTransaction(const ExportTransaction &) = delete;
    ExportTransaction &operator=(const ExportTransaction &) = delete;

    // Creates the folder (and its missing parents) and the staging folder inside it.
    bool begin(QString *error);

    // `writer` fills the file; false from it (with *error set) aborts.
    bool write(const QString &name, const std::function<bool(QIODevice *, QString *)> &writer,
               QString *error);
    bool writeBytes(const QString &name, const QByteArray &bytes, QString *error);

    // Moves every written file into the folder, or none of them (restoring replaced files).
    bool commit(QString *error);

private:
    void rollback();

    QString m_folder;
    bool m_overwrite = false;
    bool m_committed = false;
    std::unique_ptr<QTemporaryDir> m_staging;
    QStringList m_names;
    QStringList m_createdDirs;
};

} // namespace convscope::ui
