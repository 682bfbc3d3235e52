// SPDX-License-Identifier: GPL-3.0-or-later
#include "viewsettings.h"

namespace convscope::ui {

QString rangeModeName(RangeMode m)
{
    switch (m) {
    case RangeMode::PerMap: return QStringLiteral("per-map");
    case RangeMode::Global: return QStringLiteral("global");
    }
    return QStringLiteral("per-map");
}

QStringList rangeModeNames()
{
    return {rangeModeName(RangeMode::PerMap), rangeModeName(RangeMode::Global)};
}

bool parseRangeMode(const QString &name, RangeMode *out)
{
    for (auto m : {RangeMode::PerMap, RangeMode::Global}) {
        if (rangeModeName(m) == name) {
            *out = m;
            return true;
        }
    }
    return false;
}

bool isGlobal(RangeMode m)
{
    return m == RangeMode::Global;
}

ValueRange colourRange(RangeMode m, Gradient g, ValueRange map, ValueRange all)
{
    const ValueRange r = m == RangeMode::Global ? all : map;
    return g == Gradient::Diverging ? symmetricRange(r) : r;
}

} // namespace convscope::ui
