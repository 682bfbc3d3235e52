// SPDX-License-Identifier: GPL-3.0-or-later
// Unsaved session changes: the title marks them (following the undo stack's clean state, a
// saved and an opened session), and closing with them asks Save / Discard / Cancel.
#include "uitest_util.h"

#include "commands.h"

#include <QFileDialog>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QUndoStack>

#include <functional>

using namespace convscope;
using convscope::uitest::settled;

namespace {

// Answers the next modal dialogs from inside their own event loops, in order.
class DialogAnswers : public QObject {
public:
    explicit DialogAnswers(std::vector<std::function<bool(QWidget *)>> answers)
        : m_answers(std::move(answers))
    {
        m_timer.setInterval(20);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            QWidget *modal = QApplication::activeModalWidget();
            if (!modal || m_next >= m_answers.size() || modal == m_last)
                return;
            if (m_answers[m_next](modal)) {
                m_last = modal;
                ++m_next;
            }
        });
        m_timer.start();
    }
    std::size_t answered() const { return m_next; }

private:
    std::vector<std::function<bool(QWidget *)>> m_answers;
    std::size_t m_next = 0;
    QWidget *m_last = nullptr;
    QTimer m_timer;
};

std::function<bool(QWidget *)> press(QMessageBox::StandardButton which)
{
    return [which](QWidget *modal) {
        auto *box = qobject_cast<QMessageBox *>(modal);
        if (!box || !box->button(which))
            return false;
        box->button(which)->click();
        return true;
    };
}

std::function<bool(QWidget *)> saveAs(const QString &path)
{
    return [path](QWidget *modal) {
        auto *dialog = qobject_cast<QFileDialog *>(modal);
        if (!dialog)
            return false;
        // The dialog may still be loading its folder and re-select its default name: accept
        // on a later round, once the path is what it would return.
        if (dialog->selectedFiles().value(0) != path) {
            dialog->selectFile(path);
            return false;
        }
        static_cast<QDialog *>(dialog)->accept(); // QFileDialog::accept is protected
        return true;
    };
}

} // namespace

class UnsavedChangesTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("convscope-tests"));
        QCoreApplication::setApplicationName(QStringLiteral("unsavedchanges_test"));
        QSettings().clear();
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/convscope-test-bus");
    }
    void init()
    {
        m_w = uitest::openTestWindow();
        QVERIFY(settled(*m_w));
    }
    void cleanup() { m_w.reset(); }

    void title_marksEditsUntilUndone()
    {
        QVERIFY(m_w->windowTitle().contains(QStringLiteral("[*]")));
        QVERIFY(!m_w->isWindowModified());
        QVERIFY(!m_w->hasUnsavedChanges());
        edit();
        QVERIFY(m_w->isWindowModified());
        m_w->undoStack()->undo();
        QVERIFY(!m_w->isWindowModified());
        m_w->undoStack()->redo();
        QVERIFY(m_w->isWindowModified());
    }

    void closeWithChanges_cancelKeepsTheWindow()
    {
        edit();
        DialogAnswers answers({press(QMessageBox::Cancel)});
        QVERIFY(!m_w->close());
        QCOMPARE(answers.answered(), std::size_t(1));
        QVERIFY(m_w->isVisible());
        QVERIFY(m_w->isWindowModified());
    }

    void closeWithChanges_discardCloses()
    {
        edit();
        DialogAnswers answers({press(QMessageBox::Discard)});
        QVERIFY(m_w->close());
        QCOMPARE(answers.answered(), std::size_t(1));
        QVERIFY(!m_w->isVisible());
    }

    void closeWithoutChanges_asksNothing()
    {
        DialogAnswers answers({press(QMessageBox::Cancel)});
        QVERIFY(m_w->close());
        QCOMPARE(answers.answered(), std::size_t(0));
    }

    void closeWithChanges_saveWritesTheSessionThenCloses()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("lecture.convscope.json"));
        edit();
        DialogAnswers answers({press(QMessageBox::Save), saveAs(path)});
        QVERIFY(m_w->close());
        QCOMPARE(answers.answered(), std::size_t(2));
        QVERIFY2(QFileInfo::exists(path), qPrintable(QDir(dir.path()).entryList().join(' ')));
        QVERIFY(!m_w->isWindowModified());

        // Opening the saved session: clean again after more edits.
        m_w->show();
        edit();
        QVERIFY(m_w->isWindowModified());
        QVERIFY(m_w->openFile(path));
        QVERIFY(!m_w->isWindowModified());
    }

    void saveCancelled_keepsTheWindowAndTheMark()
    {
        edit();
        DialogAnswers answers({press(QMessageBox::Save), [](QWidget *modal) {
                                   auto *dialog = qobject_cast<QFileDialog *>(modal);
                                   if (!dialog)
                                       return false;
                                   dialog->reject();
                                   return true;
                               }});
        QVERIFY(!m_w->close());
        QCOMPARE(answers.answered(), std::size_t(2));
        QVERIFY(m_w->isVisible());
        QVERIFY(m_w->isWindowModified());
    }

private:
    void edit()
    {
        core::Conv2dParams p = m_w->session()->params();
        p.outChannels += 1;
        m_w->undoStack()->push(new ui::SetParamsCommand(m_w->session(), m_w->session()->params(), p,
                                                        QStringLiteral("test edit")));
    }

    std::unique_ptr<ui::MainWindow> m_w;
};

QTEST_MAIN(UnsavedChangesTest)
#include "unsavedchanges_test.moc"
