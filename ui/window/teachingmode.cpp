// SPDX-License-Identifier: GPL-3.0-or-later
#include "teachingmode.h"

#include "commands.h"
#include "ids.h"
#include "kernelbinding.h"
#include "kernelpanel.h"
#include "lesson.h"
#include "session.h"
#include "teachingpanel.h"

#include <QAction>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QUndoStack>

#include <algorithm>

namespace convscope::ui {

TeachingMode::TeachingMode(const TeachingHost &host)
    : QObject(host.window), m_host(host), m_window(host.window), m_select(host.selectOutput)
{
    QMainWindow *window = m_window;
    m_panel = new TeachingPanel;
    m_dock = new QDockWidget(tr("Teaching"), window);
    m_dock->setObjectName(QLatin1String(dockname::kTeaching));
    m_dock->setWidget(m_panel);
    window->addDockWidget(Qt::BottomDockWidgetArea, m_dock);
    m_dock->hide();
    // Page Up / Page Down work anywhere in the window (a presenter remote sends them to
    // whatever has focus); Space and the arrows stay inside the panel, where spin boxes
    // and sliders elsewhere do not need them.
    m_panel->setLessonKeysWindowWide(true);
    m_panel->attachSession(m_host.session);

    connect(m_panel, &TeachingPanel::stepConfigured, this,
            [this](const core::Conv2dParams &params, const core::Tensor &weight,
                   const core::Tensor &bias, const QString &description) {
                Session *s = m_host.session;
                QUndoStack *undo = m_host.undoStack;
                undo->beginMacro(description);
                if (!(s->params() == params))
                    undo->push(new SetParamsCommand(s, s->params(), params, description));
                // After the parameters: the session may have re-made weights of the new shape.
                undo->push(
                    new SetWeightsCommand(s, *s->weight(), *s->bias(), weight, bias, description));
                undo->endMacro();
            });
    connect(m_panel, &TeachingPanel::lockedControlsChanged, this, &TeachingMode::applyLocks);
    connect(m_panel, &TeachingPanel::positionChanged, this,
            [this](const core::OutputPosition &, const std::optional<core::OutputPosition> &full) {
                m_full = full;
                selectFullSize();
            });
    // The full-size result arrives after the edit that made it (computed in the
    // background): select the position again once it is there.
    connect(m_host.session, &Session::resultChanged, this, &TeachingMode::selectFullSize);
    // The dock's own close button ends teaching mode like the menu does.
    connect(m_dock, &QDockWidget::visibilityChanged, this, [this](bool) {
        if (m_on && m_dock->isHidden()) {
            setOn(false);
        } else if (!m_on && !m_dock->isHidden()) {
            // The window restored a layout saved while teaching (QMainWindow::restoreState):
            // adopt it, and give the docks it hid back when teaching ends.
            m_on = true;
            const QSignalBlocker block(m_toggle);
            m_toggle->setChecked(true);
            for (QDockWidget *d : m_window->findChildren<QDockWidget *>())
                if (d != m_dock && d->isHidden())
                    m_hiddenDocks << d;
            applyLocks(m_panel->lockedControls());
        }
    });
    buildMenus();
}

void TeachingMode::buildMenus()
{
    QMenuBar *bar = m_window->menuBar();
    QMenu *view = m_host.viewMenu;
    QMenu *file = m_host.fileMenu;

    // Not the dock's toggleViewAction: the other docks must make room before the dock
    // shows, or the window grows to fit them all.
    m_toggle = new QAction(tr("&Teaching Mode"), this);
    m_toggle->setCheckable(true);
    connect(m_toggle, &QAction::toggled, this, &TeachingMode::setOn);
    m_toggle->setShortcut(QKeySequence(Qt::Key_F6));
    m_toggle->setStatusTip(tr("Step through the convolution, quiz the class, run lessons"));
    if (view)
        view->insertAction(m_host.viewBefore, m_toggle);

    auto *openLesson = new QAction(tr("Open &Lesson…"), this);
    openLesson->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    openLesson->setStatusTip(tr("Open a lesson file (JSON) and start it in teaching mode"));
    connect(openLesson, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(m_window, tr("Open Lesson"), QString(),
                                                          tr("Lessons (*.json);;All files (*)"));
        if (path.isEmpty())
            return;
        QString error;
        if (!openLessonFile(path, &error))
            QMessageBox::warning(m_window, tr("Cannot open the lesson"), error);
    });
    auto *shipped = new QMenu(tr("&Built-in Lessons"), m_window);
    for (const QString &path : shippedLessonPaths()) {
        QString error;
        const auto lesson = loadLesson(path, &error);
        QAction *a = shipped->addAction(lesson ? lesson->title : QFileInfo(path).baseName());
        a->setStatusTip(tr("Start the lesson \"%1\"").arg(a->text()));
        connect(a, &QAction::triggered, this, [this, path] {
            QString why;
            if (!openLessonFile(path, &why))
                QMessageBox::warning(m_window, tr("Cannot open the lesson"), why);
        });
    }
    if (file) {
        file->insertSeparator(m_host.fileBefore);
        file->insertAction(m_host.fileBefore, openLesson);
        file->insertMenu(m_host.fileBefore, shipped);
    }

    auto *lesson = new QMenu(tr("&Lesson"), m_window);
    QAction *next =
        lesson->addAction(tr("&Next Step\tPgDown"), m_panel, &TeachingPanel::nextLessonStep);
    next->setStatusTip(tr("Go to the next step of the lesson (Page Down or a presenter remote)"));
    QAction *prev =
        lesson->addAction(tr("&Previous Step\tPgUp"), m_panel, &TeachingPanel::previousLessonStep);
    prev->setStatusTip(tr("Go back one step of the lesson (Page Up)"));
    lesson->addSeparator();
    QAction *play =
        lesson->addAction(tr("&Play / Pause\tSpace"), m_panel, &TeachingPanel::togglePlay);
    play->setStatusTip(tr("Animate the kernel sliding over the input"));
    lesson->addSeparator();
    QAction *save = lesson->addAction(tr("&Save Current State as Step…"));
    save->setStatusTip(
        tr("Append the current configuration, grid and quiz as a step of a lesson file"));
    connect(save, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            m_window, tr("Save as Lesson Step"), QString(), tr("Lessons (*.json)"), nullptr,
            QFileDialog::DontConfirmOverwrite); // appending, not overwriting
        if (path.isEmpty())
            return;
        QString error;
        if (!saveStateAsStep(path, &error))
            QMessageBox::warning(m_window, tr("Cannot save the step"), error);
        else
            m_window->statusBar()->showMessage(tr("Step added to %1").arg(path), 5000);
    });
    lesson->addAction(openLesson);
    lesson->addMenu(shipped);
    bar->insertMenu(m_host.menuBarBefore, lesson);
}

bool TeachingMode::isOn() const
{
    return m_on;
}

void TeachingMode::setOn(bool on)
{
    {
        const QSignalBlocker block(m_toggle);
        m_toggle->setChecked(on);
    }
    if (on == m_on && on == !m_dock->isHidden())
        return;
    m_on = on;
    if (!on) {
        m_dock->hide();
        applyLocks({}); // leaving teaching mode gives every control back
        applyPresentation();
        return;
    }
    applyPresentation(); // first make room
    m_dock->show();
    {
        m_dock->raise();
        // The animation needs room: most of the window's height, but never more than the
        // rest of the window can give up (asking for more would grow the window each time).
        int topMin =
            m_window->centralWidget() ? m_window->centralWidget()->minimumSizeHint().height() : 0;
        for (QDockWidget *d : m_window->findChildren<QDockWidget *>())
            if (d != m_dock && !d->isHidden()
                && m_window->dockWidgetArea(d) != Qt::BottomDockWidgetArea)
                topMin = std::max(topMin, d->minimumSizeHint().height());
        const int chrome = m_window->menuBar()->height() + m_window->statusBar()->height() + 24;
        int target = std::min(static_cast<int>(m_window->height() * 0.62),
                              m_window->height() - chrome - topMin);
        target = std::max(target, m_dock->minimumSizeHint().height());
        m_window->resizeDocks({m_dock}, {target}, Qt::Vertical);
        m_panel->setFocus();
        applyLocks(m_panel->lockedControls());
    }
}

bool TeachingMode::openLessonFile(const QString &path, QString *error)
{
    if (!m_panel->openLesson(path, error))
        return false;
    setOn(true);
    return true;
}

bool TeachingMode::saveStateAsStep(const QString &path, QString *error)
{
    const QString title =
        m_panel->lesson() ? m_panel->lesson()->title + tr(" (my steps)") : tr("My lesson");
    // The kernel panel knows the seed of a Kaiming initialisation, which no search can find.
    std::vector<LessonKernel> candidates;
    if (KernelPanel *k = m_host.kernelPanel) {
        const WeightRecipe &r = k->recipe();
        LessonKernel lk;
        if (r.kind == WeightRecipe::Kind::Preset) {
            lk.preset = r.preset;
            candidates.push_back(lk);
        } else if (r.kind == WeightRecipe::Kind::Kaiming) {
            lk.seed = r.seed; // preset left unset: seeded initialisation
            candidates.push_back(lk);
        }
    }
    bool kept = true;
    const LessonStep step = m_panel->currentStateAsStep(candidates, &kept);
    if (!appendLessonStep(path, step, title, error))
        return false;
    if (!kept)
        m_window->statusBar()->showMessage(
            tr("Saved; the hand-edited weights are not part of a lesson step (it uses the identity "
               "kernel): choose a preset or a seed to keep them."),
            10000);
    return true;
}

void TeachingMode::setOutputSelector(std::function<void(int, int, int)> select)
{
    m_select = std::move(select);
}

void TeachingMode::selectFullSize()
{
    if (m_full && m_select && isOn())
        m_select(static_cast<int>(m_full->o), static_cast<int>(m_full->y),
                 static_cast<int>(m_full->x));
}

void TeachingMode::applyLocks(const QStringList &locked)
{
    for (const QString &control : lockableControls()) {
        const auto field = lockableField(control);
        if (!field)
            continue;
        const bool lock = locked.contains(control);
        if (*field == core::Field::Weight) {
            if (m_host.kernelPanel)
                m_host.kernelPanel->setEnabled(!lock);
        } else if (*field != core::Field::Input && m_host.lockParameter) {
            // The teaching panel locks its own input row.
            m_host.lockParameter(*field, lock);
        }
    }
}

bool TeachingMode::keptWhileTeaching(const QDockWidget *dock) const
{
    return !m_presentation && dock && (dock == m_host.parametersDock || dock == m_host.inputDock);
}

void TeachingMode::setPresentation(bool on)
{
    m_presentation = on;
    applyPresentation();
}

void TeachingMode::applyPresentation()
{
    m_panel->setPresentationMode(m_presentation);
    // The status bar's read-outs are the teacher's, not the class's: a projected lesson
    // gives its line to the grid.
    m_window->statusBar()->setVisible(!(m_presentation && isOn()));
    // Teaching gives the lesson the height, presenting the type grows: either way the
    // Parameters dock scrolls rather than pushing the docks below it off the screen.
    if (m_host.squeezeParameters)
        m_host.squeezeParameters(isOn() || m_presentation);
    if (isOn()) {
        // The animation needs the room: while teaching, only the parameters and the input
        // stay beside it (the teacher edits, the class sees the image); presenting, only
        // the lesson's own panel. Hidden docks come back when teaching ends.
        for (QDockWidget *d : m_window->findChildren<QDockWidget *>())
            if (d != m_dock && !d->isHidden() && !keptWhileTeaching(d)) {
                m_hiddenDocks << d;
                d->hide();
            }
        for (const QPointer<QDockWidget> &d : m_hiddenDocks)
            if (d && keptWhileTeaching(d))
                d->show();
        // Presenting, the full-size maps give their room to the lesson too.
        if (QWidget *central = m_window->centralWidget()) {
            if (m_presentation && !central->isHidden()) {
                central->hide();
                m_hidCentral = true;
            } else if (!m_presentation && m_hidCentral) {
                central->show();
                m_hidCentral = false;
            }
        }
        // What stays beside the lesson gets sensible widths back (hiding the others
        // leaves their room to whichever dock was next to them).
        if (!m_presentation) {
            QList<QDockWidget *> kept;
            QList<int> widths;
            for (QDockWidget *d : {m_host.parametersDock, m_host.inputDock})
                if (keptWhileTeaching(d) && !d->isHidden()) {
                    kept << d;
                    widths << (d == m_host.inputDock ? 380 : 320);
                }
            if (!kept.isEmpty())
                m_window->resizeDocks(kept, widths, Qt::Horizontal);
        }
        m_hiddenDocks.erase(
            std::remove_if(m_hiddenDocks.begin(), m_hiddenDocks.end(),
                           [](const QPointer<QDockWidget> &d) { return !d || !d->isHidden(); }),
            m_hiddenDocks.end());
    } else {
        for (const QPointer<QDockWidget> &d : m_hiddenDocks)
            if (d)
                d->show();
        m_hiddenDocks.clear();
        if (m_hidCentral && m_window->centralWidget())
            m_window->centralWidget()->show();
        m_hidCentral = false;
    }
}

} // namespace convscope::ui
