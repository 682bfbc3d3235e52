// SPDX-License-Identifier: GPL-3.0-or-later
#include "transaction.h"

#include "fileerror.h"
#include "oserror.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

namespace convscope::ui {

namespace {

const QString kStagingPrefix = QStringLiteral(".convscope-export-");
const QString kJournal = QStringLiteral(".journal");
const QString kReplaced = QStringLiteral(".replaced");
constexpr auto kJournalFormat = "convscope-export-journal";

std::filesystem::path fsPath(const QString &path)
{
    return std::filesystem::path(QFile::encodeName(path).toStdString());
}

bool exists(const QString &path)
{
    std::error_code ec;
    return std::filesystem::exists(std::filesystem::symlink_status(fsPath(path), ec));
}

// rename(2): atomic, and replaces `to` when it exists.
bool move(const QString &from, const QString &to, QString *why)
{
    if (::rename(QFile::encodeName(from).constData(), QFile::encodeName(to).constData()) == 0)
        return true;
    if (why)
        *why = QString::fromStdString(core::osErrorText(errno));
    return false;
}

// The journal: which files the commit moves, and in which direction it was going.
struct Journal {
    bool forward = true; // false: undoing a commit that failed
    bool overwrite = false;
    QStringList files;
};

bool writeJournal(const QString &staging, const Journal &j, QString *why)
{
    QJsonObject o;
    o[QStringLiteral("format")] = QLatin1String(kJournalFormat);
    o[QStringLiteral("version")] = 1;
    o[QStringLiteral("direction")] = j.forward ? QStringLiteral("forward") : QStringLiteral("back");
    o[QStringLiteral("overwrite")] = j.overwrite;
    o[QStringLiteral("files")] = QJsonArray::fromStringList(j.files);
    const QByteArray bytes = QJsonDocument(o).toJson(QJsonDocument::Compact);
    QSaveFile f(QDir(staging).filePath(kJournal));
    if (f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size() && f.commit())
        return true;
    *why = fileErrorText(f);
    return false;
}

// nullopt with an empty *why: there is no journal; with *why set: it cannot be read.
std::optional<Journal> readJournal(const QString &staging, QString *why)
{
    QFile f(QDir(staging).filePath(kJournal));
    if (!f.exists())
        return std::nullopt;
    if (!f.open(QIODevice::ReadOnly)) {
        *why = fileErrorText(f);
        return std::nullopt;
    }
    const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    if (o.value(QStringLiteral("format")).toString() != QLatin1String(kJournalFormat)
        || o.value(QStringLiteral("version")).toInt() != 1) {
        *why = QStringLiteral("its journal is not a version 1 convscope export journal");
        return std::nullopt;
    }
    Journal j;
    j.forward = o.value(QStringLiteral("direction")).toString() == QLatin1String("forward");
    j.overwrite = o.value(QStringLiteral("overwrite")).toBool();
    for (const auto v : o.value(QStringLiteral("files")).toArray()) {
        const QString name = v.toString();
        // Only plain names inside the folder: a journal never sends a file elsewhere.
        if (name.isEmpty() || name.contains(QLatin1Char('/')) || name == QLatin1String(".")
            || name == QLatin1String("..")) {
            *why = QStringLiteral("its journal names '%1', which is not a file name").arg(name);
            return std::nullopt;
        }
        j.files << name;
    }
    return j;
}

// Moves the staged files into `folder`, each replaced file into `.replaced/` first. A file
// no longer in the staging folder was moved already, so this can resume where a dead run
// stopped. False (with *error) leaves a state rollBack() undoes.
bool rollForward(const QString &folder, const QString &staging, const Journal &j, QString *error)
{
    const QDir f(folder), s(staging), backups(QDir(staging).filePath(kReplaced));
    if (!QDir().mkpath(backups.path())) {
        *error = QStringLiteral("cannot create '%1': %2")
                     .arg(backups.path(), QString::fromStdString(core::osErrorText(errno)));
        return false;
    }
    for (const QString &name : j.files) {
        const QString staged = s.filePath(name), target = f.filePath(name),
                      backup = backups.filePath(name);
        if (!exists(staged))
            continue;
        QString why;
        if (exists(target) && !exists(backup)) {
            if (!j.overwrite) {
                *error = QStringLiteral("'%1' appeared in folder '%2' during the export; "
                                        "nothing was written")
                             .arg(name, folder);
                return false;
            }
            // Keep the old file until every new one is in place, so a failure can restore it.
            if (!move(target, backup, &why)) {
                *error = QStringLiteral("cannot move '%1' out of folder '%2': %3; nothing was "
                                        "written")
                             .arg(name, folder, why);
                return false;
            }
            exportFaultPoint(QStringLiteral("replaced ") + name);
        }
        if (!move(staged, target, &why)) {
            *error = QStringLiteral("cannot move '%1' into folder '%2': %3; nothing was written")
                         .arg(name, folder, why);
            return false;
        }
        exportFaultPoint(QStringLiteral("moved ") + name);
    }
    return true;
}

// Takes each moved file back into the staging folder, then restores the file it replaced.
// A file still in the staging folder was never moved (or was taken back already).
bool rollBack(const QString &folder, const QString &staging, const Journal &j, QString *error)
{
    const QDir f(folder), s(staging), backups(QDir(staging).filePath(kReplaced));
    bool ok = true;
    for (auto it = j.files.crbegin(); it != j.files.crend(); ++it) {
        const QString staged = s.filePath(*it), target = f.filePath(*it),
                      backup = backups.filePath(*it);
        QString why;
        if (!exists(staged) && exists(target)) {
            if (!move(target, staged, &why)) {
                ok = false;
                *error = QStringLiteral("cannot take '%1' back out of folder '%2': %3")
                             .arg(*it, folder, why);
                continue;
            }
            exportFaultPoint(QStringLiteral("took back ") + *it);
        }
        if (exists(backup)) {
            if (!move(backup, target, &why)) {
                ok = false;
                *error =
                    QStringLiteral("cannot restore '%1' in folder '%2': %3").arg(*it, folder, why);
                continue;
            }
            exportFaultPoint(QStringLiteral("restored ") + *it);
        }
    }
    return ok;
}

// The journal goes first: from then on the folder is garbage whatever is left in it (new
// files never moved, or old files already replaced), and removing it is the end.
void removeStaging(const QString &staging)
{
    QFile::remove(QDir(staging).filePath(kJournal));
    exportFaultPoint(QStringLiteral("journal removed"));
    QDir(staging).removeRecursively();
}

// Finishes or undoes each staging folder a dead run left in `folder`. The caller holds the
// folder's lock, so no live export owns any of them.
bool recoverLocked(const QString &folder, QString *error)
{
    const QStringList dead =
        QDir(folder).entryList({kStagingPrefix + QLatin1Char('*')},
                               QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot | QDir::NoSymLinks);
    for (const QString &name : dead) {
        const QString staging = QDir(folder).filePath(name);
        QString why;
        const std::optional<Journal> j = readJournal(staging, &why);
        if (!j && !why.isEmpty()) {
            *error = QStringLiteral("cannot recover the interrupted export '%1' in folder '%2': "
                                    "%3 (move that folder away to continue)")
                         .arg(name, folder, why);
            return false;
        }
        if (j) {
            if (!j->forward || !rollForward(folder, staging, *j, &why)) {
                Journal back = *j;
                back.forward = false;
                QString ignored;
                writeJournal(staging, back, &ignored); // best effort: both ways end whole
                if (!rollBack(folder, staging, back, &why)) {
                    *error = QStringLiteral("cannot recover the interrupted export '%1' in "
                                            "folder '%2': %3")
                                 .arg(name, folder, why);
                    return false;
                }
            }
        }
        removeStaging(staging);
        exportFaultPoint(QStringLiteral("recovered ") + name);
    }
    return true;
}

struct FaultSpec {
    enum class Action { None, Trace, Kill, Term, Pause } action = Action::None;
    long at = 0;
    QString label; // "ACTION@WHAT": at the first point named WHAT instead of a number
};

FaultSpec faultSpec()
{
    FaultSpec s;
    const char *env = std::getenv("CONVSCOPE_EXPORT_FAULT");
    if (!env || !*env)
        return s;
    const std::string text(env);
    if (text == "trace") {
        s.action = FaultSpec::Action::Trace;
        return s;
    }
    const auto atSign = text.find('@');
    if (atSign == std::string::npos)
        return s;
    const std::string action = text.substr(0, atSign);
    char *end = nullptr;
    s.at = std::strtol(text.c_str() + atSign + 1, &end, 10);
    if (end == text.c_str() + atSign + 1 || *end != '\0')
        s.label = QString::fromStdString(text.substr(atSign + 1));
    if (action == "kill")
        s.action = FaultSpec::Action::Kill;
    else if (action == "term")
        s.action = FaultSpec::Action::Term;
    else if (action == "pause")
        s.action = FaultSpec::Action::Pause;
    return s;
}

} // namespace

void exportFaultPoint(const QString &what)
{
    static const FaultSpec spec = faultSpec();
    if (spec.action == FaultSpec::Action::None)
        return;
    static std::atomic<long> count{0};
    const long n = ++count;
    if (spec.action == FaultSpec::Action::Trace) {
        std::fprintf(stderr, "convscope: fault point %ld: %s\n", n, what.toLocal8Bit().constData());
        return;
    }
    if (spec.label.isEmpty() ? n != spec.at : what != spec.label)
        return;
    switch (spec.action) {
    case FaultSpec::Action::Kill: ::raise(SIGKILL); break;
    case FaultSpec::Action::Term: ::raise(SIGTERM); break;
    case FaultSpec::Action::Pause:
        std::fprintf(stderr, "convscope: paused at fault point %ld: %s\n", n,
                     what.toLocal8Bit().constData());
        std::fflush(stderr);
        ::pause(); // returns once a caught signal's handler has run
        break;
    default: break;
    }
}

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
    m_lockFd = ::open(QFile::encodeName(m_folder).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m_lockFd < 0) {
        *error = QStringLiteral("cannot open folder '%1': %2")
                     .arg(m_folder, QString::fromStdString(core::osErrorText(errno)));
        return false;
    }
    if (::flock(m_lockFd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            *error = QStringLiteral("another export into folder '%1' is running; nothing was "
                                    "written (wait for it to finish)")
                         .arg(m_folder);
            return false;
        }
        // No locks on this file system (some network mounts): without them a dead run cannot
        // be told from a live one, so other staging folders are left alone.
        ::close(m_lockFd);
        m_lockFd = -1;
    }
    if (m_lockFd >= 0 && !recoverLocked(m_folder, error))
        return false;
    exportFaultPoint(QStringLiteral("folder ready"));

    QByteArray templ = QFile::encodeName(QDir(m_folder).filePath(kStagingPrefix + "XXXXXX"));
    if (!::mkdtemp(templ.data())) {
        *error = QStringLiteral("cannot write to folder '%1': %2 (choose a folder you can write "
                                "to)")
                     .arg(QDir::toNativeSeparators(m_folder),
                          QString::fromStdString(core::osErrorText(errno)));
        return false;
    }
    m_staging = QFile::decodeName(templ);
    exportFaultPoint(QStringLiteral("staging created"));
    return true;
}

bool ExportTransaction::write(const QString &name,
                              const std::function<bool(QIODevice *, QString *)> &writer,
                              QString *error)
{
    exportFaultPoint(QStringLiteral("writing ") + name);
    QSaveFile file(QDir(m_staging).filePath(name));
    if (!file.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write '%1' in folder '%2': %3")
                     .arg(name, m_folder, fileErrorText(file));
        return false;
    }
    QString why;
    const bool written = writer(&file, &why);
    exportFaultPoint(QStringLiteral("written ") + name); // not yet committed: a partial file
    // The device's own error (e.g. "no space left on device") explains a failed write better
    // than the writer's guess, and must be read before cancelWriting() replaces it.
    if (!written || !file.commit()) {
        const QString os = file.error() != QFileDevice::NoError ? fileErrorText(file) : QString();
        file.cancelWriting();
        *error = QStringLiteral("cannot write '%1' in folder '%2': %3")
                     .arg(name, m_folder,
                          !os.isEmpty()    ? os
                          : !why.isEmpty() ? why
                                           : QStringLiteral("the write failed"));
        return false;
    }
    m_names << name;
    exportFaultPoint(QStringLiteral("staged ") + name);
    return true;
}

bool ExportTransaction::writeBytes(const QString &name, const QByteArray &bytes, QString *error)
{
    return write(
        name, [&bytes](QIODevice *d, QString *) { return d->write(bytes) == bytes.size(); }, error);
}

bool ExportTransaction::commit(QString *error)
{
    Journal j;
    j.overwrite = m_overwrite;
    j.files = m_names;
    QString why;
    exportFaultPoint(QStringLiteral("writing the journal"));
    if (!writeJournal(m_staging, j, &why)) {
        *error = QStringLiteral("cannot write the export journal in folder '%1': %2; nothing was "
                                "written")
                     .arg(m_folder, why);
        return false; // nothing moved yet: the destructor removes the staging folder
    }
    exportFaultPoint(QStringLiteral("journal written"));
    if (!rollForward(m_folder, m_staging, j, error)) {
        j.forward = false;
        writeJournal(m_staging, j, &why); // a kill from here on is undone by the next run
        if (!rollBack(m_folder, m_staging, j, &why)) {
            // Left with its journal: the next export into the folder finishes the job.
            *error += QStringLiteral(" (and undoing it failed: %1)").arg(why);
            m_staging.clear();
        }
        return false;
    }
    m_committed = true;
    rollback(); // removes the staging folder (and the replaced files' backups)
    return true;
}

void ExportTransaction::rollback()
{
    if (!m_staging.isEmpty())
        removeStaging(m_staging);
    m_staging.clear();
    if (!m_committed)
        for (auto it = m_createdDirs.crbegin(); it != m_createdDirs.crend(); ++it)
            QDir().rmdir(*it); // only succeeds when empty, i.e. when we left nothing
    m_createdDirs.clear();
    if (m_lockFd >= 0)
        ::close(m_lockFd); // releases the flock
    m_lockFd = -1;
}

} // namespace convscope::ui
