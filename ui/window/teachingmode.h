// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Puts teaching mode into the main window without the window knowing its insides: a
// "Teaching" dock with the TeachingPanel, View > Teaching Mode, File > Open Lesson and the
// shipped lessons, a Lesson menu (next/previous step, save the current state as a step),
// lesson steps applied to the session as undoable edits, locked controls disabled in the
// parameter and kernel panels, and presentation mode showing only the lesson's panels.
#include <QObject>
#include <QPointer>
#include <QStringList>

#include "stepper.h"
#include "teachinghost.h"

#include <functional>
#include <optional>

class QAction;
class QDockWidget;
class QMenu;

namespace convscope::ui {

class TeachingPanel;

class TeachingMode : public QObject {
    Q_OBJECT
public:
    // A child of host.window; adds its dock and menu entries there.
    explicit TeachingMode(const TeachingHost &host);

    TeachingPanel *panel() const { return m_panel; }
    QDockWidget *dock() const { return m_dock; }
    QAction *toggleAction() const { return m_toggle; }

    bool isOn() const;
    void setOn(bool on);
    // Opens a lesson file (switching teaching mode on); false and a message on failure.
    bool openLessonFile(const QString &path, QString *error);
    // Appends the current state as a step to a lesson file (created when missing).
    bool saveStateAsStep(const QString &path, QString *error);
    // Projector mode for the lesson: large fonts and contrast in the panel, every other
    // dock hidden while teaching (and restored afterwards). The window's presentation switch
    // calls this.
    void setPresentation(bool on);

    // The full-size view's "select this output" (the receptive-field controller's
    // selectOutput(channel, y, x)): the stepping highlights the current position there.
    void setOutputSelector(std::function<void(int channel, int y, int x)> select);

private:
    void buildMenus();
    void applyLocks(const QStringList &locked);
    void applyPresentation();
    void selectFullSize();
    bool keptWhileTeaching(const QDockWidget *dock) const;

    TeachingHost m_host;
    QMainWindow *m_window;
    TeachingPanel *m_panel = nullptr;
    QDockWidget *m_dock = nullptr;
    QAction *m_toggle = nullptr;
    bool m_presentation = false;
    bool m_on = false;
    bool m_hidCentral = false;
    QList<QPointer<QDockWidget>> m_hiddenDocks; // docks presentation mode hid
    std::function<void(int, int, int)> m_select;
    std::optional<core::OutputPosition> m_full; // the stepping's position on the full-size output
};

} // namespace convscope::ui
