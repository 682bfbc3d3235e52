// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The JSON sidecar of one exported result: how it was computed (version, input and its
// hash and scaling, every layer, the resolution), the value and colour range of every map,
// the 16-bit scales, and the files written beside it.
#include "plan.h"

#include <QByteArray>
#include <QString>

#include <vector>

namespace convscope::ui {

// The offset and scale of one 16-bit PNG, as encodePng16 chose them.
struct Png16Scale {
    QString file;
    int sample = 0;
    int channel = 0;
    double offset = 0.0;
    double scale = 0.0;
};

// The sidecar's bytes (indented JSON). `png16` lists the 16-bit maps in the order they were
// written; `created` is the export's UTC time, shared by every request of one export.
QByteArray exportSidecar(const ExportRequest &r, const ExportOptions &options,
                         const std::vector<Png16Scale> &png16, const QString &created);

// Hex SHA-256 of a file's bytes (for the sidecar); empty when unreadable.
QByteArray sha256OfFile(const QString &path);

} // namespace convscope::ui
