#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The classroom screenshots in docs/classroom/: the window on a 1024x768 and a 1280x720
# projector and a 1920x1080 screen, in the normal layout and in presentation mode, and a
# lesson step after Reveal in both, made by the real binary under Xvfb (--screenshot-state
# presentation, lesson and lesson-presentation) and reduced to a 64-colour palette to keep
# them small.
#   tools/classroom-shots.sh [BINARY]      default build/release/app/convscope
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/release/app/convscope}")
out=docs/classroom
mkdir -p "$out"
for size in 1024x768 1280x720 1920x1080; do
    for state in normal presentation lesson lesson-presentation; do
        file="$out/$state-$size.png"
        args=(--screenshot "$file")
        [ "$state" = normal ] || args+=(--screenshot-state "$state")
        # A window of the screen's size, or again: a run that raced another Xvfb for its
        # display number got a window of another size.
        for attempt in 1 2 3; do
            xvfb-run -a -s "-screen 0 ${size}x24" "$bin" "${args[@]}"
            got=$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]))' "$file")
            [ "$got" = "$size" ] && break
            echo "classroom-shots: $file is $got, not $size (attempt $attempt)" >&2
            [ "$attempt" = 3 ] && exit 1
        done
        if command -v convert >/dev/null; then
            convert "$file" -colors 64 "PNG8:$file"
        fi
    done
done
