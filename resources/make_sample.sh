#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Renders the bundled sample image (a synthetic scene, so it is ours to ship: no photo
# licence involved). Straight edges in several directions, a circle, stripes of different
# frequencies, a checkerboard and smooth gradients: every classic kernel shows something.
# Needs ImageMagick 6; the output is committed, this script documents how it was made.
# 8 bits per channel: the sample teaches with pixel / 255 (16-bit images are fed at 16 bits).
set -euo pipefail
cd "$(dirname "$0")"
convert -size 320x240 gradient:'#7ec8f0'-'#f4e6c8' \
  -fill '#ffcc33' -stroke '#e08a00' -strokewidth 2 -draw 'circle 255,52 255,80' \
  -stroke none -fill '#4f6d3a' -draw 'polygon 0,170 60,110 120,160 180,95 250,150 320,120 320,240 0,240' \
  -fill '#6e8f4e' -draw 'polygon 0,200 80,165 170,190 260,170 320,185 320,240 0,240' \
  -fill '#c0392b' -draw 'polygon 40,160 80,125 120,160' \
  -fill '#ecdcc0' -draw 'rectangle 48,160 112,212' \
  -fill '#3b2a1a' -draw 'rectangle 72,182 88,212' \
  -fill '#5dade2' -stroke '#2c3e50' -strokewidth 1 -draw 'rectangle 54,168 68,180' -draw 'rectangle 92,168 106,180' \
  -stroke none \
  -fill black -draw 'rectangle 200,196 216,212' -draw 'rectangle 232,196 248,212' -draw 'rectangle 216,212 232,228' -draw 'rectangle 248,212 264,228' \
  -fill white -draw 'rectangle 216,196 232,212' -draw 'rectangle 248,196 264,212' -draw 'rectangle 200,212 216,228' -draw 'rectangle 232,212 248,228' \
  -fill '#222222' -draw 'rectangle 280,196 282,228' -draw 'rectangle 286,196 288,228' -draw 'rectangle 292,196 294,228' -draw 'rectangle 300,196 304,228' -draw 'rectangle 310,196 314,228' \
  -font DejaVu-Sans-Bold -pointsize 30 -fill '#1b2631' -annotate +14+44 'Conv2d' \
  -strip -depth 8 -type TrueColor -define png:exclude-chunks=date,time sample.png

# The app icon is drawn in packaging/icons/*.svg; tools/render-icons.sh renders convscope.png.
