#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Renders the app icon's PNG sizes from its SVG source (packaging/icons/*.svg): the hicolor
# sizes the package installs (packaging/icons/hicolor/NxN/apps/) and the 256 px copy the
# binary embeds (resources/convscope.png). The PNGs are committed so a build needs no SVG
# renderer; run this after editing the SVG. Needs rsvg-convert (apt-get install librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")/.."
id=io.github.convscope.ConvScope
svg=packaging/icons/$id.svg
command -v rsvg-convert >/dev/null || {
    echo "render-icons: rsvg-convert is missing (apt-get install librsvg2-bin)" >&2
    exit 1
}
for size in 16 22 24 32 48 64 128 256 512; do
    dir=packaging/icons/hicolor/${size}x${size}/apps
    mkdir -p "$dir"
    rsvg-convert --width "$size" --height "$size" --output "$dir/$id.png" "$svg"
done
rsvg-convert --width 256 --height 256 --output resources/convscope.png "$svg"
echo "render-icons: wrote packaging/icons/hicolor/*/apps/$id.png and resources/convscope.png"
