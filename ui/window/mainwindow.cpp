// SPDX-License-Identifier: GPL-3.0-or-later
#include "mainwindow.h"

#include "appearance.h"
#include "commands.h"
#include "computecontroller.h"
#include "connectivityview.h"
#include "convmatrixview.h"
#include "erfmodel.h"
#include "erfpanel.h"
#include "explainpanel.h"
#include "exportactions.h"
#include "featuremapgrid.h"
#include "gettingstarted.h"
#include "ids.h"
#include "inputview.h"
#include "kernelbinding.h"
#include "kernelpanel.h"
#include "keyboardpolicy.h"
#include "layerstackmodel.h"
#include "layerstackpanel.h"
#include "parameterpanel.h"
#include "receptivefieldcontroller.h"
#include "shapepanel.h"
#include "systemcolorscheme.h"
#include "teachinghost.h"
#include "teachingmode.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QImageReader>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QScreen>
#include <QStatusBar>
#include <QUndoStack>

#include <algorithm>

// Resources of a static library need an explicit init, outside any namespace.
static void initResources()
{
    Q_INIT_RESOURCE(convscope);
}

namespace convscope::ui {

namespace {

constexpr int kMaxRecent = 8;

} // namespace

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    initResources();
    setObjectName(QStringLiteral("mainWindow"));
    setAcceptDrops(true);
    m_normalFont = QApplication::font();
    m_systemPalette = QApplication::palette();
    // The portal answers asynchronously (or never); "System" follows its first answer and
    // every later switch of the desktop's dark/light setting.
    m_colorScheme = new SystemColorScheme(this);
    connect(m_colorScheme, &SystemColorScheme::changed, this, [this] {
        if (m_theme == Theme::System)
            setTheme(Theme::System);
    });
    m_colorScheme->start();

    m_session = new Session(this);
    // The controller connects to the Session first, so validation state is current when
    // the views react to the same signal.
    m_controller = new ComputeController(m_session, this);
    m_undo = new QUndoStack(this);
    m_grid = new FeatureMapGrid(m_session, this);
    m_controller->setMapRequests([this] { return m_grid->mapRequests(); });
    setCentralWidget(m_grid);

    createDocks();
    createActions();
    createStatusBar();
    createTeachingMode();
    appearance::followFontInDockTitles(this);

    connect(m_grid, &FeatureMapGrid::hovered, this, [this](const QString &text) {
        if (text.isEmpty())
            statusBar()->clearMessage();
        else
            statusBar()->showMessage(text);
    });
    connect(m_controller, &ComputeController::computed, this, &MainWindow::updateStatus);
    connect(m_session, &Session::imageChanged, this, &MainWindow::updateStatus);
    connect(m_session, &Session::imageChanged, this, &MainWindow::updateTitle);
    connect(m_undo, &QUndoStack::cleanChanged, this, &MainWindow::updateTitle);
    // Wheel, Tab and Undo behave the same in every dock and dialog (keyboardpolicy.h).
    new KeyboardPolicy(this);

    setWindowIcon(QIcon(QStringLiteral(":/convscope/convscope.png")));
    // An explicit minimum keeps the layout from growing the window to the sum of its panels'
    // minimum sizes (presentation fonts, teaching mode): that pushed it past a 1024x768
    // screen and un-maximised it. A panel that needs more than it gets scrolls or squeezes.
    setMinimumSize(640, 480);
    if (const QScreen *screen = this->screen())
        resize(firstLaunchSize(screen->availableGeometry().size()));
    else
        resize(firstLaunchSize({1500, 1000}));
    updateStatus();
    updateTitle();
}

QSize MainWindow::firstLaunchSize(const QSize &available)
{
    // A title bar and borders take about 40 x 16 px on common window managers.
    return {std::clamp(available.width() - 16, 320, 1500),
            std::clamp(available.height() - 40, 240, 920)};
}

MainWindow::~MainWindow()
{
    // QUndoStack emits cleanChanged() from its destructor, which runs after ours: the slot
    // must not reach this half-destroyed window (found by UBSan).
    disconnect(m_undo, nullptr, this, nullptr);
}

void MainWindow::createDocks()
{
    m_parameters = new ParameterPanel(m_session);
    auto *paramDock = addDock(DockId::Parameters, dockname::kParameters, tr("Parameters"),
                              m_parameters, Qt::LeftDockWidgetArea);
    connect(m_parameters, &ParameterPanel::paramsEdited, this,
            [this](const core::Conv2dParams &before, const core::Conv2dParams &after,
                   const QString &what, const QString &key) {
                m_undo->push(
                    new SetParamsCommand(m_session, before, after, tr("change %1").arg(what), key));
            });

    m_input = new InputView(m_session);
    auto *inputDock =
        addDock(DockId::Input, dockname::kInput, tr("Input"), m_input, Qt::RightDockWidgetArea);

    m_shape = new ShapePanel(m_session);
    addDock(DockId::Shape, dockname::kShape, tr("Shape"), m_shape, Qt::RightDockWidgetArea);

    // Kernel presets, seeded init and the editable weights; below the parameters.
    m_kernel = new KernelPanel;
    addDock(DockId::Kernel, dockname::kKernel, tr("Kernel"), m_kernel, Qt::LeftDockWidgetArea);
    attachKernelPanel(m_kernel, m_session, m_undo);
    resizeDocks({paramDock, inputDock}, {300, 380}, Qt::Horizontal);
    createReceptiveFieldDocks();
}

void MainWindow::createReceptiveFieldDocks()
{
    // Explain under the input view; Connectivity and Layers tabbed with the Kernel
    // dock (stacked below it, their minimum heights would make the window taller).
    m_explain = new ExplainPanel;
    addDock(DockId::Explain, dockname::kExplain, tr("Explain"), m_explain, Qt::RightDockWidgetArea);
    m_connectivity = new ConnectivityView;
    auto *connectivityDock = addDock(DockId::Connectivity, dockname::kConnectivity,
                                     tr("Connectivity"), m_connectivity, Qt::LeftDockWidgetArea);
    m_layers = new LayerStackModel(m_session, this);
    m_layers->setUndoStack(m_undo); // stack edits are undoable like every other edit
    m_layerPanel = new LayerStackPanel(m_layers);
    auto *layersDock = addDock(DockId::Layers, dockname::kLayers, tr("Layers"), m_layerPanel,
                               Qt::LeftDockWidgetArea);
    m_matrix = new ConvMatrixView(m_session);
    auto *matrixDock =
        addDock(DockId::Matrix, dockname::kMatrix, tr("Matrix"), m_matrix, Qt::LeftDockWidgetArea);
    QDockWidget *kernelDock = dock(DockId::Kernel);
    tabifyDockWidget(kernelDock, connectivityDock);
    tabifyDockWidget(connectivityDock, layersDock);
    tabifyDockWidget(layersDock, matrixDock);
    kernelDock->raise();
    m_receptiveField =
        new ReceptiveFieldController(m_layers, m_grid, m_input, m_explain, m_connectivity, this);
    connect(m_receptiveField, &ReceptiveFieldController::status, this,
            [this](const QString &text) { statusBar()->showMessage(text, 15000); });

    // The effective field of the selected output, tabbed with Explain: both are about it.
    m_erf = new ErfModel(m_layers, this);
    m_erfPanel = new ErfPanel(m_erf, m_session);
    auto *erfDock = addDock(DockId::EffectiveField, dockname::kEffectiveField,
                            tr("Effective field"), m_erfPanel, Qt::RightDockWidgetArea);
    tabifyDockWidget(dock(DockId::Explain), erfDock);
    dock(DockId::Explain)->raise();
    // Hovering a row of the Matrix dock selects its output when the maps show that layer.
    connect(m_matrix, &ConvMatrixView::outputHovered, this, [this](int c, int y, int x) {
        if (m_layers->shownLayer() == 0)
            m_receptiveField->selectOutput(c, y, x);
    });
    connect(m_receptiveField, &ReceptiveFieldController::selectionChanged, this, [this] {
        const auto &s = m_receptiveField->selection();
        m_erf->setTarget(s ? std::optional<ErfTarget>(ErfTarget{s->layer, s->channel, s->y, s->x})
                           : std::nullopt);
    });
}

void MainWindow::createActions()
{
    QMenu *file = addMenu(MenuId::File, menuBar(), tr("&File"));
    QAction *open = file->addAction(tr("&Open Image…"), this, &MainWindow::openDialog);
    m_actions[ActionId::OpenImage] = open;
    open->setShortcut(QKeySequence::Open);
    open->setStatusTip(tr("Load an image to convolve (any format Qt can read)"));
    m_recentMenu = addMenu(MenuId::RecentFiles, file, tr("Open &Recent"));
    QAction *sample = file->addAction(tr("Open &Sample Image"), this, &MainWindow::openSample);
    sample->setStatusTip(tr("Load the bundled sample picture"));
    m_actions[ActionId::OpenSample] = sample;
    QAction *paste = file->addAction(tr("&Paste Image"), this, &MainWindow::pasteImage);
    paste->setShortcut(QKeySequence::Paste);
    paste->setStatusTip(tr("Use the image on the clipboard as input"));
    m_actions[ActionId::PasteImage] = paste;
    // Export, sessions, imported weights and PyTorch code live in exportactions.h.
    auto *share = m_share = new ExportActions(m_session, m_undo, this);
    share->setLayerStack(m_layers); // export what is shown, deeper layers included
    // Teaching mode puts its lesson entries here, between the image and the session entries.
    m_fileImageEnd = file->addSeparator();
    file->addAction(share->openSessionAction());
    file->addAction(share->saveSessionAction());
    file->addAction(share->importWeightsAction());
    file->addAction(share->exportAction());
    file->addSeparator();
    QAction *prefs = file->addAction(tr("Preview &Limit…"), this, &MainWindow::editPreviewLimit);
    prefs->setShortcut(QKeySequence::Preferences);
    prefs->setStatusTip(tr("Largest image side computed live; bigger images are downscaled"));
    m_actions[ActionId::PreviewLimit] = prefs;
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setStatusTip(tr("Quit convscope"));
    m_actions[ActionId::Quit] = quit;

    QMenu *edit = addMenu(MenuId::Edit, menuBar(), tr("&Edit"));
    QAction *undo = m_undo->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    undo->setStatusTip(tr("Undo the last parameter change"));
    QAction *redo = m_undo->createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    redo->setStatusTip(tr("Redo the parameter change"));
    edit->addAction(undo);
    edit->addAction(redo);
    m_actions[ActionId::Undo] = undo;
    m_actions[ActionId::Redo] = redo;
    edit->addSeparator();
    edit->addAction(share->copyAsPyTorchAction());

    m_viewMenu = addMenu(MenuId::View, menuBar(), tr("&View"));
    m_presentationAction = m_viewMenu->addAction(tr("&Presentation Mode"));
    m_actions[ActionId::PresentationMode] = m_presentationAction;
    m_presentationAction->setCheckable(true);
    m_presentationAction->setShortcut(QKeySequence(Qt::Key_F5));
    m_presentationAction->setStatusTip(tr("Large fonts for projectors"));
    connect(m_presentationAction, &QAction::toggled, this, &MainWindow::setPresentationMode);
    QAction *full = m_viewMenu->addAction(tr("&Full Screen"));
    full->setCheckable(true);
    full->setShortcut(QKeySequence::FullScreen);
    full->setStatusTip(tr("Use the whole screen"));
    m_actions[ActionId::FullScreen] = full;
    // Full screen on top of the window's state: leaving it gives back a maximised window
    // (showNormal() would not).
    connect(full, &QAction::toggled, this, [this](bool on) {
        setWindowState(on ? windowState() | Qt::WindowFullScreen
                          : windowState() & ~Qt::WindowFullScreen);
    });
    m_viewMenu->addSeparator();
    QAction *fit = m_viewMenu->addAction(tr("&Fit Maps"), m_grid, &FeatureMapGrid::resetZoom);
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    fit->setStatusTip(tr("Show the whole feature maps after zooming or panning"));
    m_actions[ActionId::FitMaps] = fit;
    QAction *next = m_viewMenu->addAction(tr("&Next Page of Maps"), m_grid,
                                          [this] { m_grid->setPage(m_grid->page() + 1); });
    next->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_PageDown));
    next->setStatusTip(tr("Show the next output channels"));
    m_actions[ActionId::NextMapPage] = next;
    QAction *prev = m_viewMenu->addAction(tr("P&revious Page of Maps"), m_grid,
                                          [this] { m_grid->setPage(m_grid->page() - 1); });
    prev->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_PageUp));
    prev->setStatusTip(tr("Show the previous output channels"));
    m_actions[ActionId::PreviousMapPage] = prev;

    QMenu *colours = addMenu(MenuId::Colours, m_viewMenu, tr("&Colours"));
    auto *gradients = new QActionGroup(this);
    const QStringList names{tr("&Diverging (signed values)"), tr("&Grayscale"), tr("&Viridis")};
    for (int i = 0; i < names.size(); ++i) {
        QAction *a = colours->addAction(names[i]);
        a->setCheckable(true);
        a->setShortcut(QKeySequence(Qt::CTRL | (Qt::Key_1 + i)));
        a->setStatusTip(tr("Colour the feature maps with this gradient"));
        gradients->addAction(a);
        connect(a, &QAction::triggered, this,
                [this, i] { m_session->setGradient(static_cast<Gradient>(i)); });
    }
    colours->addSeparator();
    QAction *global = colours->addAction(tr("G&lobal Range"));
    global->setCheckable(true);
    global->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_G));
    global->setStatusTip(tr("One colour range across all maps (off: each map its own)"));
    m_actions[ActionId::GlobalRange] = global;
    connect(global, &QAction::toggled, this, [this](bool on) {
        m_session->setRangeMode(on ? RangeMode::Global : RangeMode::PerMap);
    });
    auto syncColours = [this, gradients, global] {
        gradients->actions()[static_cast<int>(m_session->gradient())]->setChecked(true);
        QSignalBlocker b(global);
        global->setChecked(m_session->rangeMode() == RangeMode::Global);
    };
    connect(m_session, &Session::displayChanged, this, syncColours);
    syncColours();

    QMenu *theme = addMenu(MenuId::Theme, m_viewMenu, tr("&Theme"));
    m_themeGroup = new QActionGroup(this);
    const QStringList themes{tr("Follow &System"), tr("&Light"), tr("&Dark")};
    for (int i = 0; i < themes.size(); ++i) {
        QAction *a = theme->addAction(themes[i]);
        a->setCheckable(true);
        a->setChecked(i == 0);
        a->setStatusTip(tr("Light or dark colours for the window"));
        m_themeGroup->addAction(a);
        connect(a, &QAction::triggered, this, [this, i] { setTheme(static_cast<Theme>(i)); });
    }
    QAction *hover = m_viewMenu->addAction(tr("Select Output on &Hover"));
    hover->setCheckable(true);
    hover->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_H));
    hover->setStatusTip(tr("Hovering a feature map shows that output's receptive field and "
                           "arithmetic, like a click does"));
    connect(hover, &QAction::toggled, m_receptiveField, &ReceptiveFieldController::setFollowHover);
    m_actions[ActionId::SelectOnHover] = hover;
    m_viewMenu->addSeparator();
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        m_viewMenu->addAction(dock->toggleViewAction());

    QMenu *help = addMenu(MenuId::Help, menuBar(), tr("&Help"));
    QAction *guide = help->addAction(tr("&Getting Started"), this, [this] {
        // One guide, beside the window: the controls it names can be tried while reading.
        auto *dialog = findChild<GettingStartedDialog *>();
        if (!dialog)
            dialog = new GettingStartedDialog(this);
        dialog->show();
        dialog->raise();
        dialog->activateWindow();
    });
    guide->setShortcut(QKeySequence::HelpContents);
    guide->setStatusTip(tr("What the eight maps show and where the main controls are"));
    m_actions[ActionId::GettingStarted] = guide;
    QAction *about = help->addAction(tr("&About convscope"), this, &MainWindow::about);
    about->setStatusTip(tr("Version and licence"));
    m_actions[ActionId::About] = about;
    QAction *aboutQt = help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
    aboutQt->setStatusTip(tr("The Qt version in use"));
    m_actions[ActionId::AboutQt] = aboutQt;
    rebuildRecentMenu();
}

QMenu *MainWindow::addMenu(MenuId id, QWidget *parent, const QString &title)
{
    QMenu *m = nullptr;
    if (auto *bar = qobject_cast<QMenuBar *>(parent))
        m = bar->addMenu(title);
    else
        m = static_cast<QMenu *>(parent)->addMenu(title);
    m_menus[id] = m;
    return m;
}

QDockWidget *MainWindow::addDock(DockId id, const char *objectName, const QString &title,
                                 QWidget *widget, Qt::DockWidgetArea area)
{
    auto *d = new QDockWidget(title, this);
    d->setObjectName(QLatin1String(objectName));
    d->setWidget(widget);
    addDockWidget(area, d);
    m_docks[id] = d;
    return d;
}

QDockWidget *MainWindow::dock(DockId id) const
{
    const auto it = m_docks.find(id);
    return it == m_docks.end() ? nullptr : it->second;
}

QMenu *MainWindow::menu(MenuId id) const
{
    const auto it = m_menus.find(id);
    return it == m_menus.end() ? nullptr : it->second;
}

QAction *MainWindow::action(ActionId id) const
{
    const auto it = m_actions.find(id);
    return it == m_actions.end() ? nullptr : it->second;
}

void MainWindow::createTeachingMode()
{
    // Teaching mode adds its dock and menu entries itself (teachingmode.h), from what it is
    // handed here.
    TeachingHost host;
    host.window = this;
    host.session = m_session;
    host.undoStack = m_undo;
    host.kernelPanel = m_kernel;
    host.lockParameter = [this](core::Field field, bool locked) {
        m_parameters->setLocked(field, locked);
    };
    host.squeezeParameters = [this](bool on) { m_parameters->setSqueezable(on); };
    // The stepping is about the session's layer (layer 1); with a deeper layer shown in the
    // maps a position of layer 1 would select the wrong output, so nothing is selected.
    host.selectOutput = [this](int channel, int y, int x) {
        if (m_layers->shownLayer() == 0)
            m_receptiveField->selectOutput(channel, y, x);
    };
    host.parametersDock = dock(DockId::Parameters);
    host.inputDock = dock(DockId::Input);
    host.viewMenu = menu(MenuId::View);
    host.viewBefore = action(ActionId::FullScreen); // next to Presentation Mode, the other switch
    host.fileMenu = menu(MenuId::File);
    host.fileBefore = m_fileImageEnd;                      // after the image entries
    host.menuBarBefore = menu(MenuId::Help)->menuAction(); // the last content menu
    m_teaching = new TeachingMode(host);
}

void MainWindow::createStatusBar()
{
    m_previewLabel = new QLabel;
    m_previewLabel->setObjectName(QStringLiteral("previewLabel"));
    m_previewLabel->setStyleSheet(QStringLiteral("QLabel { color: #d9480f; font-weight: bold; }"));
    m_timeLabel = new QLabel;
    m_timeLabel->setObjectName(QStringLiteral("timeLabel"));
    m_progress = new QProgressBar;
    m_progress->setRange(0, 100);
    m_progress->setMaximumWidth(160);
    m_progress->hide();
    statusBar()->addPermanentWidget(m_previewLabel);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_timeLabel);
    connect(m_controller, &ComputeController::progressVisible, m_progress, &QWidget::setVisible);
    connect(m_controller, &ComputeController::progress, m_progress, &QProgressBar::setValue);
}

void MainWindow::updateStatus()
{
    if (m_controller->lastComputeMs() > 0)
        m_timeLabel->setText(
            m_controller->lastComputeMs() < 0.05
                ? tr("computed in < 0.1 ms") // not "0.0 ms" for tiny inputs
                : tr("computed in %1 ms").arg(m_controller->lastComputeMs(), 0, 'f', 1));
    if (m_session->isDownscaled()) {
        const QImage &full = m_session->image();
        const QImage &fed = m_session->previewImage();
        m_previewLabel->setText(tr("Preview: computing on %1×%2 (image is %3×%4)")
                                    .arg(fed.width())
                                    .arg(fed.height())
                                    .arg(full.width())
                                    .arg(full.height()));
        m_previewLabel->show();
    } else {
        m_previewLabel->clear();
        m_previewLabel->hide();
    }
}

void MainWindow::updateTitle()
{
    const QString src = m_session->imageSource();
    // "[*]" shows as "*" while the session has edits that no saved session holds.
    setWindowTitle(tr("%1[*] — convscope")
                       .arg(src.startsWith(QLatin1Char(':'))      ? tr("sample")
                            : QFileInfo(src).fileName().isEmpty() ? src
                                                                  : QFileInfo(src).fileName()));
    setWindowModified(hasUnsavedChanges());
}

bool MainWindow::hasUnsavedChanges() const
{
    return !m_undo->isClean();
}

bool MainWindow::mayDiscardChanges()
{
    if (!hasUnsavedChanges())
        return true;
    QMessageBox box(QMessageBox::Question, tr("convscope"),
                    tr("The session has changes that are not saved."),
                    QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
    box.setInformativeText(tr("Save them as a session before closing?"));
    box.setDefaultButton(QMessageBox::Save);
    box.setEscapeButton(QMessageBox::Cancel);
    switch (box.exec()) {
    case QMessageBox::Save: return m_share->saveSession(); // false: cancelled or failed
    case QMessageBox::Discard: return true;
    default: return false;
    }
}

void MainWindow::showError(const QString &message)
{
    m_lastError = message;
    statusBar()->showMessage(message, 8000);
    // Non-blocking: the window (and tests) keep running while the box is up.
    auto *box =
        new QMessageBox(QMessageBox::Warning, tr("convscope"), message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
    emit errorShown(message);
}

bool MainWindow::openImage(const QString &path)
{
    QString error;
    if (!m_session->loadImage(path, &error)) {
        showError(error);
        return false;
    }
    addRecentFile(path);
    return true;
}

bool MainWindow::openFile(const QString &path)
{
    if (path.endsWith(QLatin1String(".convscope.json"), Qt::CaseInsensitive))
        return m_share->openSessionFile(path);
    if (path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive)) {
        QString error;
        if (m_teaching->openLessonFile(path, &error))
            return true;
        showError(error);
        return false;
    }
    return openImage(path);
}

bool MainWindow::teachingActive() const
{
    return m_teaching && m_teaching->isOn();
}

void MainWindow::openSample()
{
    QString error;
    if (!m_session->loadImage(QStringLiteral(":/convscope/sample.png"), &error))
        showError(error);
}

void MainWindow::openDialog()
{
    QStringList filters;
    for (const QByteArray &fmt : QImageReader::supportedImageFormats())
        filters << QStringLiteral("*.") + QString::fromLatin1(fmt);
    const QString dir = m_recent.isEmpty() ? QString() : QFileInfo(m_recent.front()).path();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Image"), dir,
        tr("Images (%1);;All files (*)").arg(filters.join(QLatin1Char(' '))));
    if (!path.isEmpty())
        openImage(path);
}

void MainWindow::pasteImage()
{
    const QMimeData *mime = QApplication::clipboard()->mimeData();
    if (mime && mime->hasImage()) {
        const QImage img = qvariant_cast<QImage>(mime->imageData());
        if (m_session->setImage(img, tr("clipboard")))
            return;
    }
    if (mime && mime->hasUrls() && !mime->urls().isEmpty() && mime->urls().front().isLocalFile()) {
        openImage(mime->urls().front().toLocalFile());
        return;
    }
    showError(tr("The clipboard holds no image."));
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    const QMimeData *mime = event->mimeData();
    if (mime->hasImage()
        || (mime->hasUrls() && !mime->urls().isEmpty() && mime->urls().front().isLocalFile()))
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QMimeData *mime = event->mimeData();
    if (mime->hasUrls() && !mime->urls().isEmpty() && mime->urls().front().isLocalFile()) {
        openFile(mime->urls().front().toLocalFile());
    } else if (mime->hasImage()) {
        m_session->setImage(qvariant_cast<QImage>(mime->imageData()), tr("dropped image"));
    }
    event->acceptProposedAction();
}

void MainWindow::addRecentFile(const QString &path)
{
    const QString abs = QFileInfo(path).absoluteFilePath();
    if (abs.startsWith(QLatin1Char(':')))
        return;
    m_recent.removeAll(abs);
    m_recent.prepend(abs);
    while (m_recent.size() > kMaxRecent)
        m_recent.removeLast();
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    for (int i = 0; i < m_recent.size(); ++i) {
        const QString path = m_recent[i];
        QAction *a = m_recentMenu->addAction(
            QStringLiteral("&%1 %2").arg(i + 1).arg(QFileInfo(path).fileName()), this,
            [this, path] { openImage(path); });
        a->setStatusTip(path);
    }
    if (!m_recent.isEmpty()) {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("&Clear List"), this, [this] {
            m_recent.clear();
            rebuildRecentMenu();
        });
    }
    m_recentMenu->setEnabled(!m_recent.isEmpty());
}

void MainWindow::editPreviewLimit()
{
    bool ok = false;
    const int v = QInputDialog::getInt(
        this, tr("Preview Limit"),
        tr("Longest image side computed live, in pixels (0 = no limit).\n"
           "Larger images are downscaled for the live view; the full image is kept."),
        m_session->previewLimit(), 0, 16384, 128, &ok);
    if (ok)
        m_session->setPreviewLimit(v);
}

void MainWindow::about()
{
    QMessageBox::about(
        this, tr("About convscope"),
        tr("<h3>convscope %1</h3>"
           "<p>Makes <code>torch.nn.Conv2d</code> visible: load an image, set the parameters, "
           "watch the feature maps and shapes change.</p>"
           "<p>Built with Qt %2 and QCustomPlot.</p>")
            .arg(QApplication::applicationVersion(), QString::fromLatin1(qVersion())));
}

void MainWindow::setPresentationMode(bool on)
{
    // F5 changes fonts, not the window: maximised or full screen stays so.
    const Qt::WindowStates state = windowState();
    m_presentation = on;
    {
        QSignalBlocker b(m_presentationAction);
        m_presentationAction->setChecked(on);
    }
    appearance::applyPresentationFont(this, m_normalFont, on);
    if (m_teaching)
        m_teaching->setPresentation(on); // a running lesson keeps only its own panels
    if (windowState() != state)
        setWindowState(state);
}

void MainWindow::setTheme(Theme theme)
{
    m_theme = theme;
    if (m_themeGroup)
        m_themeGroup->actions()[static_cast<int>(theme)]->setChecked(true);
    appearance::applyTheme(theme, m_colorScheme->preference(), m_systemPalette);
}

void MainWindow::changeEvent(QEvent *event)
{
    QMainWindow::changeEvent(event);
    // The desktop switched light/dark: follow it when the user asked to.
    if (event->type() == QEvent::ThemeChange && m_theme == Theme::System) {
        m_systemPalette = QGuiApplication::palette();
        setTheme(Theme::System);
    }
}

void MainWindow::readSettings()
{
    Settings s;
    s.load();
    applySettings(s);
}

void MainWindow::applySettings(const Settings &s)
{
    restoreGeometry(s.windowGeometry);
    restoreState(s.windowState);
    m_recent = s.recentFiles;
    rebuildRecentMenu();
    m_session->setPreviewLimit(s.previewLimit);
    m_session->setGradient(s.gradient);
    m_session->setRangeMode(s.rangeMode);
    setTheme(s.theme);
    setPresentationMode(s.presentation);
    if (s.params) {
        // Restored parameters are the starting point, not an undoable edit.
        m_session->setParams(*s.params);
        m_undo->clear();
    }
}

void MainWindow::writeSettings()
{
    Settings s;
    s.load(); // the folders and export options other parts of the window keep there
    collectSettings(s);
    s.save();
}

void MainWindow::collectSettings(Settings &s) const
{
    s.windowGeometry = saveGeometry();
    s.windowState = saveState();
    s.recentFiles = m_recent;
    s.previewLimit = m_session->previewLimit();
    s.gradient = m_session->gradient();
    s.rangeMode = m_session->rangeMode();
    s.theme = m_theme;
    s.presentation = m_presentation;
    s.params = m_session->params();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!mayDiscardChanges()) {
        event->ignore();
        return;
    }
    writeSettings();
    event->accept();
}

} // namespace convscope::ui
