// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// What teaching mode needs from the window it runs in, handed over once when it is made:
// the model it edits, the panels a lesson locks, the docks that stay beside the lesson and
// where its menu entries go. TeachingMode knows nothing else of the main window.
#include "validate.h"

#include <functional>

class QAction;
class QDockWidget;
class QMainWindow;
class QMenu;
class QUndoStack;

namespace convscope::ui {

class KernelPanel;
class Session;

struct TeachingHost {
    // Gets the Teaching dock; its other docks and central widget make room for the lesson.
    QMainWindow *window = nullptr;
    Session *session = nullptr;
    QUndoStack *undoStack = nullptr; // lesson steps are undoable edits
    // Its seed or preset goes into a saved step; a step's "kernel" lock disables it.
    KernelPanel *kernelPanel = nullptr;
    // Locks (true) or gives back the controls of a Conv2d argument (the Parameters dock).
    std::function<void(core::Field field, bool locked)> lockParameter;
    // Lets the Parameters dock scroll in less than its full height (true while teaching or
    // presenting, so the lesson and the large type fit a short screen) or keeps it whole.
    std::function<void(bool squeezable)> squeezeParameters;
    // The full-size view's "select this output"; the stepping highlights its position there.
    std::function<void(int channel, int y, int x)> selectOutput;
    // The docks that stay beside the lesson while teaching (presenting, none do).
    QDockWidget *parametersDock = nullptr;
    QDockWidget *inputDock = nullptr;
    // Where the menu entries go: the Teaching Mode switch into `viewMenu` before `viewBefore`,
    // the lesson entries into `fileMenu` before `fileBefore`, the Lesson menu into the
    // window's menu bar before `menuBarBefore` (nullptr: at the end).
    QMenu *viewMenu = nullptr;
    QAction *viewBefore = nullptr;
    QMenu *fileMenu = nullptr;
    QAction *fileBefore = nullptr;
    QAction *menuBarBefore = nullptr;
};

} // namespace convscope::ui
