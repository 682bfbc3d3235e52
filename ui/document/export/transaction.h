// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The staging area of one export, all-or-nothing even under kill -9:
//
// - begin() takes an exclusive flock() on the target folder itself (held until the
//   transaction ends; the kernel drops it when the process dies), then recovers every
//   `.convscope-export-*` folder a dead run left there, then creates its own staging folder.
//   Only the lock holder creates staging folders, so while it holds the lock any other one
//   belongs to a dead run.
// - write() puts each file through QSaveFile into the staging folder (same file system, so
//   every later move is an atomic rename).
// - commit() first writes a journal (`.journal`, itself through QSaveFile: it exists whole or
//   not at all) naming every staged file, then moves them one by one; a replaced file is
//   first renamed into the staging folder's `.replaced/`. Deleting the journal is the end
//   of the transaction; the staging folder is removed after that.
// - Recovery of a dead run's folder: no journal -> the run never reached its commit, the
//   folder is deleted. A journal -> the commit had started with every file complete, and it
//   is finished (roll forward); if that fails (or the journal says the run was undoing a
//   failed commit) the moved files go back and the replaced ones are restored. Both
//   directions are idempotent and correct from any state the other left, so a kill during
//   recovery is recovered the same way by the next run.
//
// Anything else -- cancel, error, exception -- ends in the destructor, which removes the
// staging folder and any folder this export created.
#include <QByteArray>
#include <QString>
#include <QStringList>

#include <functional>

class QIODevice;

namespace convscope::ui {

class ExportTransaction {
public:
    ExportTransaction(QString folder, bool overwrite);
    ~ExportTransaction();
    ExportTransaction(const ExportTransaction &) = delete;
    ExportTransaction &operator=(const ExportTransaction &) = delete;

    // Creates the folder (and its missing parents), locks it, finishes or undoes what dead
    // exports left in it, and creates this export's staging folder.
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
    int m_lockFd = -1;
    QString m_staging; // absolute path; empty when there is none
    QStringList m_names;
    QStringList m_createdDirs;
};

// Test hook, read once from CONVSCOPE_EXPORT_FAULT: "ACTION@N" acts at the N-th fault point
// of the process (1-based; the points are the steps of begin, write and commit, and of the
// recovery; "ACTION@WHAT" acts at the first point named WHAT, e.g. "kill@folder ready"
// right after the recovery): kill raises SIGKILL, term raises SIGTERM, pause waits for any signal;
// "trace" prints every point as "convscope: fault point N: WHAT" on stderr. Does nothing otherwise.
void exportFaultPoint(const QString &what);

} // namespace convscope::ui
