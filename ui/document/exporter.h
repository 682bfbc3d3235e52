// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Exports of a Conv2d result: coloured and 16-bit PNGs per map, the raw output as .npy, a
// contact sheet (PNG, PDF, SVG where Qt Svg is built in), a JSON sidecar, and the .npy files
// plus script that reproduce the result in PyTorch.
//
// Plain values in, files out; QtGui only (no widgets), so the GUI and the headless command
// share it. An export is a transaction: every file is first written (through QSaveFile)
// into a hidden staging folder inside the target folder, and only when all of them exist
// are they renamed into place. Cancel or failure removes the staging folder: the target
// folder ends up with every file or with none.
//
// This header is the whole public interface; the pieces live in export/: plan (requests,
// formats, file names, checks), maps (one map's range, colours, 16-bit encoding),
// contactsheet, sidecar, transaction (the staging folder) and exporter (exportResults).
#include "export/contactsheet.h"
#include "export/maps.h"
#include "export/plan.h"
#include "export/sidecar.h"

#include <vector>

namespace convscope::ui {

ExportResult exportResults(const std::vector<ExportRequest> &requests, const ExportOptions &options,
                           const ExportProgress &progress = {});

} // namespace convscope::ui
