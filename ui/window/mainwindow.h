// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The main window wires the model, the controller, the views and the actions together; it
// holds no Conv2d logic of its own.
#include "appearance.h"
#include "ids.h"
#include "session.h"
#include "settings.h"

#include <QMainWindow>
#include <QPalette>
#include <QStringList>

#include <map>

class QAction;
class QActionGroup;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QUndoStack;

namespace convscope::ui {

class ComputeController;
class ExportActions;
class ConnectivityView;
class ConvMatrixView;
class ErfModel;
class ErfPanel;
class ExplainPanel;
class LayerStackModel;
class LayerStackPanel;
class ReceptiveFieldController;
class FeatureMapGrid;
class InputView;
class KernelPanel;
class ParameterPanel;
class ShapePanel;
class SystemColorScheme;
class TeachingMode;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    using Theme = Settings::Theme;

    explicit MainWindow(QWidget *parent = nullptr);
    // The size of a first window (no saved geometry) on a screen whose available area is
    // `available`: roomy on a desktop, never larger than a 1024x768 projector or a 2x laptop,
    // with room left for the window manager's frame.
    static QSize firstLaunchSize(const QSize &available);
    ~MainWindow() override;

    Session *session() const { return m_session; }
    ComputeController *controller() const { return m_controller; }
    QUndoStack *undoStack() const { return m_undo; }
    FeatureMapGrid *grid() const { return m_grid; }
    ParameterPanel *parameterPanel() const { return m_parameters; }
    ShapePanel *shapePanel() const { return m_shape; }
    InputView *inputView() const { return m_input; }
    // Receptive fields, "why this number?", groups, the layer stack.
    ReceptiveFieldController *receptiveField() const { return m_receptiveField; }
    ExplainPanel *explainPanel() const { return m_explain; }
    ErfPanel *erfPanel() const { return m_erfPanel; }
    ConvMatrixView *matrixView() const { return m_matrix; }
    ErfModel *erfModel() const { return m_erf; }
    ConnectivityView *connectivityView() const { return m_connectivity; }
    LayerStackModel *layerStack() const { return m_layers; }
    LayerStackPanel *layerStackPanel() const { return m_layerPanel; }
    TeachingMode *teaching() const { return m_teaching; }

    // The window's menus and actions by identity (nullptr for one it does not have).
    QMenu *menu(MenuId id) const;
    QAction *action(ActionId id) const;
    QDockWidget *dock(DockId id) const;

    // Opens an image file; on failure shows the error (non-blocking) and keeps the
    // current image. Returns whether the image was loaded.
    bool openImage(const QString &path);
    // Opens what a file is: a session (*.convscope.json), a lesson (another *.json) or an
    // image, as `convscope FILE` and a double-click do. On failure shows why and returns false.
    bool openFile(const QString &path);
    bool teachingActive() const; // a lesson is open in teaching mode
    // Loads the bundled sample image.
    void openSample();
    // Edits since the session was last saved or opened (the undo stack's clean state); the
    // title shows them as "*", and closing asks whether to save them.
    bool hasUnsavedChanges() const;
    // The last error shown to the user (for tests and the status bar).
    QString lastError() const { return m_lastError; }

    bool isPresentationMode() const { return m_presentation; }
    void setPresentationMode(bool on);
    void setTheme(Theme theme);
    Theme theme() const { return m_theme; }
    // The desktop portal's light/dark preference that Theme::System follows (tests inject one).
    SystemColorScheme *systemColorScheme() const { return m_colorScheme; }

    // Persistence (settings.h): geometry, dock layout, parameters, display settings, recent
    // files. readSettings loads and applies them; writeSettings collects and saves them.
    void readSettings();
    void writeSettings();

signals:
    void errorShown(const QString &message);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void createActions();
    void createDocks();
    void createReceptiveFieldDocks();
    // A dock holding `widget` in `area`, named `objectName` for the saved layout.
    QDockWidget *addDock(DockId id, const char *objectName, const QString &title, QWidget *widget,
                         Qt::DockWidgetArea area);
    void createStatusBar();
    void createTeachingMode();
    QMenu *addMenu(MenuId id, QWidget *parent, const QString &title);
    void showError(const QString &message);
    void pasteImage();
    void openDialog();
    void addRecentFile(const QString &path);
    void rebuildRecentMenu();
    void editPreviewLimit();
    void about();
    void updateStatus();
    void updateTitle();
    // Asks Save / Discard / Cancel when there are unsaved changes; true when they were saved
    // or may go.
    bool mayDiscardChanges();
    void applySettings(const Settings &s);
    void collectSettings(Settings &s) const;

    Session *m_session;
    ComputeController *m_controller;
    QUndoStack *m_undo;
    FeatureMapGrid *m_grid;
    ParameterPanel *m_parameters = nullptr;
    ShapePanel *m_shape = nullptr;
    InputView *m_input = nullptr;
    KernelPanel *m_kernel = nullptr;
    std::map<DockId, QDockWidget *> m_docks;
    TeachingMode *m_teaching = nullptr;
    ExportActions *m_share = nullptr;
    ExplainPanel *m_explain = nullptr;
    ErfModel *m_erf = nullptr;
    ErfPanel *m_erfPanel = nullptr;
    ConvMatrixView *m_matrix = nullptr;
    ConnectivityView *m_connectivity = nullptr;
    LayerStackModel *m_layers = nullptr;
    LayerStackPanel *m_layerPanel = nullptr;
    ReceptiveFieldController *m_receptiveField = nullptr;
    QMenu *m_viewMenu = nullptr;
    QMenu *m_recentMenu = nullptr;
    QAction *m_fileImageEnd = nullptr; // the separator after the image entries of File
    std::map<MenuId, QMenu *> m_menus;
    std::map<ActionId, QAction *> m_actions;
    QAction *m_presentationAction = nullptr;
    QActionGroup *m_themeGroup = nullptr;
    QLabel *m_timeLabel = nullptr;
    QLabel *m_previewLabel = nullptr;
    QProgressBar *m_progress = nullptr;
    QStringList m_recent;
    QString m_lastError;
    QFont m_normalFont;
    QPalette m_systemPalette;
    SystemColorScheme *m_colorScheme = nullptr;
    Theme m_theme = Theme::System;
    bool m_presentation = false;
};

} // namespace convscope::ui
