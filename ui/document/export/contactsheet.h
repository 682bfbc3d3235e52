// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Contact sheet: title with the configuration, all maps of sample 0 in a grid labelled
// out[c], a colour bar with tick values. Height follows from the width and the grid; the
// PNG, PDF and SVG are the same painting.
#include "plan.h"

#include <QByteArray>
#include <QImage>
#include <QSizeF>

class QPainter;

namespace convscope::ui {

QSizeF contactSheetSize(const ExportRequest &r, int width);
void paintContactSheet(QPainter &painter, const ExportRequest &r, int width);
QImage renderContactSheet(const ExportRequest &r, int width);
QByteArray contactSheetPdf(const ExportRequest &r, int width);
QByteArray contactSheetSvg(const ExportRequest &r, int width); // empty without Qt Svg

} // namespace convscope::ui
