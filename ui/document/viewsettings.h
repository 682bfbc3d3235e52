// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// How feature maps are coloured: the gradient and how its range is chosen, as a plain value
// for the session file and the exporter. colourRange() is the one rule for turning them into a
// value range, so exports look like the window.
#include "colormap.h"

#include <QString>
#include <QStringList>

namespace convscope::ui {

// Which channels of the image are fed to the engine. Stored as params().inChannels
// (1 or 3) so that undo/redo of parameters covers it too.
enum class InputMode { Grayscale, Rgb };

// How the feature maps share their colour scale.
enum class RangeMode {
    PerMap, // each map spans its own min..max (shows structure in weak channels)
    Global, // one range across all maps (makes channels comparable)
};

QString rangeModeName(RangeMode m); // "per-map", "global"
QStringList rangeModeNames();       // in enum order
bool parseRangeMode(const QString &name, RangeMode *out);
bool isGlobal(RangeMode m);

// The colour range of one map: `map` is that map's own value range, `all` the range over
// every map of the output. The diverging gradient is made symmetric ([-m, m]) so that zero
// is always its white middle and the sign of a value reads off its hue.
ValueRange colourRange(RangeMode m, Gradient g, ValueRange map, ValueRange all);

struct ViewSettings {
    Gradient gradient = Gradient::Diverging;
    RangeMode rangeMode = RangeMode::PerMap;
    bool operator==(const ViewSettings &) const = default;
};

} // namespace convscope::ui
