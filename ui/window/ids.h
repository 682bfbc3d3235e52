// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The main window's menus, actions and docks by identity. Collaborators (teaching mode, the
// screenshot states of the app) ask the window for these instead of searching for a
// translated title or an action's text, and the dock object names that QMainWindow::saveState
// records live here once: renaming one would drop the users' saved layouts.
namespace convscope::ui {

enum class MenuId { File, RecentFiles, Edit, View, Colours, Theme, Help };

enum class ActionId {
    OpenImage,
    OpenSample,
    PasteImage,
    PreviewLimit,
    Quit,
    Undo,
    Redo,
    PresentationMode,
    FullScreen,
    FitMaps,
    NextMapPage,
    PreviousMapPage,
    GlobalRange,
    SelectOnHover,
    GettingStarted,
    About,
    AboutQt,
};

enum class DockId {
    Parameters,
    Input,
    Shape,
    Kernel,
    Explain,
    Connectivity,
    Layers,
    EffectiveField,
    Matrix
};

// QDockWidget object names (keys of the saved window state).
namespace dockname {
inline constexpr char kParameters[] = "parametersDock";
inline constexpr char kInput[] = "inputDock";
inline constexpr char kShape[] = "shapeDock";
inline constexpr char kKernel[] = "kernelDock";
inline constexpr char kExplain[] = "explainDock";
inline constexpr char kConnectivity[] = "connectivityDock";
inline constexpr char kLayers[] = "layersDock";
inline constexpr char kEffectiveField[] = "effectiveFieldDock";
inline constexpr char kMatrix[] = "matrixDock";
inline constexpr char kTeaching[] = "teachingDock";
} // namespace dockname

} // namespace convscope::ui
